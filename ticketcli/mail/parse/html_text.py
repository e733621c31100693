"""HTML body -> readable plain text, for mail that has no text/plain part.

Tickets are read in a terminal and quoted in replies, so an HTML-only mail is
kept as its text: scripts, styles and the head dropped, one block a line.
(Not named ``html``: that would shadow the standard library's package.)
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]


_BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption center dd details div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main "
    "nav ol p pre section summary table tbody thead tfoot tr ul".split()
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template"})
_WS_RUN = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    """Collects the readable text of an HTML body, blocks on their own lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip: list[str] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip.append(tag)
        elif tag == "body":
            self.skip.clear()  # an unclosed <head> ends where the body starts
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n- " if tag == "li" else "\n")
            if tag == "pre":
                self.pre += 1
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            if tag in self.skip:
                del self.skip[len(self.skip) - 1 - self.skip[::-1].index(tag) :]
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
            if tag == "pre" and self.pre:
                self.pre -= 1

    def handle_data(self, data: str) -> None:
        if self.skip:
            if self.skip[-1] != "head" or data.isspace():
                return
            self.skip.pop()  # text in <head> starts the body, as browsers do
        self.parts.append(data if self.pre else _WS_RUN.sub(" ", data))


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body: no scripts or styles, one block a line."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; this guards the pathological rest
        pass
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    out: list[str] = []
    blank = False
    for line in lines:
        if line:
            if blank and out:
                out.append("")
            out.append(line)
            blank = False
        else:
            blank = True
    return "\n".join(out)

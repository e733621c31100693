"""A plain text table, laid out as tabulate's "simple" format (issue 18).

tabulate, with the wcwidth and importlib.metadata it loads, took ~38 ms of
every command that prints a table -- more than the table's whole job. What
``render.output.emit`` asks of it is small: string cells, left aligned, a
header row, a row of dashes under it. That is done here, line for line as
tabulate does it (tests/unit/render/test_table.py holds it to tabulate):

* a column is as wide as its widest cell, and at least its header's width
  plus two;
* cells are stripped of surrounding whitespace, headers are not;
* columns are joined by two spaces, and each line loses its trailing spaces;
* the width is what a terminal shows: East Asian wide and full-width
  characters take two cells, combining marks and zero-width formatting
  characters none, and the ANSI styling ``click.style`` adds none.

Cells are one line each: ``emit`` folds whitespace before they get here.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

_SEPARATOR = "  "
_MIN_PADDING = 2  # tabulate's MIN_PADDING: a header's room beside its text
# Select Graphic Rendition, what click.style writes (bold, colours, reset).
_STYLE = re.compile("\x1b\\[[0-9;]*m")
_ZERO_WIDTH_CATEGORIES = frozenset(("Mn", "Me", "Cf"))


def char_width(char: str) -> int:
    """How many terminal cells one character takes: 2 for East Asian wide
    and full-width, 0 for combining marks and zero-width format characters
    (U+200B among them), else 1."""
    if char < "\u0300":  # ASCII and Latin-1: the common case, decided at once
        return 1 if char != "\xad" else 0  # the soft hyphen is a format character
    if char == "\u200b" or unicodedata.category(char) in _ZERO_WIDTH_CATEGORIES:
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """The terminal cells ``text`` takes, its ANSI styling not counted."""
    if "\x1b" in text:
        text = _STYLE.sub("", text)
    if text.isascii():
        return len(text)
    return sum(map(char_width, text))


def _pad(text: str, shown: int, width: int) -> str:
    """``text``, ``shown`` cells wide, followed by the spaces that make it
    ``width`` cells wide."""
    return text + " " * (width - shown)


def simple_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """``rows`` under ``headers`` as tabulate's "simple" table of left-aligned
    strings (``tabulate(rows, headers, tablefmt="simple",
    disable_numparse=True)``), without loading tabulate."""
    lines = [[(text, display_width(text)) for text in headers]]
    lines.extend(
        [(text, display_width(text)) for text in map(str.strip, row)] for row in rows
    )
    widths = [shown + _MIN_PADDING for _, shown in lines[0]]
    for row in lines[1:]:
        widths = [max(w, shown) for w, (_, shown) in zip(widths, row, strict=True)]
    rule = _SEPARATOR.join("-" * width for width in widths)
    laid_out = [
        _SEPARATOR.join(
            _pad(text, shown, w) for (text, shown), w in zip(row, widths, strict=True)
        ).rstrip()
        for row in lines
    ]
    laid_out.insert(1, rule)
    return "\n".join(laid_out)

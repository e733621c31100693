"""The content hash: how a second delivery of the same mail is recognised.

A mail arrives twice (two sources, a re-sent mbox, one more relay hop) and
must be stored once: the store recognises mail it holds by Message-ID and by
this hash, so the hash covers the headers its sender wrote and the body, and
none of what transport adds.
"""

from __future__ import annotations

import hashlib

from ticketcli.mail.parse.scan import EMPTY_LINE_PAIRS

__all__ = ["HASHED_HEADERS", "content_hash"]


# Headers that say the same mail was delivered again when everything else is
# equal; trace headers (Received, Return-Path, DKIM, ...) are deliberately not
# among them, so a second delivery with one more hop hashes the same.
HASHED_HEADERS = ("from", "date", "subject", "message-id", "to", "cc")


def content_hash(data: bytes, first: dict[str, str], chunk: int = 1 << 20) -> str:
    """SHA-256 of the ``HASHED_HEADERS`` (their first raw values in ``first``,
    whitespace folded) and of the body of ``data``; ``chunk`` is only how much
    of the body is read at a time."""
    digest = hashlib.sha256()
    for name in HASHED_HEADERS:
        value = first.get(name)
        if value is not None:
            value = " ".join(value.split())
            digest.update(
                name.encode() + b":" + value.encode("utf-8", "surrogateescape")
            )
        digest.update(b"\n")
    # The body after the first empty line, line breaks made LF, trailing
    # whitespace dropped (stores and mbox writers add or drop trailing blank
    # lines: not a new mail). Read in chunks, so a big mail is not copied.
    pos = _after_first_empty_line(data)
    end = len(data)
    while pos is not None and end > pos:
        start = max(pos, end - chunk)
        kept = len(data[start:end].rstrip())
        end = start + kept
        if kept:
            break
    while pos is not None and pos < end:
        stop = min(pos + chunk, end)
        if data[stop - 1 : stop + 1] == b"\r\n":
            stop += 1  # never split a CRLF
        digest.update(data[pos:stop].replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        pos = stop
    return digest.hexdigest()


def _after_first_empty_line(data: bytes) -> int | None:
    """Where the text after the first empty line starts, whatever the line
    breaks (CRLF, LF, CR); None if there is no empty line."""
    first = len(data)
    for pair in EMPTY_LINE_PAIRS[data.find(b"\r\n", 0, 8192) >= 0]:
        at = data.find(pair, 0, first + 1)
        if at >= 0:
            first = at
    if first == len(data):
        return None
    return first + (3 if data[first + 1 : first + 3] == b"\r\n" else 2)

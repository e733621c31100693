"""Helpers shared by the local sources: file errors, times, order, From_ lines."""

from __future__ import annotations

import os
import re
import stat
from datetime import UTC, datetime, timedelta, timezone

from ticketcli.clock import pinned
from ticketcli.errors import SourceError

BOM = b"\xef\xbb\xbf"
# The "From " line an mbox writer (or Postfix's pipe flag F) puts before a
# message: "From sender ctime-date", e.g. "From a@b.example Thu Jul  2 12:05:05 2020".
FROM_PREFIX = b"From "
_EOL = re.compile(rb"\r\n|\r|\n")
_DIGITS = re.compile(r"(\d+)")


def source_error(path: str, exc: OSError, what: str = "cannot read") -> SourceError:
    """One line naming the path and the reason, never a traceback.

    The OS message ("No such file or directory", "Permission denied") is what
    an operator needs; the errno name and Python's repr are not.
    """
    reason = exc.strerror or exc.__class__.__name__
    return SourceError(f"{what} {path}: {reason}")


def require(path: str, *, folder: bool) -> None:
    """Raise a one-line ``SourceError`` unless ``path`` is a folder / regular file.

    Checked before opening because opening a FIFO blocks and opening a
    folder gives a confusing "Is a directory".
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise source_error(path, exc) from None
    if folder and not stat.S_ISDIR(st.st_mode):
        raise SourceError(f"cannot read {path}: not a folder")
    if not folder and not stat.S_ISREG(st.st_mode):
        raise SourceError(f"cannot read {path}: not a regular file")


def mtime_utc(st: os.stat_result) -> datetime:
    """A file's mtime as an aware UTC datetime (delivery time for Maildir);
    the pinned clock instead when ``TICKETCLI_NOW`` is set."""
    fixed = pinned()
    if fixed is not None:
        return fixed.replace(tzinfo=UTC)
    return datetime.fromtimestamp(st.st_mtime, tz=UTC)


def natural_key(name: str) -> tuple[str | int, ...]:
    """Sort key that orders ``2.eml`` before ``10.eml`` and ``M9`` before ``M10``.

    Maildir names start with the delivery time and often carry an unpadded
    counter; a plain string sort would put the 10th delivery of a second
    before the 9th. ``re.split`` with a group alternates text and digits, so
    the tuples always compare str with str and int with int. The name itself
    breaks ties between ``01`` and ``1``.
    """
    parts: list[str | int] = []
    for i, part in enumerate(_DIGITS.split(name)):
        parts.append(int(part) if i % 2 else part)
    parts.append(name)
    return tuple(parts)


def from_line_date(line: bytes) -> datetime | None:
    """The date of an mbox ``From `` line as aware UTC, or None.

    The date is ctime-like (``Thu Jul  2 12:05:05 2020``, sometimes with a
    zone); a date without a zone is read as UTC because the writer's local
    zone is unknown.
    """
    parts = line.split(None, 2)
    if len(parts) < 3 or parts[0] != b"From":
        return None
    text = parts[2].decode("ascii", "replace")
    import email.utils  # only mbox reads From lines: not on every sync's path

    try:
        fields = email.utils.parsedate_tz(text)
        if fields is None:
            return None
        offset = fields[9] or 0
        return datetime(
            *fields[:6], tzinfo=timezone(timedelta(seconds=offset))
        ).astimezone(UTC)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None


def split_from_line(data: bytes) -> tuple[bytes | None, bytes]:
    """Split a leading ``From `` line off one message: (line, rest).

    A message piped by an MTA (Postfix ``pipe`` flag ``F``) starts with the
    envelope line; it is not part of the message and would end up as a
    header defect in the parser.
    """
    start = len(BOM) if data.startswith(BOM) else 0
    if not data.startswith(FROM_PREFIX, start):
        return None, data
    m = _EOL.search(data, start)
    if m is None:
        return data[start:], b""
    return data[start : m.start()], data[m.end() :]

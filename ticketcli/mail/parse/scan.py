"""Reading a message within the ``bounds``: a scan of its MIME structure
that hands the stdlib a skeleton, and the placeholders read back later.

See ``bounds`` for why: the scan reads the structure as the stdlib's
feedparser will (its stack of boundaries, the blank lines of a report) with
byte searches that see every byte about once, applies the caps there, and
replaces long runs of body lines with placeholders that ``Placeholders``
turns back into the original bytes when a part is read.
"""

from __future__ import annotations

import re
import secrets
from email.feedparser import FeedParser
from email.message import Message
from email.policy import compat32
from typing import TYPE_CHECKING

from ticketcli.mail.parse.bounds import (
    HEADER_SCAN,
    MAX_DEPTH,
    MAX_HEADER_BLOCK,
    MAX_HEADER_FIELDS,
    MAX_HEADER_LENGTH,
    MAX_HEADER_LINES,
    MAX_HEADER_LINES_TOTAL,
    MAX_HEADERS_TOTAL,
    MAX_MIME_PARAMETERS,
    MAX_PARTS,
    OverCapError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "EMPTY_LINE_PAIRS",
    "INLINE_BYTES",
    "INLINE_LINES",
    "SMALL_MESSAGE",
    "Placeholders",
    "read_bounded",
]


# Not caps but the scan's own thresholds (tests lower them, to send normal
# mail through the placeholders).
# Runs of body lines longer than this reach the stdlib as one placeholder.
INLINE_LINES = 32
INLINE_BYTES = 8 * 1024
# A message this small, with this few lines and ``;``, is under every cap
# (but the nesting depth, which ``walk`` bounds for it) and is cheap to parse
# whole, so it is not scanned.
SMALL_MESSAGE = 64 * 1024


# A header line, as the stdlib's feedparser tells one (its ``headerRE``).
_FEED_HEADER_LINE = re.compile(rb"From |[\x21-\x39\x3b-\x7e]*:|[\t ]")
# A line break whose next line is no header line (a lone CR of a CRLF aside).
_NOT_HEADER = re.compile(rb"[\r\n](?![\t \r\n]|From |[\x21-\x39\x3b-\x7e]*:|\Z)")
# The line break that ends a header field: the next line is no continuation.
_FIELD_END = re.compile(rb"\r\n(?![\t ])|\r(?![\n\t ])|\n(?![\t ])")
# The same, as two searches led by a literal (which the regex engine runs
# fast): LF and CRLF endings, and CR alone.
_FIELD_END_LF = re.compile(rb"\n(?![\t ])")
_FIELD_END_CR = re.compile(rb"\r(?![\n\t ])")
# What may follow ``--boundary`` on a boundary line (the stdlib's boundaryre).
_BOUNDARY_END = re.compile(rb"(--)?[ \t]*(?:\r\n|\r|\n|\Z)")
_CR_LF = (0x0D, 0x0A)
# The two line breaks an empty line makes, in any of the three conventions;
# the likeliest first (for CRLF mail, then for the rest), so the others need
# only be looked for before it.
EMPTY_LINE_PAIRS = ((b"\n\n", b"\n\r", b"\r\r"), (b"\n\r", b"\n\n", b"\r\r"))


class _Finder:
    """The first hit of a search at or after a position, remembered.

    There is no hit in ``[start, end)``; ``hit`` says whether there is one at
    ``end``. A scan that moves forward thus searches every byte once.
    """

    __slots__ = ("end", "hit", "search", "start")

    def __init__(self, search: Callable[[int, int], int | None]) -> None:
        self.search = search
        self.start = self.end = -1
        self.hit = False

    def next(self, pos: int, limit: int) -> int | None:
        """The first hit in ``[pos, limit)``, or None."""
        if self.start <= pos <= self.end:
            if self.hit or limit <= self.end:
                return self.end if self.hit and self.end < limit else None
            pos = self.end
        else:
            self.start = pos
        found = self.search(pos, limit)
        self.end, self.hit = (limit, False) if found is None else (found, True)
        return found


class _Boundary:
    """Where the lines ``--boundary`` of one multipart are."""

    def __init__(self, scan: _Scan, boundary: bytes) -> None:
        self.scan = scan
        self.separator = b"--" + boundary
        if scan.lone_cr is None:
            scan.lone_cr = scan.data.count(b"\r") != scan.data.count(b"\r\n")
        self.finders = [
            _Finder(lambda pos, limit, eol=eol: self._search(eol, pos, limit))
            for eol in ((b"\n", b"\r") if scan.lone_cr else (b"\n",))
        ]
        self.misses = 0
        self.patterns: dict[bytes, re.Pattern[bytes]] = {}

    def at(self, pos: int) -> re.Match[bytes] | None:
        """The rest of the line at ``pos`` if that line is one of ours."""
        data = self.scan.data
        if not data.startswith(self.separator, pos):
            return None
        return _BOUNDARY_END.match(data, pos + len(self.separator))

    def next(self, pos: int, limit: int) -> int | None:
        """The start of the first of our lines in ``[pos, limit)``."""
        found = None
        for finder in self.finders:
            hit = finder.next(pos, limit)
            if hit is not None:
                found = limit = hit
        return found

    def _search(self, eol: bytes, pos: int, limit: int) -> int | None:
        if pos == 0 and limit > 0 and self.at(0):
            return 0
        data = self.scan.data
        needle = eol + self.separator
        # From the line break before ``pos``, so a line at ``pos`` is found.
        pos = max(pos - 1, 0)
        end = min(len(data), limit - 1 + len(needle))
        while True:
            if self.misses > 64:
                # Many lines that start like ours but are not: let the regex
                # engine reject them, it does so in C.
                hit = self._pattern(needle).search(data, pos, end)
                at = hit.start() if hit else -1
            else:
                at = data.find(needle, pos, end)
            if at < 0 or at + 1 >= limit:
                return None
            if self.at(at + 1):
                return at + 1
            self.misses += 1
            pos = at + 1

    def _pattern(self, needle: bytes) -> re.Pattern[bytes]:
        pattern = self.patterns.get(needle)
        if pattern is None:
            pattern = re.compile(re.escape(needle) + _BOUNDARY_END.pattern)
            self.patterns[needle] = pattern
        return pattern


class _Ends:
    """The lines that end the part being read: the stdlib's stack of false
    EOF matchers, i.e. every enclosing boundary, and blank lines in a report."""

    def __init__(self, scan: _Scan, boundaries: tuple[_Boundary, ...], blank: bool):
        self.scan = scan
        self.boundaries = boundaries
        self.blank = blank

    def plus(self, boundary: _Boundary | None, blank: bool = False) -> _Ends:
        extra = (boundary,) if boundary is not None else ()
        return _Ends(self.scan, self.boundaries + extra, self.blank or blank)

    def at(self, pos: int) -> bool:
        """Whether the line at ``pos`` ends the part (False at the very end)."""
        data = self.scan.data
        if pos >= len(data):
            return False
        if self.blank and data[pos] in _CR_LF:
            return True
        return any(b.at(pos) for b in self.boundaries)

    def next(self, pos: int, limit: int | None = None) -> int:
        """The first line in ``[pos, limit)`` that ends the part, else ``limit``
        (the end of the message by default)."""
        end = len(self.scan.data) if limit is None else limit
        if self.blank:
            end = self.scan.blank(pos, end)
        # Innermost first: its line is the likeliest to come first, and then
        # the others need only be looked for before it.
        for boundary in reversed(self.boundaries):
            hit = boundary.next(pos, end)
            if hit is not None:
                end = hit
        return end


class _Scan:
    """Reads a message's MIME structure as the stdlib will, applying the caps;
    ``run`` gives the bytes to hand the stdlib."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)
        self.lone_cr: bool | None = None  # whether any line ends in a CR alone
        self.edits: list[tuple[int, int, bytes]] = []
        self.spans: list[tuple[int, int]] = []
        self.notes: list[str] = []
        self.parts = 0
        self.header_bytes = 0
        self.header_lines = 0
        self.open: list[bytes] = []
        self.marker = b""
        self.blanks: list[_Finder] = []

    def run(self) -> bytes:
        data = self.data
        if (
            self.size <= SMALL_MESSAGE
            and max(data.count(b"\n"), data.count(b"\r")) < MAX_HEADER_FIELDS
            and data.count(b";") <= MAX_MIME_PARAMETERS
        ):
            return data
        self.blanks = [
            _Finder(lambda pos, limit, pair=pair: self._pair(pair, pos, limit))
            for pair in EMPTY_LINE_PAIRS[data.find(b"\r\n", 0, 8192) >= 0]
        ]
        try:
            self.part(0, _Ends(self, (), False), "text/plain", 0, 0)
        except OverCapError as cut:
            self.notes.append(cut.defect)
            self.edits = [edit for edit in self.edits if edit[1] <= cut.at]
            closing = b"".join(
                b"--" + boundary + b"--\r\n"
                for boundary in reversed(cut.open_boundaries)
            )
            self.edits.append((cut.at, self.size, closing))
        if not self.edits:
            return self.data
        view = memoryview(self.data)
        pieces: list[bytes | memoryview] = []
        pos = 0
        for start, end, new in self.edits:
            pieces += (view[pos:start], new)
            pos = end
        pieces.append(view[pos:])
        return b"".join(pieces)

    def placeholders(self) -> Placeholders:
        return Placeholders(self.data, self.marker, self.spans)

    # -- lines ---------------------------------------------------------------

    def _pair(self, pair: bytes, pos: int, limit: int) -> int | None:
        at = self.data.find(pair, max(pos - 1, 0), limit)
        return None if at < 0 else at + 1

    def blank(self, pos: int, limit: int) -> int:
        """The first blank line in ``[pos, limit)``, else ``limit``."""
        if pos == 0 < limit and self.data[:1] in (b"\r", b"\n"):
            return 0
        for finder in self.blanks:
            hit = finder.next(pos, limit)
            if hit is not None:
                limit = hit
        return limit

    def _after_blank(self, pos: int) -> int:
        """Where the line after the blank line at ``pos`` starts."""
        return pos + (2 if self.data.startswith(b"\r\n", pos) else 1)

    # -- parts ---------------------------------------------------------------

    def part(self, pos: int, ends: _Ends, default: str, depth: int, cut_at: int) -> int:
        """Read the part at ``pos``; return where it ends.

        ``cut_at`` is where the message is cut if this part is one too many:
        the boundary line before it, so no empty part is left behind.
        """
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise OverCapError(cut_at, "too-many-parts", self.open)
        if depth > MAX_DEPTH:
            raise OverCapError(cut_at, "nested-too-deep", self.open)
        block, body = self._headers(pos, ends, cut_at)
        ctype, boundary = _content_type(block, default)
        if ctype == "message/delivery-status":
            return self._blocks(body, ends, depth)
        maintype = ctype.partition("/")[0]
        if maintype == "message":
            return self.part(body, ends, "text/plain", depth + 1, body)
        if maintype == "multipart" and boundary is not None:
            return self._multipart(body, boundary, ends, ctype, depth)
        end = ends.next(body)
        self._inert(body, end)
        return end

    def _multipart(
        self, pos: int, boundary: str, ends: _Ends, ctype: str, depth: int
    ) -> int:
        try:
            own: _Boundary | None = _Boundary(
                self, boundary.encode("ascii", "surrogateescape")
            )
        except UnicodeError:  # a decoded RFC 2231 value: no line can match it
            own = None
        inner = ends.plus(own)
        default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
        line = inner.next(pos)
        self._inert(pos, line)  # the preamble, or the payload if no part follows
        if own is None or line >= self.size or ends.at(line):
            return line
        self.open.append(own.separator[2:])
        try:
            match = own.at(line)
            if match is not None and match.group(1):
                # A closing boundary before any part: the stdlib reads (and
                # drops) everything up to the end of the enclosing part.
                after = match.end()
                end = ends.next(after)
                self._inert(after, end)
                return end
            while match is not None:
                # An inter-part boundary, and any boundary lines right after.
                start = match.end()
                while start < self.size and not ends.at(start):
                    again = own.at(start)
                    if again is None:
                        break
                    start = again.end()
                end = self.part(start, inner, default, depth + 1, line)
                if end >= self.size or ends.at(end):
                    return end
                match = own.at(end)
                if match is not None and match.group(1):
                    after = match.end()
                    stop = ends.next(after)
                    self._inert(after, stop)  # the epilogue
                    return stop
                line = end
            return line
        finally:
            self.open.pop()

    def _blocks(self, pos: int, ends: _Ends, depth: int) -> int:
        """message/delivery-status: header blocks separated by blank lines."""
        blocks = ends.plus(None, blank=True)
        while True:
            end = self.part(pos, blocks, "text/plain", depth + 1, pos)
            if end >= self.size or ends.at(end):
                return end
            pos = self._after_blank(end)
            if pos >= self.size or ends.at(pos):
                return pos

    # -- headers -------------------------------------------------------------

    def _headers(self, pos: int, ends: _Ends, cut_at: int) -> tuple[bytes, int]:
        """The header block at ``pos`` as the stdlib will see it, and where the
        body starts."""
        data = self.data
        blank = self.blank(pos, self.size)
        stop = ends.next(pos, blank)
        end = self._header_lines_end(pos, stop)
        if end < stop:
            body = end  # a line that is no header line: the body starts there
        elif stop < blank or (ends.blank and blank < self.size):
            body = stop  # the line that ends the part ends the headers too
        else:
            body = self._after_blank(blank) if blank < self.size else blank
        lines = MAX_HEADER_FIELDS
        if end - pos <= MAX_HEADER_LENGTH:
            lines = max(data.count(b"\n", pos, end), data.count(b"\r", pos, end))
        if (
            lines < MAX_HEADER_FIELDS
            and data.count(b";", pos, end) <= MAX_MIME_PARAMETERS
        ):
            block = data[pos:end]
        else:
            block, lines = self._trim(pos, end)
        self.header_bytes += len(block)
        self.header_lines += lines
        if (
            self.header_bytes > MAX_HEADERS_TOTAL
            or self.header_lines > MAX_HEADER_LINES_TOTAL
        ):
            raise OverCapError(cut_at, "too-many-headers", self.open)
        return block, body

    def _header_lines_end(self, pos: int, stop: int) -> int:
        """The first line in ``[pos, stop)`` that is no header line, else
        ``stop``. Looked for in the first ``HEADER_SCAN`` bytes only: past
        them the lines are taken for header lines (and left out, a cap being
        reached)."""
        data = self.data
        if pos >= stop:
            return stop
        if not _FEED_HEADER_LINE.match(data, pos):
            return pos
        window = min(stop, pos + HEADER_SCAN)
        found = _NOT_HEADER.search(data, pos, window)
        # A hit on the window's last, cut-off line may be no hit at all.
        if found and not _FEED_HEADER_LINE.match(data, found.start() + 1):
            return found.start() + 1
        return stop

    def _trim(self, pos: int, end: int) -> tuple[bytes, int]:
        """Apply the header caps to the header lines in ``[pos, end)``.

        Returns the block the stdlib will see and its lines. A field is read
        to its end, once, and only while fields are kept.
        """
        data = self.data
        kept: list[bytes] = []
        fields = lines = size = 0
        start = pos
        while start < end:
            if (
                fields >= MAX_HEADER_FIELDS
                or lines >= MAX_HEADER_LINES
                or size >= MAX_HEADER_BLOCK
            ):
                self._note("too-many-headers")
                self.edits.append((start, end, b""))
                break
            fields += 1
            found = self._field_end(start, min(end, start + HEADER_SCAN), end)
            # A field longer than all we look at ends the block too.
            field_end = end if found is None else found
            keep = field_end
            if keep - start > MAX_HEADER_LENGTH:
                self._note("header-too-long")
                keep = start + MAX_HEADER_LENGTH
            if (
                data[start : start + 20]
                .lower()
                .startswith((b"content-type:", b"content-disposition:"))
                and data.count(b";", start, keep) > MAX_MIME_PARAMETERS
            ):
                self._note("too-many-mime-parameters")
                at = start
                for _ in range(MAX_MIME_PARAMETERS + 1):
                    at = data.find(b";", at + 1, keep)
                keep = at
            if keep < field_end:
                while keep > start and data[keep - 1] in _CR_LF:
                    keep -= 1
                kept.append(data[start:keep] + b"\r\n")
                self.edits.append((keep, field_end, b"\r\n"))
            else:
                kept.append(data[start:keep])
            lines += max(kept[-1].count(b"\n"), kept[-1].count(b"\r"))
            size += len(kept[-1])
            start = field_end
        return b"".join(kept), lines

    def _field_end(self, start: int, limit: int, end: int) -> int | None:
        """Where the header field at ``start`` ends, if before ``limit``."""
        data = self.data
        if self.lone_cr is None:
            self.lone_cr = data.count(b"\r") != data.count(b"\r\n")
        patterns = (_FIELD_END_LF, _FIELD_END_CR) if self.lone_cr else (_FIELD_END_LF,)
        found = None
        for pattern in patterns:
            hit = pattern.search(data, start, limit if found is None else found)
            if hit:
                found = hit.end()
        if found is None:
            return end if limit == end else None
        if found == limit < end:  # the search saw no further than the limit
            again = _FIELD_END.match(data, found - 1)
            if again is None or again.end() != found:
                return None
        return found

    def _note(self, defect: str) -> None:
        if defect not in self.notes:
            self.notes.append(defect)

    # -- bodies --------------------------------------------------------------

    def _inert(self, start: int, end: int) -> None:
        """Lines the stdlib only collects: a long run goes in as a placeholder.

        A blank first line and the last line break stay, because the stdlib
        looks at those (an epilogue's first, the break before a boundary).
        """
        data = self.data
        if end - start <= INLINE_BYTES and (
            max(data.count(b"\n", start, end), data.count(b"\r", start, end))
            <= INLINE_LINES
        ):
            return
        if data[start : start + 1] in (b"\r", b"\n"):
            start = self._after_blank(start)
        stop = end
        if stop > start and data[stop - 1] == 0x0A:
            stop -= 1
        if stop > start and data[stop - 1] == 0x0D:
            stop -= 1
        if stop <= start:
            return
        if not self.marker:
            # Unguessable, so no mail can hold one on purpose.
            marker = b"\x00\x7fticketcli-" + secrets.token_hex(8).encode() + b"-"
            while marker in data:  # pragma: no cover - 2**-64
                marker = b"\x00\x7fticketcli-" + secrets.token_hex(8).encode() + b"-"
            self.marker = marker
        self.edits.append((start, stop, self.marker + b"%d\x7f" % len(self.spans)))
        self.spans.append((start, stop))


def _content_type(block: bytes, default: str) -> tuple[str, str | None]:
    """The content type and boundary the stdlib reads from a header block."""
    low = block.lower()
    at = low.find(b"content-type:")
    while at > 0 and block[at - 1] not in _CR_LF:
        at = low.find(b"content-type:", at + 1)
    if at < 0:
        return default, None
    end = _FIELD_END.search(block, at)
    raw = block[at + 13 : end.end() if end else len(block)]
    value = raw.decode("ascii", "surrogateescape").lstrip(" \t").rstrip("\r\n")
    if value.isascii():
        ctype = value.partition(";")[0].strip().lower()
        if ctype.count("/") != 1:
            return "text/plain", None
        if not ctype.startswith("multipart/"):
            return ctype, None
    message = Message(policy=compat32)
    message.set_default_type(default)
    message.set_raw("Content-Type", value)
    try:
        ctype = message.get_content_type()
        boundary = message.get_boundary() if ctype.startswith("multipart/") else None
    except Exception:  # the stdlib will fail on it too, and say so
        return "text/plain", None
    return ctype, boundary


_PLACEHOLDER = re.compile(r"\x00\x7fticketcli-[0-9a-f]{16}-(\d+)\x7f")


class Placeholders:
    """Reads the placeholders of a skeleton back from the raw bytes."""

    def __init__(self, data: bytes, marker: bytes, spans: list[tuple[int, int]]):
        self.view = memoryview(data)
        self.spans = spans
        self.marker = marker.decode("ascii")

    def _pieces(self, text: str) -> list[str | memoryview]:
        pieces: list[str | memoryview] = []
        pos = 0
        for match in _PLACEHOLDER.finditer(text):
            if not match.group(0).startswith(self.marker):
                continue  # pragma: no cover - not ours: left as it is
            start, end = self.spans[int(match.group(1))]
            pieces += (text[pos : match.start()], self.view[start:end])
            pos = match.end()
        pieces.append(text[pos:])
        return pieces

    def bytes_of(self, text: str) -> bytes:
        """What ``text.encode("utf-8", "surrogateescape")`` gave before the
        stdlib saw placeholders: the bytes of the original lines."""
        if not self.marker or self.marker not in text:
            return text.encode("utf-8", "surrogateescape")
        return b"".join(
            p.encode("utf-8", "surrogateescape") if isinstance(p, str) else p
            for p in self._pieces(text)
        )

    def only_span(self, text: str) -> memoryview | None:
        """The original bytes, uncopied, when ``text`` is one placeholder
        between line breaks (all a base64 decoder would skip anyway)."""
        if not self.marker or self.marker not in text:
            return None
        pieces = self._pieces(text)
        if len(pieces) != 3 or not all(
            not p.strip("\r\n") for p in pieces[::2] if isinstance(p, str)
        ):
            return None
        span = pieces[1]
        return span if isinstance(span, memoryview) else None

    def text_of(self, text: str) -> str:
        if not self.marker or self.marker not in text:
            return text
        return "".join(
            p if isinstance(p, str) else bytes(p).decode("ascii", "surrogateescape")
            for p in self._pieces(text)
        )

    def restore(self, message: Message) -> None:
        """Put the original lines back wherever the stdlib will read them
        itself (to write a message out, to uudecode)."""
        if not self.marker:
            return
        for part in message.walk():
            payload = part._payload
            if isinstance(payload, str):
                part.set_payload(self.text_of(payload))
            for name in ("preamble", "epilogue"):
                value = getattr(part, name, None)
                if isinstance(value, str):
                    setattr(part, name, self.text_of(value))


def read_bounded(data: bytes) -> tuple[Message, Placeholders, list[str]]:
    """Parse ``data`` with the stdlib, within the ``bounds``."""
    scan = _Scan(data)
    skeleton = scan.run()
    parser = FeedParser(policy=compat32)
    # The chunks BytesParser feeds: the same message whatever the chunking.
    for start in range(0, len(skeleton), 8192):
        chunk = skeleton[start : start + 8192]
        parser.feed(chunk.decode("ascii", "surrogateescape"))
    return parser.close(), scan.placeholders(), scan.notes

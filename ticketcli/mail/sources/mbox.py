"""Read an mbox file as a stream, resuming where the last run stopped.

``mailbox.mbox`` is not used: it builds a table of contents of the whole
file before the first message, and a shared support spool can be gigabytes.
This reader makes one sequential pass in binary, holding one message plus
one read chunk in memory.

Where a message starts
    A line beginning with ``From `` is a separator when it is at the start
    of the file (after an optional UTF-8 BOM and blank lines), or when the
    line before it is blank (the mboxrd/mboxo rule; writers quote body lines
    as ``>From ``). Some writers (old Netscape, several exporters) omit the
    blank line, so a ``From `` line after a non-blank line is a separator too
    when it looks like a real envelope line: the sender is ``-`` or an
    address with ``@``, or a ctime-like date follows. A body line such as
    ``From the team:`` after text therefore stays in its message. Splitting
    too eagerly costs a junk fragment that parsing quarantines; not
    splitting loses a message inside another one's body, which is worse.
    ``Content-Length`` headers are ignored: they are unreliable in practice
    (``mailbox.mbox`` ignores them too).

What a message's bytes are
    Everything after its ``From `` line up to the next separator, with the
    one blank line that belongs to the separator removed and mboxrd quoting
    undone (``>From `` -> ``From ``, ``>>From `` -> ``>From ``). Line endings
    (LF, CRLF, bare CR) are kept as they are.

Resuming
    Each message's checkpoint records the offset where it ends and a
    fingerprint of the file up to there (sha256 of the first 4 KiB and of
    the last 4 KiB before that offset). The next run resumes at the offset
    when the file is the same file grown by appending; when it was
    truncated, replaced or rewritten (a mail client expunged a message) it
    reads the file again from the start and the store's Message-ID + content
    hash dedupe drops what it already has. Keys are the byte offset of a
    message's ``From `` line, so they are only unique within one version of
    the file; the source never asks ``state.seen`` for them.

Locking
    Before reading, the reader takes a shared fcntl and flock lock for a
    moment (and waits for a fresh ``.lock`` dotlock to go away) just to read
    the file size: an MDA holds its lock while appending, so everything up
    to that size is complete mail. Then it releases the lock, so a long sync
    never blocks delivery, and reads only up to that size.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import time
from typing import TYPE_CHECKING, BinaryIO

from ticketcli.errors import SourceError
from ticketcli.mail.raw import RawMail
from ticketcli.mail.sources._common import (
    BOM,
    FROM_PREFIX,
    from_line_date,
    require,
    source_error,
)

try:  # POSIX only; elsewhere there is no MDA lock to honour.
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/BSD/macOS
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ticketcli.mail.sources.base import SourceState

log = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20
FINGERPRINT_SPAN = 4096
DOTLOCK_STALE_SECONDS = 300  # MTAs break dotlocks older than about this
_EOL = re.compile(rb"\r\n|\r|\n")
_UNQUOTE = re.compile(rb"(?:(?<=[\r\n])|\A)>(>*From )")
_CR, _LF = 13, 10


def _lock_shared(f: BinaryIO) -> list[Callable[[], None]] | None:
    """Take shared fcntl and flock locks; the unlock calls, or None if busy.

    MDAs use one or the other (Postfix and mutt fcntl, some Exim setups
    flock), so both are taken. A file system without locks (some NFS) reads
    as unlocked rather than as busy forever.
    """
    if fcntl is None:
        return []
    fd = f.fileno()
    held: list[Callable[[], None]] = []
    for lock, unlock in (
        (
            lambda: fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB),
            lambda: fcntl.lockf(fd, fcntl.LOCK_UN),
        ),
        (
            lambda: fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB),
            lambda: fcntl.flock(fd, fcntl.LOCK_UN),
        ),
    ):
        try:
            lock()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                for release in held:
                    release()
                return None
            continue  # no locking here: nothing to wait for
        held.append(unlock)
    return held


def _is_envelope_line(line: bytes) -> bool:
    """Whether a ``From `` line after a non-blank line is a real separator."""
    parts = line.split(None, 2)
    if len(parts) < 2:
        return False
    if len(parts) == 2:
        return parts[1] == b"-" or b"@" in parts[1]
    return from_line_date(line) is not None


def _strip_separator_blank(body: bytes) -> bytes:
    """Drop the blank line an mbox writer adds between messages."""
    if body.endswith(b"\r\n\r\n"):
        return body[:-2]
    if body.endswith((b"\n\n", b"\r\r")):
        return body[:-1]
    return body


def _unquote(body: bytes) -> bytes:
    """Undo mboxrd quoting: one ``>`` less on every ``>*From `` line."""
    if b">From " not in body:
        return body
    return _UNQUOTE.sub(rb"\1", body)


def _is_blank(data: bytes | bytearray) -> bool:
    return not bytes(data).replace(BOM, b"").strip(b"\r\n\t ")


class MboxSource:
    """An mbox file (mboxrd or mboxo), read sequentially and resumably.

    ``total_hint()`` returns None: counting messages would mean reading the
    whole file once more, and a byte count would be a different unit from
    what the other sources report.
    """

    def __init__(
        self,
        name: str,
        path: str | os.PathLike[str],
        *,
        lock_timeout: float = 10.0,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.name = name
        self.path = os.path.abspath(os.fspath(path))
        self.offset_key = f"mbox-offset:{self.path}"
        self.fingerprint_key = f"mbox-fingerprint:{self.path}"
        self.lock_timeout = lock_timeout
        self.chunk_size = max(16, chunk_size)
        self._file: BinaryIO | None = None

    # -- Source protocol -------------------------------------------------

    def fetch(self, state: SourceState) -> Iterator[RawMail]:
        """Open the file, decide where to start, and stream from there.

        Opening and the resume decision happen here, not on the first
        ``next()``, so a missing or locked file raises ``SourceError`` at once.
        """
        self.close()
        require(self.path, folder=False)  # a FIFO would block open()
        try:
            f = open(self.path, "rb", buffering=0)  # closed in close()
        except OSError as exc:
            raise source_error(self.path, exc) from None
        self._file = f
        try:
            limit = self._snapshot_size(f)
            head = os.pread(f.fileno(), min(FINGERPRINT_SPAN, limit), 0)
            start = self._resume_offset(f, limit, head, state)
        except OSError as exc:
            self.close()
            raise source_error(self.path, exc) from None
        except SourceError:
            self.close()
            raise
        return self._messages(f, start, limit, head)

    def acknowledge(self, mail: RawMail) -> None:
        """Nothing: ticketcli never rewrites an mbox (the checkpoint is enough)."""

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def total_hint(self) -> int | None:
        return None

    # -- where to start ----------------------------------------------------

    def _snapshot_size(self, f: BinaryIO) -> int:
        """The size up to which the file holds only completely delivered mail."""
        deadline = time.monotonic() + self.lock_timeout
        dotlock = self.path + ".lock"
        while True:
            held = None if self._dotlock_fresh(dotlock) else _lock_shared(f)
            if held is not None:
                try:
                    return os.fstat(f.fileno()).st_size
                finally:
                    for unlock in held:
                        unlock()
            if time.monotonic() >= deadline:
                raise SourceError(
                    f"cannot read {self.path}: locked by another process for "
                    f"{self.lock_timeout:g} s (a delivery in progress?)"
                )
            time.sleep(0.05)

    @staticmethod
    def _dotlock_fresh(dotlock: str) -> bool:
        try:
            age = time.time() - os.stat(dotlock).st_mtime
        except OSError:
            return False
        return age < DOTLOCK_STALE_SECONDS

    def _fingerprint(self, f: BinaryIO, head: bytes, end: int) -> str:
        span = min(FINGERPRINT_SPAN, end)
        tail = os.pread(f.fileno(), span, end - span)
        return hashlib.sha256(head[:span] + b"\0" + tail).hexdigest()

    def _resume_offset(
        self, f: BinaryIO, limit: int, head: bytes, state: SourceState
    ) -> int:
        saved = state.get(self.offset_key)
        if saved is None:
            return 0
        try:
            offset = int(saved)
        except ValueError:
            offset = -1
        reason = None
        if not 0 <= offset <= limit:
            reason = "it is shorter than before or the checkpoint is unreadable"
        elif state.get(self.fingerprint_key) != self._fingerprint(f, head, offset):
            reason = "its content before the checkpoint changed"
        elif offset < limit:
            ahead = os.pread(f.fileno(), 1024, offset).lstrip(b"\r\n")
            if ahead and not ahead.startswith(FROM_PREFIX):
                reason = "no message starts at the checkpoint"
        if reason is None:
            return offset
        log.info("%s: reading again from the start: %s", self.path, reason)
        return 0

    # -- the scan ----------------------------------------------------------

    def _messages(
        self, f: BinaryIO, start: int, limit: int, head: bytes
    ) -> Iterator[RawMail]:
        for offset, line, body, end in _scan(f, start, limit, self.chunk_size):
            checkpoint = {
                self.offset_key: str(end),
                self.fingerprint_key: self._fingerprint(f, head, end),
            }
            yield RawMail(
                source=self.name,
                key=str(offset),
                data=_unquote(body),
                received_at=from_line_date(line) if line else None,
                checkpoint=checkpoint,
            )


def _scan(
    f: BinaryIO, start: int, limit: int, chunk_size: int
) -> Iterator[tuple[int, bytes | None, bytes, int]]:
    """Yield ``(offset, from_line, body, end)`` for each message in the file.

    ``offset`` is where the message's ``From `` line starts (or where a
    preamble without one starts), ``end`` where the next separator starts or
    ``limit``. Only bytes in ``[start, limit)`` are read. The buffer holds the
    current message from its ``From `` line on; it is compacted only when
    more data is read, so each byte is copied a bounded number of times.
    """
    buf = bytearray()
    base = start  # file offset of buf[0]
    pos = start  # file offset of the next read
    eof = start >= limit

    msg = 0  # buf index of the current message (its From_ line)
    line: bytes | None = None  # the current message's From_ line
    body = 0  # buf index where the current message's bytes start
    scan = 0  # buf index to look for the next "From " from

    f.seek(start)
    while True:
        i = buf.find(FROM_PREFIX, scan)
        if i > 0 and buf[i - 1] not in (_CR, _LF) and not _after_bom(buf, base, i):
            scan = i + 1  # "From " in the middle of a line
            continue
        eol: re.Match[bytes] | None = None
        if i >= 0:
            eol = _EOL.search(buf, i)
            # A CR at the very end might be the first half of a CRLF.
            need_more = (eol is None or eol.end() == len(buf)) and not eof
        else:
            need_more = not eof
        if need_more:
            shift = msg  # compact: forget what was already yielded
            if shift:
                del buf[:shift]
                base += shift
                body -= shift
                msg = 0
            if i < 0:  # "From" may straddle the chunk boundary
                scan = max(body, len(buf) - len(FROM_PREFIX) + 1)
            else:
                scan = i - shift
            data = f.read(min(chunk_size, limit - pos))
            pos += len(data)
            # An empty read means the file shrank under us: stop there.
            eof = not data or pos >= limit
            buf += data
            continue
        if i < 0:
            break

        line_end = eol.end() if eol else len(buf)
        text = bytes(buf[i : eol.start() if eol else len(buf)])
        if line is None and _is_blank(buf[body:i]):
            separator = True  # the first one in the file or in the resumed part
        else:
            separator = _blank_before(buf, i, body) or _is_envelope_line(text)
        if not separator:
            scan = i + 1
            continue

        if line is not None or not _is_blank(buf[body:i]):
            yield base + msg, line, _strip_separator_blank(bytes(buf[body:i])), base + i
        msg, line, body, scan = i, text, line_end, line_end

    if line is not None or not _is_blank(buf[body:]):
        yield (
            base + msg,
            line,
            _strip_separator_blank(bytes(buf[body:])),
            base + len(buf),
        )


def _after_bom(buf: bytearray, base: int, i: int) -> bool:
    """Whether ``buf[i]`` is right after a UTF-8 BOM at the start of the file."""
    return base == 0 and i == len(BOM) and buf.startswith(BOM)


def _blank_before(buf: bytearray, i: int, floor: int) -> bool:
    """Whether the line ending just before ``buf[i]`` is an empty line.

    ``floor`` is where the current message's bytes start; a line before it
    (the message's own ``From `` line) does not count as blank.
    """
    if i <= floor:
        return False
    j = i - 1  # buf[j] is CR or LF
    if buf[j] == _LF and j - 1 >= floor and buf[j - 1] == _CR:
        j -= 1
    return j == floor or buf[j - 1] in (_CR, _LF)

"""Read a Maildir's ``new/`` and ``cur/``; optionally mark messages seen after commit.

Keys are the *unique* part of a file name (the part before the ``:2,FLAGS``
info, or ``!2,`` where a colon is not allowed), so a message keeps its key
when a mail client moves it from ``new/`` to ``cur/`` or changes its flags.
``tmp/`` holds deliveries in progress and is never read.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Literal

from ticketcli.errors import SourceError
from ticketcli.mail.raw import RawMail
from ticketcli.mail.sources._common import (
    mtime_utc,
    natural_key,
    require,
    source_error,
)
from ticketcli.mail.sources.folders import (
    Stamps,
    StampsWhenStored,
    saved_stamps,
    seen_keys,
    unchanged,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ticketcli.mail.sources.base import SourceState

log = logging.getLogger(__name__)

SUBDIRS = ("new", "cur")


def maildir_key(filename: str) -> str:
    """The unique part of a Maildir file name.

    The spec names a file ``unique:info`` once it is in ``cur/`` (info is
    ``2,`` plus flag letters). Where ``:`` is not allowed in file names
    (Windows, some sync tools) ``!`` stands in for it.
    """
    unique, colon, _info = filename.partition(":")
    if colon:
        return unique
    unique, bang, info = filename.rpartition("!")
    if bang and info[:2] in ("1,", "2,"):
        return unique
    return filename


def _with_seen_flag(filename: str) -> str:
    """``filename`` with the ``S`` flag set in its ``:2,`` info."""
    key = maildir_key(filename)
    info = filename[len(key) :]
    sep = info[:1] or ":"
    flags = info[3:] if info[1:3] == "2," else ""
    if "S" in flags:
        return filename
    return f"{key}{sep}2,{''.join(sorted(flags + 'S'))}"


class MaildirSource:
    """A Maildir folder (``new/`` and ``cur/``), oldest delivery first.

    Order: file names sorted naturally (``1767605888.M9P1.host`` before
    ``1767605888.M10P1.host``); Maildir names start with the delivery time.
    ``after="keep"`` (default) changes nothing on disk, ``after="seen"`` moves
    an acknowledged message from ``new/`` to ``cur/`` with the ``S`` flag,
    as a mail client does once it has shown it. Maildir++ subfolders
    (``.Sent/``) are not read.
    """

    def __init__(
        self,
        name: str,
        path: str | os.PathLike[str],
        *,
        after: Literal["keep", "seen"] = "keep",
    ) -> None:
        if after not in ("keep", "seen"):
            raise ValueError(f"after must be 'keep' or 'seen', not {after!r}")
        self.name = name
        self.path = os.path.abspath(os.fspath(path))
        self.after = after
        self._pending: list[tuple[str, str]] | None = None  # (subdir, filename)
        self._delivered: dict[str, str] = {}  # key -> path, until acknowledged
        self._memory: StampsWhenStored | None = None

    # -- Source protocol -------------------------------------------------

    def fetch(self, state: SourceState) -> Iterator[RawMail]:
        """List the folder and drop seen keys now; read each file lazily.

        Listing here (not on the first ``next()``) makes a missing folder a
        ``SourceError`` at once and lets ``total_hint()`` give the exact
        number of messages this fetch will yield. When ``new/`` and ``cur/``
        are as they were after the last complete read (``folders``), there
        is nothing to list: a no-op sync costs the same for any size.
        """
        require(self.path, folder=True)
        if unchanged(saved_stamps(state), self.path, self._dir):
            self._pending = []
            return iter(())
        stamps = Stamps(self.path)
        entries = self._list(stamps)
        seen = seen_keys(state)
        self._pending = []
        for sub, fname in entries:
            if maildir_key(fname) not in seen:
                self._pending.append((sub, fname))
            elif sub == "new" and self.after == "seen":
                # Stored by a run that died before it could mark it: finish that.
                self._mark_seen(os.path.join(self.path, sub, fname))
        self._pending.sort(key=lambda e: (natural_key(maildir_key(e[1])), e[0], e[1]))
        return self._messages(self._pending, state, stamps)

    def acknowledge(self, mail: RawMail) -> None:
        """Mark ``mail`` seen on disk when ``after="seen"`` (it is committed)."""
        path = self._delivered.pop(mail.key, None)
        if self._memory is not None:
            self._memory.acknowledged(mail.key)
        if self.after != "seen" or path is None:
            return
        self._mark_seen(path)

    def _mark_seen(self, path: str) -> None:
        fname = os.path.basename(path)
        target = os.path.join(self.path, "cur", _with_seen_flag(fname))
        if target == path:
            return
        try:
            os.rename(path, target)
        except FileNotFoundError:
            # A mail client moved it meanwhile; it is stored, which matters.
            log.info("%s: %s moved before it could be marked seen", self.path, fname)
        except OSError as exc:
            raise source_error(path, exc, "cannot mark seen") from None

    def close(self) -> None:
        self._pending = None
        self._delivered.clear()
        self._memory = None

    def total_hint(self) -> int | None:
        """Messages the current fetch yields; before ``fetch``, all files."""
        if self._pending is not None:
            return len(self._pending)
        try:
            return len(self._list(Stamps(self.path)))
        except SourceError:
            return None

    def _dir(self, sub: str) -> str:
        return os.path.join(self.path, sub)

    # -- internals -------------------------------------------------------

    def _list(self, stamps: Stamps) -> list[tuple[str, str]]:
        """Every (subdir, file name) in ``new/`` and ``cur/``, unsorted; each
        directory stamped before it is read."""
        require(self.path, folder=True)
        found: list[tuple[str, str]] = []
        present = 0
        for sub in SUBDIRS:
            directory = os.path.join(self.path, sub)
            try:
                stamps.take(sub, directory)
                with os.scandir(directory) as it:
                    for entry in it:
                        if not entry.name.startswith(".") and entry.is_file():
                            found.append((sub, entry.name))
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise source_error(directory, exc) from None
            present += 1
        if not present:
            raise SourceError(
                f"cannot read {self.path}: not a Maildir (no new/ or cur/)"
            )
        return found

    def _messages(
        self, pending: list[tuple[str, str]], state: SourceState, stamps: Stamps
    ) -> Iterator[RawMail]:
        """Each pending file; once the last is read and every one stored,
        what ``new/`` and ``cur/`` held is remembered."""
        memory = self._memory = StampsWhenStored(state, stamps, self._dir)
        for sub, fname in pending:
            path = os.path.join(self.path, sub, fname)
            try:
                with open(path, "rb") as f:
                    st = os.fstat(f.fileno())
                    data = f.read()
            except FileNotFoundError:
                # Moved to cur/ or deleted by a client since the listing; a
                # moved one keeps its key and is read on the next run.
                log.info("%s: %s/%s vanished while reading", self.path, sub, fname)
                continue
            except OSError as exc:
                raise source_error(path, exc) from None
            key = maildir_key(fname)
            self._delivered[key] = path
            memory.yielded(key)
            yield RawMail(
                source=self.name, key=key, data=data, received_at=mtime_utc(st)
            )
        memory.read_to_end()

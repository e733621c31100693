"""Read loose message files: a folder tree of them, or one file.

A folder is read whole: every regular file whose name does not start with
``.``, in every subfolder that does not either, whatever its extension
(``.eml``, ``.msg`` saved as text, ``.txt``, none). People fill such folders
by dragging mail out of a client, and the names they get are not to be
trusted; a file that is not mail is quarantined by the pipeline with a
reason, which is better than being skipped without one.
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import TYPE_CHECKING

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
    unchanged,
    unseen,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ticketcli.mail.sources.base import SourceState

log = logging.getLogger(__name__)


def _read(path: str) -> tuple[bytes, os.stat_result] | None:
    """The file's bytes and stat, None if it vanished, SourceError otherwise."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            return f.read(), st
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise source_error(path, exc) from None


class EmlDirSource:
    """A folder of message files, one message per file, recursing.

    Key: the path relative to the folder with ``/`` separators, so the same
    folder read on another day (or copied elsewhere) is recognised.
    Order: the relative paths sorted naturally (``2.eml`` before ``10.eml``).
    Symlinked folders are not followed (no loops); symlinked files are read.
    """

    def __init__(self, name: str, path: str | os.PathLike[str]) -> None:
        self.name = name
        self.path = os.path.abspath(os.fspath(path))
        self._pending: list[str] | None = None
        self._memory: StampsWhenStored | None = None

    def fetch(self, state: SourceState) -> Iterator[RawMail]:
        """List the tree and drop seen keys now; read each file lazily.

        When no folder of the tree changed since the last complete read
        (``folders``), there is nothing to list: a no-op sync costs the
        same for any number of files.
        """
        require(self.path, folder=True)
        if unchanged(saved_stamps(state), self.path, self._dir):
            self._pending = []
            return iter(())
        stamps = Stamps(self.path)
        self._pending = unseen(state, self._list(stamps))
        self._pending.sort(key=_order)
        return self._messages(self._pending, state, stamps)

    def acknowledge(self, mail: RawMail) -> None:
        """The file stays where it is; its key is remembered (and once the
        last is, what the tree held)."""
        if self._memory is not None:
            self._memory.acknowledged(mail.key)

    def close(self) -> None:
        self._pending = None
        self._memory = None

    def total_hint(self) -> int | None:
        """Messages the current fetch yields; before ``fetch``, all files."""
        if self._pending is not None:
            return len(self._pending)
        try:
            return len(self._list(Stamps(self.path)))
        except SourceError:
            return None

    def _dir(self, rel: str) -> str:
        return os.path.join(self.path, *rel.split("/")) if rel else self.path

    def _list(self, stamps: Stamps) -> list[str]:
        """Every file's key, unsorted; each folder stamped before it is read.

        Folders whose name starts with ``.`` are skipped, and so are
        symlinked folders (no loops); a symlinked file is read.
        """
        require(self.path, folder=True)
        keys: list[str] = []
        folders = [""]
        while folders:
            rel = folders.pop()
            directory = self._dir(rel)
            prefix = f"{rel}/" if rel else ""
            try:
                stamps.take(rel, directory)
                with os.scandir(directory) as it:
                    for entry in it:
                        if entry.name.startswith("."):
                            continue
                        if entry.is_dir():
                            if not entry.is_symlink():
                                folders.append(prefix + entry.name)
                        elif entry.is_file():
                            keys.append(prefix + entry.name)
            except OSError as exc:
                raise source_error(exc.filename or directory, exc) from None
        return keys

    def _messages(
        self, keys: list[str], state: SourceState, stamps: Stamps
    ) -> Iterator[RawMail]:
        """Each pending file; once the last is read and every one stored,
        what the tree held is remembered."""
        memory = self._memory = StampsWhenStored(state, stamps, self._dir)
        for key in keys:
            path = os.path.join(self.path, *key.split("/"))
            read = _read(path)
            if read is None:
                log.info("%s: %s vanished while reading", self.path, key)
                continue
            data, st = read
            memory.yielded(key)
            yield RawMail(
                source=self.name, key=key, data=data, received_at=mtime_utc(st)
            )
        memory.read_to_end()


def _order(key: str) -> tuple[tuple[str | int, ...], ...]:
    """Natural order, folder by folder: ``a/2.eml`` before ``a/10.eml``."""
    return tuple(natural_key(part) for part in key.split("/"))


class EmlFileSource:
    """One file holding one message (a saved ``.eml``), for ``sync FILE``.

    Key: the absolute path and the sha256 of the bytes, so the same file
    is read once, and read again if someone overwrites it with another mail.
    """

    def __init__(self, name: str, path: str | os.PathLike[str]) -> None:
        self.name = name
        self.path = os.path.abspath(os.fspath(path))

    def fetch(self, state: SourceState) -> Iterator[RawMail]:
        """Read the file now (errors surface here); yield it unless seen."""
        require(self.path, folder=False)
        read = _read(self.path)
        if read is None:
            raise SourceError(f"cannot read {self.path}: No such file or directory")
        data, st = read
        key = f"{self.path}:{hashlib.sha256(data).hexdigest()}"
        if state.seen(key):
            return iter(())
        return iter((RawMail(self.name, key, data, received_at=mtime_utc(st)),))

    def acknowledge(self, mail: RawMail) -> None:
        """Nothing: the file is left as it is."""

    def close(self) -> None:
        """Nothing to release: the file is closed once read."""

    def total_hint(self) -> int | None:
        return 1

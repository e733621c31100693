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
from ticketcli.mail.model import RawMail
from ticketcli.mail.sources._common import (
    mtime_utc,
    natural_key,
    require,
    source_error,
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

    def fetch(self, state: SourceState) -> Iterator[RawMail]:
        """List the tree and drop seen keys now; read each file lazily."""
        self._pending = [key for key in self._list() if not state.seen(key)]
        return self._messages(self._pending)

    def acknowledge(self, mail: RawMail) -> None:
        """Nothing: the files stay where they are; their keys are remembered."""

    def close(self) -> None:
        self._pending = None

    def total_hint(self) -> int | None:
        """Messages the current fetch yields; before ``fetch``, all files."""
        if self._pending is not None:
            return len(self._pending)
        try:
            return len(self._list())
        except SourceError:
            return None

    def _list(self) -> list[str]:
        require(self.path, folder=True)

        def fail(exc: OSError) -> None:
            raise source_error(exc.filename or self.path, exc) from None

        keys: list[str] = []
        for top, dirs, files in os.walk(self.path, onerror=fail):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            rel = os.path.relpath(top, self.path)
            prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            for fname in files:
                if not fname.startswith(".") and os.path.isfile(
                    os.path.join(top, fname)
                ):
                    keys.append(prefix + fname)
        keys.sort(key=lambda k: tuple(natural_key(part) for part in k.split("/")))
        return keys

    def _messages(self, keys: list[str]) -> Iterator[RawMail]:
        for key in keys:
            path = os.path.join(self.path, *key.split("/"))
            read = _read(path)
            if read is None:
                log.info("%s: %s vanished while reading", self.path, key)
                continue
            data, st = read
            yield RawMail(
                source=self.name, key=key, data=data, received_at=mtime_utc(st)
            )


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

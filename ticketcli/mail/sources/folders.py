"""What a local folder held when every mail in it was stored: a no-op sync
that costs the same for 50 files as for 50,000 (issue 18).

A directory's mtime and ctime change whenever a name is added to it,
removed from it or renamed in it, and ``ctime`` cannot be set back by any
tool (``touch -d``, ``rsync -t`` and ``cp -p`` set the mtime and move the
ctime to now). So when every directory of a folder has the same inode,
mtime and ctime as when the folder was last read to the end, with every
mail in it stored, the folder holds the same names as then: there is
nothing new, and nothing need be listed. Any difference, however small,
and the folder is listed whole and compared with the store, as before.

Three things keep this safe:

* The stamps are taken *before* listing and saved only if they are the
  same again after the last mail was stored (nothing was added, removed or
  moved meanwhile -- by a mail client, a delivery or ourselves).
* A directory changed within ``SETTLE_NS`` of the moment it was stamped
  is not trusted ("racy", as git says of its index): a name added in the
  same clock tick as the change before it would leave the times equal.
* A saved stamp is trusted for ``RECHECK_NS`` at most: once an hour the
  folder is listed whole anyway, whatever the times say (a file system
  whose clock or attribute cache misleads, or a symlink in the folder
  whose target appears later, is found out within the hour).
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Container, Iterable

    from ticketcli.mail.sources.base import SourceState

# The checkpoint name the stamps are saved under, beside a source's others.
MEMORY = "folders"
SETTLE_NS = 2_000_000_000
RECHECK_NS = 3_600_000_000_000
_VERSION = 1

Stamp = tuple[int, int, int, int] | None  # (dev, inode, mtime_ns, ctime_ns)


def stamp(path: str) -> Stamp:
    """A directory's identity and times; None when it does not exist.

    Raises ``OSError`` for any other failure (the caller lists the folder
    then, and reports what listing meets).
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


class Stamps:
    """The stamps of a folder's directories, taken before listing them."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.taken_ns = time.time_ns()
        self.dirs: dict[str, Stamp] = {}

    def take(self, rel: str, path: str) -> None:
        self.dirs[rel] = stamp(path)

    def settled(self) -> bool:
        """No directory changed shortly before it was stamped (or after:
        a clock set back), so a change since would show in its times."""
        limit = self.taken_ns - SETTLE_NS
        return all(s is None or max(s[2], s[3]) < limit for s in self.dirs.values())

    def still(self, path_of: Callable[[str], str]) -> bool:
        """Every directory stamped is as it was: nothing moved meanwhile."""
        try:
            return all(stamp(path_of(rel)) == s for rel, s in self.dirs.items())
        except OSError:
            return False

    def encode(self) -> str:
        return json.dumps(
            {
                "v": _VERSION,
                "root": self.root,
                "at": self.taken_ns,
                "dirs": {rel: list(s) if s else None for rel, s in self.dirs.items()},
            },
            separators=(",", ":"),
        )


def unchanged(saved: str | None, root: str, path_of: Callable[[str], str]) -> bool:
    """Whether the folder is provably as it was when ``saved`` was taken
    (``Stamps.encode``) -- False when in doubt: unreadable, another folder,
    older than ``RECHECK_NS``, or any directory changed or gone."""
    if not saved:
        return False
    try:
        data: Any = json.loads(saved)
        if data.get("v") != _VERSION or data.get("root") != root:
            return False
        age = time.time_ns() - int(data["at"])
        if not 0 <= age < RECHECK_NS:
            return False
        dirs = data["dirs"]
        if not isinstance(dirs, dict) or not dirs:
            return False
        for rel, was in dirs.items():
            now = stamp(path_of(rel))
            if now is None or was is None or list(now) != was:
                # A directory that was missing and still is: unchanged.
                if not (now is None and was is None):
                    return False
    except (ValueError, TypeError, KeyError, AttributeError, OSError):
        return False
    return True


def saved_stamps(state: SourceState) -> str | None:
    """The stamps the store holds for this source, if any."""
    return state.get(MEMORY)


def save_stamps(
    state: SourceState, stamps: Stamps, path_of: Callable[[str], str]
) -> None:
    """Remember ``stamps`` once every mail they cover is stored -- if the
    folder did not change meanwhile and the times can be trusted, and if
    the store can remember (``SourceState.remember``)."""
    remember = getattr(state, "remember", None)
    if remember is None or not stamps.settled() or not stamps.still(path_of):
        return
    remember(MEMORY, stamps.encode())


class StampsWhenStored:
    """Saves a listing's stamps once it was read to its end *and* every
    mail it yielded is acknowledged (committed). The two need not coincide:
    a sync parses a few mails ahead of the one it stores
    (``ticketcli.ingest.parse_ahead``), so it reads the end of a listing
    while the last mails of it still wait to be stored, and stamps saved
    then would make a crash lose them."""

    def __init__(
        self, state: SourceState, stamps: Stamps, path_of: Callable[[str], str]
    ) -> None:
        self._state = state
        self._stamps = stamps
        self._path_of = path_of
        self._waiting: set[str] = set()
        self._read_to_end = False

    def yielded(self, key: str) -> None:
        self._waiting.add(key)

    def acknowledged(self, key: str) -> None:
        self._waiting.discard(key)
        self._save_when_done()

    def read_to_end(self) -> None:
        self._read_to_end = True
        self._save_when_done()

    def _save_when_done(self) -> None:
        if self._read_to_end and not self._waiting:
            self._read_to_end = False  # once
            save_stamps(self._state, self._stamps, self._path_of)


class _AskEach:
    """The store asked once per key: for a ``SourceState`` that cannot give
    all its keys at once."""

    def __init__(self, state: SourceState) -> None:
        self.state = state

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.state.seen(key)


def seen_keys(state: SourceState) -> Container[str]:
    """Every key of this source the store holds, read in one query when the
    store can (``SourceState.seen_keys``); else asked key by key."""
    read_all = getattr(state, "seen_keys", None)
    return read_all() if read_all is not None else _AskEach(state)


def unseen(state: SourceState, keys: Iterable[str]) -> list[str]:
    """``keys`` the store does not hold, in their order."""
    seen = seen_keys(state)
    return [k for k in keys if k not in seen]

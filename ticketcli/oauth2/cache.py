"""The token cache: one JSON file per ``[oauth2.NAME]``, mode 0600.

It holds the refresh token and the last access token with its expiry --
never the config file. Writes are atomic (a temp file in the same directory,
fsync, rename), so a crash leaves the old file or the new one. ``locked()``
takes an exclusive ``flock`` on a lock file beside it: two syncs at once
refresh once, the second finding the first one's fresh token.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from typing import TYPE_CHECKING, Any

from ticketcli.oauth2.errors import OAuth2Error

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class TokenCache:
    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what

    def load(self) -> dict[str, Any]:
        """What is stored ({} for none); a damaged file counts as none."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, data: dict[str, Any]) -> None:
        """Replace the file atomically, readable by its owner only."""
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".token-", dir=folder)  # 0600
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(data, out)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, 0o600)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise OAuth2Error(
                f"{self.what}: cannot write the token cache {self.path} "
                f"({exc.strerror or type(exc).__name__})"
            ) from None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cache's lock (blocking) while refreshing."""
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            lock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise OAuth2Error(
                f"{self.what}: cannot lock the token cache {lock} "
                f"({exc.strerror or type(exc).__name__})"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

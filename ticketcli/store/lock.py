"""Keep two syncs from working on one store at the same time.

SQLite: an flock on a file beside the database, which every process on the
host sees. PostgreSQL: a session advisory lock, which every host sees.
Either way the second run waits a little, then gives up with a clear error.
Within a run, each message's transaction takes SQLite's write lock at BEGIN
(``write_transaction``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peewee import (
    Database,
    DatabaseError,
    InterfaceError,
    PostgresqlDatabase,
    SqliteDatabase,
)

from ticketcli.errors import StoreLockedError, StoreUnavailableError

if TYPE_CHECKING:
    from collections.abc import Iterator

ADVISORY_KEY = 0x7469636B  # "tick"


def write_transaction(db: Database) -> Any:
    """A transaction that writes. On SQLite it takes the write lock at
    BEGIN: one that read first and wrote later would fail at once (no busy
    wait) if another process wrote in between, in WAL mode."""
    if isinstance(db, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


@contextlib.contextmanager
def sync_lock(db: Database, timeout: float, poll: float = 0.2) -> Iterator[None]:
    if isinstance(db, PostgresqlDatabase):
        with _advisory_lock(db, timeout, poll):
            yield
        return
    name = getattr(db, "database", ":memory:")
    if not name or name == ":memory:":
        yield
        return
    path = Path(f"{name}.lock")
    with _file_lock(path, timeout, poll):
        yield


@contextlib.contextmanager
def _file_lock(path: Path, timeout: float, poll: float) -> Iterator[None]:
    """The lock file lives only while its holder holds it: it is removed
    before the lock is let go, so no ``.lock`` outlives the command (a
    checkout stays clean). A waiter that got the lock on a file removed
    meanwhile sees it is no longer the one at ``path`` and tries again."""
    deadline = time.monotonic() + timeout
    while True:
        fd = _open_lock(path)
        try:
            if _flock(fd, path, deadline, timeout, poll) and _is_current(fd, path):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # removed by its last holder: take the new one
    try:
        with contextlib.suppress(OSError):
            # Who holds it, for a person looking; a full disk is not a reason
            # to give up here (the store says so itself if it cannot write).
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _open_lock(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:  # a read-only or vanished directory, a full disk
        raise StoreUnavailableError(
            f"cannot take the sync lock {path}: {exc.strerror or exc}"
        ) from None


def _flock(fd: int, path: Path, deadline: float, timeout: float, poll: float) -> bool:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise StoreLockedError(
                    f"another sync is running (lock {path} held for "
                    f"{timeout:g}s); try again later"
                ) from None
            time.sleep(poll)


def _is_current(fd: int, path: Path) -> bool:
    """Whether the locked file is still the one at ``path``."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


@contextlib.contextmanager
def _advisory_lock(db: Database, timeout: float, poll: float) -> Iterator[None]:
    deadline = time.monotonic() + timeout
    while not db.execute_sql(
        "SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)
    ).fetchone()[0]:
        if time.monotonic() >= deadline:
            raise StoreLockedError(
                f"another sync is running (database lock held for {timeout:g}s); "
                "try again later"
            )
        time.sleep(poll)
    try:
        yield
    finally:
        # A session lock outlives transactions, so it is released by hand; a
        # connection that broke has released it already, and the error that
        # broke it is the one to report.
        with contextlib.suppress(DatabaseError, InterfaceError):
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (ADVISORY_KEY,))

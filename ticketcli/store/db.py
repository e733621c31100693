"""Open the store from a URL, tune it, and bring its schema up to date."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import peewee
from peewee import (
    Database,
    DatabaseError,
    InterfaceError,
    PostgresqlDatabase,
    SqliteDatabase,
)

from ticketcli.errors import ConfigError, StoreUnavailableError, TicketcliError
from ticketcli.store.migrations import migrate

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",  # WAL + normal: durable across app crashes
    "busy_timeout": 15000,
    "cache_size": -32000,
    # Checkpoint every ~40 MB of WAL, not SQLite's ~4 MB: each checkpoint
    # syncs twice and copies back the pages that changed since the last, and
    # ingest changes the same hot pages (ticket, indexes, search) mail after
    # mail; a sync of 5,000 mails spent 0.5 of its 2.1 s of commits on
    # checkpoints (issue 18). Durability is the same (WAL + normal), and the
    # WAL goes when the last connection closes.
    "wal_autocheckpoint": 10000,
}


def sqlite_path(url: str) -> str | None:
    """The file of an sqlite: URL; None for an in-memory store."""
    name = _sqlite_file(url)
    return None if name == ":memory:" else name


def _sqlite_file(url: str) -> str:
    # sqlite:///relative.db and sqlite:////abs/path.db, as SQLAlchemy/peewee read them
    rest = url.removeprefix("sqlite:")
    if rest.startswith("///"):
        return unquote(rest[3:]) or ":memory:"
    if rest.startswith("//"):
        return unquote(rest[2:]) or ":memory:"
    return unquote(rest) or ":memory:"


def open_database(url: str, password: str | None = None) -> Database:
    """A Database for the URL, not yet connected."""
    if url.startswith("sqlite:"):
        name = _sqlite_file(url)
        if name != ":memory:":
            try:
                Path(name).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailableError(
                    f"cannot open the store {redact(url)}: "
                    f"{exc.strerror or exc}: {Path(name).parent}"
                ) from None
        return SqliteDatabase(name, pragmas=SQLITE_PRAGMAS, timeout=15)
    if url.startswith(("postgresql:", "postgres:")):
        return _postgres(url, password)
    raise ConfigError(
        f"database: {redact(url)!r} is not a sqlite:/// or postgresql:// URL"
    )


def _postgres(url: str, password: str | None) -> Database:
    """PostgreSQL through psycopg 3 (the ``postgres`` extra).

    libpq reads the URL itself (%-escapes, ``?sslmode=...``, a socket dir in
    ``?host=``), so every form its documentation shows works here. Without a
    password in the config or the URL, libpq falls back to ``PGPASSWORD`` and
    ``~/.pgpass`` as psql does.
    """
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        raise ConfigError(
            "PostgreSQL support is not installed: pip install 'ticketcli[postgres]'"
        ) from None
    try:
        params: dict[str, Any] = conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise ConfigError(
            f"database: cannot read {redact(url)}: {_one_line(exc, url)}"
        ) from None
    # No database in the URL: libpq's default, the user's name (peewee needs
    # a name to count as configured, so it is spelled out here).
    import getpass  # PostgreSQL only: an SQLite store need not load it

    dbname = params.pop("dbname", "") or params.get("user") or getpass.getuser()
    if password:
        params["password"] = password
    # A server that does not answer must fail a cron run, not hang it.
    params.setdefault("connect_timeout", 10)
    params.setdefault("application_name", "ticketcli")
    if hasattr(PostgresqlDatabase, "psycopg3_adapter"):  # peewee 4
        complete_driver_probe()
        return PipelinedPostgres(dbname, prefer_psycopg3=True, **params)
    from playhouse.psycopg3_ext import Psycopg3Database  # peewee 3.17 to 3.19

    return Psycopg3Database(dbname, **params)


class PipelinedPostgres(PostgresqlDatabase):
    """PostgreSQL where a transaction's writes travel with its next statement.

    Ingest writes about a dozen rows per message whose results nobody reads
    (its events, its raw bytes, the source's checkpoint). Each was a round
    trip to the server of its own; sent with ``defer`` inside a transaction,
    they wait, and go in one psycopg pipeline together with the next
    statement that does need an answer, or with the COMMIT. Order is kept
    (every statement, peewee's included, sends what waits first), and the
    transaction is the same one: what is not sent when it rolls back was
    never applied. ``BEGIN`` waits too. Errors of a waiting statement are
    raised, as peewee's exceptions, by the statement it travels with.

    Only the outermost transaction defers; inside a savepoint everything is
    sent at once, so a rollback to it never has anything of its own waiting.
    One thread per database, as ticketcli uses it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: list[tuple[str, Any]] = []
        self._pipelines = bool(peewee.psycopg.Pipeline.is_supported())

    def defer(self, sql: str, params: Any = ()) -> None:
        """Send with the next statement if in a transaction, else now."""
        if self.transaction_depth() == 1 and not self.is_closed():
            self._waiting.append((sql, params))
        else:
            self.execute_sql(sql, params)

    def _send(self, last: tuple[str, Any] | None) -> Any:
        """What waits, then ``last`` (if any), in one round trip (a libpq
        without pipelines: one each, as before); returns the last cursor."""
        waiting, self._waiting = self._waiting, []
        if last is not None:
            waiting.append(last)
        conn = self.connection()
        cursor = None
        with peewee.__exception_wrapper__:
            if len(waiting) == 1 or not self._pipelines:
                for sql, params in waiting:
                    cursor = conn.cursor()
                    cursor.execute(sql, params)
                return cursor
            # The writes' results are never read: one cursor carries them.
            writes = conn.cursor()
            with conn.pipeline():
                for sql, params in waiting[:-1]:
                    writes.execute(sql, params)
                cursor = conn.cursor()
                cursor.execute(*waiting[-1])
        return cursor

    def read_together(self, reads: Sequence[tuple[str, Any]]) -> list[list[Any]]:
        """What waits, then each of ``reads``, in one round trip (a libpq
        without pipelines: one each); the rows of each read, in order."""
        if not self._pipelines:
            return [self._send((sql, params)).fetchall() for sql, params in reads]
        waiting, self._waiting = self._waiting, []
        conn = self.connection()
        with peewee.__exception_wrapper__:
            writes = conn.cursor()
            cursors = [conn.cursor() for _ in reads]
            with conn.pipeline():
                for sql, params in waiting:
                    writes.execute(sql, params)
                for cursor, (sql, params) in zip(cursors, reads, strict=True):
                    cursor.execute(sql, params)
            return [cursor.fetchall() for cursor in cursors]

    def _execute_cursor(self, sql: str, params: Any, **options: Any) -> Any:
        if not self._waiting:
            return super()._execute_cursor(sql, params, **options)
        if options:  # a named cursor: sent alone, after what waits
            self._send(None)
            return super()._execute_cursor(sql, params, **options)
        self._log_query(sql, params)
        return self._send((sql, params or ()))

    def cursor(self, named_cursor: Any = None) -> Any:
        if self._waiting:  # someone runs a cursor of their own: in order
            self._send(None)
        return super().cursor(named_cursor)

    def begin(self, isolation_level: Any = None) -> None:
        if isolation_level is None and self._isolation_level is None:
            self._waiting = [("BEGIN", ())]
            return
        super().begin(isolation_level)

    def commit(self) -> None:
        if self._waiting:
            self._send(("COMMIT", ()))
            return
        super().commit()

    def rollback(self) -> None:
        # A transaction whose BEGIN never left has nothing to roll back.
        unsent = bool(self._waiting) and self._waiting[0][0] == "BEGIN"
        self._waiting = []
        if not unsent:
            super().rollback()

    def _close(self, conn: Any) -> None:
        self._waiting = []
        super()._close(conn)


def complete_driver_probe() -> None:
    """Give peewee the psycopg 3 names its import-time probe would have found.

    ``ticketcli.store.driver_probe`` hid psycopg from that probe so that an
    SQLite store does not pay for loading it; opening a PostgreSQL store
    sets the same module globals (and the adapter's status constants) peewee
    sets when psycopg is importable. Nothing to do if peewee found it itself.
    """
    if peewee.psycopg is not None:
        return
    import psycopg
    from psycopg.pq import TransactionStatus
    from psycopg.types.json import Json, Jsonb

    peewee.psycopg = psycopg
    peewee.TransactionStatus = TransactionStatus
    peewee.Json_pg3 = Json
    peewee.Jsonb_pg3 = Jsonb
    adapter = peewee.Psycopg3Adapter
    adapter.txn_idle = TransactionStatus.IDLE
    adapter.txn_inerror = TransactionStatus.INERROR
    adapter.txn_unknown = TransactionStatus.UNKNOWN


def _one_line(exc: BaseException | str, url: str = "") -> str:
    """A driver message on one line, without the URL's password if it echoes it."""
    text = " ".join(str(exc).split())
    secret = urlparse(url).password if url else None
    if secret:
        text = text.replace(secret, "***").replace(unquote(secret), "***")
    return text


def connect(url: str, password: str | None = None, *, upgrade: bool = True) -> Database:
    """Open and migrate: what every command needs. The models are not bound
    to it (``models.bind_models`` does that, for a ``with`` block; the
    ``Store`` of ``ticketcli.api`` around each of its calls).

    ``upgrade=False`` leaves the schema alone (``ticketcli migrate`` reports
    what is pending before it applies anything). Any failure to reach or
    prepare the store is one line naming the URL without its password.
    """
    db = open_database(url, password)
    # Two processes opening a new SQLite file at once race for the switch to
    # WAL and the first migration, which SQLite's busy handler does not cover.
    deadline = time.monotonic() + 15
    while True:
        try:
            db.connect(reuse_if_open=True)
            if upgrade:
                upgrade_store(db, url)
            return db
        except (DatabaseError, InterfaceError) as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                with contextlib.suppress(DatabaseError, InterfaceError):
                    db.close()
                detail = _one_line(first_store_error(exc), url)
                if _no_room_for(url):
                    detail = f"the store's disk is full ({detail})"
                raise StoreUnavailableError(
                    f"cannot open the store {redact(url)}: {detail}"
                ) from None
            db.close()
            time.sleep(0.1)


# SQLite needs room for its -wal and -shm files before it can read at all;
# on a full disk it says no more than "disk I/O error".
_ROOM = 1 << 20


def _no_room_for(url: str) -> bool:
    """Whether an SQLite store's directory has (next to) no space left."""
    path = sqlite_path(url) if url.startswith("sqlite:") else None
    if path is None:
        return False
    try:
        fs = os.statvfs(Path(path).parent)
    except OSError:
        return False
    return fs.f_bavail * fs.f_frsize < _ROOM


def upgrade_store(db: Database, url: str) -> list[str]:
    """Apply the pending migrations to an open store; returns their names."""
    file = _sqlite_file(url) if url.startswith("sqlite:") else None
    return migrate(db, Path(file) if file and file != ":memory:" else None)


@contextlib.contextmanager
def store_errors(*urls: str) -> Iterator[None]:
    """Turn a database failure into one line naming the stores (passwords hidden).

    A server that goes away or refuses a statement is a runtime failure
    (exit 1), not a bug in ticketcli.
    """
    try:
        yield
    except (DatabaseError, InterfaceError) as exc:
        text = describe_store_failure(exc)
        for url in urls:
            text = _one_line(text, url)
        names = " -> ".join(redact(url) for url in urls)
        raise TicketcliError(f"store {names}: {_one_line(text)}") from None


# What a driver says when asked to roll back a transaction the error before
# has ended already: SQLite after SQLITE_FULL or SQLITE_IOERR, psycopg after
# the server went away. Never the news: the error before it is.
_AFTERMATH = (
    "cannot rollback",
    "no transaction is active",
    "connection already closed",
    "the connection is closed",
    "connection not open",
)
_DISK_FULL = ("database or disk is full", "no space left on device", "disk full")


def first_store_error(exc: BaseException) -> BaseException:
    """The error that broke the store, not the failed rollback it caused.

    peewee rolls back when a statement fails; if the database had ended the
    transaction itself, that rollback raises, and its error is the one that
    escapes, with the first one only as its ``__context__``.
    """
    first = exc
    seen = {id(first)}
    while any(text in str(first).lower() for text in _AFTERMATH):
        before = first.__context__
        if before is None or id(before) in seen or not _from_the_store(before):
            break
        # The driver's own class (sqlite3.OperationalError) sits between each
        # of peewee's and the one before: stepped over like the rest.
        seen.add(id(before))
        first = before
    return first


def _from_the_store(exc: BaseException) -> bool:
    if isinstance(exc, (DatabaseError, InterfaceError, OSError, sqlite3.Error)):
        return True
    return type(exc).__module__.partition(".")[0] in ("psycopg", "psycopg2")


def is_disk_full(exc: BaseException) -> bool:
    """SQLITE_FULL, PostgreSQL's disk_full (53100), or ENOSPC/EDQUOT."""
    first = first_store_error(exc)
    if isinstance(first, OSError) and first.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    # peewee keeps the driver's exception as its first argument.
    for candidate in (first, first.__context__, *first.args):
        if getattr(candidate, "sqlstate", None) == "53100":
            return True
    text = str(first).lower()
    return any(sign in text for sign in _DISK_FULL)


def describe_store_failure(exc: BaseException) -> str:
    """One line for a failed store operation, first error first."""
    first = first_store_error(exc)
    text = " ".join(str(first).split()) or type(first).__name__
    if is_disk_full(first):
        return f"the store's disk is full ({text})"
    return text


def redact(url: str) -> str:
    """The URL without a password, fit for messages and logs."""
    parsed = urlparse(url)
    text = url
    if parsed.password:
        text = text.replace(f":{parsed.password}@", ":***@", 1)
    if "password=" in parsed.query:  # libpq also takes ?password=...
        text = re.sub(r"([?&]password=)[^&#]*", r"\1***", text)
    return text

"""Open the store from a URL, tune it, and bring its schema up to date."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import unquote, urlparse

from peewee import Database, OperationalError, PostgresqlDatabase, SqliteDatabase

from ticketcli.errors import ConfigError, TicketcliError
from ticketcli.store.migrations import migrate
from ticketcli.store.models import database_proxy

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",  # WAL + normal: durable across app crashes
    "busy_timeout": 15000,
    "cache_size": -32000,
}


def _sqlite_file(url: str) -> str:
    # sqlite:///relative.db and sqlite:////abs/path.db, as SQLAlchemy/peewee read them
    rest = url.removeprefix("sqlite:")
    if rest.startswith("///"):
        return unquote(rest[3:]) or ":memory:"
    if rest.startswith("//"):
        return unquote(rest[2:]) or ":memory:"
    return unquote(rest) or ":memory:"


def open_database(url: str, password: str | None = None) -> Database:
    """A connected Database for the URL, not yet bound to the models."""
    if url.startswith("sqlite:"):
        name = _sqlite_file(url)
        if name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(name, pragmas=SQLITE_PRAGMAS, timeout=15)
    if url.startswith(("postgresql:", "postgres:")):
        parsed = urlparse(url)
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise ConfigError(
                "PostgreSQL support is not installed: pip install 'ticketcli[postgres]'"
            ) from None
        return PostgresqlDatabase(
            parsed.path.lstrip("/"),
            user=unquote(parsed.username or "") or None,
            password=password
            or (unquote(parsed.password) if parsed.password else None),
            host=parsed.hostname or None,
            port=parsed.port or None,
        )
    raise ConfigError(f"database: {url!r} is not a sqlite:/// or postgresql:// URL")


def connect(url: str, password: str | None = None) -> Database:
    """Open, bind to the models, and migrate: what every command needs."""
    db = open_database(url, password)
    file = _sqlite_file(url) if url.startswith("sqlite:") else None
    # Two processes opening a new SQLite file at once race for the switch to
    # WAL and the first migration, which SQLite's busy handler does not cover.
    deadline = time.monotonic() + 15
    while True:
        try:
            db.connect(reuse_if_open=True)
            database_proxy.initialize(db)
            migrate(db, Path(file) if file and file != ":memory:" else None)
            return db
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise TicketcliError(
                    f"cannot open the store {redact(url)}: {exc}"
                ) from None
            db.close()
            time.sleep(0.1)


def redact(url: str) -> str:
    """The URL without a password, fit for messages and logs."""
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return parsed._replace(netloc=netloc).geturl()
    return url

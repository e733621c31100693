"""The Python API: a ticket store opened from a URL, and what people do with it.

    from ticketcli import Store, load_config

    config = load_config("/etc/ticketcli/config.toml")
    with Store.open("sqlite:////var/lib/ticketcli/ticketcli.db", config) as store:
        store.sync("/var/mail/support")        # a path, or a [[sources]] name
        for ticket in store.tickets(status="new"):
            print(ticket["number"], ticket["subject"])
        store.assign(ticket["number"], "kadri", actor="lead")

The command line is a thin layer over this module, as sqlite-utils' ``cli.py``
is over its ``db.py``. A ``Store`` owns its peewee ``Database``: each call
binds the models to it and, when done, back to whatever they were bound to
before, so two stores can be open in one process and used in any order.
Rows are the plain dicts the store's named queries return (times are naive
UTC datetimes). Failures are ``ticketcli.errors.TicketcliError``s carrying
the line the command line prints: ``NotFoundError`` for a ticket or agent
that does not exist, ``StoreLockedError`` when another sync holds the lock.

This module is the read side. What brings mail in (``ticketcli.api.sync``)
and what changes tickets -- the outbox and SMTP, backup and restore
(``ticketcli.api.write``) -- load with the first call that needs them, so
that ``ticketcli report``, ``stats`` and ``show`` do not pay for parsing
and sending mail, nor a sync for the lead's actions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketcli import lazy
from ticketcli.config import Config
from ticketcli.errors import UsageError
from ticketcli.store.db import connect, redact
from ticketcli.store.models import bind_models

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable
    from contextlib import AbstractContextManager
    from types import ModuleType, TracebackType
    from typing import IO

    from peewee import Database

    from ticketcli.ingest.report import SyncReport
    from ticketcli.mail.model import RawMail
    from ticketcli.mail.sources.base import Source
    from ticketcli.rules.search_query import parse_query
    from ticketcli.secrets import read_secret
    from ticketcli.store.copy import TableCopy
    from ticketcli.store.queries import export_tickets, ticket_detail
    from ticketcli.store.search import search_tickets
else:  # for a search, a read, and a store with a password: loaded then
    export_tickets = lazy.function("ticketcli.store.queries:export_tickets")
    ticket_detail = lazy.function("ticketcli.store.queries:ticket_detail")
    parse_query = lazy.function("ticketcli.rules.search_query:parse_query")
    read_secret = lazy.function("ticketcli.secrets:read_secret")
    search_tickets = lazy.function("ticketcli.store.search:search_tickets")

__all__ = ["Store", "SyncReport"]

# Loaded on first use (``ticketcli.lazy``): mail in, the write side, and
# ``SyncReport``, which lives with the pipeline (PEP 562).
_SYNC_SIDE = "ticketcli.api.sync"
_WRITE_SIDE = "ticketcli.api.write"
_EXPORTS = {"SyncReport": "ticketcli.ingest.report:SyncReport"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return lazy.load(_EXPORTS[name])
    raise AttributeError(f"module 'ticketcli.api' has no attribute {name!r}")


def _side(name: str) -> ModuleType:
    found: ModuleType = lazy.load(name)
    return found


class Store:
    """One ticket store (an SQLite file or a PostgreSQL database) and the
    settings that rule it (addresses, queues, notifications, ...)."""

    def __init__(self, db: Database, config: Config, url: str) -> None:
        self.db = db
        self.config = config
        self.url = url

    @classmethod
    def open(
        cls,
        url: str | None = None,
        config: Config | None = None,
        *,
        password: str | None = None,
        upgrade: bool = True,
    ) -> Store:
        """Open the store at ``url`` (sqlite:///path or postgresql://...).

        A new SQLite file, or an empty database, gets its tables; an older
        store is upgraded (``upgrade=False`` leaves the schema alone).
        ``url`` defaults to the config's [database] url, ``config`` to the
        built-in settings, and ``password`` to the config's [database]
        password when ``url`` is the configured store. A store that cannot be
        reached is a ``StoreUnavailableError``, naming the URL without its
        password.
        """
        config = config if config is not None else Config()
        url = url or config.database_url
        if password is None:
            password = _configured_password(config, url)
        return cls(connect(url, password, upgrade=upgrade), config, url)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.disconnect()

    def __repr__(self) -> str:
        return f"Store({redact(self.url)!r})"

    def disconnect(self) -> None:
        """Close the connection (leaving a ``with`` block does it)."""
        self.db.close()

    def bound(self) -> AbstractContextManager[Any]:
        """The models bound to this store inside a ``with`` block, for code
        that uses them (or the store's queries) directly."""
        return bind_models(self.db)

    def atomic(self) -> AbstractContextManager[Any]:
        """One transaction around several calls (each call is one by itself)."""
        return self.db.atomic()

    # -- mail in --------------------------------------------------------------

    def sync(
        self,
        *sources: str | os.PathLike[str] | Source,
        progress: Callable[[RawMail], None] | None = None,
        send: bool = True,
    ) -> SyncReport:
        """Read new mail into tickets, as `ticketcli sync` does; returns the counts.

        Each of ``sources`` is the name of a [[sources]] entry, a path (an
        mbox, a Maildir, a folder of .eml files, one .eml file) or an opened
        ``Source``; none at all: every configured source. A source that
        cannot be opened raises ``SourceError`` before anything is read; one
        that fails while reading is listed in ``failed_sources``, and the
        others still run. Mail read before is recognised and not stored
        twice. With ``send``, what the mail put in the outbox (acknowledge-
        ments, notices) is sent afterwards; why some could not be is a line
        in ``notices``. ``progress`` is called with each mail stored.
        """
        return _side(_SYNC_SIDE).sync(self, sources, progress, send=send)

    def ingest(
        self,
        sources: Iterable[Source],
        progress: Callable[[RawMail], None] | None = None,
    ) -> SyncReport:
        """Read the opened ``sources`` (none: only bring absences up to
        date) under the store's sync lock: ``sync`` without opening or
        sending. Each source is closed when read."""
        return _side(_SYNC_SIDE).ingest(self, sources, progress)

    def retry_quarantined(self, entry: int | None = None) -> SyncReport:
        """Read quarantined mail (``entry``, or all that still waits) into
        tickets again, as `ticketcli quarantine retry` does: after an upgrade
        that fixes what held it. ``tried`` and ``stored_again`` count it."""
        return _side(_SYNC_SIDE).retry_quarantined(self, entry)

    # -- reading --------------------------------------------------------------

    def tickets(self, status: str | None = None) -> list[dict[str, Any]]:
        """Every ticket (or those with ``status``: new, open, pending, closed,
        merged) in number order, in the form of `ticketcli export`: number,
        subject, status, customer, requester, assignee, times, reopened,
        linked_to and its messages' headers (no bodies: see ``ticket``)."""
        with self.bound():
            return [
                row
                for row in export_tickets()
                if status is None or row["status"] == status
            ]

    def ticket(self, number: int) -> dict[str, Any]:
        """Ticket ``number`` as `ticketcli show --format json` gives it: its
        fields, messages with their text and attachments, links and history."""
        with self.bound():
            return ticket_detail(number)

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Tickets whose messages or notes match ``query`` (`ticketcli search`:
        words, ``word*``, ``"a phrase"``, filters such as ``status:open``),
        best first: number, subject, status, assignee, last_message_at and
        snippet. A query that cannot be is a ``UsageError``."""
        if limit < 1:
            raise UsageError(f"search: --limit {limit} is not a positive number")
        return search_tickets(self.db, parse_query(query), limit)

    # -- backup -----------------------------------------------------------------

    def backup(self, out: str | os.PathLike[str] | IO[bytes]) -> list[TableCopy]:
        """Write everything in the store to ``out`` (a path, or a binary
        stream), as `ticketcli backup` does: one snapshot, taken without
        the sync lock, so cron's syncs go on. A path is written beside
        itself and renamed into place when complete, so it never holds half
        a backup. Returns the rows written per table."""
        return _side(_WRITE_SIDE).backup(self, out)

    def restore(self, source: IO[bytes], name: str = "-") -> list[TableCopy]:
        """Fill this empty store with the backup read from ``source``, as
        `ticketcli restore` does (``name`` is how errors call the file):
        ids and ticket numbers kept, under the store's sync lock, in one
        transaction checked against the backup's counts and checksum. A
        store that holds anything, and a damaged backup or one from a newer
        ticketcli, is a ``UsageError`` and changes nothing."""
        return _side(_WRITE_SIDE).restore(self, source, name)

    # -- the lead's actions ---------------------------------------------------

    def assign(
        self, numbers: int | Iterable[int], login: str | None, *, actor: str
    ) -> list[str]:
        """Give the tickets to the agent ``login`` (None: back to the pool), as
        `ticketcli assign` does: recorded in their history as done by
        ``actor``, the agent told when [notifications] says so. All numbers
        are checked before anything changes. Returns a line for each ticket
        that needed no change, and for a notice that could not be sent."""
        return _side(_WRITE_SIDE).assign(self, _numbers(numbers), login, actor=actor)

    def close(
        self, numbers: int | Iterable[int], *, actor: str, note: str = ""
    ) -> list[str]:
        """Close the tickets, as `ticketcli close` does (with ``note`` in the
        history; the requester told when [notifications] customer_on_close
        says so). Returns a line for each ticket that was closed already, and
        for a notice that could not be sent."""
        return _side(_WRITE_SIDE).close(self, _numbers(numbers), actor=actor, note=note)


def _numbers(numbers: int | Iterable[int]) -> list[int]:
    return [numbers] if isinstance(numbers, int) else list(numbers)


def _configured_password(config: Config, url: str) -> str | None:
    """The config's [database] password belongs to the configured store only;
    other URLs bring their own or use PGPASSWORD / ~/.pgpass."""
    ref = config.database_password
    if url.startswith("sqlite:") or not ref.configured or url != config.database_url:
        return None
    return read_secret(ref, "database")

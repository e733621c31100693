"""The write side of ``ticketcli.api.Store``: mail in, the lead's actions,
backup and restore.

Its own module because what it needs -- the mail pipeline and its parser,
the outbox, SMTP and the templates, the backup format -- is most of
ticketcli, and a command that only reads (report, stats, show, search)
should not load it: ``Store`` imports this module on the first call that
writes. Each function is the body of the ``Store`` method of the same name,
which documents it.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from ticketcli.clock import now
from ticketcli.desk.acknowledgements import closing_notice
from ticketcli.desk.notices import Notifier
from ticketcli.desk.outbox import send_queued
from ticketcli.desk.tickets import assign_tickets, close_tickets
from ticketcli.errors import TicketcliError, UsageError
from ticketcli.ingest import Ingester, SyncReport
from ticketcli.mail.sources.factory import open_configured_source, open_local_source
from ticketcli.store.backup import restore_backup, write_backup
from ticketcli.store.lock import sync_lock
from ticketcli.store.queries import quarantine_waiting

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import IO

    from ticketcli.api import Store
    from ticketcli.mail.model import RawMail
    from ticketcli.mail.sources.base import Source
    from ticketcli.store.copy import TableCopy


def sync(
    store: Store,
    sources: tuple[str | os.PathLike[str] | Source, ...],
    progress: Callable[[RawMail], None] | None,
    *,
    send: bool,
) -> SyncReport:
    report = ingest(store, _open_sources(store, sources), progress)
    if send:
        with store.bound():
            line = send_queued(store.config, now())
        if line:
            report.notices.append(line)
    return report


def ingest(
    store: Store,
    sources: Iterable[Source],
    progress: Callable[[RawMail], None] | None,
) -> SyncReport:
    with store.bound(), sync_lock(store.db, store.config.lock_timeout):
        return Ingester(store.config, store.db).run(sources, progress)


def retry_quarantined(store: Store, entry: int | None) -> SyncReport:
    with store.bound(), sync_lock(store.db, store.config.lock_timeout):
        waiting = quarantine_waiting(entry)
        ingester = Ingester(store.config, store.db)
        for number in waiting:
            if ingester.retry_quarantined(number) != "quarantined":
                ingester.report.stored_again += 1
            ingester.report.tried += 1
        return ingester.report


def _open_sources(
    store: Store, refs: tuple[str | os.PathLike[str] | Source, ...]
) -> list[Source]:
    """Every source opened, or none (those opened closed again) when one
    cannot be: a typo in the third name must not leave two mailboxes open."""
    config = store.config
    if not refs:
        if not config.sources:
            raise UsageError("no sources given and none configured ([[sources]])")
        refs = tuple(spec.name for spec in config.sources)
    specs = {spec.name: spec for spec in config.sources}
    opened: list[Source] = []
    try:
        for ref in refs:
            if not isinstance(ref, (str, os.PathLike)):
                opened.append(ref)
            elif isinstance(ref, str) and ref in specs:
                opened.append(open_configured_source(specs[ref]))
            else:
                opened.append(open_local_source(os.fspath(ref)))
    except BaseException:
        for source in opened:
            source.close()
        raise
    return opened


def backup(store: Store, out: str | os.PathLike[str] | IO[bytes]) -> list[TableCopy]:
    if not isinstance(out, (str, os.PathLike)):
        return write_backup(store.db, out)
    path = os.fspath(out)
    part = f"{path}.part"
    try:
        with open(part, "wb") as stream:
            tables = write_backup(store.db, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(part, path)
    except OSError as exc:  # no such directory, no permission, disk full
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise TicketcliError(
            f"backup: cannot write {exc.filename or path}: {exc.strerror or exc}"
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise
    return tables


def restore(store: Store, source: IO[bytes], name: str) -> list[TableCopy]:
    with store.bound(), sync_lock(store.db, store.config.lock_timeout):
        return restore_backup(store.db, source, name)


def assign(
    store: Store, numbers: list[int], login: str | None, *, actor: str
) -> list[str]:
    notifier = Notifier(store.config)
    with store.bound():
        with store.db.atomic():
            notes = assign_tickets(numbers, login, actor, on_assign=notifier.assigned)
        return [*notes, *notifier.send(now())]


def close(store: Store, numbers: list[int], *, actor: str, note: str) -> list[str]:
    at = now()
    notice = closing_notice(store.config)
    with store.bound():
        with store.db.atomic():
            lines = close_tickets(numbers, actor, note, at=at, on_close=notice)
        if notice is not None and store.config.smtp.host:
            outbox_line = send_queued(store.config, at)
            if outbox_line:
                lines.append(outbox_line)
    return lines

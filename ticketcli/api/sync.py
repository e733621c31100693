"""Mail in, for ``ticketcli.api.Store``: sync, ingest, and the retry of
quarantined mail.

Apart from the write side (``ticketcli.api.write``) because a sync that
finds no new mail -- most syncs from cron -- needs neither the pipeline
(``ticketcli.ingest`` loads it with the first new mail) nor the lead's
actions, the outbox or backup. Each function is the body of the ``Store``
method of the same name, which documents it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ticketcli import lazy
from ticketcli.clock import now
from ticketcli.errors import UsageError
from ticketcli.ingest import Ingester, SyncReport, read_sources
from ticketcli.ingest.report import QUARANTINED
from ticketcli.mail.sources.factory import open_configured_source, open_local_source
from ticketcli.store import sending
from ticketcli.store.lock import sync_lock

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ticketcli.api import Store
    from ticketcli.desk.outbox import send_queued
    from ticketcli.mail.raw import RawMail
    from ticketcli.mail.sources.base import Source
    from ticketcli.store.queries import quarantine_waiting
else:  # only when the outbox holds something; only for a retry
    send_queued = lazy.function("ticketcli.desk.outbox:send_queued")
    quarantine_waiting = lazy.function("ticketcli.store.queries:quarantine_waiting")


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
            line = send_queued(store.config, now()) if sending.has_work() else None
        if line:
            report.notices.append(line)
    return report


def ingest(
    store: Store,
    sources: Iterable[Source],
    progress: Callable[[RawMail], None] | None,
) -> SyncReport:
    with store.bound(), sync_lock(store.db, store.config.lock_timeout):
        return read_sources(store.config, store.db, sources, progress)


def retry_quarantined(store: Store, entry: int | None) -> SyncReport:
    with store.bound(), sync_lock(store.db, store.config.lock_timeout):
        waiting = quarantine_waiting(entry)
        if not waiting:
            return SyncReport()
        ingester = Ingester(store.config, store.db)
        for number in waiting:
            if ingester.retry_quarantined(number) != QUARANTINED:
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

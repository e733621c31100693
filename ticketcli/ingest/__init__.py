"""Reading sources into the store.

A run brings absences up to date, reads each source to its end, each new
mail through the pipeline (``ticketcli.ingest.pipeline``: parse, classify,
thread, identify, store, one transaction per message; from a run's 17th
mail on, parsed ahead in a second process, ``parse_ahead``), and brings
absences up to date again. The pipeline -- the parser, the outbox, SMTP
and the templates behind it -- loads with the first new mail: most syncs
from cron find none, and such a sync should cost little more than
start-up (issue 18).
"""

from __future__ import annotations

import logging
from itertools import chain
from typing import TYPE_CHECKING, Any

from ticketcli import lazy
from ticketcli.clock import now
from ticketcli.errors import SourceError
from ticketcli.ingest.report import SyncReport
from ticketcli.store.absences import any_unended
from ticketcli.store.lock import write_transaction
from ticketcli.store.source_memory import SourceMemory

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from peewee import Database

    from ticketcli.config import Config
    from ticketcli.desk.absence import apply_absences
    from ticketcli.ingest.parse_ahead import ParseAhead
    from ticketcli.ingest.pipeline import Ingester
    from ticketcli.mail.raw import RawMail
    from ticketcli.mail.sources.base import Source
else:
    apply_absences = lazy.function("ticketcli.desk.absence:apply_absences")
    Ingester = lazy.function("ticketcli.ingest.pipeline:Ingester")
    ParseAhead = lazy.function("ticketcli.ingest.parse_ahead:ParseAhead")

__all__ = ["Ingester", "SyncReport", "read_sources"]

log = logging.getLogger(__name__)


def read_sources(
    config: Config,
    db: Database,
    sources: Iterable[Source],
    progress: Callable[[RawMail], None] | None = None,
    clock: Callable[[], datetime] = now,
    parse_ahead: Callable[[int], ParseAhead] | None = None,
) -> SyncReport:
    """Read every source to the end; a failing source does not stop the rest.
    Each source is closed when read. ``parse_ahead`` makes the run's
    ``ParseAhead`` from the size limit (tests start its worker at once)."""
    return _Run(config, db, clock, parse_ahead or ParseAhead).read(sources, progress)


class _Run:
    def __init__(
        self,
        config: Config,
        db: Database,
        clock: Callable[[], datetime],
        parse_ahead: Callable[[int], ParseAhead],
    ) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.report = SyncReport()
        self._ingester: Ingester | None = None
        self._make_parse_ahead = parse_ahead
        self._parse_ahead: ParseAhead | None = None

    def ingester(self) -> Ingester:
        """The pipeline, made for the first new mail (or the first ticket an
        absence hands on, whose new owner it tells)."""
        if self._ingester is None:
            self._ingester = Ingester(self.config, self.db, self.clock, self.report)
        return self._ingester

    def parse_ahead(self) -> ParseAhead:
        if self._parse_ahead is None:
            self._parse_ahead = self._make_parse_ahead(self.config.max_message_size)
        return self._parse_ahead

    def read(
        self, sources: Iterable[Source], progress: Callable[[RawMail], None] | None
    ) -> SyncReport:
        self._apply_absences()
        try:
            for source in sources:
                self._read(source, progress)
        finally:
            if self._parse_ahead is not None:
                self._parse_ahead.close()
        self._apply_absences()
        return self.report

    def _read(self, source: Source, progress: Callable[[RawMail], None] | None) -> None:
        try:
            fetched = iter(source.fetch(SourceMemory(self.db, source.name)))
            first = next(fetched, None)
            if first is None:
                return  # most runs: nothing new, and nothing more to load
            for raw, read in self.parse_ahead().over(chain((first,), fetched)):
                self.ingester().ingest(raw, read)
                source.acknowledge(raw)
                if progress is not None:
                    progress(raw)
        except SourceError as exc:
            # The command prints each failure once; here it is detail (-v).
            log.info("source %s failed: %s", source.name, exc.message)
            self.report.failed_sources.append(f"{source.name}: {exc.message}")
        finally:
            source.close()

    def _apply_absences(self) -> None:
        """Absences start and end by the clock: each run brings tickets in
        line before reading (a new ticket must not go to someone who just
        left) and after (a customer who wrote to an absent owner's ticket
        does not wait for the next run)."""
        moment = self.clock()
        if any_unended():  # else there is nothing to apply, nor to lock for
            notify = self.config.notifications.agent_on_assign
            tell = self._tell_assigned if notify else None
            with write_transaction(self.db):
                apply_absences(moment, self.config, on_assign=tell)
        if self._ingester is not None:
            self._ingester.absences_changed(moment)

    def _tell_assigned(self, *args: Any, **kwargs: Any) -> None:
        """ "Assigned to you", from the pipeline's notifier, for a ticket an
        absence handed on."""
        on_assign = self.ingester().on_assign
        assert on_assign is not None  # agent_on_assign is on
        on_assign(*args, **kwargs)

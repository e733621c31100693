"""The 'sync' and 'import' commands: read new mail into the store."""

from __future__ import annotations

import itertools
import logging
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from ticketcli.cli import App, pass_app
from ticketcli.errors import PartialFailureError, SourceError, TicketcliError
from ticketcli.mail.sources.factory import open_configured_source, open_local_source
from ticketcli.store import ops
from ticketcli.store.lock import sync_lock

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from ticketcli.ingest import SyncReport
    from ticketcli.mail.model import RawMail
    from ticketcli.mail.sources.base import Source

log = logging.getLogger(__name__)


def run_sync(
    app: App, sources: Sequence[Source], unopened: Sequence[str] = ()
) -> SyncReport:
    """Ingest every source under the store's sync lock; raise if any failed.

    ``unopened`` are sources that failed before reading (one line each).
    """
    # The pipeline (parse, thread, outbox) is loaded by the commands that
    # run it, not by every command at start-up.
    from ticketcli.ingest import Ingester
    from ticketcli.outbox import send_queued

    with sync_lock(app.db, app.config.lock_timeout), _progress(sources) as tick:
        report = Ingester(app.config, app.db).run(sources, tick)
    log.info(
        "%d stored, %d duplicates, %d quarantined, %d new tickets, "
        "%d reopened, %d noise",
        report.stored,
        report.duplicates,
        report.quarantined,
        report.tickets_created,
        report.reopened,
        report.noise,
    )
    if report.quarantined:
        click.echo(
            f"ticketcli: {report.quarantined} message(s) quarantined; "
            "see 'ticketcli quarantine list'",
            err=True,
        )
    for line in dict.fromkeys(report.notices):
        click.echo(f"ticketcli: {line}", err=True)
    # After the commits: what the stored mail caused to be queued goes out.
    outbox_line = send_queued(app.config, ops.now())
    if outbox_line:
        click.echo(outbox_line, err=True)
    failures = [*unopened, *report.failed_sources]
    if failures:
        for line in failures[:-1]:
            click.echo(f"Error: {line}", err=True)
        if len(failures) < len(sources) + len(unopened):
            raise PartialFailureError(failures[-1])
        raise TicketcliError(failures[-1])
    return report


@contextmanager
def _progress(sources: Sequence[Source]) -> Iterator[Callable[[RawMail], None] | None]:
    """A progress bar only when a person watches; cron sees nothing.

    A network source knows its count only once ``fetch`` has listed the
    folder, so each source's hint is asked again when its first mail arrives.
    """
    if not sys.stderr.isatty():
        yield None
        return

    def hint(source: Source) -> int:
        return getattr(source, "total_hint", lambda: None)() or 0

    hints = {s.name: hint(s) for s in sources}
    started: set[str] = set()
    # An endless iterable: the bar is driven by update(), its length may be unknown.
    with click.progressbar(
        itertools.repeat(None),
        length=sum(hints.values()) or None,
        label="sync",
        file=sys.stderr,
        show_pos=True,
    ) as bar:

        def tick(raw: RawMail) -> None:
            if raw.source not in started:
                started.add(raw.source)
                for s in sources:
                    if s.name == raw.source:
                        hints[s.name] = hint(s) or hints[s.name]
                bar.length = sum(hints.values()) or None
            bar.update(1)

        yield tick


def _sync_paths_or_config(app: App, paths: Sequence[str], name: str | None) -> None:
    if paths:
        if name and len(paths) > 1:
            raise click.UsageError("--name names one --source; give one path with it")
        opened, unopened = [], []
        for path in paths:
            try:
                opened.append(
                    open_local_source(path, name=name, stdin=sys.stdin.buffer)
                )
            except SourceError as exc:
                unopened.append(exc.message)
        run_sync(app, opened, unopened)
        return
    if not app.config.sources:
        raise click.UsageError(
            "no sources configured; add [[sources]] to the config or give --source PATH"
        )
    opened: list[Source] = []
    unopened: list[str] = []
    for spec in app.config.sources:
        try:
            opened.append(open_configured_source(spec))
        except SourceError as exc:
            unopened.append(exc.message)
    run_sync(app, opened, unopened)


@click.command("sync")
@click.option(
    "--source",
    "paths",
    multiple=True,
    metavar="PATH",
    help="Read this mbox, Maildir, folder of .eml files, or - (stdin) "
    "instead of the configured sources. Repeatable.",
)
@click.option("--name", help="Source name to record (default: derived from PATH).")
@pass_app
def sync_cmd(app: App, paths: tuple[str, ...], name: str | None) -> None:
    """Read new mail from every source into tickets. Silent when all went well.

    Then sends what the outbox holds (acknowledgements, notices).

    Exit codes: 0 ok (quarantined mail, and mail the outbox could not send
    yet, are reported on stderr, not failures), 1 failure, 2 usage or
    configuration error, 3 some sources failed.
    """
    _sync_paths_or_config(app, paths, name)


@click.command("import")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--name", help="Source name to record (default: derived from PATH).")
@pass_app
def import_cmd(app: App, paths: tuple[str, ...], name: str | None) -> None:
    """Read an mbox, Maildir, folder of .eml files, or - (stdin) into tickets.

    The same as 'sync --source PATH'. Reading the same mail again stores
    nothing twice.
    """
    _sync_paths_or_config(app, paths, name)

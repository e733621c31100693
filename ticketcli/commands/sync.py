"""The 'sync' and 'import' commands: read new mail into the store."""

from __future__ import annotations

import itertools
import logging
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
from peewee import InterfaceError, OperationalError

from ticketcli.clock import now
from ticketcli.context import App, pass_app
from ticketcli.errors import (
    ConfigError,
    MailNotStoredError,
    MessagesHitBugError,
    PartialFailureError,
    SourceError,
    StoreLockedError,
    StoreUnavailableError,
    TicketcliError,
)
from ticketcli.lazy import function
from ticketcli.mail.sources.factory import open_configured_source, open_local_source
from ticketcli.store import sending
from ticketcli.store.db import describe_store_failure, is_disk_full
from ticketcli.version import __version__

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from ticketcli.ingest import SyncReport
    from ticketcli.mail.raw import RawMail
    from ticketcli.mail.sources.base import Source

log = logging.getLogger(__name__)

# A sync that brought nothing and owes nothing should cost what start-up
# costs (issue 18): escalation and sending load only when there is work.
after_sync = function("ticketcli.desk.escalations:after_sync")
send_queued = function("ticketcli.desk.outbox:send_queued")


def run_sync(
    app: App, sources: Sequence[Source], unopened: Sequence[str] = ()
) -> SyncReport:
    """Ingest every source under the store's sync lock; raise if any failed.

    ``unopened`` are sources that failed before reading (one line each).
    """
    store = app.open_store(create=True)
    with _progress(sources) as tick:
        report = store.ingest(sources, tick)
    if app.config.escalation.enabled:
        report.notices += after_sync(app.config, now())
    _after_ingest(app, report)
    failures = [*unopened, *report.failed_sources]
    if report.internal_errors:
        for line in failures:
            click.echo(f"Error: {line}", err=True)
        _raise_bug(report)
    if failures:
        for line in failures[:-1]:
            click.echo(f"Error: {line}", err=True)
        if len(failures) < len(sources) + len(unopened):
            raise PartialFailureError(failures[-1])
        raise TicketcliError(failures[-1])
    return report


def retry_quarantined(app: App, entry: int | None) -> SyncReport:
    """`quarantine retry`: quarantined mail through the pipeline again, under
    the sync lock, as a sync would read it; ``entry`` None retries all."""
    report = app.store.retry_quarantined(entry)
    _after_ingest(app, report, quarantine_line=False)
    if report.internal_errors:
        _raise_bug(report)
    return report


def _after_ingest(
    app: App, report: SyncReport, *, quarantine_line: bool = True
) -> None:
    """What every run that stored mail says and does once the lock is free."""
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
    if report.quarantined and quarantine_line:
        click.echo(
            f"ticketcli: {report.quarantined} message(s) quarantined; "
            "see 'ticketcli quarantine list'",
            err=True,
        )
    for line in dict.fromkeys(report.notices):
        click.echo(f"ticketcli: {line}", err=True)
    # After the commits: what the stored mail caused to be queued goes out.
    with app.store.bound():
        if not sending.has_work():
            return
    outbox_line = send_queued(app.config, now())
    if outbox_line:
        click.echo(outbox_line, err=True)


def _raise_bug(report: SyncReport) -> None:
    raise MessagesHitBugError(
        f"internal error: {report.internal_errors} message(s) could not be "
        f"stored and wait in quarantine; this is a bug in ticketcli "
        f"{__version__}, please report it (-vv shows the traceback); after "
        "an upgrade, 'ticketcli quarantine retry --all' stores them"
    )


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


@contextmanager
def _mta_retry(*, piped: bool) -> Iterator[None]:
    """Stdin as the only source is an MTA's pipe (``|ticketcli import -``),
    where every exit code but 0 and 75 bounces the mail to its sender.

    So a mail not stored for a reason that may pass exits 75 (EX_TEMPFAIL)
    and the MTA keeps it queued and retries: the lock held too long, the
    store down, unreadable or full, a store failure mid-transaction (rolled
    back: nothing of the mail is kept), and the config -- ours, not the
    sender's, and perhaps being edited right now. A retry of a mail that was
    stored after all is recognised and stores nothing twice. A mail a bug
    met is kept whole in quarantine: stored, as far as the MTA is concerned.
    """
    if not piped:
        yield
        return
    try:
        yield
    except MessagesHitBugError as exc:
        click.echo(f"ticketcli: {exc.message}", err=True)
    except (StoreLockedError, StoreUnavailableError, ConfigError) as exc:
        raise MailNotStoredError(exc.message) from None
    except (OperationalError, InterfaceError) as exc:
        log.debug("the store failed", exc_info=True)  # -vv
        raise MailNotStoredError(describe_store_failure(exc)) from None
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        raise MailNotStoredError(describe_store_failure(exc)) from None


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
        with _mta_retry(piped=tuple(paths) == ("-",)):
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
    configuration error, 3 some sources failed; with - (stdin) as the only
    source, 75 when the mail was not stored and the MTA should retry.
    """
    _sync_paths_or_config(app, paths, name)


@click.command("import")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--name", help="Source name to record (default: derived from PATH).")
@pass_app
def import_cmd(app: App, paths: tuple[str, ...], name: str | None) -> None:
    """Read an mbox, Maildir, folder of .eml files, or - (stdin) into tickets.

    The same as 'sync --source PATH'. Reading the same mail again stores
    nothing twice. Behind an MTA ('|ticketcli import -'), a mail not stored
    for a reason that may pass (store locked, down or full; config unreadable)
    exits 75, EX_TEMPFAIL: the MTA keeps it and retries.
    """
    _sync_paths_or_config(app, paths, name)

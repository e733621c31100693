"""The 'quarantine' commands: mail that could not be read, kept whole."""

from __future__ import annotations

import sys

import click

from ticketcli.commands.params import ENTRY
from ticketcli.commands.sync import retry_quarantined
from ticketcli.context import App, pass_app
from ticketcli.errors import UsageError
from ticketcli.render.output import emit, output_options
from ticketcli.store.queries import quarantine_rows, quarantined_bytes


@click.group("quarantine")
def quarantine_cmd() -> None:
    """Mail that could not be parsed: kept with its bytes and the reason."""


@quarantine_cmd.command("list")
@click.option(
    "--all",
    "include_retried",
    is_flag=True,
    help="Also list mail that a retry has stored since (with the message).",
)
@output_options
@pass_app
def quarantine_list(app: App, include_retried: bool, fmt: str) -> None:
    """List quarantined mail with the reason for each."""
    app.open_store()
    columns = ("id", "source", "key", "size", "received_at", "reason")
    emit(
        quarantine_rows(include_retried),
        (*columns, "retried_at", "message") if include_retried else columns,
        fmt,
        wide=("reason", "key"),
    )


@quarantine_cmd.command("retry")
@click.argument("entry", type=ENTRY, required=False)
@click.option("--all", "every", is_flag=True, help="Retry every entry still waiting.")
@pass_app
def quarantine_retry(app: App, entry: int | None, every: bool) -> None:
    """Read quarantined mail ENTRY (or --all) into tickets again.

    After an upgrade that fixes what held it: mail that now stores is marked
    as retried (kept in 'quarantine list --all'), the rest keeps waiting with
    the reason it has now. Silent when all went well; exit 4 if a bug still
    meets a message.
    """
    if (entry is None) == (not every):
        raise click.UsageError("give one quarantine ENTRY or --all")
    report = retry_quarantined(app, entry)
    if report.stored_again < report.tried:
        waiting = report.tried - report.stored_again
        click.echo(
            f"ticketcli: {waiting} of {report.tried} message(s) still quarantined; "
            "see 'ticketcli quarantine list'",
            err=True,
        )


@quarantine_cmd.command("show")
@click.argument("entry", type=ENTRY)
@pass_app
def quarantine_show(app: App, entry: int) -> None:
    """Write the original bytes of quarantined mail ENTRY to stdout
    (redirect it to a file: raw mail on a terminal could drive it)."""
    if sys.stdout.isatty():
        raise UsageError(
            f"quarantine show: entry {entry} is raw mail; redirect to a file"
            f" (ticketcli quarantine show {entry} > mail.eml)"
        )
    app.open_store()
    sys.stdout.buffer.write(quarantined_bytes(entry))
    sys.stdout.buffer.flush()

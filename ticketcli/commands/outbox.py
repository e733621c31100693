"""The 'outbox' commands: mail ticketcli has queued, sent, or could not send."""

from __future__ import annotations

import click

from ticketcli.clock import now
from ticketcli.commands.params import ENTRY
from ticketcli.context import App, pass_app
from ticketcli.desk import outbox
from ticketcli.errors import TicketcliError
from ticketcli.render.output import echo_text, emit, output_options
from ticketcli.render.times import display_zone, localised, zone_line
from ticketcli.store.sending import outbox_rows


@click.group("outbox")
def outbox_cmd() -> None:
    """Mail ticketcli sends (acknowledgements, notices, replies): sync sends
    it; what could not be sent waits here."""


@outbox_cmd.command("list")
@click.option("--all", "show_all", is_flag=True, help="Sent and dropped mail too.")
@output_options
@pass_app
def outbox_list(app: App, show_all: bool, fmt: str) -> None:
    """List mail waiting to go out, given up, or in doubt after a crash."""
    app.open_store()
    rows = outbox_rows(show_all)
    if fmt == "table":
        zone = display_zone(app.config)
        echo_text(zone_line(zone))
        rows = localised(rows, zone)
    emit(
        rows,
        ("id", "ticket", "kind", "status", "to", "attempts", "created_at",
         "next_attempt_at", "sent_at", "message_id", "error"),
        fmt,
        wide=("error", "message_id"),
    )  # fmt: skip


@outbox_cmd.command("send")
@pass_app
def outbox_send(app: App) -> None:
    """Send what is due now instead of waiting for the next sync.

    Exit 1 when something could not be sent (it stays queued).
    """
    app.open_store()
    result = outbox.flush(app.config, now=now())
    for line in result.errors[:-1]:
        click.echo(f"Error: {line}", err=True)
    if result.errors:
        raise TicketcliError(result.errors[-1])


@outbox_cmd.command("retry")
@click.argument("entry", type=ENTRY)
@pass_app
def outbox_retry(app: App, entry: int) -> None:
    """Queue mail ENTRY again (given up, in doubt, or dropped); the next
    sync or 'outbox send' sends it."""
    with app.store.atomic():
        outbox.retry(entry, now())


@outbox_cmd.command("drop")
@click.argument("entry", type=ENTRY)
@pass_app
def outbox_drop(app: App, entry: int) -> None:
    """Never send mail ENTRY; it stays listed with --all."""
    with app.store.atomic():
        outbox.drop(entry)

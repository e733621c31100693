"""Commands that change tickets' status: 'close' and 'reopen'."""

from __future__ import annotations

import click

from ticketcli.cli import App, as_option, pass_app
from ticketcli.store import ops
from ticketcli.store.ops import close_tickets, reopen_tickets


@click.command("close")
@click.argument("numbers", type=int, nargs=-1, required=True)
@click.option("--note", default="", help="Why it is closed, kept in the history.")
@as_option
@pass_app
def close_cmd(
    app: App, numbers: tuple[int, ...], note: str, as_login: str | None
) -> None:
    """Close the tickets NUMBERS. Closing a closed ticket changes nothing.

    With [notifications] customer_on_close the requester is told, at once
    when [smtp] is configured (else by the next sync).
    """
    from ticketcli.notify import closing_notice
    from ticketcli.outbox import send_queued

    at = ops.now()
    notice = closing_notice(app.config)
    with app.db.atomic():
        lines = close_tickets(
            numbers, app.actor(as_login), note, at=at, on_close=notice
        )
    for line in lines:
        click.echo(line, err=True)
    if notice is not None and app.config.smtp.host:
        outbox_line = send_queued(app.config, at)
        if outbox_line:
            click.echo(outbox_line, err=True)


@click.command("reopen")
@click.argument("numbers", type=int, nargs=-1, required=True)
@as_option
@pass_app
def reopen_cmd(app: App, numbers: tuple[int, ...], as_login: str | None) -> None:
    """Reopen the closed tickets NUMBERS."""
    with app.db.atomic():
        lines = reopen_tickets(numbers, app.actor(as_login))
    for line in lines:
        click.echo(line, err=True)

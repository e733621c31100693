"""The 'show' command: one ticket, its messages, and why each is on it."""

from __future__ import annotations

import json
import sys

import click

from ticketcli.commands.params import TICKET
from ticketcli.context import App, pass_app
from ticketcli.errors import UsageError
from ticketcli.render.output import record_options, to_plain
from ticketcli.render.ticket import print_ticket
from ticketcli.render.times import display_zone
from ticketcli.store.queries import message_on_ticket, raw_message


@click.command("show")
@click.argument("number", type=TICKET)
@record_options
@click.option("--full", is_flag=True, help="Show quoted history in messages too.")
@click.option(
    "--raw",
    "raw_ref",
    metavar="MSG",
    help="Write message MSG's original bytes to stdout (redirect to a file).",
)
@pass_app
def show_cmd(app: App, number: int, fmt: str, full: bool, raw_ref: str | None) -> None:
    """Show ticket NUMBER: its details, and every message (with its short id,
    [m12]) with why it is here, with notes and changes in between; quoted
    history is folded unless --full. --raw MSG (the short id, or the
    Message-ID) writes that message as it arrived, byte for byte."""
    if raw_ref is not None:
        _raw(app, number, raw_ref)
        return
    ticket = app.store.ticket(number)
    if fmt == "json":
        click.echo(json.dumps(to_plain(ticket), ensure_ascii=False, indent=2))
        return
    print_ticket(ticket, display_zone(app.config), full)


def _raw(app: App, number: int, ref: str) -> None:
    """Raw mail on a terminal could drive it (escape sequences): a file only."""
    if sys.stdout.isatty():
        raise UsageError(
            f"show --raw: {ref} is raw mail; redirect to a file"
            f" (ticketcli show {number} --raw {ref} > mail.eml)"
        )
    app.open_store()
    data = raw_message(message_on_ticket(number, ref))
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()

"""The 'show' command: one ticket, its messages, and why each is on it."""

from __future__ import annotations

import json

import click

from ticketcli.commands.params import TICKET
from ticketcli.context import App, pass_app
from ticketcli.render.output import record_options, to_plain
from ticketcli.render.ticket import print_ticket


@click.command("show")
@click.argument("number", type=TICKET)
@record_options
@click.option("--full", is_flag=True, help="Show quoted history in messages too.")
@pass_app
def show_cmd(app: App, number: int, fmt: str, full: bool) -> None:
    """Show ticket NUMBER: its details, and every message with why it is here,
    with notes and changes in between; quoted history is folded unless --full."""
    ticket = app.store.ticket(number)
    if fmt == "json":
        click.echo(json.dumps(to_plain(ticket), ensure_ascii=False, indent=2))
        return
    print_ticket(ticket, full)

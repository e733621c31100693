"""The 'watch' and 'unwatch' commands: an agent told when the customer
writes on a ticket, as its assignee is ([notifications]
agent_on_customer_mail)."""

from __future__ import annotations

import click

from ticketcli.commands.params import TICKET
from ticketcli.context import App, as_option, pass_app
from ticketcli.desk import tickets
from ticketcli.render.output import notes


def _watch_command(name: str, stop: bool) -> click.Command:
    @click.command(name)
    @click.argument("numbers", type=TICKET, nargs=-1, required=True, metavar="N...")
    @click.argument("login")
    @as_option
    @pass_app
    def command(
        app: App, numbers: tuple[int, ...], login: str, as_login: str | None
    ) -> None:
        with app.store.atomic():
            said = tickets.watch_tickets(numbers, login, app.actor(as_login), stop=stop)
        notes(said)

    command.help = (
        "LOGIN stops watching the tickets N..."
        if stop
        else "LOGIN watches the tickets N...: told when the customer writes, as"
        " the assignee is ([notifications] agent_on_customer_mail)."
    )
    return command


watch_cmd = _watch_command("watch", stop=False)
unwatch_cmd = _watch_command("unwatch", stop=True)

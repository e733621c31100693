"""The 'move' command: a mis-threaded message to another ticket, or a new one."""

from __future__ import annotations

import click

from ticketcli.context import App, as_option, pass_app
from ticketcli.desk import tickets
from ticketcli.render.output import emit, output_options


@click.command("move")
@click.argument("message", metavar="MSG")
@click.option("--to", "to", required=True, metavar="N|new", help="The ticket, or new.")
@click.option("--with-replies", is_flag=True, help="Also the messages that answer it.")
@as_option
@output_options
@pass_app
def move_cmd(
    app: App, message: str, to: str, with_replies: bool, as_login: str | None, fmt: str
) -> None:
    """Move message MSG (its short id from `show`, or its Message-ID) to
    ticket N or to a new ticket; both histories record it, and a later reply
    to it follows it there. Prints the ticket it is on now."""
    with app.store.atomic():
        number, moved = tickets.move_message(
            message,
            to,
            app.actor(as_login),
            with_replies=with_replies,
            token_prefix=app.config.token_prefix,
        )
    emit([{"number": number, "moved": moved}], ("number", "moved"), fmt)

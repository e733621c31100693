"""The 'attachments' commands: `attachments N` lists a ticket's attachments,
`attachments save N` writes them into a folder under safe, unique names."""

from __future__ import annotations

from typing import Any

import click

from ticketcli.commands.params import TICKET
from ticketcli.context import App, pass_app
from ticketcli.desk.attachments import save_attachments
from ticketcli.render.output import emit, output_options
from ticketcli.store.queries import attachment_rows, message_on_ticket

COLUMNS = ("message", "filename", "size", "content_type", "sha256")


class _ListByDefault(click.Group):
    """`attachments N` is `attachments list N`: the listing needs no verb."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group("attachments", cls=_ListByDefault)
def attachments_cmd() -> None:
    """A ticket's attachments: `attachments N` lists them (message, name,
    size, type, sha256), `attachments save N` writes them to files."""


@attachments_cmd.command("list")
@click.argument("number", type=TICKET)
@output_options
@pass_app
def attachments_list(app: App, number: int, fmt: str) -> None:
    """List ticket NUMBER's attachments, with the short id of their message."""
    app.open_store()
    rows: list[dict[str, Any]] = [
        {**row, "message": row["short_id"]} for row in attachment_rows(number)
    ]
    emit(rows, COLUMNS, fmt, wide=("filename",))


@attachments_cmd.command("save")
@click.argument("number", type=TICKET)
@click.option("--message", "message_ref", metavar="MSG", help="Only this message's.")
@click.option(
    "--dir",
    "folder",
    default=".",
    metavar="DIR",
    help="Where to write them (default: the current folder).",
)
@pass_app
def attachments_save(
    app: App, number: int, message_ref: str | None, folder: str
) -> None:
    """Write ticket NUMBER's attachments (or message MSG's: its short id from
    `show`, or its Message-ID) into DIR, one line per file written. A name
    from mail is made safe (no folders, dotfiles or device names) and never
    replaces a file: a taken name gets " (2)"."""
    app.open_store()
    message = None
    if message_ref is not None:
        message = message_on_ticket(number, message_ref).id
    for saved in save_attachments(number, folder, message):
        click.echo(saved.path)

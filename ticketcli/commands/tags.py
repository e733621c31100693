"""The 'tag' and 'untag' commands: `tag N... TAG...` puts tags on tickets."""

from __future__ import annotations

import click

from ticketcli.commands.params import TICKET
from ticketcli.context import App, as_option, pass_app
from ticketcli.desk import tickets
from ticketcli.errors import UsageError
from ticketcli.render.output import notes


def split_numbers_tags(words: tuple[str, ...]) -> tuple[list[int], list[str]]:
    """`N... TAG...`: the leading words that are numbers (``#12`` too) name
    tickets, the rest are tags; the last word is always a tag, so a tag of
    digits (``2026``) can follow the numbers."""
    numbers: list[int] = []
    rest = list(words)
    while len(rest) > 1 and rest[0].removeprefix("#").strip().isdigit():
        numbers.append(TICKET.convert(rest.pop(0).removeprefix("#"), None, None))
    if not numbers:
        raise UsageError("give the ticket numbers first, then the tags: N... TAG...")
    return numbers, rest


def _tag_command(name: str, remove: bool) -> click.Command:
    @click.command(name)
    @click.argument("words", nargs=-1, required=True, metavar="N... TAG...")
    @as_option
    @pass_app
    def command(app: App, words: tuple[str, ...], as_login: str | None) -> None:
        numbers, tags = split_numbers_tags(words)
        for tag in tags:
            tickets.check_tag(tag)  # before the store is opened
        with app.store.atomic():
            said = tickets.tag_tickets(
                numbers, tags, app.actor(as_login), remove=remove
            )
        notes(said)

    command.help = (
        f"Take the tags TAG... off the tickets N... ({tickets.TAG_RULE})."
        if remove
        else f"Put the tags TAG... on the tickets N... ({tickets.TAG_RULE})."
    )
    return command


tag_cmd = _tag_command("tag", remove=False)
untag_cmd = _tag_command("untag", remove=True)

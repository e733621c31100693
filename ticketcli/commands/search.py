"""The 'search' command: tickets by the words in their mail and notes."""

from __future__ import annotations

import click

from ticketcli.context import App, pass_app
from ticketcli.render.output import emit, output_options

COLUMNS = ("number", "subject", "status", "assignee", "snippet")


@click.command("search")
@click.argument("query")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True,
    help="At most this many tickets.",
)  # fmt: skip
@output_options
@pass_app
def search_cmd(app: App, query: str, limit: int, fmt: str) -> None:
    """Find tickets by the words in their subjects, bodies, senders,
    attachment names and notes; best match first.

    All words must match (in one message or note); case and accents do not
    matter (aitah finds Aitäh). word* is a prefix, "two words" a phrase.
    Filters: status:S (repeatable), assignee:LOGIN (none: the pool),
    customer:CODE, from:ADDRESS or from:DOMAIN, tag:TAG (repeatable),
    after:DATE, before:DATE (YYYY-MM-DD, UTC; after: includes the day),
    has:attachment. Example: ticketcli search 'invoice* status:open from:firma.ee'
    """
    rows = app.open_store().search(query, limit)
    emit(
        rows,
        COLUMNS if fmt == "table" else (*COLUMNS, "last_message_at"),
        fmt,
        wide=("subject", "snippet"),
    )

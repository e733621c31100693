"""The 'noise' command: auto-replies, bounces and bulk mail that opened nothing."""

from __future__ import annotations

import click

from ticketcli.context import App, pass_app
from ticketcli.render.output import emit, output_options
from ticketcli.store.queries import noise_rows


@click.group("noise")
def noise_cmd() -> None:
    """Auto-replies, bounces and bulk mail: kept, never tickets."""


@noise_cmd.command("list")
@click.option(
    "--all", "show_all", is_flag=True, help="Also list noise that is kept on a ticket."
)
@output_options
@pass_app
def noise_list(app: App, show_all: bool, fmt: str) -> None:
    """List stored noise; by default only what threads to no ticket."""
    app.open_store()
    emit(
        noise_rows(unthreaded_only=not show_all),
        ("id", "kind", "date", "from", "subject", "ticket", "message_id"),
        fmt,
        wide=("subject",),
    )

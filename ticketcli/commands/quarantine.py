"""The 'quarantine' commands: mail that could not be read, kept whole."""

from __future__ import annotations

import sys

import click

from ticketcli.cli import App, pass_app
from ticketcli.render.output import emit, output_options
from ticketcli.store.queries import quarantine_rows, quarantined_bytes


@click.group("quarantine")
def quarantine_cmd() -> None:
    """Mail that could not be parsed: kept with its bytes and the reason."""


@quarantine_cmd.command("list")
@output_options
@pass_app
def quarantine_list(app: App, fmt: str) -> None:
    """List quarantined mail with the reason for each."""
    app.db  # noqa: B018
    emit(
        quarantine_rows(),
        ("id", "source", "key", "size", "received_at", "reason"),
        fmt,
        wide=("reason", "key"),
    )


@quarantine_cmd.command("show")
@click.argument("entry", type=int)
@pass_app
def quarantine_show(app: App, entry: int) -> None:
    """Write the original bytes of quarantined mail ENTRY to stdout."""
    app.db  # noqa: B018
    sys.stdout.buffer.write(quarantined_bytes(entry))
    sys.stdout.buffer.flush()

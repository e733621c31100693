"""The 'backup' and 'restore' commands: everything in the store, to a file and back."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from ticketcli.context import App, pass_app
from ticketcli.render.output import emit, output_options
from ticketcli.store.db import sqlite_path, store_errors


@click.command("backup")
@click.argument("path", metavar="PATH|-", type=click.Path(dir_okay=False))
@pass_app
def backup_cmd(app: App, path: str) -> None:
    """Write everything in the store to PATH (- for stdout), to restore later.

    Tickets with their numbers, messages with their original bytes,
    attachments, history, notes, work time, customers, agents, absences,
    queues, noise, quarantine, the outbox and every source's checkpoint:
    JSON lines with a header and a checksum (see the README). It reads one
    snapshot and takes no lock, so cron's syncs go on meanwhile; a file is
    written beside PATH and renamed into place when complete. The rows per
    table go to stderr with -v (or on a terminal).
    """
    store = app.open_store()
    with store_errors(store.url):
        if path == "-":
            tables = store.backup(click.get_binary_stream("stdout"))
        else:
            tables = store.backup(path)
    if app.verbose or sys.stderr.isatty():
        total = sum(t.rows for t in tables)
        kinds = ", ".join(f"{t.table} {t.rows}" for t in tables if t.rows)
        where = "stdout" if path == "-" else path
        click.echo(f"backup: {total} rows to {where} ({kinds})", err=True)


@click.command("restore")
@click.argument(
    "path",
    metavar="PATH|-",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
)
@output_options
@pass_app
def restore_cmd(app: App, path: str, fmt: str) -> None:
    """Fill a new, empty store (--db or [database] url) from a backup.

    Everything comes back as it was backed up, ticket numbers and ids
    included, into SQLite or PostgreSQL; a backup from an older ticketcli
    is brought up to this schema. Refuses a store that holds anything, and
    a damaged backup or one from a newer ticketcli, changing nothing.
    Prints the rows restored per table.
    """
    url = app.database_url
    new_file = sqlite_path(url) if url.startswith("sqlite:") else None
    if new_file is not None and Path(new_file).exists():
        new_file = None
    try:
        store = app.open_store(create=True)
        with store_errors(url), click.open_file(path, "rb") as stream:
            tables = store.restore(stream, "stdin" if path == "-" else path)
    except BaseException:
        if new_file is not None:
            # A failed restore into a file it created leaves no empty store.
            app.close()
            for suffix in ("", "-wal", "-shm", ".lock"):
                with contextlib.suppress(OSError):
                    Path(f"{new_file}{suffix}").unlink()
        raise
    emit(
        ({"table": t.table, "rows": t.rows} for t in tables),
        ("table", "rows"),
        fmt,
    )

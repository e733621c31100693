"""The store's own commands: 'init', 'migrate' and 'copy'."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from ticketcli.api import Store
from ticketcli.context import App, pass_app, require_store
from ticketcli.errors import UsageError
from ticketcli.render.output import emit, output_options
from ticketcli.store import migrations
from ticketcli.store.copy import copy_store
from ticketcli.store.db import (
    redact,
    sqlite_path,
    store_errors,
    upgrade_store,
)
from ticketcli.store.lock import sync_lock


def _open(app: App, url: str, *, upgrade: bool) -> Store:
    """A store of its own, apart from the run's ``app.store``."""
    return Store.open(url, app.config, password=app.password_for(url), upgrade=upgrade)


def _latest() -> str:
    return migrations.MIGRATIONS[-1].name


@click.command("init")
@pass_app
def init_cmd(app: App) -> None:
    """Create the store's tables (sync, import, copy and restore do too).

    The store is --db or [database] url. Useful right after creating an
    empty PostgreSQL database, to see that ticketcli can reach and fill it.
    Safe to run again.
    """
    url = app.database_url
    with _open(app, url, upgrade=False) as store, store_errors(url):
        done = upgrade_store(store.db, url)
    state = "created" if migrations.MIGRATIONS[0].name in done else "already exists"
    click.echo(f"store {redact(url)} {state} (schema {_latest()})")


@click.command("migrate")
@click.option(
    "--list",
    "list_only",
    is_flag=True,
    help="Show every migration and when it was applied; change nothing.",
)
@output_options
@pass_app
def migrate_cmd(app: App, list_only: bool, fmt: str) -> None:
    """Bring the store's schema up to this version of ticketcli.

    Every command does this when it opens an older store (an SQLite file is
    copied aside first when a step changes it); 'migrate' does it on
    purpose and says what it applied.
    """
    url = app.database_url
    require_store(url)
    with _open(app, url, upgrade=False) as store, store_errors(url):
        if list_only:
            done = migrations.applied(store.db)
            emit(
                (
                    {"name": m.name, "applied_at": done.get(m.name)}
                    for m in migrations.MIGRATIONS
                ),
                ("name", "applied_at"),
                fmt,
            )
            return
        names = upgrade_store(store.db, url)
    for name in names:
        click.echo(f"applied {name}")
    if not names:
        click.echo(f"up to date (schema {_latest()})")


@click.command("copy")
@click.option(
    "--from", "source_url", required=True, metavar="URL", help="Store to read."
)
@click.option(
    "--to", "target_url", required=True, metavar="URL", help="New, empty store."
)
@output_options
@pass_app
def copy_cmd(app: App, source_url: str, target_url: str, fmt: str) -> None:
    """Copy a whole store into a new, empty one (SQLite to PostgreSQL, or back).

    Tickets keep their numbers; messages, raw mail, attachments, history,
    customers, agents and every source's memory of what it read come along.
    Both stores' sync locks are held meanwhile, so stop cron's sync (or let
    it wait). Prints the rows copied per table, checked against the source.
    """
    if source_url == target_url:
        raise UsageError("copy: --from and --to name the same store")
    if source_url.startswith("sqlite:"):
        # Opening a missing SQLite file would create an empty store to copy.
        path = sqlite_path(source_url)
        if path is None or not Path(path).exists():
            raise UsageError(f"copy: no store at {redact(source_url)}")
    timeout = app.config.lock_timeout
    with contextlib.ExitStack() as stack:
        # Two stores open at once, each with its own Database.
        source = stack.enter_context(_open(app, source_url, upgrade=True))
        target = stack.enter_context(_open(app, target_url, upgrade=True))
        stack.enter_context(sync_lock(source.db, timeout))
        stack.enter_context(sync_lock(target.db, timeout))
        with store_errors(source_url, target_url):
            tables = copy_store(source.db, target.db)
    emit(
        ({"table": t.table, "rows": t.rows} for t in tables),
        ("table", "rows"),
        fmt,
    )

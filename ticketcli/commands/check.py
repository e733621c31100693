"""The 'check' command: can every source and SMTP be reached, and what is new?"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from ticketcli.context import App, pass_app
from ticketcli.errors import (
    PartialFailureError,
    TicketcliError,
    UsageError,
)
from ticketcli.mail.smtp import SmtpSender
from ticketcli.mail.sources.factory import open_configured_source
from ticketcli.render.output import emit, output_options
from ticketcli.store.db import sqlite_path
from ticketcli.store.source_memory import StoreSourceState

if TYPE_CHECKING:
    from ticketcli.config import SmtpConfig, SourceConfig
    from ticketcli.mail.sources.base import SourceState

COLUMNS = ("source", "type", "status", "messages", "unseen", "next_sync", "detail")


def _row(name: str, kind: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(source=name, type=kind, status="ok")
    row.update(values)
    return row


def _failed(name: str, kind: str, message: str) -> dict[str, Any]:
    # Errors name their source already ("support: login refused ..."); say it once.
    prefix = f"{name}: "
    detail = message[len(prefix) :] if message.startswith(prefix) else message
    return _row(name, kind, status="failed", detail=detail)


class _NothingStored:
    """``SourceState`` before the first sync: no store yet, everything is new."""

    def get(self, name: str) -> str | None:
        return None

    def seen(self, key: str) -> bool:
        return False


def _state(app: App, source: str) -> SourceState:
    """What the store knows of ``source``; with no SQLite store yet (check
    run before the first sync, as the README says to), nothing: check
    creates no store file."""
    if app.database_url.startswith("sqlite:"):
        path = sqlite_path(app.database_url)
        if path is not None and not os.path.isfile(path):
            return _NothingStored()
    return StoreSourceState(app.open_store(upgrade=False).db, source)


def check_source(app: App, spec: SourceConfig) -> dict[str, Any]:
    """One row: reachable or not, counts, and what the next sync would fetch."""
    try:
        source = open_configured_source(spec)
        probe = getattr(source, "probe", None)  # a network source (IMAP)
        if probe is not None:
            return _row(spec.name, spec.type, **probe(_state(app, spec.name)))
        # Local sources: readable now; listing them is what sync does anyway.
        path = spec.path or ""
        if not os.access(path, os.R_OK):
            return _failed(spec.name, spec.type, f"cannot read {path}")
        hint = getattr(source, "total_hint", lambda: None)()
        source.close()
        return _row(spec.name, spec.type, messages=hint, detail=path)
    except TicketcliError as exc:  # SourceError, or ConfigError (e.g. no password)
        return _failed(spec.name, spec.type, exc.message)


def check_smtp(smtp: SmtpConfig) -> dict[str, Any]:
    """Connect, EHLO, STARTTLS and log in as configured; send nothing."""
    try:
        with SmtpSender(smtp) as sender:
            sender.connect()
            token = sender.token
    except TicketcliError as exc:
        return _failed("smtp", "smtp", exc.message.removeprefix("smtp: "))
    login = f", logged in as {smtp.username}" if smtp.username else ""
    if smtp.username:
        login += f", auth {smtp.auth}"
    if token is not None:
        login += f" (token from {token.origin}, {token.expiry_text()})"
    return _row("smtp", "smtp", detail=f"{smtp.tls} {smtp.host}:{smtp.port}{login}")


@click.command("check")
@output_options
@pass_app
def check_cmd(app: App, fmt: str) -> None:
    """Connect to every source (and SMTP) and say what the next sync would fetch.

    Logs in, opens each folder read-only and changes nothing; says which
    auth each used and, for a token, where it came from and when it expires.
    Each failure (DNS, refused, timeout, TLS, login, a refused or missing
    token, missing folder) is one line on stderr. Exit codes: 0 all
    reachable, 1 none, 2 configuration error, 3 some.
    """
    config = app.config
    if not config.sources and not config.smtp.host:
        raise UsageError("nothing to check: no [[sources]] and no [smtp] host")
    rows = [check_source(app, spec) for spec in config.sources]
    if config.smtp.host:
        rows.append(check_smtp(config.smtp))
    emit(rows, COLUMNS, fmt)
    failures = [f"{r['source']}: {r['detail']}" for r in rows if r["status"] != "ok"]
    for line in failures[:-1]:
        click.echo(f"Error: {line}", err=True)
    if failures and len(failures) < len(rows):
        raise PartialFailureError(failures[-1])
    if failures:
        raise TicketcliError(failures[-1])

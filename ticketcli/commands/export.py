"""The 'export' command: every ticket as one JSON object per line."""

from __future__ import annotations

import click

from ticketcli.context import App, pass_app
from ticketcli.render.output import emit, emit_lines
from ticketcli.store.export import export_lines
from ticketcli.store.queries import export_tickets


@click.command("export")
@click.option("--bodies", is_flag=True, help="Also each message's text (body_text).")
@pass_app
def export_cmd(app: App, bodies: bool) -> None:
    """Write every ticket with its messages as JSON lines, for scripts.

    Each line: number, subject, status, priority, customer, requester,
    assignee, created_at, first_response_at, closed_at, last_message_at,
    reopened, linked_to, tags and messages (message_id, direction, kind, from, date,
    rule, rule_detail, subject; with --bodies also body_text). Times are ISO
    8601 UTC. This is no backup: `ticketcli backup` writes everything.
    """
    app.open_store()  # the models stay bound to it while the rows stream
    lines = export_lines(bodies)  # written by SQLite, when it can (issue 18)
    if lines is not None:
        emit_lines(lines)
        return
    # Times come as the ISO text the export writes, made by the database.
    emit(export_tickets(bodies, tags=True, iso_text=True), (), "jsonl")

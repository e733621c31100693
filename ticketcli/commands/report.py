"""The 'report' command: the active tickets, one line each, for the morning."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ticketcli.cli import App, pass_app
from ticketcli.render.output import emit, output_options
from ticketcli.store.ops import now, parse_due
from ticketcli.store.queries import REPORT_SORTS, report_rows

if TYPE_CHECKING:
    from datetime import datetime

COLUMNS = (
    "number",
    "age",
    "customer",
    "subject",
    "assignee",
    "status",
    "vs",
    "last",
    "reopened",
    "overdue",
    "priority",
    "type",
    "due_at",
)
# A terminal line has room for fewer: the marks in one column, no type.
TABLE_COLUMNS = (
    "number",
    "age",
    "customer",
    "subject",
    "assignee",
    "status",
    "vs",
    "last",
    "marks",
    "priority",
)


@click.command("report")
@click.option(
    "--assignee",
    metavar="LOGIN|*|none",
    help="Whose tickets: a login, '*' for everyone's, 'none' for the pool.",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(("new", "open", "pending", "closed", "merged")),
    help="Only this status (repeatable; default: new, open, pending).",
)
@click.option("--customer", metavar="CODE", help="Only this customer (code or name).")
@click.option("--waiting", is_flag=True, help="Only where the customer wrote last.")
@click.option("--overdue", is_flag=True, help="Only tickets past their due date.")
@click.option("--since", metavar="DATE", help="Only tickets opened since DATE.")
@click.option(
    "--sort", type=click.Choice(REPORT_SORTS), default="age", show_default=True
)
@click.option("--as", "as_login", metavar="LOGIN", help="Whose queue is 'mine'.")
@output_options
@pass_app
def report_cmd(
    app: App,
    assignee: str | None,
    statuses: tuple[str, ...],
    customer: str | None,
    waiting: bool,
    overdue: bool,
    since: str | None,
    sort: str,
    as_login: str | None,
    fmt: str,
) -> None:
    """Active tickets: age, customer, subject, assignee, VS (replies), who wrote
    last (→ we answered, ← the customer waits), REOPENED and overdue marks.

    With no filter: the pool plus your own tickets.
    """
    since_at: datetime | None = None
    if since is not None:
        since_at = parse_due(since, "--since")
        if since_at is not None and len(since.strip()) == 10:
            since_at = since_at.replace(hour=0, minute=0, second=0)
    filtered = any((statuses, customer, waiting, overdue, since_at))
    if assignee is None and filtered:
        assignee = "*"
    app.db  # noqa: B018
    emit(
        report_rows(
            now=now(),
            assignee=assignee,
            current_user=app.actor(as_login),
            statuses=statuses,
            customer=customer,
            waiting=waiting,
            overdue=overdue,
            since=since_at,
            sort=sort,
        ),
        TABLE_COLUMNS if fmt == "table" else COLUMNS,
        fmt,
        wide=("subject",),
        bold=("marks",),
    )

"""Who carries what now (open, waiting, over a goal), and the work time
logged in a period."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketcli.errors import UsageError
from ticketcli.reports.goals import breaches
from ticketcli.reports.groups import NO_VALUE, name, name_order
from ticketcli.store import stats as aggregates

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from ticketcli.config import Config

WORKLOAD_KEYS = (
    "assignee",
    "open",
    "waiting",
    "oldest_waiting_at",
    "oldest_waiting_number",
    "overdue",
    "work_minutes",
)
WORK_TIME_KEYS = ("group", "minutes", "tickets")
WORK_GROUPS = ("customer", "assignee")


def workload(
    *,
    config: Config,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    late: Mapping[int, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Per assignee (every active agent, and ``NO_VALUE`` for the pool): rows
    with the keys of ``WORKLOAD_KEYS``. ``late``: ``breaches()`` when the
    caller has it already (the morning report needs it twice).

    open: active tickets; waiting: those where the customer wrote last, the
    oldest being the one waiting longest since our last reply (its first
    unanswered mail's time, naive UTC); overdue: those breaching a goal now;
    work_minutes: time logged by that login in [start, end) (all time
    without bounds).
    """
    tickets = aggregates.active_tickets()
    waiting_since = aggregates.waiting_since()
    overdue = breaches(config=config, now=now) if late is None else late
    rows: dict[str, dict[str, Any]] = {}

    def row(login: str) -> dict[str, Any]:
        if login not in rows:
            rows[login] = dict.fromkeys(WORKLOAD_KEYS, 0) | {
                "assignee": login,
                "oldest_waiting_at": None,
                "oldest_waiting_number": None,
            }
        return rows[login]

    row(NO_VALUE)
    for login in aggregates.active_agent_logins():
        row(login)
    oldest: dict[str, tuple[datetime, int]] = {}
    for ticket in tickets:
        login = ticket.assignee or NO_VALUE
        target = row(login)
        target["open"] += 1
        target["overdue"] += ticket.number in overdue
        if ticket.waiting:
            target["waiting"] += 1
            since = waiting_since.get(ticket.number, ticket.created_at)
            if login not in oldest or (since, ticket.number) < oldest[login]:
                oldest[login] = (since, ticket.number)
    for login, (since, number) in oldest.items():
        rows[login]["oldest_waiting_at"] = since
        rows[login]["oldest_waiting_number"] = number
    for item in work_time(start=start, end=end, by="assignee"):
        if item["group"] != NO_VALUE:
            row(item["group"])["work_minutes"] = item["minutes"]
    return [rows[k] for k in sorted(rows, key=name_order)]


def work_time(
    *, start: datetime | None, end: datetime | None, by: str
) -> list[dict[str, Any]]:
    """Logged work time (``ticketcli time``) in [start, end) per customer or
    per the login who logged it, most minutes first: ``WORK_TIME_KEYS``."""
    if by not in WORK_GROUPS:
        raise UsageError(f"--work-time: {by!r} is not one of {', '.join(WORK_GROUPS)}")
    per = "agent" if by == "assignee" else "customer"
    out: list[dict[str, Any]] = [
        {"group": name(row.group), "minutes": row.minutes, "tickets": row.tickets}
        for row in aggregates.work_time(start=start, end=end, per=per)
    ]
    out.sort(key=lambda r: (-r["minutes"], name_order(r["group"])))
    return out

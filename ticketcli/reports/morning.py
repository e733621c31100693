"""The morning report's model: every figure the lead's mail shows.

Raw figures only -- seconds, counts, shares, naive UTC datetimes, logins --
so that it can be checked against ``ticketcli stats`` and rendered in any
language (``ticketcli.render.html`` draws and words it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketcli.config import REPORT_LANGUAGES
from ticketcli.desk.absence import absence_rows
from ticketcli.reports.due import due_within
from ticketcli.reports.goals import breaches
from ticketcli.reports.groups import NO_VALUE
from ticketcli.reports.listing import listed_tickets
from ticketcli.reports.load import load
from ticketcli.reports.names import Names, names
from ticketcli.reports.periods import (
    display_zone_name,
    holidays_by_language,
    report_bounds,
    zone_name,
)
from ticketcli.reports.summary import period_tickets, summary
from ticketcli.reports.trend import frt_trend
from ticketcli.reports.workload import work_time, workload
from ticketcli.store import stats as aggregates

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import datetime, timedelta

    from ticketcli.config import Config, GoalSet
    from ticketcli.reports.listing import ListedTicket

# Ticket lists stop here (the rest is counted): a mail is not a listing.
LIST_LIMIT = 10
# The agents, top customers and absences shown at most (the rest counted),
# and the weeks of the trend, whatever [report] asks: the mail stays small.
ROW_LIMIT = 25
TREND_LIMIT = 26


def report_model(config: Config, now: datetime, period: str = "week") -> dict[str, Any]:
    """Every figure the report shows, for the whole days of ``period`` up to
    the last local midnight (``report_bounds``).

    summary: `stats`' overall row; goals: attainment per goal; trend: the
    weekly FRT rows (``frt_goal`` beside them); load: mail per weekday and
    hour (``matrix[weekday][hour]``); assignees and customers: workload and
    the period's figures; away: absences; due_soon: goals falling due
    within the next business hour (``reports.due``); pool / overdue /
    reopened: the first ``LIST_LIMIT`` tickets of each. Every list has its ``*_total``
    beside it and stops at a limit (the busiest ``ROW_LIMIT`` agents, the
    ``[report] top_customers`` up to ``ROW_LIMIT``, ``TREND_LIMIT`` weeks):
    however many tickets, customers and agents, the mail stays small.
    """
    # One read of the active tickets for the goals, the workload and the
    # due list; each ticket's durations worked out once for all three
    # summaries: the report's work is the period's and the active tickets',
    # however long the history.
    with aggregates.shared_reads():
        return _model(config, now, period)


def _model(config: Config, now: datetime, period: str) -> dict[str, Any]:
    tz = zone_name(config)
    start, end = report_bounds(period, now, tz)
    tickets = period_tickets(start=start, end=end, config=config, now=now)

    def summarised(by: str | None) -> list[dict[str, Any]]:
        return summary(
            start=start, end=end, by=by, config=config, now=now, tickets=tickets
        )

    [overall] = summarised(None)
    by_assignee, by_customer = summarised("assignee"), summarised("customer")
    late = breaches(config=config, now=now)  # workload and lists alike
    goals = config.goals.default if config.goals is not None else None
    return {
        "period": period,
        "start": start,
        "end": end,
        "now": now,
        "zone": tz,
        "display_zone": display_zone_name(config),
        # Durations are business time when [hours] is set: the report says so.
        "business_hours": config.hours is not None,
        # People and customers by name (login -> name, code -> name).
        **names_of(names()),
        "holidays": holidays_by_language(config, start, end, REPORT_LANGUAGES),
        "summary": overall,
        "goals": goal_rows(overall, goals),
        "trend": frt_trend(
            weeks=min(config.report.trend_weeks, TREND_LIMIT), config=config, now=now
        ),
        "frt_goal": _seconds(goals.first_response) if goals else None,
        "load": load(start=start, end=end, tz=tz)["matrix"],
        **capped(
            "assignees",
            assignee_rows(
                workload(config=config, now=now, start=start, end=end, late=late),
                by_assignee,
            ),
            key=lambda row: -row["open"],
        ),
        **top_customers(
            customer_rows(
                by_customer, work_time(start=start, end=end, by="customer"), None
            ),
            min(config.report.top_customers, ROW_LIMIT),
        ),
        **capped("away", absence_rows(now)),
        **capped("due_soon", due_within(config, now), LIST_LIMIT),
        **ticket_lists(
            listed_tickets(now=now, late=late, assignee="*", sort="age"), now
        ),
    }


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def _named(group: str | None) -> str | None:
    """Stats call "no assignee / no customer" "(none)"; the report leaves
    it unnamed, for the reader's language."""
    return None if group in (None, NO_VALUE) else group


def attained(median: int | None, target: int, breaches: int) -> bool | None:
    """Met: the period's median within the target; None: nothing to
    measure in the period (no median and no breach). A breach with no
    median (unanswered past the goal) is a goal missed."""
    if median is None:
        return False if breaches else None
    return median <= target


def goal_rows(
    summary: Mapping[str, Any], goals: GoalSet | None
) -> list[dict[str, Any]]:
    """Goal attainment per goal (``attained``): met, missed, or None when
    there is nothing to measure in the period."""
    if goals is None:
        return []
    rows = []
    for name, goal, prefix in (
        ("first_response", goals.first_response, "frt"),
        ("resolution", goals.resolution, "resolution"),
    ):
        if goal is None:
            continue
        median = summary[f"{prefix}_median"]
        target = int(goal.total_seconds())
        rows.append(
            {
                "name": name,
                "goal": target,
                "median": median,
                "breaches": summary[f"{prefix}_breaches"],
                "within": summary.get(f"{prefix}_within_goal"),
                "met": attained(median, target, summary[f"{prefix}_breaches"]),
            }
        )
    return rows


def assignee_rows(
    workload: Iterable[Mapping[str, Any]], summary: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Workload now, joined with the period's figures, per agent. The pool
    (no assignee) has its own list below, so it is left out here, and so is
    an agent with nothing open, nothing done and no time logged."""
    figures = {row["group"]: row for row in summary}
    rows = []
    for load_row in workload:
        login = _named(load_row["assignee"])
        period = figures.get(load_row["assignee"], {})
        row = {
            **dict(load_row),
            "closed": period.get("closed", 0),
            "frt_median": period.get("frt_median"),
        }
        if login and (row["open"] or row["closed"] or row["work_minutes"]):
            rows.append(row)
    return rows


def customer_rows(
    summary: Iterable[Mapping[str, Any]],
    work: Iterable[Mapping[str, Any]],
    top: int | None,
) -> list[dict[str, Any]]:
    """The ``top`` customers (None: all) who wrote most in the period,
    busiest first."""
    minutes = {row["group"]: row["minutes"] for row in work}
    rows = [
        {
            **dict(row),
            "customer": _named(row["group"]),
            "work_minutes": minutes.get(row["group"], 0),
        }
        for row in summary
        if row["created"]
    ]
    rows.sort(
        key=lambda r: (
            r["customer"] is None,
            -r["created"],
            -r["backlog"],
            r["customer"] or "",
        )
    )
    named = [r for r in rows if r["customer"] is not None]
    # The tickets of no customer are no customer: last, never among the top.
    return named[:top] + [r for r in rows if r["customer"] is None]


def top_customers(rows: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """The busiest ``limit`` customers (``capped``), and apart from them
    ``no_customer``: the row of the tickets without one, or None."""
    named = [r for r in rows if r["customer"] is not None]
    rest = next((r for r in rows if r["customer"] is None), None)
    return {**capped("customers", named, limit), "no_customer": rest}


def names_of(known: Names) -> dict[str, Any]:
    """``agent_names`` and ``customer_names`` for the report's filters."""
    return {"agent_names": known.agents, "customer_names": known.customers}


def capped(
    name: str,
    rows: list[dict[str, Any]],
    limit: int = ROW_LIMIT,
    key: Callable[[dict[str, Any]], Any] | None = None,
) -> dict[str, Any]:
    """``{name: rows[:limit], name_total: len(rows)}``, for the report's
    "… and N more"; with ``key``, the ``limit`` rows that sort first by it
    (the busiest agents), still in their own order."""
    kept = rows[:limit]
    if key is not None and len(rows) > limit:
        first = sorted(range(len(rows)), key=lambda i: key(rows[i]))[:limit]
        kept = [rows[i] for i in sorted(first)]
    return {name: kept, f"{name}_total": len(rows)}


def ticket_lists(tickets: Iterable[ListedTicket], now: datetime) -> dict[str, Any]:
    """The pool, the overdue (past the due date or over a goal) and the
    REOPENED tickets, oldest first, from one pass over the active tickets;
    and how many are over a goal now."""
    lists: dict[str, list[dict[str, Any]]] = {"pool": [], "overdue": [], "reopened": []}
    over_goal = 0
    for listed in tickets:
        row = listed.row
        due = row.due_at
        ticket = {
            "number": row.number,
            "subject": row.subject,
            "customer": row.customer,
            "assignee": row.assignee,
            "status": row.status,
            "created_at": row.created_at,
            "due_at": due if due is not None and due < now else None,
            "goals": list(listed.breaches),
            "away": row.away_owner,
            "age": int((now - row.created_at).total_seconds()),
            "waiting": row.last_direction != "outbound",  # the customer waits
        }
        over_goal += bool(ticket["goals"])
        if row.assignee is None:
            lists["pool"].append(ticket)
        if listed.overdue:
            lists["overdue"].append(ticket)
        if row.reopened:
            lists["reopened"].append(ticket)
    out: dict[str, Any] = {"over_goal": over_goal}
    for name, rows in lists.items():
        out[name] = rows[:LIST_LIMIT]
        out[f"{name}_total"] = len(rows)
    return out

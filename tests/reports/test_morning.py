"""reports.morning's pieces over hand-made rows: goals met or missed, who
is listed among the agents and customers, the pool / overdue / REOPENED
lists."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ticketcli.config import GoalSet
from ticketcli.reports.listing import ListedTicket, is_overdue
from ticketcli.reports.morning import (
    LIST_LIMIT,
    assignee_rows,
    customer_rows,
    goal_rows,
    ticket_lists,
    top_customers,
)
from ticketcli.store.queries import ReportRow

NOW = datetime(2026, 3, 6, 12, 0)


def ticket(number: int, **fields: Any) -> ReportRow:
    values: dict[str, Any] = {
        "number": number,
        "subject": f"Ticket {number}",
        "status": "open",
        "priority": "normal",
        "type": None,
        "customer": "KUND",
        "assignee": "kadri",
        "created_at": NOW - timedelta(hours=number),
        "last_message_at": NOW,
        "last_direction": "inbound",
        "message_count": 1,
        "reopened": False,
        "due_at": None,
        "away_owner": None,
    }
    return ReportRow(**(values | fields))


def test_goals_met_missed_or_not_measured() -> None:
    summary = {
        "frt_median": 1800,
        "frt_breaches": 1,
        "frt_within_goal": 0.75,
        "resolution_median": None,
        "resolution_breaches": 0,
    }
    goals = GoalSet(first_response=timedelta(hours=1), resolution=timedelta(days=1))
    assert goal_rows(summary, goals) == [
        {"name": "first_response", "goal": 3600, "median": 1800, "breaches": 1,
         "within": 0.75, "met": True},
        {"name": "resolution", "goal": 86400, "median": None, "breaches": 0,
         "within": None, "met": None},
    ]  # fmt: skip
    missed = goal_rows({**summary, "frt_median": 3601}, goals)[0]
    assert missed["met"] is False
    # No ticket answered, yet one waits past the goal: missed, not "no data".
    unanswered = {**summary, "frt_median": None, "frt_breaches": 2}
    assert goal_rows(unanswered, goals)[0]["met"] is False
    assert goal_rows(summary, GoalSet(resolution=timedelta(days=1)))[0]["name"] == (
        "resolution"
    )
    assert goal_rows(summary, None) == []


def test_agents_without_anything_and_the_pool_are_left_out() -> None:
    workload = [
        {"assignee": "anna", "open": 0, "work_minutes": 0},
        {"assignee": "kadri", "open": 2, "work_minutes": 0},
        {"assignee": "lead", "open": 0, "work_minutes": 30},
        {"assignee": "mati", "open": 0, "work_minutes": 0},
        {"assignee": "(none)", "open": 5, "work_minutes": 0},
    ]
    summary = [
        {"group": "mati", "closed": 1, "frt_median": 600},
        {"group": "kadri", "closed": 0, "frt_median": None},
    ]
    rows = assignee_rows(workload, summary)
    assert [(r["assignee"], r["closed"], r["frt_median"]) for r in rows] == [
        ("kadri", 0, None),
        ("lead", 0, None),
        ("mati", 1, 600),
    ]


def test_top_customers_busiest_first() -> None:
    summary = [
        {"group": "(none)", "created": 3, "backlog": 1},
        {"group": "FIRMA", "created": 3, "backlog": 2},
        {"group": "KUND", "created": 5, "backlog": 0},
        {"group": "IDLE", "created": 0, "backlog": 4},
    ]
    work = [{"group": "KUND", "minutes": 45}]
    rows = customer_rows(summary, work, top=2)
    # "No customer" ties FIRMA on tickets, yet is no customer: never among
    # the top, always last, apart.
    assert [(r["customer"], r["work_minutes"]) for r in rows] == [
        ("KUND", 45),
        ("FIRMA", 0),
        (None, 0),
    ]
    everyone = [{**summary[0], "created": 50}, *summary[1:]]
    assert customer_rows(everyone, work, top=10)[-1]["customer"] is None
    top = top_customers(customer_rows(everyone, work, None), 1)
    assert [r["customer"] for r in top["customers"]] == ["KUND"]
    assert (top["customers_total"], top["no_customer"]["created"]) == (2, 50)
    assert top_customers([], 5)["no_customer"] is None


def test_ticket_lists_from_one_pass() -> None:
    rows = [
        ticket(1, assignee=None, away_owner="kadri"),
        ticket(2, reopened=True, last_direction="outbound"),
        ticket(3, due_at=NOW - timedelta(minutes=1)),
        ticket(4, due_at=NOW + timedelta(days=1)),
    ]
    late = {4: ("open_max",)}
    listed = [
        ListedTicket(r, is_overdue(r, late.get(r.number, ()), NOW),
                     late.get(r.number, ()))
        for r in rows
    ]  # fmt: skip
    lists = ticket_lists(listed, NOW)
    assert lists["over_goal"] == 1
    assert [t["number"] for t in lists["pool"]] == [1]
    assert [t["number"] for t in lists["overdue"]] == [3, 4]
    assert [t["number"] for t in lists["reopened"]] == [2]
    pooled, reopened = lists["pool"][0], lists["reopened"][0]
    assert (pooled["away"], pooled["waiting"], pooled["age"]) == ("kadri", True, 3600)
    assert reopened["waiting"] is False
    # A due date shows only once it has passed; the goals it breaches by name.
    overdue = {t["number"]: t for t in lists["overdue"]}
    assert overdue[3]["due_at"] == NOW - timedelta(minutes=1)
    assert (overdue[4]["due_at"], overdue[4]["goals"]) == (None, ["open_max"])


def test_ticket_lists_stop_at_the_limit_and_count_the_rest() -> None:
    many = [
        ListedTicket(ticket(n, assignee=None), False, ())
        for n in range(1, LIST_LIMIT + 4)
    ]
    lists = ticket_lists(many, NOW)
    assert (len(lists["pool"]), lists["pool_total"]) == (LIST_LIMIT, LIST_LIMIT + 3)
    assert (lists["overdue"], lists["overdue_total"]) == ([], 0)

"""The `report` listing as rows for ``emit``: one dict per ticket with the
keys scripts rely on (the same for json, jsonl and csv), and the words
people read in the table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketcli.render.formats import age_seconds, arrow, calendar_age, marks, person

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from datetime import datetime

    from ticketcli.reports.listing import ListedTicket
    from ticketcli.reports.names import Names

# --format json/jsonl/csv: every key, machine values only (seconds as
# ints, times as ISO 8601, lists as lists).
COLUMNS = (
    "number",
    "created_at",
    "age_seconds",  # calendar time since created_at
    "customer",  # the customer's code, else its name
    "customer_name",
    "subject",
    "assignee",  # login
    "assignee_name",
    "status",
    "vs",  # messages on the ticket, both ways
    "last_direction",  # "inbound": the customer wrote last and waits
    "last_message_at",
    "reopened",
    "overdue",  # past due_at, or over a goal (``breaches`` names which)
    "breaches",
    "priority",
    "type",
    "due_at",
    "away_owner",  # the absent owner a ticket is held for or kept by
    "tags",
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
    "tags",
)


def listing_rows(
    tickets: Iterable[ListedTicket], now: datetime, names: Names | None = None
) -> Iterator[dict[str, Any]]:
    """Each ticket as scripts read it, as of ``now``: the keys of
    ``COLUMNS``, no more (jsonl writes the whole row)."""
    for listed in tickets:
        t = listed.row
        yield {
            "number": t.number,
            "created_at": t.created_at,
            "age_seconds": age_seconds(t.created_at, now),
            "customer": t.customer,
            "customer_name": names.customer(t.customer) if names else None,
            "subject": t.subject,
            "assignee": t.assignee,
            "assignee_name": names.agent(t.assignee) if names else None,
            "status": t.status,
            "vs": t.message_count,
            "last_direction": t.last_direction,
            "last_message_at": t.last_message_at,
            "reopened": t.reopened,
            "overdue": listed.overdue,
            "breaches": list(listed.breaches),
            "priority": t.priority,
            "type": t.type,
            "due_at": t.due_at,
            "away_owner": t.away_owner,
            "tags": list(t.tags),
        }


def table_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A listing row for people: its age in calendar time ("3 d"), people
    and customers by name ("Anna Tamm (anna)"), who wrote last (→ / ←)
    and its marks (REOPENED OVERDUE AWAY:login)."""
    return {
        "number": row["number"],
        "age": calendar_age(row["age_seconds"]),
        "customer": person(row["customer"], row["customer_name"]),
        "subject": row["subject"],
        "assignee": person(row["assignee"], row["assignee_name"]),
        "status": row["status"],
        "vs": row["vs"],
        "last": arrow(row["last_direction"]),
        "marks": marks(
            reopened=row["reopened"],
            overdue=row["overdue"],
            away_owner=row["away_owner"],
        ),
        "priority": row["priority"],
        "tags": row["tags"],
    }

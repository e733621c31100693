"""The `report` listing as rows for ``emit``: one dict per ticket, with the
keys scripts rely on and the words people read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketcli.render.formats import age, arrow, marks

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime

    from ticketcli.reports.listing import ListedTicket

# --format json/jsonl/csv
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
    tickets: Iterable[ListedTicket], now: datetime
) -> Iterator[dict[str, Any]]:
    """Each ticket with its age ("3d"), who wrote last (→ / ←) and its marks
    (REOPENED OVERDUE AWAY:login) as of ``now``."""
    for listed in tickets:
        t = listed.row
        yield {
            "number": t.number,
            "age": age(t.created_at, now),
            "customer": t.customer,
            "subject": t.subject,
            "assignee": t.assignee,
            "status": t.status,
            "vs": t.message_count,
            "last": arrow(t.last_direction),
            "reopened": t.reopened,
            "overdue": listed.overdue,
            "breaches": list(listed.breaches),
            "away_owner": t.away_owner,
            "marks": marks(
                reopened=t.reopened, overdue=listed.overdue, away_owner=t.away_owner
            ),
            "priority": t.priority,
            "type": t.type,
            "due_at": t.due_at,
            "created_at": t.created_at,
            "last_message_at": t.last_message_at,
            # A list for scripts; the table joins it with spaces.
            "tags": list(t.tags),
        }

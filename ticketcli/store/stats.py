"""The SQL aggregates behind `stats` and the morning report, as raw values.

Counting (created, closed, reopened, backlog, at risk, work time, mail load)
is grouped by the database, so a store of 100,000 tickets answers with a few
hundred rows. Durations need each ticket's own timeline -- first inbound
mail, first staff reply, events -- so for those the store hands over one
small row per ticket of the period, and ``ticketcli.reports`` does the
arithmetic (business hours, medians, goals).

Nothing here knows a period, a goal or a label: times are naive UTC
datetimes, counts ints, and a group is the raw value it was grouped by --
a login, a customer's code (else its name), a type or a source (None or ""
when the ticket has none), or for ``"opened"`` the UTC quarter hour the
ticket was opened in (every time zone's offset is a whole number of quarter
hours, so each such bucket falls in one local hour: grouping by it in SQL
and mapping it to local time above is exact, DST included).

A ticket belongs to one group for every figure: its current assignee,
customer, type or source. Merged tickets (pointers into another ticket)
count nowhere.
"""

from __future__ import annotations

import contextlib
import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from peewee import PostgresqlDatabase

from ticketcli.store.absences import owner_away_sql
from ticketcli.store.models import ACTIVE_SQL, bound_database
from ticketcli.store.sql import Sql, to_datetime

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# What tickets can be grouped by; None groups them all as one.
# "tag": a ticket counts once in each of its tags, untagged ones in None.
GROUP_KEYS = ("assignee", "customer", "type", "source", "opened", "tag")
# Whose logged work time: the ticket's customer, or the agent who logged it.
WORK_KEYS = ("customer", "agent")

# A ticket event as the metrics read it: (kind, at, detail).
Event = tuple[str, datetime, str]

# Literal (not bound) so the planner can use the partial index "ticket_active".
_ACTIVE = f"t.status IN {ACTIVE_SQL}"
_STATUS_EVENTS = "('created', 'assigned', 'unassigned', 'closed', 'reopened', 'status')"
_JOINS = (
    " LEFT JOIN agent a ON a.id = t.assignee_id"
    " LEFT JOIN customer c ON c.id = t.customer_id"
)
_TAG_JOIN = " LEFT JOIN ticket_tag tt ON tt.ticket_id = t.id"
# The tickets of a period's durations: opened in it (FRT), last closed in it
# (resolution); both take (start, end).
_OPENED = "t.created_at >= ? AND t.created_at < ? AND t.status <> 'merged'"
_CLOSED = "t.status = 'closed' AND t.closed_at >= ? AND t.closed_at < ?"


def _joins(key: str | None) -> str:
    """The ticket's assignee and customer; its tags only when grouped by
    them (a row per tag)."""
    return _JOINS + _TAG_JOIN if key == "tag" else _JOINS


# --- SQL plumbing ---------------------------------------------------------------


def _at(value: Any) -> datetime:
    """A time the query guarantees (NOT NULL, or MIN over a non-empty group)."""
    moment = to_datetime(value)
    assert moment is not None
    return moment


def _sql() -> Sql:
    """Plain SQL on whatever store the models are bound to."""
    return Sql(bound_database())


def _postgres() -> bool:
    return isinstance(bound_database(), PostgresqlDatabase)


def _quarter(column: str) -> str:
    """The UTC quarter hour of a time as text "YYYY-MM-DD HH:q" (q = 0..3)."""
    if _postgres():
        return (
            f"to_char({column}, 'YYYY-MM-DD HH24:')"
            f" || CAST(CAST(EXTRACT(MINUTE FROM {column}) AS INTEGER) / 15 AS TEXT)"
        )
    return (
        f"substr({column}, 1, 14)"
        f" || CAST(CAST(substr({column}, 15, 2) AS INTEGER) / 15 AS TEXT)"
    )


def _quarter_start(text: str) -> datetime:
    """The start of the quarter hour ``_quarter`` wrote as text."""
    hour = text[:13].replace("T", " ")  # an ISO "T" from another writer
    return datetime.strptime(hour, "%Y-%m-%d %H") + timedelta(
        minutes=15 * int(text[14:])
    )


def _group_expression(key: str | None) -> str:
    if key is None:
        return "'all'"
    if key not in GROUP_KEYS:
        raise ValueError(f"no such group key: {key!r}")
    if key == "opened":
        return _quarter("t.created_at")
    return {
        "assignee": "a.login",
        "customer": "COALESCE(c.code, c.name)",
        "type": "t.type",
        "source": "t.source",
        "tag": "tt.tag",
    }[key]


def _group_value(key: str | None, value: Any) -> Any:
    """The raw group of a row: None for "all", a quarter's start for "opened"."""
    if key is None:
        return None
    if key == "opened":
        return _quarter_start(value)
    return value


def _counts(key: str | None, where: str, params: tuple[Any, ...]) -> dict[Any, int]:
    """{group: tickets} of the tickets ``where`` selects (``t`` the ticket)."""
    totals: dict[Any, int] = defaultdict(int)
    for value, count in _sql().all(
        f"SELECT {_group_expression(key)}, COUNT(*) FROM ticket t{_joins(key)}"
        f" WHERE {where} GROUP BY 1",
        params,
    ):
        totals[_group_value(key, value)] += int(count or 0)
    return dict(totals)


def _events_by_ticket(sql: str, params: tuple[Any, ...] = ()) -> dict[int, list[Event]]:
    """{ticket: [(kind, at, detail), ...]} from rows (id, kind, at, detail)."""
    events: dict[int, list[Event]] = defaultdict(list)
    for number, kind, at, detail in _sql().all(sql, params):
        events[number].append((kind, _at(at), detail or ""))
    return events


# --- counts per group -------------------------------------------------------------


def created_counts(key: str | None, start: datetime, end: datetime) -> dict[Any, int]:
    """Tickets opened in [start, end), per group."""
    return _counts(
        key,
        "t.created_at >= ? AND t.created_at < ? AND t.status <> 'merged'",
        (start, end),
    )


def event_counts(
    key: str | None, kind: str, start: datetime, end: datetime
) -> dict[Any, int]:
    """Tickets with a ``kind`` event ("closed", "reopened") in [start, end), each
    once however often, per group."""
    totals: dict[Any, int] = defaultdict(int)
    for value, count in _sql().all(
        f"SELECT {_group_expression(key)}, COUNT(DISTINCT t.id)"
        f" FROM event e JOIN ticket t ON t.id = e.ticket_id{_joins(key)}"
        " WHERE e.kind = ? AND e.at >= ? AND e.at < ? AND t.status <> 'merged'"
        " GROUP BY 1",
        (kind, start, end),
    ):
        totals[_group_value(key, value)] += int(count or 0)
    return dict(totals)


def backlog_counts(key: str | None, end: datetime, now: datetime) -> dict[Any, int]:
    """Tickets open at ``end`` (opened before it, not closed at that moment),
    per group; ``now`` tells a running period (read the statuses as they
    are) from a past one (read them from the history)."""
    if end >= now:
        return _counts(key, f"{_ACTIVE} AND t.created_at < ?", (end,))
    # A ticket with no close or reopen since `end` was in the state it is in
    # now: active then iff active now. That is nearly every ticket, and the
    # (kind, at) index finds the few others, whose state at `end` is read
    # from their last close and reopen before it.
    changed = (
        "SELECT ticket_id FROM event WHERE kind IN ('closed', 'reopened') AND at >= ?"
    )
    totals = _counts(
        key,
        f"{_ACTIVE} AND t.created_at < ? AND t.id NOT IN ({changed})",
        (end, end),
    )
    for value, count in _sql().all(
        f"SELECT {_group_expression(key)}, COUNT(*) FROM ticket t{_joins(key)}"
        " LEFT JOIN (SELECT e.ticket_id,"
        " MAX(CASE WHEN e.kind = 'closed' THEN e.at END) AS closed_at,"
        " MAX(CASE WHEN e.kind = 'reopened' THEN e.at END) AS reopened_at"
        " FROM event e WHERE e.kind IN ('closed', 'reopened') AND e.at < ?"
        f" AND e.ticket_id IN ({changed}) GROUP BY e.ticket_id) x"
        " ON x.ticket_id = t.id"
        f" WHERE t.created_at < ? AND t.status <> 'merged' AND t.id IN ({changed})"
        " AND (x.closed_at IS NULL OR x.reopened_at >= x.closed_at) GROUP BY 1",
        (end, end, end, end),
    ):
        group = _group_value(key, value)
        totals[group] = totals.get(group, 0) + int(count or 0)
    return totals


def owner_away_counts(key: str | None, now: datetime) -> dict[Any, int]:
    """Active tickets whose assignee is away at ``now``, per group."""
    return _counts(key, f"{_ACTIVE} AND {owner_away_sql('t')}", (now, now))


# --- one read per report ---------------------------------------------------------

_R = TypeVar("_R")
# Open ``shared_reads``, innermost last: {(read, database): what it returned}.
_shared: list[dict[tuple[str, int], Any]] = []


@contextlib.contextmanager
def shared_reads() -> Iterator[None]:
    """Within it, each read of the active tickets (``active_tickets``,
    ``first_unanswered_inbound``, ``active_status_events``,
    ``waiting_since``) runs once and is then handed out again: the morning
    report asks for them from its goals, its workload and its due list, all
    about one moment, and nothing is written in between. Callers must not
    change what they are handed."""
    _shared.append({})
    try:
        yield
    finally:
        _shared.pop()


def _once_per_shared_read(read: Callable[[], _R]) -> Callable[[], _R]:
    @functools.wraps(read)
    def held() -> _R:
        if not _shared:
            return read()
        memo = _shared[-1]
        key = (read.__name__, id(bound_database()))
        if key not in memo:
            memo[key] = read()
        return memo[key]  # type: ignore[no-any-return]

    return held


# --- one row per ticket ---------------------------------------------------------


class OpenedTicket(NamedTuple):
    """A ticket opened in a period, with its first-response facts. (A
    named tuple: a trend reads thousands, and a frozen dataclass costs
    three times as much to make.)"""

    number: int
    group: Any
    priority: str
    created_at: datetime
    first_inbound: datetime | None  # None: only staff wrote
    first_response_at: datetime | None  # None: not answered yet
    replies: int  # staff replies (outbound mail of kind ticket)


def opened_tickets(
    key: str | None, start: datetime, end: datetime
) -> list[OpenedTicket]:
    """Tickets opened in [start, end): first inbound mail, first reply, replies."""
    rows = _sql().all(
        f"SELECT t.id, {_group_expression(key)}, t.priority, t.created_at,"
        " t.first_response_at,"
        " MIN(CASE WHEN m.direction = 'inbound' THEN m.date END),"
        " SUM(CASE WHEN m.direction = 'outbound' THEN 1 ELSE 0 END)"
        f" FROM ticket t{_joins(key)}"
        " LEFT JOIN message m ON m.ticket_id = t.id AND m.kind = 'ticket'"
        f" WHERE {_OPENED} GROUP BY 1, 2, 3, 4, 5",
        (start, end),
    )
    return [
        OpenedTicket(
            row[0],
            _group_value(key, row[1]),
            row[2],
            _at(row[3]),
            to_datetime(row[5]),
            to_datetime(row[4]),
            int(row[6] or 0),
        )
        for row in rows
    ]


class ClosedTicket(NamedTuple):
    """A ticket last closed in a period, with the events its resolution needs."""

    number: int
    group: Any
    priority: str
    created_at: datetime
    events: tuple[Event, ...]  # closed, reopened and status, in time order


def closed_tickets(
    key: str | None, start: datetime, end: datetime
) -> list[ClosedTicket]:
    """Tickets closed now whose last close fell in [start, end)."""
    where = _CLOSED
    tickets = _sql().all(
        f"SELECT t.id, {_group_expression(key)}, t.priority, t.created_at"
        f" FROM ticket t{_joins(key)} WHERE {where}",
        (start, end),
    )
    events = _events_by_ticket(
        "SELECT e.ticket_id, e.kind, e.at, e.detail FROM event e"
        f" JOIN ticket t ON t.id = e.ticket_id WHERE {where}"
        " AND e.kind IN ('closed', 'reopened', 'status')"
        " ORDER BY e.ticket_id, e.at, e.id",
        (start, end),
    )
    return [
        ClosedTicket(
            number=number,
            group=_group_value(key, value),
            priority=priority,
            created_at=_at(created_at),
            events=tuple(events.get(number, ())),
        )
        for number, value, priority, created_at in tickets
    ]


class ActiveTicket(NamedTuple):
    number: int
    assignee: str | None  # login
    priority: str
    status: str
    created_at: datetime
    first_response_at: datetime | None
    waiting: bool  # the customer wrote last


@_once_per_shared_read
def active_tickets() -> list[ActiveTicket]:
    """Every active (new, open, pending) ticket, in no particular order."""
    rows = _sql().all(
        "SELECT t.id, a.login, t.priority, t.status, t.created_at,"
        " t.first_response_at, t.last_direction FROM ticket t"
        f" LEFT JOIN agent a ON a.id = t.assignee_id WHERE {_ACTIVE}"
    )
    return [
        ActiveTicket(
            number=row[0],
            assignee=row[1],
            priority=row[2],
            status=row[3],
            created_at=_at(row[4]),
            first_response_at=to_datetime(row[5]),
            waiting=row[6] == "inbound",
        )
        for row in rows
    ]


@_once_per_shared_read
def first_unanswered_inbound() -> dict[int, datetime]:
    """Active tickets without a staff reply: when the customer first wrote."""
    rows = _sql().all(
        "SELECT m.ticket_id, MIN(m.date) FROM message m"
        " JOIN ticket t ON t.id = m.ticket_id"
        f" WHERE {_ACTIVE} AND t.first_response_at IS NULL"
        " AND m.kind = 'ticket' AND m.direction = 'inbound' GROUP BY m.ticket_id"
    )
    return {number: _at(at) for number, at in rows}


@_once_per_shared_read
def active_status_events() -> dict[int, list[Event]]:
    """The events that change an active ticket's status, per ticket, in order."""
    return _events_by_ticket(
        "SELECT e.ticket_id, e.kind, e.at, e.detail FROM event e"
        f" JOIN ticket t ON t.id = e.ticket_id WHERE {_ACTIVE}"
        f" AND e.kind IN {_STATUS_EVENTS} ORDER BY e.ticket_id, e.at, e.id"
    )


@_once_per_shared_read
def waiting_since() -> dict[int, datetime]:
    """Active tickets where the customer wrote last: their first mail since
    our last reply (how long they have been waiting for us)."""
    rows = _sql().all(
        "SELECT m.ticket_id, MIN(m.date) FROM message m"
        " JOIN ticket t ON t.id = m.ticket_id"
        f" WHERE {_ACTIVE} AND t.last_direction = 'inbound'"
        " AND m.kind = 'ticket' AND m.direction = 'inbound'"
        " AND NOT EXISTS (SELECT 1 FROM message o WHERE o.ticket_id = m.ticket_id"
        " AND o.kind = 'ticket' AND o.direction = 'outbound' AND o.date >= m.date)"
        " GROUP BY m.ticket_id"
    )
    return {number: _at(at) for number, at in rows}


def active_agent_logins() -> list[str]:
    """Logins of the agents who take tickets."""
    return [login for (login,) in _sql().all(
        "SELECT login FROM agent WHERE active = ?", (True,)
    )]  # fmt: skip


def _ticket_groups(
    key: str, where: str, start: datetime, end: datetime
) -> list[tuple[int, Any]]:
    """(ticket, group) of the tickets ``where`` selects, a row per group a
    ticket is in (tags: one per tag)."""
    return [
        (number, _group_value(key, value))
        for number, value in _sql().all(
            f"SELECT DISTINCT t.id, {_group_expression(key)} FROM ticket t"
            f"{_joins(key)} WHERE {where}",
            (start, end),
        )
    ]


def opened_groups(key: str, start: datetime, end: datetime) -> list[tuple[int, Any]]:
    """(ticket, group) of ``opened_tickets(key, start, end)``, without the
    mail: its rows grouped again, by another key."""
    return _ticket_groups(key, _OPENED, start, end)


def closed_groups(key: str, start: datetime, end: datetime) -> list[tuple[int, Any]]:
    """(ticket, group) of ``closed_tickets(key, start, end)``, without the
    events."""
    return _ticket_groups(key, _CLOSED, start, end)


# --- work time and mail load ----------------------------------------------------


@dataclass(frozen=True)
class WorkTime:
    group: str | None  # a customer's code (else name), or the login who logged
    minutes: int
    tickets: int


def work_time(
    *, start: datetime | None, end: datetime | None, per: str
) -> list[WorkTime]:
    """Work time logged (``ticketcli time``) in [start, end) (open ends: no
    bound) per ``"customer"`` or per ``"agent"`` who logged it; in no order."""
    if per not in WORK_KEYS:
        raise ValueError(f"no such work time key: {per!r}")
    expression = "w.agent" if per == "agent" else "COALESCE(c.code, c.name)"
    where, params = [], []
    if start is not None:
        where.append("w.at >= ?")
        params.append(start)
    if end is not None:
        where.append("w.at < ?")
        params.append(end)
    rows = _sql().all(
        f"SELECT {expression}, SUM(w.minutes), COUNT(DISTINCT w.ticket_id)"
        " FROM work_log w JOIN ticket t ON t.id = w.ticket_id"
        " LEFT JOIN customer c ON c.id = t.customer_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " GROUP BY 1",
        tuple(params),
    )
    return [
        WorkTime(group=value, minutes=int(minutes), tickets=int(count))
        for value, minutes, count in rows
    ]


def inbound_mail(start: datetime, end: datetime) -> dict[datetime, int]:
    """Customers' mail (inbound, kind ticket) in [start, end): {UTC quarter
    hour: messages}."""
    return {
        _quarter_start(bucket): int(count)
        for bucket, count in _sql().all(
            f"SELECT {_quarter('m.date')}, COUNT(*) FROM message m"
            " WHERE m.direction = 'inbound' AND m.kind = 'ticket'"
            " AND m.date >= ? AND m.date < ? GROUP BY 1",
            (start, end),
        )
    }

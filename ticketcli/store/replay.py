"""The store as it was at a past moment: what replaying a morning reads.

With ``TICKETCLI_NOW`` in the past, `stats` and `report` must count and
list only what existed then. Rather than teach every query a second,
historical form, ``as_of`` builds the store that then held only that past
-- in memory, from the real one -- and binds the models to it while the
report is made; every figure then follows by construction.

What existed at ``moment``: tickets whose first mail is dated by then,
mail dated by then, and events, work logged, absences and escalation
notices recorded by then (sync dates a mail's events by the mail, so a
mailbox read late replays as it was written). A ticket nothing has
touched since keeps its row as it is; the others get the status, owner,
close, REOPENED mark, due date and message times their history gives at
that moment (``rules.metrics``). Its priority, type, customer, queue and
tags are read as they are now: their history is not kept in full.

Only a pinned clock replays: with the clock running free, a mail dated in
the future is today's news. When nothing in the store is later than
``moment``, ``as_of`` changes nothing and costs two index look-ups.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ticketcli import lazy
from ticketcli.clock import pinned
from ticketcli.store.db import connect
from ticketcli.store.models import (
    Absence,
    AbsenceMove,
    Agent,
    Customer,
    EscalationNotice,
    Event,
    Message,
    Ticket,
    TicketTag,
    WorkLog,
    bind_models,
    bound_database,
)
from ticketcli.store.sql import Sql

if TYPE_CHECKING:
    from collections.abc import Iterator

    from peewee import Field

    from ticketcli.rules.metrics import status_since, ticket_times
    from ticketcli.store.models import BaseModel
else:  # the rules of a ticket's history: only for a replay (a clock in the past)
    status_since = lazy.function("ticketcli.rules.metrics:status_since")
    ticket_times = lazy.function("ticketcli.rules.metrics:ticket_times")

ACTIVE = ("new", "open", "pending")
_ASSIGNMENT = ("assigned", "unassigned")
# Not what a report reads, and the bulk of a store: left out of the copy.
_BODY = "body_text"

Rows = tuple[list[str], list[dict[str, Any]]]


def later_than(moment: datetime) -> bool:
    """Whether the store holds anything after ``moment``: an event (every
    mail, act and change has one) or a ticket first written later."""
    sql = Sql(bound_database())
    return bool(
        sql.one("SELECT 1 FROM event WHERE at > ? LIMIT 1", (moment,))
        or sql.one("SELECT 1 FROM ticket WHERE created_at > ? LIMIT 1", (moment,))
    )


@contextlib.contextmanager
def as_of(moment: datetime) -> Iterator[bool]:
    """The models bound to the store as it was at ``moment`` inside the
    block (yields True), or left as they are (False): when the clock runs
    free -- a mail dated in the future is news now, not a replay -- or when
    nothing in the store is later.
    """
    if pinned() is None or not later_than(moment):
        yield False
        return
    tables = _past(moment)
    past = connect("sqlite:///:memory:")
    try:
        # Rows go in table by table, a pointer (merged into) before its target.
        past.execute_sql("PRAGMA foreign_keys = OFF")
        with past.atomic():
            for model, (names, rows) in tables.items():
                _insert(past, model, names, rows)
        with bind_models(past):
            yield True
    finally:
        past.close()


def _insert(
    db: Any, model: type[BaseModel], names: list[str], rows: list[dict[str, Any]]
) -> None:
    """Rows into the in-memory SQLite copy in one ``executemany`` (peewee's
    own INSERT builder would take most of a replay's time), times written
    as peewee writes them there."""
    fields = [model._meta.fields[name] for name in names]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = ", ".join("?" for _ in fields)
    db.cursor().executemany(
        f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})',
        ([_stored(row[name]) for name in names] for row in rows),
    )


def _stored(value: Any) -> Any:
    """A value as SQLite keeps it: a time as ISO text with a space."""
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return value


def _select(model: type[BaseModel], where: Any = None, drop: str = "") -> Rows:
    """A table's rows (``where`` selects them) as dicts of its fields."""
    fields: list[Field] = [f for f in model._meta.sorted_fields if f.name != drop]
    names = [f.name for f in fields]
    query = model.select(*fields)
    if where is not None:
        query = query.where(where)
    return names, [dict(zip(names, row, strict=True)) for row in query.tuples()]


def _past(moment: datetime) -> dict[type[BaseModel], Rows]:
    """Every table a report reads, as it stood at ``moment``."""
    names, tickets = _select(Ticket, Ticket.created_at <= moment)
    kept = {t["id"] for t in tickets}
    message_names, messages = _select(Message, Message.date <= moment, drop=_BODY)
    messages = [m | {_BODY: ""} for m in messages if m["ticket"] in kept]
    message_names.append(_BODY)
    event_names, events = _select(Event, Event.at <= moment)
    events = [e for e in events if e["ticket"] in kept]
    sql = Sql(bound_database())
    later: dict[int, set[str]] = {}  # ticket: the kinds of its later events
    for number, kind in sql.all(
        "SELECT DISTINCT ticket_id, kind FROM event WHERE at > ?", (moment,)
    ):
        later.setdefault(number, set()).add(kind)
    touched = set(later) | {
        number
        for (number,) in sql.all(
            "SELECT DISTINCT ticket_id FROM message WHERE date > ?", (moment,)
        )
    }
    agents = {a.login: a.id for a in Agent.select(Agent.id, Agent.login)}
    by_ticket: dict[int, list[dict[str, Any]]] = {}
    for event in sorted(events, key=lambda e: (e["at"], e["id"])):
        by_ticket.setdefault(event["ticket"], []).append(event)
    mails: dict[int, list[tuple[datetime, str]]] = {}
    for message in messages:
        if message["kind"] == "ticket":
            mails.setdefault(message["ticket"], []).append(
                (message["date"], message["direction"])
            )
    for ticket in tickets:
        if ticket["id"] in touched and ticket["status"] != "merged":
            ticket.update(
                _ticket_then(
                    ticket,
                    by_ticket.get(ticket["id"], []),
                    mails.get(ticket["id"], []),
                    agents,
                    later.get(ticket["id"], set()),
                )
            )
    absence_names, absences = _select(Absence, Absence.created_at <= moment)
    for absence in absences:
        if absence["ended_at"] is not None and absence["ended_at"] > moment:
            absence["ended_at"] = None
            absence["ended_by"] = None
    tags = _select(TicketTag)
    notices = _select(EscalationNotice, EscalationNotice.at <= moment)
    return {
        Customer: _select(Customer),
        Agent: _select(Agent, Agent.created_at <= moment),
        Ticket: (names, tickets),
        Message: (message_names, messages),
        Event: (event_names, events),
        WorkLog: _select(WorkLog, WorkLog.at <= moment),
        TicketTag: (tags[0], [t for t in tags[1] if t["ticket"] in kept]),
        Absence: (absence_names, absences),
        AbsenceMove: _select(AbsenceMove, AbsenceMove.at <= moment),
        EscalationNotice: (notices[0], [n for n in notices[1] if n["ticket"] in kept]),
    }


def _ticket_then(
    ticket: dict[str, Any],
    events: list[dict[str, Any]],
    mails: list[tuple[datetime, str]],
    agents: dict[str, int],
    later: set[str],
) -> dict[str, Any]:
    """A touched ticket's columns as its history up to the moment gives them
    (``events`` and ``mails``: those up to then, in time order; ``later``:
    the kinds of event it had after the moment)."""
    values: dict[str, Any] = {}
    times = ticket_times(mails)
    if times is not None:
        values.update(
            created_at=times.created_at,
            last_message_at=times.last_message_at,
            last_direction=times.last_direction,
            first_response_at=times.first_response_at,
            message_count=times.message_count,
        )
    created_at = values.get("created_at", ticket["created_at"])
    history = [("created", created_at, "")] + [
        (e["kind"], e["at"], e["detail"]) for e in events if e["kind"] != "created"
    ]
    state = status_since(history)
    status = state[0] if state is not None else ticket["status"]
    values["status"] = status
    assignments = [e for e in events if e["kind"] in _ASSIGNMENT]
    if assignments:
        last = assignments[-1]
        words = (last["detail"] or "").split()
        login = words[0] if last["kind"] == "assigned" and words else None
        values["assignee"] = agents.get(login) if login else None
    elif later & set(_ASSIGNMENT):
        values["assignee"] = None  # given out only after the moment
    closes = [e["at"] for e in events if e["kind"] == "closed"]
    values["closed_at"] = (
        (closes[-1] if closes else None) if status == "closed" else None
    )
    reopens = [e["at"] for e in events if e["kind"] == "reopened"]
    replies = [at for at, direction in mails if direction == "outbound"]
    values["reopened"] = bool(
        status in ACTIVE
        and reopens
        and reopens[-1] > max(replies, default=datetime.min)
    )
    dues = [e["detail"] for e in events if e["kind"] == "due"]
    if dues:
        values["due_at"] = _due(dues[-1])
    elif "due" in later:
        values["due_at"] = None  # set only after the moment
    return values


def _due(detail: str) -> datetime | None:
    """A "due" event's value: the ISO time it set ("...Z"), or none."""
    text = (detail or "").strip()
    if not text or text == "none":
        return None
    try:
        return datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError:
        return None

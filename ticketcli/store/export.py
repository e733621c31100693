"""``export``'s lines written by SQLite itself (issue 18).

Read as driver tuples, a message is ten Python strings made and then
encoded again by ``json``: that, not the query, held the export under
100,000 messages/s. Here SQLite's ``json_quote`` writes each ticket's head
and each message as one JSON text, so Python makes one string per message
and only joins them. The text is what ``export_tickets`` rows become through
``render.output``'s jsonl encoder (``json.dumps`` with ``ensure_ascii=False``):
``json_quote`` escapes the same characters (quote, backslash, controls below
0x20, as ``\\n``/``\\t``/... or lowercase ``\\u00XX``) and leaves the rest as
it is; ``tests/store/test_export_identical.py`` holds the two to it.

PostgreSQL, and a SQLite store holding a time of a shape ticketcli never
writes, get no lines here (``None``): ``export_tickets`` reads those.
"""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from peewee import PostgresqlDatabase

from ticketcli.store.models import Ticket
from ticketcli.store.queries import EXPORT_TICKET_TIMES, odd_rows

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def _time(column: str) -> str:
    """A time of the usual shape (``2026-03-02 08:00:00[.123456]``) as the
    JSON text ``"2026-03-02T08:00:00Z"``, or ``null``: digits and signs, so
    no quoting."""
    return (
        f"""coalesce('"' || substr({column}, 1, 10) || 'T'"""
        f""" || substr({column}, 12, 8) || 'Z"', 'null')"""
    )


def _object(pairs: list[tuple[str, str]]) -> str:
    """SQL for the JSON text of an object, ``pairs`` of key and SQL JSON
    value, as ``json.dumps`` separates them (``", "``, ``": "``); the
    closing brace left to the caller when it adds keys."""
    parts = []
    for index, (key, value) in enumerate(pairs):
        lead = "{" if index == 0 else ", "
        parts.append(f"""'{lead}"{key}": ' || {value}""")
    return " || ".join(parts)


def _q(column: str) -> str:
    return f"json_quote({column})"


_HEAD = _object(
    [
        ("number", _q("t.id")),
        ("subject", _q("t.subject")),
        ("status", _q("t.status")),
        ("priority", _q("t.priority")),
        ("type", _q("t.type")),
        ("due_at", _time("t.due_at")),
        ("customer", _q("coalesce(nullif(c.code, ''), c.name)")),
        ("requester", _q("t.requester")),
        ("assignee", _q("a.login")),
        ("created_at", _time("t.created_at")),
        ("first_response_at", _time("t.first_response_at")),
        ("closed_at", _time("t.closed_at")),
        ("last_message_at", _time("t.last_message_at")),
        ("last_direction", _q("t.last_direction")),
        ("message_count", _q("t.message_count")),
        ("reopened", "CASE WHEN t.reopened THEN 'true' ELSE 'false' END"),
        ("source", _q("t.source")),
        ("merged_into", _q("t.merged_into_id")),
        ("queue", _q("t.queue")),
    ]
)

_MESSAGE = [
    ("message_id", _q("m.message_id")),
    ("direction", _q("m.direction")),
    ("kind", _q("m.kind")),
    ("from", _q("m.from_address")),
    ("date", _time("m.date")),
    ("rule", _q("m.rule")),
    ("rule_detail", _q("m.rule_detail")),
    ("subject", _q("m.subject")),
]

_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
_BATCH = 4096


def _rows(cursor: Any) -> Iterator[tuple[Any, ...]]:
    """A cursor's rows, fetched in big batches."""
    fetch = cursor.fetchmany
    while batch := fetch(_BATCH):
        yield from batch


def _joined(cursor: Any) -> Iterator[tuple[int, str]]:
    """(ticket, its values' JSON texts joined by ``", "``) from rows of
    (ticket, JSON text) in ticket order."""
    join = ", ".join
    for number, group in groupby(_rows(cursor), _FIRST):
        yield number, join(map(_SECOND, group))


def export_lines(bodies: bool = False) -> Iterator[str] | None:
    """Every ticket as its ``export`` JSON line (no newline), in number
    order, with its tags; ``bodies``: each message's text too. ``None`` where
    the database cannot write them (see the module's docstring)."""
    db = Ticket._meta.database
    if isinstance(db, PostgresqlDatabase):
        return None
    odd = odd_rows(db, "ticket", EXPORT_TICKET_TIMES)
    if odd or odd_rows(db, "message", ("t.date",)):
        return None
    return _lines(db, bodies)


def _lines(db: Any, bodies: bool) -> Iterator[str]:
    message = _MESSAGE + ([("body_text", _q("m.body_text"))] if bodies else [])
    run = db.execute_sql
    tickets = run(
        f"SELECT t.id, {_HEAD} FROM ticket t"
        " LEFT JOIN customer c ON c.id = t.customer_id"
        " LEFT JOIN agent a ON a.id = t.assignee_id ORDER BY t.id"
    )
    links = _joined(
        run(
            "SELECT ticket_id, json_quote(linked_id) FROM ticket_link"
            " ORDER BY ticket_id, linked_id"
        )
    )
    tags = _joined(
        run("SELECT ticket_id, json_quote(tag) FROM ticket_tag ORDER BY ticket_id, tag")
    )
    messages = _joined(
        run(
            f"SELECT m.ticket_id, {_object(message)} || '}}' FROM message m"
            " WHERE m.ticket_id IS NOT NULL ORDER BY m.ticket_id, m.date, m.id"
        )
    )
    linked_to, messages_of, tags_of = map(_picker, (links, messages, tags))
    for number, head in _rows(tickets):
        yield (
            f'{head}, "linked_to": [{linked_to(number)}],'
            f' "messages": [{messages_of(number)}], "tags": [{tags_of(number)}]}}'
        )


def _picker(pairs: Iterator[tuple[int, str]]) -> Callable[[int], str]:
    """For (ticket, text) pairs in ticket order, a function giving ticket
    ``number``'s text ("" for none), asked with rising numbers: a merge of
    the sorted streams, so no stream is held in memory."""
    current = next(pairs, None)

    def pick(number: int) -> str:
        nonlocal current
        while current is not None and current[0] < number:
            current = next(pairs, None)
        if current is not None and current[0] == number:
            return current[1]
        return ""

    return pick

"""`export` writes, byte for byte, what the model-per-row implementation
wrote (DESIGN, "Interfaces that scripts rely on"), on both backends, now
that its times come from SQL and its lines from one encoder -- or, on
SQLite, from SQLite's own ``json_quote`` (issue 18)."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import write_config
from tests.store.conftest import StoreCli, fill
from ticketcli.render.output import to_plain
from ticketcli.store.db import connect
from ticketcli.store.export import export_lines
from ticketcli.store.models import (
    ALL_MODELS,
    Message,
    Ticket,
    TicketLink,
    TicketTag,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import GenMailbox


def _reference(url: str, bodies: bool) -> str:
    """The export as models read it, one ticket and its messages at a time:
    the implementation before issue 18, kept here as the oracle."""
    db = connect(url, upgrade=False)
    lines = []
    with db.bind_ctx(ALL_MODELS):
        for t in Ticket.select().order_by(Ticket.id):
            customer = t.customer
            row: dict[str, Any] = {
                "number": t.id,
                "subject": t.subject,
                "status": t.status,
                "priority": t.priority,
                "type": t.type,
                "due_at": t.due_at,
                "customer": (customer.code or customer.name) if customer else None,
                "requester": t.requester,
                "assignee": t.assignee.login if t.assignee else None,
                "created_at": t.created_at,
                "first_response_at": t.first_response_at,
                "closed_at": t.closed_at,
                "last_message_at": t.last_message_at,
                "last_direction": t.last_direction,
                "message_count": t.message_count,
                "reopened": bool(t.reopened),
                "source": t.source,
                "merged_into": t.merged_into_id,
                "queue": t.queue,
                "linked_to": [
                    link.linked_id
                    for link in TicketLink.select()
                    .where(TicketLink.ticket == t.id)
                    .order_by(TicketLink.linked)
                ],
                "messages": [],
            }
            for m in (
                Message.select()
                .where(Message.ticket == t.id)
                .order_by(Message.date, Message.id)
            ):
                mail = {
                    "message_id": m.message_id,
                    "direction": m.direction,
                    "kind": m.kind,
                    "from": m.from_address,
                    "date": m.date,
                    "rule": m.rule,
                    "rule_detail": m.rule_detail,
                    "subject": m.subject,
                }
                if bodies:
                    mail["body_text"] = m.body_text
                row["messages"].append(mail)
            row["tags"] = [
                tag.tag
                for tag in TicketTag.select()
                .where(TicketTag.ticket == t.id)
                .order_by(TicketTag.tag)
            ]
            lines.append(json.dumps(to_plain(row), ensure_ascii=False) + "\n")
    db.close()
    return "".join(lines)


def _edit(url: str, odd: bool) -> None:
    """What a long-lived store holds besides: tags, links, odd subjects,
    times with microseconds; ``odd`` on SQLite also times of shapes
    ticketcli never writes (the export must read them as the models do)."""
    db = connect(url, upgrade=False)
    p = db.param
    run = db.execute_sql
    with db.atomic():
        for number, tag in ((1, "vip"), (1, "arve"), (3, "ÕUN")):
            run(
                f"INSERT INTO ticket_tag (ticket_id, tag) VALUES ({p}, {p})",
                (number, tag),
            )
        for a, b in ((2, 5), (2, 4), (6, 2)):
            run(
                f"INSERT INTO ticket_link (ticket_id, linked_id, kind)"
                f" VALUES ({p}, {p}, 'related')",
                (a, b),
            )
        run(
            f"UPDATE ticket SET subject = {p} WHERE id = 4",
            ('Tab\there "quoted" \\ back\x1b[31m \u202e ÄÖ 😀 \u2028 end',),
        )
        run("UPDATE ticket SET due_at = '2026-03-02 08:00:00.123456' WHERE id = 5")
        if odd and url.startswith("sqlite"):
            run("UPDATE ticket SET due_at = '2026-03-02' WHERE id = 6")
            run(
                "UPDATE ticket SET closed_at = '2026-03-02 08:00:00+02:00' WHERE id = 7"
            )
            run("UPDATE ticket SET due_at = 'next week' WHERE id = 8")
            run(
                "UPDATE message SET date = '2026-03-02 08:00:00.5'"
                " WHERE id = (SELECT min(id) FROM message WHERE ticket_id = 9)"
            )
    db.close()


@pytest.mark.parametrize("odd", [False, True], ids=["usual-times", "odd-times"])
def test_export_is_byte_identical_to_the_model_reading(
    store_url: str, tmp_path: Path, gen_mailbox: GenMailbox, odd: bool
) -> None:
    folder, truth = gen_mailbox(conversations=40, seed=18, fmt="eml-dir")
    desk = StoreCli(store_url, write_config(tmp_path / "c.toml", truth))
    if not store_url.startswith("sqlite"):
        desk.ok("init")
    fill(desk, folder, truth, tmp_path)
    _edit(store_url, odd)
    sqlite = store_url.startswith("sqlite")
    db = connect(store_url, upgrade=False)
    with db.bind_ctx(ALL_MODELS):  # which of the two ways the lines are made
        assert (export_lines() is not None) == (sqlite and not odd)
    db.close()
    for bodies in (False, True):
        args = ("export", "--bodies") if bodies else ("export",)
        written = desk.ok(*args).stdout
        assert written.count("\n") >= 30
        assert written == _reference(store_url, bodies)
    assert '"due_at": "2026-03-02T08:00:00Z"' in written  # no microseconds
    assert '"tags": ["arve", "vip"]' in written
    if sqlite and odd:  # read as the models read them
        assert '"due_at": "2026-03-02T00:00:00Z"' in written
        assert '"closed_at": "2026-03-02T08:00:00Z"' in written
        assert '"due_at": "next week"' in written
        assert '"date": "2026-03-02T08:00:00Z"' in written


@given(st.text(st.characters(exclude_categories=["Cs"])))
def test_sqlite_quotes_text_as_the_jsonl_encoder_does(text: str) -> None:
    """The SQLite lines rest on this: ``json_quote`` escapes exactly what
    ``json.dumps(..., ensure_ascii=False)`` escapes, the same way."""
    db = sqlite3.connect(":memory:")
    quoted = db.execute("SELECT json_quote(?)", (text,)).fetchone()[0]
    db.close()
    assert quoted == json.dumps(text, ensure_ascii=False)

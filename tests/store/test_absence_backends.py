"""Queues and absence on both backends (``store_url``): the round-robin's
memory is an upsert, and the report names absent owners with correlated
subqueries -- SQL that SQLite and PostgreSQL must both run the same way."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.cli.test_autoassign import QueueDesk, queue

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_round_robin_absence_and_return(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = QueueDesk(
        tmp_path,
        monkeypatch,
        queue("round-robin", on_absence="reassign"),
        db=store_url,
    )
    first = desk.new_tickets(3)
    assert desk.assignees(first) == ["anu", "jaan", "kati"]
    desk.ok("agents", "away", "jaan", "--until", "2026-03-04")
    # jaan's ticket goes on round the rotation (after kati: anu), and so
    # does the next new one (after anu, jaan skipped: kati).
    assert desk.assignees(first) == ["anu", "anu", "kati"]
    assert desk.assignees(desk.new_tickets(1)) == ["kati"]
    [row] = [r for r in desk.json("agents", "list") if r["login"] == "jaan"]
    # --until is read on the local clock ($TZ: Europe/Tallinn, +02).
    assert (row["away"], row["away_until"]) == (True, "2026-03-04T22:00:00Z")

    desk.clock("2026-03-05T06:00:00Z")
    desk.mail()
    assert desk.assignees(first) == ["anu", "jaan", "kati"]


def test_keep_counts_at_risk_in_sql(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``owner_away_sql``, the condition `stats` counts at-risk tickets by."""
    from ticketcli.clock import now
    from ticketcli.store.absences import at_risk_tickets, owner_away_sql
    from ticketcli.store.db import connect
    from ticketcli.store.models import bind_models
    from ticketcli.store.sql import Sql

    desk = QueueDesk(
        tmp_path, monkeypatch, queue("round-robin", on_absence="keep"), db=store_url
    )
    numbers = desk.new_tickets(4)
    desk.ok("agents", "away", "jaan")
    assert desk.assignees(numbers) == ["anu", "jaan", "kati", "anu"]
    db = connect(desk.db)
    try:
        at = now()
        rows = Sql(db).all(
            f"SELECT t.id FROM ticket t WHERE {owner_away_sql('t')}", (at, at)
        )
        with bind_models(db):
            assert {row[0] for row in rows} == at_risk_tickets(at) == {numbers[1]}
    finally:
        db.close()


def test_pool_marks_and_return(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = QueueDesk(
        tmp_path,
        monkeypatch,
        queue("least-open", on_absence="pool"),
        db=store_url,
    )
    numbers = desk.new_tickets(3)
    desk.ok("agents", "away", "anu")
    held = numbers[0]
    assert desk.assignees(numbers) == [None, "jaan", "kati"]
    assert desk.json("show", str(held))["away_owner"] == "anu"
    table = desk.ok("report", "--assignee", "none").stdout
    assert "AWAY:anu" in table
    pool = json.loads(
        desk.ok("report", "--assignee", "none", "--format", "json").stdout
    )
    assert [r["number"] for r in pool] == [held]
    back = desk.json("agents", "back", "anu")
    assert [(r["number"], r["outcome"]) for r in back] == [(held, "returned")]
    assert desk.assignees(numbers) == ["anu", "jaan", "kati"]
    assert desk.json("show", str(held))["away_owner"] is None

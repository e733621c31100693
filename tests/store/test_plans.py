"""Plans that hold after ``ANALYZE`` (issue 18).

SQLite recommends ``ANALYZE`` (and ``PRAGMA optimize`` runs it). Most mail
carries no Outlook Thread-Index, so the statistics of a plain index on
``message.thread_key`` count all the NULLs as one huge key, and the planner
then walked ``message_date`` for every look-up -- a scan per ingested mail.
The plain index is gone (migration 0013); the partial one must still win
over walking ``message_date``. These tests run ANALYZE on a real store,
give it the statistics of a large one where needed (SQLite's documented
way to plan as on another store), and check the look-up's own statement,
caught as it runs, with EXPLAIN QUERY PLAN; then a mail of the same
conversation still threads.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from typing import TYPE_CHECKING, Any

from tests.helpers import Desk, eml
from ticketcli.rules.threads import thread_key
from ticketcli.store.db import connect
from ticketcli.store.lookup import StoreLookup

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

INDEX = base64.b64encode(hashlib.sha256(b"conversation").digest()[:22]).decode()
REPLY = base64.b64encode(
    hashlib.sha256(b"conversation").digest()[:22] + b"reply"
).decode()
# sqlite_stat1 of a 200,000-message store where one mail in 100,000 has a
# Thread-Index: what made the planner prefer walking message_date. (The
# plain message_thread_key index those NULLs filled is gone since 0013; a
# row for it is what an analyzed store of before carries, and is ignored.)
LARGE_STORE_STATS = (
    ("message", "message_thread_key", "200000 100000"),
    ("message", "message_date", "200000 5"),
)


# ... and of its Message-ID look-ups: one row per id, two references a mail.
REPLY_LOOK_UP_STATS = (
    *LARGE_STORE_STATS,
    ("message", "message_message_id", "200000 1"),
    ("message_ref", "message_ref_ref", "400000 2"),
    ("ticket", "ticket_status", "40000 10000"),
)


def _desk_with_unthreaded_mail(tmp_path: Path) -> Desk:
    desk = Desk(tmp_path)
    desk.deliver(
        eml("<first@kund.ee>", subject="Arve", extra=f"Thread-Index: {INDEX}\r\n"),
        *(
            eml(f"<n{i}@kund.ee>", sender=f"c{i}@muu.ee", subject=f"Teema {i}")
            for i in range(40)
        ),
    )
    return desk


def _analyze(path: Path, stats: tuple[tuple[str, str, str], ...] = ()) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute("ANALYZE")
        for tbl, idx, stat in stats:
            con.execute(
                "DELETE FROM sqlite_stat1 WHERE tbl = ? AND idx = ?", (tbl, idx)
            )
            con.execute("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", (tbl, idx, stat))
    con.close()


def _plans_of(url: str, look_up: Callable[[StoreLookup], Any]) -> tuple[Any, list[str]]:
    """What ``look_up`` finds, and every step of the plans of its statements."""
    db = connect(url)
    try:
        statements: list[str] = []
        db.connection().set_trace_callback(statements.append)
        found = look_up(StoreLookup(db))
        db.connection().set_trace_callback(None)
        steps = [
            row[-1]
            for statement in statements
            for row in db.execute_sql(f"EXPLAIN QUERY PLAN {statement}").fetchall()
        ]
        return found, steps
    finally:
        db.close()


def _lookup_plan(url: str) -> tuple[str, list[str]]:
    """The ticket a thread-key look-up finds, and the plans of its statements."""
    key = thread_key(INDEX)
    assert key is not None
    found, plan = _plans_of(url, lambda lookup: lookup.ticket_for_thread_key(key))
    return str(found.number if found else None), plan


def _uses_the_partial_index(plan: list[str]) -> bool:
    return any(
        "USING INDEX message_thread_key_date" in step for step in plan
    ) and not any(step.startswith("SCAN message") for step in plan)


def test_the_thread_key_look_up_keeps_its_index_after_analyze(tmp_path: Path) -> None:
    desk = _desk_with_unthreaded_mail(tmp_path)
    _analyze(tmp_path / "store.db")
    found, plan = _lookup_plan(desk.db)
    assert found == "1"
    assert _uses_the_partial_index(plan), plan


def test_the_plan_holds_with_a_large_stores_statistics(tmp_path: Path) -> None:
    desk = _desk_with_unthreaded_mail(tmp_path)
    _analyze(tmp_path / "store.db", LARGE_STORE_STATS)
    found, plan = _lookup_plan(desk.db)
    assert found == "1"
    assert _uses_the_partial_index(plan), plan


def test_a_reply_threads_into_an_analyzed_store(tmp_path: Path) -> None:
    desk = _desk_with_unthreaded_mail(tmp_path)
    _analyze(tmp_path / "store.db", LARGE_STORE_STATS)
    # No In-Reply-To, no References, another subject: only the Thread-Index.
    desk.deliver(
        eml(
            "<reply@kund.ee>",
            subject="Something else entirely",
            date="Tue, 03 Mar 2026 10:00:00 +0200",
            extra=f"Thread-Index: {REPLY}\r\n",
        )
    )
    [first] = [t for t in desk.export() if t["number"] == 1]
    assert [m["message_id"] for m in first["messages"]] == [
        "<first@kund.ee>",
        "<reply@kund.ee>",
    ]


def test_the_look_ups_that_read_their_ticket_too_probe_indexes_after_analyze(
    tmp_path: Path,
) -> None:
    """A reply's Message-ID look-ups read the ticket in the same statement
    (one round trip on PostgreSQL); with a large store's statistics each
    step is an index or primary-key probe, never a scan."""
    desk = _desk_with_unthreaded_mail(tmp_path)
    desk.deliver(
        eml(
            "<reply@kund.ee>",
            subject="Re: Arve",
            date="Tue, 03 Mar 2026 10:00:00 +0200",
            extra="In-Reply-To: <first@kund.ee>\r\nReferences: <first@kund.ee>\r\n",
        )
    )
    _analyze(tmp_path / "store.db", REPLY_LOOK_UP_STATS)
    for look_up in (
        lambda lookup: lookup.ticket_for_message_id("<first@kund.ee>"),
        lambda lookup: lookup.tickets_referencing("<first@kund.ee>")[0],
    ):
        found, steps = _plans_of(desk.db, look_up)
        assert found is not None
        assert found.number == 1
        assert steps, "no statement ran"
        assert not [s for s in steps if s.startswith("SCAN")], steps

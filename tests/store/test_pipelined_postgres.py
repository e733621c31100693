"""PostgreSQL writes that wait for the transaction's next statement (issue 18).

``store.db.PipelinedPostgres`` keeps the writes nobody reads the result of
(``Sql.write``) until the next statement, and sends them with it in one
psycopg pipeline. These tests check what must not change: order (a read,
peewee's too, sees every write before it), atomicity (a rollback leaves no
trace, a waiting write's error fails its transaction as peewee's error),
and that sync needs far fewer round trips per message than statements.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest
from peewee import IntegrityError

from tests.helpers import Desk, eml
from ticketcli.mail.parse import parse_message
from ticketcli.store.db import PipelinedPostgres, connect
from ticketcli.store.lookup import StoreLookup
from ticketcli.store.sql import Sql

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from peewee import Database

    from ticketcli.mail.model import ParsedMail

pytestmark = pytest.mark.postgres


@pytest.fixture
def db(postgres_db: str) -> Iterator[Database]:
    database = connect(postgres_db)
    database.execute_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    try:
        yield database
    finally:
        database.close()


class _Trips:
    """Counts round trips: statements sent alone, and pipelines."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import psycopg

        self.count = 0
        execute, pipeline = psycopg.Cursor.execute, psycopg.Connection.pipeline

        def counted_execute(cursor: Any, *args: Any, **kwargs: Any) -> Any:
            if cursor.connection._pipeline is None:
                self.count += 1
            return execute(cursor, *args, **kwargs)

        @contextlib.contextmanager
        def counted_pipeline(conn: Any, *args: Any, **kwargs: Any) -> Any:
            outer = conn._pipeline is None
            with pipeline(conn, *args, **kwargs) as pipe:
                yield pipe
            self.count += outer

        monkeypatch.setattr(psycopg.Cursor, "execute", counted_execute)
        monkeypatch.setattr(psycopg.Connection, "pipeline", counted_pipeline)


def _rows(db: Database) -> list[tuple[Any, ...]]:
    return list(db.execute_sql("SELECT id, v FROM t ORDER BY id").fetchall())


def test_a_postgresql_store_is_pipelined(db: Database) -> None:
    assert isinstance(db, PipelinedPostgres)


def test_waiting_writes_go_in_order_with_the_next_read(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql = Sql(db)
    trips = _Trips(monkeypatch)
    with db.atomic():
        sql.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "a"))
        sql.write("UPDATE t SET v = ? WHERE id = ?", ("b", 1))
        sql.write_many("INSERT INTO t (id, v) VALUES (?, ?)", [(2, "c"), (3, "d")])
        assert trips.count == 0  # nothing sent yet, BEGIN included
        # The read sees every write before it, and they all went with it.
        assert sql.all("SELECT id, v FROM t ORDER BY id") == [
            (1, "b"),
            (2, "c"),
            (3, "d"),
        ]
        assert trips.count == 1
        sql.write("DELETE FROM t WHERE id = ?", (3,))
    assert trips.count == 2  # the DELETE went with the COMMIT
    assert _rows(db) == [(1, "b"), (2, "c")]


def test_a_peewee_cursor_of_its_own_sees_the_waiting_writes(db: Database) -> None:
    sql = Sql(db)
    with db.atomic():
        sql.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "a"))
        cursor = db.cursor()  # as Sql.many and the models' bulk paths do
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == (1,)


def test_a_rollback_leaves_no_waiting_write_behind(db: Database) -> None:
    sql = Sql(db)
    with contextlib.suppress(RuntimeError), db.atomic():
        sql.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "sent"))
        sql.one("SELECT 1")
        sql.write("INSERT INTO t (id, v) VALUES (?, ?)", (2, "waiting"))
        raise RuntimeError("the message met a bug")
    with contextlib.suppress(RuntimeError), db.atomic():
        sql.write("INSERT INTO t (id, v) VALUES (?, ?)", (3, "never sent"))
        raise RuntimeError("before anything was sent, BEGIN included")
    assert _rows(db) == []
    with db.atomic():  # and the connection is fine for the next message
        sql.write("INSERT INTO t (id, v) VALUES (?, ?)", (4, "next"))
    assert _rows(db) == [(4, "next")]


def test_a_waiting_writes_error_fails_its_transaction_as_peewees(
    db: Database,
) -> None:
    sql = Sql(db)
    with db.atomic():
        sql.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "a"))

    def twice() -> None:
        with db.atomic():
            sql.write("INSERT INTO t (id, v) VALUES (?, ?)", (2, "b"))
            sql.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "again"))

    def then_read() -> None:
        with db.atomic():
            sql.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "again"))
            sql.one("SELECT count(*) FROM t")  # raised here, not later
            pytest.fail("the read went on after its waiting write failed")

    pytest.raises(IntegrityError, twice)
    pytest.raises(IntegrityError, then_read)
    assert _rows(db) == [(1, "a")]


def test_outside_a_transaction_a_write_is_sent_at_once(db: Database) -> None:
    Sql(db).write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "a"))
    assert not db.in_transaction()
    assert _rows(db) == [(1, "a")]


def test_inside_a_savepoint_nothing_waits(db: Database) -> None:
    sql = Sql(db)
    with db.atomic():
        sql.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "kept"))
        with contextlib.suppress(RuntimeError), db.atomic():  # a savepoint
            sql.write("INSERT INTO t (id, v) VALUES (?, ?)", (2, "rolled back"))
            raise RuntimeError
    assert _rows(db) == [(1, "kept")]


def test_sync_needs_about_half_the_round_trips_it_has_statements(
    tmp_path: Path, postgres_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = Desk(tmp_path)
    desk.db = postgres_db
    assert desk.run("init").exit_code == 0
    mails = [
        eml(f"<m{n}@kund.ee>", sender=f"c{n % 4}@kund.ee", subject=f"Case {n % 6}")
        for n in range(30)
    ]
    trips = _Trips(monkeypatch)
    desk.deliver(*mails)
    per_message = trips.count / len(mails)
    tickets = desk.export()
    assert len(tickets) == 12  # four senders, six subjects: 12 conversations
    assert sum(t["message_count"] for t in tickets) == 30
    # Each message was about 23 round trips before (one per statement),
    # 7.0 with the first questions read ahead, 6.0 with its id reserved
    # there too (its INSERT then waits for the next statement).
    assert per_message <= 6.5, trips.count


def _reply() -> bytes:
    return eml(
        "<reply@kund.ee>",
        subject="Re: Printer on katki",
        date="Tue, 03 Mar 2026 10:00:00 +0200",
        extra="In-Reply-To: <first@kund.ee>\r\nReferences: <first@kund.ee>\r\n",
    )


@contextlib.contextmanager
def _a_reply_to_a_stored_mail(
    tmp: Path, url: str
) -> Iterator[tuple[Desk, ParsedMail, Database]]:
    """A store with one mail, the parsed reply to it, and a connection."""
    desk = Desk(tmp)
    desk.db = url
    desk.deliver(eml("<first@kund.ee>"))
    db = connect(url)
    try:
        yield desk, parse_message(_reply()), db
    finally:
        db.close()


def test_a_mails_first_questions_travel_with_its_first(
    tmp_path: Path, postgres_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Told which mail comes, the look-up sends whether it is stored, its
    parent's ticket and the tickets referencing it with the customer
    question: one round trip, the same answers as asked one by one."""
    with _a_reply_to_a_stored_mail(tmp_path, postgres_db) as (_desk, mail, db):

        def answers(lookup: StoreLookup) -> tuple[Any, ...]:
            return (
                lookup.customers_of(mail.from_address, "kund.ee"),
                lookup.copies(mail.message_id, mail.content_hash),
                lookup.ticket_for_message_id(mail.thread_ids[0]),
                lookup.tickets_referencing(mail.message_id or ""),
            )

        one_by_one = StoreLookup(db)
        trips = _Trips(monkeypatch)
        alone = answers(one_by_one)
        assert trips.count == 4
        together = StoreLookup(db)
        together.expect(mail)
        trips.count = 0
        assert answers(together) == alone
        assert trips.count == 1
        parent = alone[2]
        assert parent is not None
        assert parent.number == 1


def test_what_was_read_ahead_is_not_an_answer_once_the_mail_is_done(
    tmp_path: Path, postgres_db: str
) -> None:
    """Answers read ahead live for one attempt at one mail: after
    ``expect(None)`` a question is asked anew and sees what changed."""
    with _a_reply_to_a_stored_mail(tmp_path, postgres_db) as (desk, mail, db):
        lookup = StoreLookup(db)
        lookup.expect(mail)
        lookup.customers_of(mail.from_address, "kund.ee")  # reads ahead
        lookup.expect(None)
        desk.deliver(_reply())  # stored meanwhile, by another process
        assert lookup.copies(mail.message_id, mail.content_hash) == (True, False)


def test_the_id_reserved_with_the_first_questions_is_handed_out_once(
    tmp_path: Path, postgres_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message id comes from the table's own sequence in the same round
    trip as the first questions; it is handed out once, and never where
    nothing was expected."""
    with _a_reply_to_a_stored_mail(tmp_path, postgres_db) as (_desk, mail, db):
        lookup = StoreLookup(db)
        assert lookup.reserved_message_id() is None  # nothing expected
        lookup.expect(mail)
        trips = _Trips(monkeypatch)
        lookup.customers_of(mail.from_address, "kund.ee")
        assert trips.count == 1
        reserved = lookup.reserved_message_id()
        assert reserved is not None
        assert lookup.reserved_message_id() is None  # once
        # The sequence moved past it: the next id asked for is larger.
        [(stored,)] = db.execute_sql("SELECT max(id) FROM message").fetchall()
        assert stored < reserved
        other = StoreLookup(db)
        other.expect(mail)
        other.customers_of(mail.from_address, "kund.ee")
        assert (other.reserved_message_id() or 0) > reserved


def test_mail_stored_under_reserved_ids_keeps_its_rows_together(
    tmp_path: Path, postgres_db: str
) -> None:
    """A sync stores each mail under its reserved id: its raw bytes, index
    words and events name that id, and an INSERT that asks the sequence
    itself afterwards takes a later one."""
    desk = Desk(tmp_path)
    desk.db = postgres_db
    mails = [eml(f"<r{n}@kund.ee>", subject=f"Case {n % 3}") for n in range(6)]
    desk.deliver(*mails)
    db = connect(postgres_db)
    try:
        rows = db.execute_sql(
            "SELECT m.id, r.data, (SELECT count(*) FROM event e"
            " WHERE e.message_id = m.id) FROM message m"
            " JOIN message_raw r ON r.message_id = m.id ORDER BY m.id"
        ).fetchall()
        assert sorted(bytes(data) for _, data, _ in rows) == sorted(mails)
        assert all(events == 1 for _, _, events in rows)
        [(indexed,)] = db.execute_sql(
            "SELECT count(*) FROM search_message s"
            " JOIN message m ON m.id = s.message_id"
        ).fetchall()
        assert indexed == len(mails)
        # What an INSERT without an id takes (a sent mail's copy) comes later.
        [(number,)] = db.execute_sql(
            "SELECT nextval(pg_get_serial_sequence('message', 'id'))"
        ).fetchall()
        assert number > max(i for i, _, _ in rows)
    finally:
        db.close()


def test_a_mail_delivered_again_takes_no_id(tmp_path: Path, postgres_db: str) -> None:
    """A copy already stored reserves nothing: no gap in the numbering, so
    both backends number a mailbox alike (test_backends compares them)."""
    desk = Desk(tmp_path)
    desk.db = postgres_db
    first, second = eml("<a@kund.ee>"), eml("<b@kund.ee>", subject="Muu")
    desk.deliver(first)
    desk.deliver(first)  # the same mail again, from another file
    desk.deliver(second)
    db = connect(postgres_db)
    try:
        ids = db.execute_sql("SELECT id FROM message ORDER BY id").fetchall()
    finally:
        db.close()
    assert [i for (i,) in ids] == [1, 2]

"""The search index and the search query, on SQLite (FTS5) and PostgreSQL (tsvector).

One index row per message (``search_message``, keyed by the message's id)
and per note (``search_note``, keyed by the note event's id), holding the
folded words of ``rules.search_query.index_text``. The row is written in
the same transaction as the message or note, so the index never lags or
counts twice; ``rebuild`` writes it anew from the tables (the migration for
an existing store, and after `copy` and `restore`, which write tables
directly). Which ticket a hit belongs to is read from ``message.ticket_id``
and ``event.ticket_id`` at query time, so merges and moves need no index
change.

SQLite's table is a contentless FTS5 table (the text is in ``message``
already); PostgreSQL's a plain table with a GIN index over a ``tsvector``
given as a literal, so neither engine's parser splits words differently.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from peewee import PostgresqlDatabase

from ticketcli.errors import NotFoundError
from ticketcli.rules.search_query import (
    fts5_match,
    index_text,
    message_terms,
    snippet,
    tsquery,
    tsvector,
)
from ticketcli.store.sql import Sql, to_datetime

if TYPE_CHECKING:
    from collections.abc import Sequence

    from peewee import Database

    from ticketcli.rules.search_query import SearchQuery

TABLES = ("search_message", "search_note")
_BATCH = 2000


def is_postgres(db: Database) -> bool:
    return isinstance(db, PostgresqlDatabase)


def create_index(db: Database) -> None:
    """The index tables, if missing (the migration ``0010_search_index``)."""
    if is_postgres(db):
        db.execute_sql(
            'CREATE TABLE IF NOT EXISTS "search_message" ("message_id" INTEGER'
            ' PRIMARY KEY REFERENCES "message" ("id") ON DELETE CASCADE,'
            ' "terms" TSVECTOR NOT NULL)'
        )
        db.execute_sql(
            'CREATE TABLE IF NOT EXISTS "search_note" ("event_id" INTEGER'
            ' PRIMARY KEY REFERENCES "event" ("id") ON DELETE CASCADE,'
            ' "terms" TSVECTOR NOT NULL)'
        )
        for table in TABLES:
            db.execute_sql(
                f'CREATE INDEX IF NOT EXISTS "{table}_terms"'
                f' ON "{table}" USING gin ("terms")'
            )
        return
    for table in TABLES:
        # Contentless: the words only; unicode61 splits on the spaces that
        # index_text puts between them and folds nothing (it is folded).
        db.execute_sql(
            f'CREATE VIRTUAL TABLE IF NOT EXISTS "{table}" USING fts5(terms,'
            " content='', tokenize='unicode61 remove_diacritics 0')"
        )


def has_index(db: Database) -> bool:
    """Whether the store has the index yet: a store not migrated to
    ``0010_search_index`` stores mail without it, and the migration then
    indexes everything it holds."""
    if is_postgres(db):
        row = db.execute_sql("SELECT to_regclass('search_message')").fetchone()
        return row[0] is not None
    row = db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE name = 'search_message'"
    ).fetchone()
    return row is not None


def _insert_sql(db: Database, table: str) -> str:
    if is_postgres(db):
        key = "message_id" if table == "search_message" else "event_id"
        return (
            f'INSERT INTO "{table}" ("{key}", "terms") VALUES (?, CAST(? AS tsvector))'
        )
    return f'INSERT INTO "{table}" (rowid, terms) VALUES (?, ?)'


def _value(db: Database, text: str) -> str:
    return tsvector(text) if is_postgres(db) else text


def index_message(sql: Sql, message: int, terms: str) -> None:
    """Index one stored message (``message_terms`` of it), in the caller's
    transaction."""
    sql.write(_insert_sql(sql.db, "search_message"), (message, _value(sql.db, terms)))


def index_note(sql: Sql, event: int, text: str) -> None:
    """Index one note (an event of kind ``note``), in the caller's transaction."""
    sql.write(
        _insert_sql(sql.db, "search_note"), (event, _value(sql.db, index_text(text)))
    )


def rebuild(db: Database) -> int:
    """Write the whole index anew from messages, attachments and notes;
    returns the rows written. Run inside the caller's transaction."""
    sql = Sql(db)
    if is_postgres(db):
        for table in TABLES:
            db.execute_sql(f'DELETE FROM "{table}"')
    else:
        for table in TABLES:
            db.execute_sql(f'INSERT INTO "{table}"("{table}") VALUES (\'delete-all\')')
    names: dict[int, list[str]] = {}
    for message, filename in db.execute_sql(
        "SELECT message_id, filename FROM attachment ORDER BY id"
    ):
        names.setdefault(message, []).append(filename)
    written = 0
    batch: list[tuple[int, str]] = []
    insert = sql._text(_insert_sql(db, "search_message"))
    cursor = db.execute_sql(
        "SELECT id, subject, from_name, from_address, body_text FROM message"
        " ORDER BY id"
    )
    for message, subject, name, address, body in cursor.fetchall():
        text = message_terms(
            subject, name, address, " ".join(names.get(message, ())), body
        )
        batch.append((message, _value(db, text)))
        if len(batch) >= _BATCH:
            db.cursor().executemany(insert, batch)
            written += len(batch)
            batch = []
    notes = db.execute_sql(
        "SELECT id, detail FROM event WHERE kind = 'note' ORDER BY id"
    ).fetchall()
    if batch:
        db.cursor().executemany(insert, batch)
        written += len(batch)
    note_rows = [
        (event, _value(db, index_text(detail or ""))) for event, detail in notes
    ]
    if note_rows:
        db.cursor().executemany(sql._text(_insert_sql(db, "search_note")), note_rows)
    return written + len(note_rows)


def indexed(db: Database) -> tuple[set[int], set[int]]:
    """The message ids and note event ids the index holds (for checks)."""
    if is_postgres(db):
        columns = ("message_id", "event_id")
    else:
        columns = ("rowid", "rowid")
    return tuple(  # type: ignore[return-value]
        {row[0] for row in db.execute_sql(f'SELECT {column} FROM "{table}"')}
        for table, column in zip(TABLES, columns, strict=True)
    )


# -- the query ----------------------------------------------------------------


def search_tickets(
    db: Database, query: SearchQuery, limit: int = 20
) -> list[dict[str, Any]]:
    """Tickets that match ``query``, best first, one row each: number,
    subject, status, assignee (a login or None), last_message_at and a
    snippet of the best matching message or note.

    Words must all match in one message (subject, sender, attachment names,
    body) or one note. With words, best is the engine's relevance (FTS5's
    bm25, PostgreSQL's ts_rank), then the newer ticket; with filters only,
    the most recently active ticket first.
    """
    sql = Sql(db)
    where, params = _ticket_filters(sql, query)
    if not query.terms:
        return _filtered_only(sql, query, where, params, limit)
    if is_postgres(db):
        rows = sql.all(
            _ranked(db, _hits(db, query)[0], where), _params(db, query, params, limit)
        )
    else:
        # First from the best few hundred hits only (FTS5 ranks those without
        # a join): exact when they hold `limit` tickets, else all the hits.
        cap = max(limit * 10, 200)
        rows = sql.all(
            _ranked(db, _hits(db, query, cap)[0], where),
            _params(db, query, params, limit),
        )
        if len(rows) < limit:
            rows = sql.all(
                _ranked(db, _hits(db, query)[0], where),
                _params(db, query, params, limit),
            )
    texts = _texts(sql, [(kind, doc) for *_, kind, doc in rows])
    return [
        _result(row[:5], snippet(texts.get((kind, doc), ""), query))
        for *row, _score, kind, doc in rows
    ]


def _params(
    db: Database, query: SearchQuery, ticket_params: list[Any], limit: int
) -> list[Any]:
    return [*_hits(db, query)[1], *ticket_params, limit]


def _ranked(db: Database, hits: str, where: str) -> str:
    """The best hit per ticket, the tickets in order of it."""
    columns = (
        "t.id, t.subject, t.status, a.login, t.last_message_at, h.score, h.kind, h.doc"
    )
    if is_postgres(db):
        text = (
            f"SELECT {columns} FROM (SELECT DISTINCT ON (ticket) ticket, score, kind,"
            f" doc FROM ({hits}) x ORDER BY ticket, score, kind, doc) h"
            " JOIN ticket t ON t.id = h.ticket"
            " LEFT JOIN agent a ON a.id = t.assignee_id"
            f" WHERE {where} ORDER BY h.score, t.id DESC LIMIT ?"
        )
    else:
        # SQLite takes the bare columns from the row where min() is found;
        # the hits are materialised, as bm25() cannot be called inside min().
        text = (
            f"WITH h AS MATERIALIZED ({hits})"
            f" SELECT {columns.replace('h.score', 'min(h.score)')} FROM h"
            " JOIN ticket t ON t.id = h.ticket"
            " LEFT JOIN agent a ON a.id = t.assignee_id"
            f" WHERE {where} GROUP BY t.id ORDER BY min(h.score), t.id DESC LIMIT ?"
        )
    return text


def _hits(
    db: Database, query: SearchQuery, cap: int | None = None
) -> tuple[str, list[Any]]:
    """The matching messages and notes as (ticket, score, kind, doc) rows:
    kind 0 a message, 1 a note; lower score is better. ``cap`` (SQLite):
    only the best ``cap`` messages and ``cap`` notes."""
    message_where, message_params = _document_filters(query, "m.date")
    note_where, note_params = _document_filters(query, "e.at")
    if is_postgres(db):
        match = tsquery(query)
        # Normalisation 1 divides by 1 + log(length): like bm25, a short
        # mail that has the words outranks a long one that also has them.
        messages = (
            "SELECT m.ticket_id AS ticket, -ts_rank(s.terms, q.q, 1) AS score,"
            " 0 AS kind, m.id AS doc FROM search_message s"
            " CROSS JOIN (SELECT CAST(? AS tsquery) AS q) q"
            " JOIN message m ON m.id = s.message_id"
            f" WHERE s.terms @@ q.q AND m.ticket_id IS NOT NULL{message_where}"
        )
        notes = (
            "SELECT e.ticket_id, -ts_rank(s.terms, q.q, 1), 1, e.id FROM search_note s"
            " CROSS JOIN (SELECT CAST(? AS tsquery) AS q) q"
            f" JOIN event e ON e.id = s.event_id WHERE s.terms @@ q.q{note_where}"
        )
    else:
        match = fts5_match(query)
        # FTS5 ranks (bm25) where it answers the MATCH itself: a subquery
        # of its own, which its LIMIT keeps from being merged into the join.
        limit = -1 if cap is None else int(cap)
        messages = (
            "SELECT m.ticket_id AS ticket, f.score AS score, 0 AS kind, m.id AS doc"
            " FROM (SELECT rowid AS doc, rank AS score FROM search_message"
            f" WHERE search_message MATCH ? ORDER BY rank LIMIT {limit}) f"
            " CROSS JOIN message m ON m.id = f.doc"
            f" WHERE m.ticket_id IS NOT NULL{message_where}"
        )
        notes = (
            "SELECT e.ticket_id, f.score, 1, e.id FROM (SELECT rowid AS doc,"
            " rank AS score FROM search_note WHERE search_note MATCH ?"
            f" ORDER BY rank LIMIT {limit}) f CROSS JOIN event e ON e.id = f.doc"
            f" WHERE 1 = 1{note_where}"
        )
    if query.message_filters:
        return messages, [match, *message_params]
    return (
        f"{messages} UNION ALL {notes}",
        [match, *message_params, match, *note_params],
    )


def _document_filters(query: SearchQuery, at: str) -> tuple[str, list[Any]]:
    """Conditions on one message (``m``) or note's time (``at``)."""
    where: list[str] = []
    params: list[Any] = []
    if query.sender is not None:
        if "@" in query.sender:
            where.append("lower(m.from_address) = ?")
            params.append(query.sender)
        else:
            where.append("lower(m.from_address) LIKE ? ESCAPE '\\'")
            params.append("%@" + _like(query.sender.lstrip("@")))
    if query.has_attachment:
        where.append("EXISTS (SELECT 1 FROM attachment x WHERE x.message_id = m.id)")
    if query.after is not None:
        where.append(f"{at} >= ?")
        params.append(datetime.combine(query.after, time()))
    if query.before is not None:
        where.append(f"{at} < ?")
        params.append(datetime.combine(query.before, time()))
    return "".join(f" AND {w}" for w in where), params


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ticket_filters(sql: Sql, query: SearchQuery) -> tuple[str, list[Any]]:
    """Conditions on the ticket ``t`` (and its assignee ``a``); an unknown
    agent or customer is a ``NotFoundError``, as everywhere else."""
    where = ["1 = 1"]
    params: list[Any] = []
    if query.statuses:
        where.append(f"t.status IN ({', '.join('?' * len(query.statuses))})")
        params.extend(query.statuses)
    if query.assignee == "none":
        where.append("t.assignee_id IS NULL")
    elif query.assignee is not None:
        agent = sql.one("SELECT id FROM agent WHERE login = ?", (query.assignee,))
        if agent is None:
            raise NotFoundError(f"search: no agent {query.assignee}")
        where.append("t.assignee_id = ?")
        params.append(agent[0])
    if query.customer is not None:
        found = sql.all(
            "SELECT id FROM customer WHERE code = ? OR lower(name) = lower(?)",
            (query.customer, query.customer),
        )
        if not found:
            raise NotFoundError(f"search: no customer {query.customer}")
        where.append(f"t.customer_id IN ({', '.join('?' * len(found))})")
        params.extend(row[0] for row in found)
    for tag in query.tags:
        where.append(
            "EXISTS (SELECT 1 FROM ticket_tag g WHERE g.ticket_id = t.id AND g.tag = ?)"
        )
        params.append(tag)
    return " AND ".join(where), params


def _filtered_only(
    sql: Sql, query: SearchQuery, where: str, params: list[Any], limit: int
) -> list[dict[str, Any]]:
    """Filters without words: the tickets, most recently active first."""
    doc_where, doc_params = _document_filters(query, "m.date")
    conditions = [where]
    if doc_where:
        conditions.append(
            f"EXISTS (SELECT 1 FROM message m WHERE m.ticket_id = t.id{doc_where})"
        )
    if not query.statuses:
        conditions.append("t.status <> 'merged'")
    rows = sql.all(
        "SELECT t.id, t.subject, t.status, a.login, t.last_message_at FROM ticket t"
        " LEFT JOIN agent a ON a.id = t.assignee_id"
        f" WHERE {' AND '.join(conditions)}"
        " ORDER BY t.last_message_at DESC, t.id DESC LIMIT ?",
        (*params, *doc_params, limit),
    )
    return [_result(row, "") for row in rows]


def _texts(sql: Sql, docs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The text a snippet is cut from: a message's body (its subject when
    it has none), a note's text."""
    texts: dict[tuple[int, int], str] = {}
    messages = [doc for kind, doc in docs if kind == 0]
    notes = [doc for kind, doc in docs if kind == 1]
    if messages:
        marks = ", ".join("?" * len(messages))
        for doc, subject, body in sql.all(
            f"SELECT id, subject, body_text FROM message WHERE id IN ({marks})",
            messages,
        ):
            texts[(0, doc)] = body if body and body.strip() else subject or ""
    if notes:
        marks = ", ".join("?" * len(notes))
        for doc, detail in sql.all(
            f"SELECT id, detail FROM event WHERE id IN ({marks})", notes
        ):
            texts[(1, doc)] = detail or ""
    return texts


def _result(row: tuple[Any, ...] | list[Any], text: str) -> dict[str, Any]:
    """One found ticket as the command and the API give it, whichever way
    (words or filters alone) the search found it."""
    number, subject, status, login, last = row
    return {
        "number": number,
        "subject": subject,
        "status": status,
        "assignee": login,
        "last_message_at": to_datetime(last),
        "snippet": text,
    }

"""Plain SQL for the ingest hot path, the same text on SQLite and PostgreSQL.

Peewee builds a query's SQL anew on every execution, which cost about a
third of a millisecond per statement -- more than parsing the mail. The
twenty-odd statements placing one message are therefore written once here
(``?`` placeholders, rewritten for the driver) and only executed per message.
Everything else keeps using the models.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from peewee import Database, DateTimeField

if TYPE_CHECKING:
    from collections.abc import Sequence

_TIME = DateTimeField()


def to_datetime(value: Any) -> datetime | None:
    """A time as read back: SQLite gives text, PostgreSQL a datetime."""
    if type(value) is str:
        # The C parser first: a report reads tens of thousands of times, and
        # peewee's field reads the same ISO text at eight times the cost.
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return _TIME.python_value(value) if value is not None else None


class Sql:
    """Execute prepared statement text on one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.param = db.param
        self._texts: dict[str, str] = {}
        # PostgreSQL's ``store.db.PipelinedPostgres``: writes whose result
        # nobody reads go with the transaction's next statement.
        self._defer = getattr(db, "defer", None)
        self._together = getattr(db, "read_together", None)

    def _text(self, sql: str) -> str:
        text = self._texts.get(sql)
        if text is None:
            text = sql.replace("?", self.param) if self.param != "?" else sql
            self._texts[sql] = text
        return text

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return self.db.execute_sql(self._text(sql), params).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.db.execute_sql(self._text(sql), params).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute; returns the number of rows changed."""
        return self.db.execute_sql(self._text(sql), params).rowcount

    @property
    def reads_together(self) -> bool:
        """Whether several reads can share one round trip (PostgreSQL)."""
        return self._together is not None

    def all_together(
        self, reads: Sequence[tuple[str, Sequence[Any]]]
    ) -> list[list[tuple[Any, ...]]]:
        """The rows of each of ``reads``: in one round trip where the store
        allows (``reads_together``), else one after the other."""
        if self._together is None:
            return [self.all(sql, params) for sql, params in reads]
        rows: list[list[tuple[Any, ...]]] = self._together(
            [(self._text(sql), params) for sql, params in reads]
        )
        return rows

    @property
    def deferring(self) -> bool:
        """Whether ``write`` waits for the next statement (PostgreSQL)."""
        return self._defer is not None

    def write(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Execute a write whose outcome nobody reads; on PostgreSQL, inside
        a transaction, it travels with the next statement (one round trip)."""
        if self._defer is not None:
            self._defer(self._text(sql), params)
        else:
            self.db.execute_sql(self._text(sql), params)

    def write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """``write`` for each of ``rows``."""
        if self._defer is None:
            self.many(sql, rows)
            return
        text = self._text(sql)
        for row in rows:
            self._defer(text, row)

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """An INSERT ... RETURNING id (SQLite >= 3.35 and PostgreSQL both have it)."""
        row = self.db.execute_sql(self._text(sql + " RETURNING id"), params).fetchone()
        return int(row[0])

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            cursor = self.db.cursor()
            cursor.executemany(self._text(sql), rows)

"""Plain SQL for the ingest hot path, the same text on SQLite and PostgreSQL.

Peewee builds a query's SQL anew on every execution, which cost about a
third of a millisecond per statement -- more than parsing the mail. The
twenty-odd statements placing one message are therefore written once here
(``?`` placeholders, rewritten for the driver) and only executed per message.
Everything else keeps using the models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from peewee import Database, DateTimeField

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

_TIME = DateTimeField()


def to_datetime(value: Any) -> datetime | None:
    """A time as read back: SQLite gives text, PostgreSQL a datetime."""
    return _TIME.python_value(value) if value is not None else None


class Sql:
    """Execute prepared statement text on one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.param = db.param
        self._texts: dict[str, str] = {}

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

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """An INSERT ... RETURNING id (SQLite >= 3.35 and PostgreSQL both have it)."""
        row = self.db.execute_sql(self._text(sql + " RETURNING id"), params).fetchone()
        return int(row[0])

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            cursor = self.db.cursor()
            cursor.executemany(self._text(sql), rows)

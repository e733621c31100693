"""A source's memory in the store, as the sync reads it: one query for all
it has read, not one per file (issue 18).

``StoreSourceState`` answers "seen this key?" one key at a time: right
for IMAP, which asks about a few UIDs, and 50,000 queries for a folder of
50,000 files. A local folder instead takes every key of its source in
one query (the ``delivery (source, key)`` index holds them in order) and
compares in memory; and it saves what the folder held once every mail in
it is stored (``mail.sources.folders``), outside any message's
transaction: that value is a hint that saves a listing, and a crash
before it is written only costs the next run a listing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ticketcli.store.lock import write_transaction
from ticketcli.store.sql import Sql

if TYPE_CHECKING:
    from peewee import Database


class StoreSourceState:
    """``sources.base.SourceState`` for one source name."""

    def __init__(self, db: Database, source: str) -> None:
        self.sql = Sql(db)
        self.source = source

    def get(self, name: str) -> str | None:
        row = self.sql.one(
            "SELECT value FROM checkpoint WHERE source = ? AND name = ?",
            (self.source, name),
        )
        return row[0] if row else None

    def seen(self, key: str) -> bool:
        return (
            self.sql.one(
                "SELECT 1 FROM delivery WHERE source = ? AND key = ?",
                (self.source, key),
            )
            is not None
        )


class SourceMemory(StoreSourceState):
    """``sources.base.FolderState`` for one source name."""

    def __init__(self, db: Database, source: str) -> None:
        super().__init__(db, source)
        self.db = db

    def seen_keys(self) -> set[str]:
        rows = self.sql.all("SELECT key FROM delivery WHERE source = ?", (self.source,))
        return {key for (key,) in rows}

    def remember(self, name: str, value: str) -> None:
        with write_transaction(self.db):
            self.sql.run(
                "INSERT INTO checkpoint (source, name, value) VALUES (?, ?, ?)"
                " ON CONFLICT (source, name) DO UPDATE SET value = excluded.value",
                (self.source, name, value),
            )

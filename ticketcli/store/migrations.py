"""Ordered, named schema migrations, each recorded in a table once applied.

A new release appends a function here; ``migrate`` runs what a store lacks,
after copying an SQLite file aside (a failed upgrade must not cost history).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ticketcli.store.models import ALL_MODELS, SchemaMigration

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from peewee import Database


def _initial(db: Database) -> None:
    db.create_tables(ALL_MODELS, safe=True)


MIGRATIONS: list[tuple[str, Callable[[Database], None]]] = [
    ("0001_initial", _initial),
]


def pending(db: Database) -> list[str]:
    if not db.table_exists(SchemaMigration._meta.table_name):
        return [name for name, _ in MIGRATIONS]
    done = {row.name for row in SchemaMigration.select(SchemaMigration.name)}
    return [name for name, _ in MIGRATIONS if name not in done]


def migrate(db: Database, sqlite_path: Path | None = None) -> list[str]:
    """Apply pending migrations; returns their names."""
    todo = pending(db)
    if not todo:
        return []
    if sqlite_path is not None and todo != [MIGRATIONS[0][0]] and sqlite_path.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        shutil.copy2(
            sqlite_path, sqlite_path.with_name(f"{sqlite_path.name}.{stamp}.bak")
        )
    db.create_tables([SchemaMigration], safe=True)
    for name, step in MIGRATIONS:
        if name in todo:
            with db.atomic():
                step(db)
                SchemaMigration.create(
                    name=name, applied_at=datetime.now(UTC).replace(tzinfo=None)
                )
    return todo

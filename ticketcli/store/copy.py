"""Copy a whole store into an empty one (SQLite -> PostgreSQL, or back).

Every table is copied row for row with its ids, so ticket numbers, links and
history stay what people know. The source is read in one snapshot, in
batches (raw mail never sits in memory all at once); the target is written
in one transaction, so a copy that fails leaves it empty for another try.
The row counts of every table are compared before that transaction commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peewee import AutoField, BlobField, Database, PostgresqlDatabase

from ticketcli.errors import TicketcliError, UsageError
from ticketcli.store.migrations import MIGRATIONS
from ticketcli.store.models import (
    ALL_MODELS,
    Blob,
    MessageRaw,
    Outbox,
    Quarantine,
    SchemaMigration,
    Ticket,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from peewee import Field

    from ticketcli.store.models import BaseModel

log = logging.getLogger(__name__)

# Parents before children (the order of ALL_MODELS); the schema's own
# version table is the target's, made when it was opened.
COPIED: tuple[type[BaseModel], ...] = tuple(
    m for m in ALL_MODELS if m is not SchemaMigration
)
BATCH = 1000
BLOB_BATCH = 100  # rows holding whole mails or attachments
_BLOB_MODELS = (MessageRaw, Blob, Quarantine, Outbox)


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int


def _table(model: type[BaseModel]) -> str:
    return str(model._meta.table_name)


def _count(db: Database, model: type[BaseModel]) -> int:
    return int(db.execute_sql(f'SELECT COUNT(*) FROM "{_table(model)}"').fetchone()[0])


def check_target_empty(target: Database) -> None:
    """Refuse to merge into a store that holds anything: ids would clash."""
    filled = [f"{_table(m)} ({n} rows)" for m in COPIED if (n := _count(target, m)) > 0]
    if filled:
        raise UsageError(
            "copy: the target store is not empty: "
            + ", ".join(filled[:4])
            + (" ..." if len(filled) > 4 else "")
            + "; copy only into a new, empty store"
        )


def _check_versions(source: Database) -> None:
    known = {m.name for m in MIGRATIONS}
    names = {
        row[0]
        for row in source.execute_sql(
            f'SELECT name FROM "{_table(SchemaMigration)}"'
        ).fetchall()
    }
    newer = sorted(names - known)
    if newer:
        raise UsageError(
            f"copy: the source store has migrations this ticketcli does not know "
            f"({', '.join(newer)}); use the ticketcli that made it"
        )


def _batches(
    source: Database, model: type[BaseModel], size: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in primary-key order, one page at a time (keyset, not OFFSET)."""
    fields = model._meta.sorted_fields
    pk = model._meta.primary_key
    at = _position(fields, pk)
    last: Any = None
    while True:
        query = model.select(*fields).order_by(pk).limit(size).tuples()
        if last is not None:
            query = query.where(pk > last)
        rows = list(query.execute(source))
        if not rows:
            return
        yield rows
        last = rows[-1][at]


def _position(fields: list[Field], field: Field) -> int:
    # By identity: a Field's == builds an SQL expression, so list.index lies.
    return next(i for i, f in enumerate(fields) if f is field)


def _converter(field: Field) -> Callable[[Any], Any] | None:
    """How a value read through the models goes to the other driver.

    Values already are Python values (the fields' ``python_value`` ran on
    reading); only blobs need a nudge, as drivers hand back memoryviews.
    """
    if isinstance(field, BlobField):
        return lambda v: None if v is None else bytes(v)
    return None


def _copy_table(
    source: Database, target: Database, model: type[BaseModel]
) -> tuple[int, list[tuple[int, int]]]:
    """Copy one table; returns its row count and deferred ticket merges."""
    fields = model._meta.sorted_fields
    columns = [f.column_name for f in fields]
    convert = [_converter(f) for f in fields]
    merged_col = _position(fields, Ticket.merged_into) if model is Ticket else -1
    id_col = _position(fields, model._meta.primary_key)
    deferred: list[tuple[int, int]] = []
    sql = (
        f'INSERT INTO "{_table(model)}" ('
        + ", ".join(f'"{c}"' for c in columns)
        + ") VALUES ("
        + ", ".join([target.param] * len(columns))
        + ")"
    )
    size = BLOB_BATCH if model in _BLOB_MODELS else BATCH
    copied = 0
    for rows in _batches(source, model, size):
        out = []
        for row in rows:
            values = [
                c(v) if c is not None else v for c, v in zip(convert, row, strict=True)
            ]
            if merged_col >= 0 and values[merged_col] is not None:
                # It may point at a later ticket: set once all tickets exist.
                deferred.append((values[merged_col], values[id_col]))
                values[merged_col] = None
            out.append(values)
        target.cursor().executemany(sql, out)
        copied += len(out)
    return copied, deferred


def _reset_sequences(target: Database) -> None:
    """Next ids after the copied ones: explicit ids do not advance a sequence."""
    if not isinstance(target, PostgresqlDatabase):
        return  # SQLite's rowid continues from the largest id by itself
    for model in ALL_MODELS:
        pk = model._meta.primary_key
        if not isinstance(pk, AutoField):
            continue
        table, column = _table(model), pk.column_name
        target.execute_sql(
            f"SELECT setval(pg_get_serial_sequence(%s, %s),"
            f' COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)',
            (f'"{table}"', column),
        )


def _snapshot(source: Database) -> Any:
    """One consistent view of the source for the whole copy."""
    if isinstance(source, PostgresqlDatabase):
        return source.atomic(isolation_level="REPEATABLE READ")
    return source.atomic()  # SQLite in WAL: a read transaction is a snapshot


def copy_store(source: Database, target: Database) -> list[TableCopy]:
    """Copy every row of ``source`` into the empty ``target``; counts per table."""
    check_target_empty(target)
    _check_versions(source)
    result: list[TableCopy] = []
    with _snapshot(source), target.atomic():
        deferred: list[tuple[int, int]] = []
        for model in COPIED:
            rows, merges = _copy_table(source, target, model)
            deferred.extend(merges)
            log.info("copied %s: %d rows", _table(model), rows)
            result.append(TableCopy(_table(model), rows))
        if deferred:
            target.cursor().executemany(
                f"UPDATE ticket SET merged_into_id = {target.param}"
                f" WHERE id = {target.param}",
                deferred,
            )
        _reset_sequences(target)
        wrong = []
        for model, done in zip(COPIED, result, strict=True):
            expected, got = _count(source, model), _count(target, model)
            if not expected == got == done.rows:
                wrong.append(f"{done.table}: {expected} in the source, {got} copied")
        if wrong:
            # Raising inside the target's transaction leaves it empty.
            raise TicketcliError("copy: row counts differ: " + "; ".join(wrong))
    return result

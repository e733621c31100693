"""Copy a whole store into an empty one (SQLite -> PostgreSQL, or back).

Every table is copied row for row with its ids, so ticket numbers, links and
history stay what people know. The source is read in one snapshot, in
batches (raw mail never sits in memory all at once); the target is written
in one transaction, so a copy that fails leaves it empty for another try.
The row counts of every table are compared before that transaction commits.

The two halves serve ``backup.py`` too: ``read_table`` feeds a backup file
from a snapshot, and ``write_tables`` fills the store a backup is restored
into, with the same checks, in the same one transaction.
"""

from __future__ import annotations

import itertools
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
from ticketcli.store.search import create_index as create_search_index
from ticketcli.store.search import rebuild as rebuild_search_index

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

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


def table_name(model: type[BaseModel]) -> str:
    return str(model._meta.table_name)


def count_rows(db: Database, model: type[BaseModel]) -> int:
    return int(
        db.execute_sql(f'SELECT COUNT(*) FROM "{table_name(model)}"').fetchone()[0]
    )


def batch_size(model: type[BaseModel]) -> int:
    """Rows per read and per insert: fewer where each holds a whole mail."""
    return BLOB_BATCH if model in _BLOB_MODELS else BATCH


def check_target_empty(target: Database, command: str = "copy") -> None:
    """Refuse to merge into a store that holds anything: ids would clash."""
    filled = [
        f"{table_name(m)} ({n} rows)"
        for m in COPIED
        if (n := count_rows(target, m)) > 0
    ]
    if filled:
        raise UsageError(
            f"{command}: the target store is not empty: "
            + ", ".join(filled[:4])
            + (" ..." if len(filled) > 4 else "")
            + f"; {command} only into a new, empty store"
        )


def unknown_migrations(names: Iterable[str]) -> list[str]:
    """Migrations a store (or a backup) has that this ticketcli does not know."""
    known = {m.name for m in MIGRATIONS}
    return sorted(set(names) - known)


def applied_names(db: Database) -> list[str]:
    """The store's applied migrations, by name (read in the caller's snapshot)."""
    return [
        row[0]
        for row in db.execute_sql(
            f'SELECT name FROM "{table_name(SchemaMigration)}" ORDER BY name'
        ).fetchall()
    ]


def _check_versions(source: Database) -> None:
    newer = unknown_migrations(applied_names(source))
    if newer:
        raise UsageError(
            f"copy: the source store has migrations this ticketcli does not know "
            f"({', '.join(newer)}); use the ticketcli that made it"
        )


def snapshot(source: Database) -> Any:
    """One consistent view of the source for as long as the block lasts.

    It takes no lock a sync waits for: SQLite in WAL mode gives a read
    transaction the database as it was at its first read while writers go
    on; PostgreSQL's REPEATABLE READ gives the same.
    """
    if isinstance(source, PostgresqlDatabase):
        return source.atomic(isolation_level="REPEATABLE READ")
    return source.atomic()


def read_table(source: Database, model: type[BaseModel]) -> Iterator[tuple[Any, ...]]:
    """Every row of one table in primary-key order, as Python values in the
    order of ``model._meta.sorted_fields``; read a page at a time (keyset,
    not OFFSET), so memory holds one page whatever the table's size."""
    fields = model._meta.sorted_fields
    pk = model._meta.primary_key
    at = _position(fields, pk)
    convert = [_converter(f) for f in fields]
    last: Any = None
    while True:
        query = model.select(*fields).order_by(pk).limit(batch_size(model)).tuples()
        if last is not None:
            query = query.where(pk > last)
        rows = list(query.execute(source))
        if not rows:
            return
        for row in rows:
            yield tuple(
                c(v) if c is not None else v for c, v in zip(convert, row, strict=True)
            )
        last = rows[-1][at]


def _position(fields: Sequence[Field], field: Field) -> int:
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


def _write_table(
    target: Database, model: type[BaseModel], rows: Iterable[Sequence[Any]]
) -> tuple[int, list[tuple[int, int]]]:
    """Insert one table's rows; returns their count and deferred ticket merges."""
    fields = model._meta.sorted_fields
    columns = [f.column_name for f in fields]
    merged_col = _position(fields, Ticket.merged_into) if model is Ticket else -1
    id_col = _position(fields, model._meta.primary_key)
    deferred: list[tuple[int, int]] = []
    sql = (
        f'INSERT INTO "{table_name(model)}" ('
        + ", ".join(f'"{c}"' for c in columns)
        + ") VALUES ("
        + ", ".join([target.param] * len(columns))
        + ")"
    )
    written = 0
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, batch_size(model))):
        out = []
        for row in batch:
            values = list(row)
            if merged_col >= 0 and values[merged_col] is not None:
                # It may point at a later ticket: set once all tickets exist.
                deferred.append((values[merged_col], values[id_col]))
                values[merged_col] = None
            out.append(values)
        target.cursor().executemany(sql, out)
        written += len(out)
    return written, deferred


def _reset_sequences(target: Database) -> None:
    """Next ids after the copied ones: explicit ids do not advance a sequence."""
    if not isinstance(target, PostgresqlDatabase):
        return  # SQLite's rowid continues from the largest id by itself
    for model in ALL_MODELS:
        pk = model._meta.primary_key
        if not isinstance(pk, AutoField):
            continue
        table, column = table_name(model), pk.column_name
        target.execute_sql(
            f"SELECT setval(pg_get_serial_sequence(%s, %s),"
            f' COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)',
            (f'"{table}"', column),
        )


def write_tables(
    target: Database,
    tables: Iterable[tuple[type[BaseModel], Iterable[Sequence[Any]]]],
    expected: Mapping[str, int],
    *,
    command: str,
    origin: str,
    done_as: str,
) -> list[TableCopy]:
    """Fill the empty ``target`` in one transaction, every table of COPIED.

    ``tables`` gives each model with its rows (values in the order of its
    ``sorted_fields``), parents first; ``expected`` is how many rows each
    table should have (``origin`` says who said so and ``done_as`` what was
    done, for the error). Before the commit, what was written, what the
    target holds and what was expected must agree for every table; an error
    anywhere, including in the iterables, rolls everything back and leaves
    the target as it was.
    """
    check_target_empty(target, command)
    written: dict[str, int] = {}
    with target.atomic():
        deferred: list[tuple[int, int]] = []
        for model, rows in tables:
            count, merges = _write_table(target, model, rows)
            deferred.extend(merges)
            log.info("%s %s: %d rows", command, table_name(model), count)
            written[table_name(model)] = written.get(table_name(model), 0) + count
        if deferred:
            target.cursor().executemany(
                f"UPDATE ticket SET merged_into_id = {target.param}"
                f" WHERE id = {target.param}",
                deferred,
            )
        _reset_sequences(target)
        # The search index is no table of COPIED: written anew from what came.
        create_search_index(target)
        rebuild_search_index(target)
        result = [
            TableCopy(table_name(m), written.get(table_name(m), 0)) for m in COPIED
        ]
        wrong = []
        for model, done in zip(COPIED, result, strict=True):
            want, got = expected.get(done.table, 0), count_rows(target, model)
            if not want == got == done.rows:
                wrong.append(f"{done.table}: {want} {origin}, {got} {done_as}")
        if wrong:
            # Raising inside the target's transaction leaves it empty.
            raise TicketcliError(f"{command}: row counts differ: " + "; ".join(wrong))
    return result


def copy_store(source: Database, target: Database) -> list[TableCopy]:
    """Copy every row of ``source`` into the empty ``target``; counts per table."""
    _check_versions(source)
    with snapshot(source):
        expected = {table_name(m): count_rows(source, m) for m in COPIED}
        return write_tables(
            target,
            ((m, read_table(source, m)) for m in COPIED),
            expected,
            command="copy",
            origin="in the source",
            done_as="copied",
        )

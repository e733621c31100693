"""A backup file that holds everything in the store, and its restore.

The format is JSON lines, one record per line, UTF-8 (all JSON strings
ASCII-escaped), chosen over an SQLite file because it streams: ``backup -``
goes straight into ``gzip``, ``age`` or ``ssh`` without a temporary file of
the store's size, it reads the same from either backend and into either
backend, and ``jq`` or ten lines of any language can read it.

* Line 1, the header: ``{"format": "ticketcli-backup", "version": 1,
  "ticketcli": ..., "created_at": ..., "backend": ..., "migrations": [names],
  "tables": {table: {"rows": N, "columns": {column: type}}}}``. The counts
  are those of the snapshot the rows come from.
* One line per row, tables in the header's order (parents first), rows in
  id order: ``{"table": "message", "row": {column: value}}``. Types:
  ``integer``, ``text``, ``boolean`` as JSON; ``datetime`` naive UTC ISO 8601
  with microseconds; ``base64`` for bytes (raw mail, attachments, outbox).
* The last line: ``{"end": "ticketcli-backup", "rows": total, "sha256":
  hex}``, the SHA-256 of every byte before it. A file without it was cut
  short; a file whose digest differs was changed.

Restore fills an empty store in one transaction: every line is checked as
it is read, and the header's counts and the digest before the commit, so a
damaged file leaves the target as it was. A backup of an older schema names
fewer migrations and lacks the columns they added: the target has them
(it was migrated when opened) and they take their defaults, as the
``add_column`` of each of those migrations gives old rows. A migration that
changes data as well must teach ``_rows`` the same change. A backup naming a
migration this ticketcli does not know came from a newer one: refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from peewee import (
    BlobField,
    BooleanField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from ticketcli.clock import now
from ticketcli.errors import UsageError
from ticketcli.store.copy import (
    COPIED,
    TableCopy,
    applied_names,
    check_target_empty,
    count_rows,
    read_table,
    snapshot,
    table_name,
    unknown_migrations,
    write_tables,
)
from ticketcli.store.migrations import backend
from ticketcli.version import __version__

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from peewee import Database, Field

    from ticketcli.store.models import BaseModel

FORMAT = "ticketcli-backup"
FORMAT_VERSION = 1
# The header is small; a first "line" longer than this is some other file.
_HEADER_LIMIT = 1 << 24

_MODELS = {table_name(m): m for m in COPIED}


def _kind(field: Field) -> str:
    if isinstance(field, ForeignKeyField):
        return _kind(field.rel_field)
    if isinstance(field, BlobField):
        return "base64"
    if isinstance(field, DateTimeField):
        return "datetime"
    if isinstance(field, BooleanField):
        return "boolean"
    if isinstance(field, IntegerField):  # AutoField and ForeignKeyField too
        return "integer"
    return "text"


def _encoder(field: Field) -> Callable[[Any], Any] | None:
    kind = _kind(field)
    if kind == "base64":
        return lambda v: None if v is None else base64.b64encode(v).decode("ascii")
    if kind == "datetime":
        return lambda v: v.isoformat() if isinstance(v, datetime) else v
    return None


def _decoder(field: Field) -> Callable[[Any], Any] | None:
    kind = _kind(field)
    if kind == "base64":
        return lambda v: None if v is None else base64.b64decode(v, validate=True)
    if kind == "datetime":
        return lambda v: None if v is None else datetime.fromisoformat(v)
    return None


class _Out:
    """Lines to a binary stream, with the digest of everything written."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def line(self, record: dict[str, Any]) -> None:
        data = json.dumps(record, separators=(",", ":")).encode("ascii") + b"\n"
        self.digest.update(data)
        self.stream.write(data)


def write_backup(source: Database, stream: IO[bytes]) -> list[TableCopy]:
    """Write every row of ``source`` to ``stream`` from one snapshot.

    The snapshot takes no lock: syncs go on meanwhile, and none of what
    they commit after its first read is in the backup. Returns the rows
    written per table.
    """
    out = _Out(stream)
    with snapshot(source):
        counts = {table_name(m): count_rows(source, m) for m in COPIED}
        out.line(
            {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "ticketcli": __version__,
                "created_at": now().isoformat() + "Z",
                "backend": backend(source),
                "migrations": applied_names(source),
                "tables": {
                    table_name(m): {
                        "rows": counts[table_name(m)],
                        "columns": {
                            f.column_name: _kind(f) for f in m._meta.sorted_fields
                        },
                    }
                    for m in COPIED
                },
            }
        )
        result = []
        for model in COPIED:
            table = table_name(model)
            fields = model._meta.sorted_fields
            columns = [f.column_name for f in fields]
            encode = [_encoder(f) for f in fields]
            written = 0
            for row in read_table(source, model):
                values = {
                    c: e(v) if e is not None else v
                    for c, e, v in zip(columns, encode, row, strict=True)
                }
                out.line({"table": table, "row": values})
                written += 1
            result.append(TableCopy(table, written))
    out.stream.write(
        json.dumps(
            {
                "end": FORMAT,
                "rows": sum(t.rows for t in result),
                "sha256": out.digest.hexdigest(),
            },
            separators=(",", ":"),
        ).encode("ascii")
        + b"\n"
    )
    out.stream.flush()
    return result


class BackupError(UsageError):
    """The file is no backup, a damaged one, or one from a newer ticketcli."""


class _In:
    """A backup's lines, checked as they are read."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.stream = stream
        self.name = name
        self.number = 0
        self.start = b""  # the file's first bytes, to recognise gzip
        self.digest = hashlib.sha256()

    def fail(self, why: str) -> BackupError:
        return BackupError(f"restore: {self.name}: {why}; nothing was restored")

    def next(self, limit: int = -1) -> dict[str, Any] | None:
        """The next record; None at the end of the file."""
        data = self.stream.readline(limit)
        if not data:
            return None
        self.number += 1
        if self.number == 1:
            self.start = data[:2]
        if not data.endswith(b"\n"):
            raise self.fail(f"cut short in line {self.number} (truncated?)")
        try:
            record = json.loads(data)
        except ValueError:
            raise self.fail(f"line {self.number} is damaged (not JSON)") from None
        if not isinstance(record, dict):
            raise self.fail(f"line {self.number} is damaged (not a record)")
        if "end" not in record:
            self.digest.update(data)
        return record


def _header(lines: _In) -> dict[str, Any]:
    try:
        header = lines.next(_HEADER_LIMIT)
    except BackupError:
        header = None
    if lines.start == b"\x1f\x8b":
        raise BackupError(
            f"restore: {lines.name} is compressed: gunzip -c it into 'restore -'"
        )
    if header is None or header.get("format") != FORMAT:
        raise BackupError(f"restore: {lines.name} is not a ticketcli backup")
    version, migrations = header.get("version"), header.get("migrations")
    if not isinstance(version, int) or not isinstance(migrations, list):
        raise lines.fail("its header is damaged")
    newer = unknown_migrations(migrations)
    if version > FORMAT_VERSION or newer:
        made_by = header.get("ticketcli", "?")
        raise BackupError(
            f"restore: {lines.name} was made by a newer ticketcli ({made_by}: "
            f"format {version}, schema {', '.join(newer) or 'unknown'}); "
            f"restore it with that version (this is {__version__})"
        )
    tables = header.get("tables")
    if not isinstance(tables, dict) or any(
        t not in _MODELS
        or not isinstance(v, dict)
        or not isinstance(v.get("rows"), int)
        for t, v in tables.items()
    ):
        raise lines.fail("its header is damaged")
    return header


def _records(lines: _In) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, row) for every row line; checks order, the end line and digest."""
    order = list(_MODELS)
    at = 0
    total = 0
    while True:
        record = lines.next()
        if record is None:
            raise lines.fail(
                f"it ends after line {lines.number} without its last line (truncated?)"
            )
        if "end" in record:
            break
        table, row = record.get("table"), record.get("row")
        if table not in _MODELS or not isinstance(row, dict):
            raise lines.fail(f"line {lines.number} is damaged (no table row)")
        place = order.index(table)
        if place < at:
            raise lines.fail(f"line {lines.number} is out of order ({table})")
        at = place
        total += 1
        yield table, row
    if record.get("sha256") != lines.digest.hexdigest() or record.get("rows") != total:
        raise lines.fail("its checksum does not match (the file was changed)")
    if lines.next() is not None:
        raise lines.fail(f"line {lines.number} follows its last line")


def _rows(
    model: type[BaseModel], rows: Iterator[tuple[str, dict[str, Any]]], lines: _In
) -> Iterator[tuple[Any, ...]]:
    """One table's rows as values in the order of its fields; a column an
    older schema lacked takes the field's default."""
    fields = model._meta.sorted_fields
    names = {f.column_name for f in fields}
    decode = [_decoder(f) for f in fields]
    defaults = [f.default() if callable(f.default) else f.default for f in fields]
    for _, row in rows:
        if not names.issuperset(row):
            extra = ", ".join(sorted(set(row) - names))
            raise lines.fail(f"line {lines.number} has unknown columns ({extra})")
        values = []
        for field, dec, default in zip(fields, decode, defaults, strict=True):
            if field.column_name not in row:
                values.append(default)
                continue
            value = row[field.column_name]
            try:
                values.append(dec(value) if dec is not None else value)
            except (TypeError, ValueError, binascii.Error):
                raise lines.fail(
                    f"line {lines.number} is damaged ({field.column_name})"
                ) from None
        yield tuple(values)


def restore_backup(target: Database, stream: IO[bytes], name: str) -> list[TableCopy]:
    """Fill the empty ``target`` with the backup read from ``stream``
    (``name`` is how errors call it), in one transaction; rows per table."""
    check_target_empty(target, "restore")
    lines = _In(stream, name)
    header = _header(lines)
    expected = {t: v["rows"] for t, v in header["tables"].items()}
    grouped = itertools.groupby(_records(lines), key=lambda record: record[0])
    return write_tables(
        target,
        ((_MODELS[t], _rows(_MODELS[t], rows, lines)) for t, rows in grouped),
        expected,
        command="restore",
        origin="in the backup's header",
        done_as="restored",
    )

"""Ordered, named schema migrations, each recorded in a table once applied.

A new release appends a ``Migration`` here; ``migrate`` runs what a store
lacks, after copying an SQLite file aside (a failed upgrade must not cost
history). ``0001_initial`` creates the tables from the *current* models, so
a fresh store may already have what a later step adds: every later step
checks before it changes anything.

On PostgreSQL all pending steps run in one transaction under an advisory
lock (DDL is transactional there): two hosts opening a new or old store at
the same moment upgrade it once, and a failed step leaves it as it was.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from peewee import (
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    PostgresqlDatabase,
    TextField,
)

from ticketcli import lazy
from ticketcli.store.models import (
    ALL_MODELS,
    Absence,
    AbsenceMove,
    Agent,
    EscalationNotice,
    MessageMove,
    Outbox,
    SchemaMigration,
    TicketMerge,
    TicketTag,
    Watcher,
    WorkLog,
    bind_models,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from peewee import Database
    from playhouse.migrate import Operation, SchemaMigrator

    from ticketcli.store.search import create_index, rebuild
else:  # the search rules are for the one migration that builds the index
    create_index = lazy.function("ticketcli.store.search:create_index")
    rebuild = lazy.function("ticketcli.store.search:rebuild")

MIGRATION_LOCK_KEY = 0x7469636D  # "ticm"; the sync lock is "tick"

BACKENDS = ("sqlite", "postgresql")


def _migrator(db: Database) -> SchemaMigrator:
    """playhouse.migrate's migrator for ``db``'s backend.

    Imported here, not at the top: ~10 ms (with ``playhouse.postgres_ext``)
    that every command on an up-to-date store would pay for nothing.
    """
    from playhouse.migrate import SchemaMigrator

    return SchemaMigrator.from_database(db)


def run_operations(*operations: Operation) -> None:
    """Run playhouse.migrate operations (imported here: see ``_migrator``)."""
    from playhouse.migrate import migrate

    migrate(*operations)


def backend(db: Database) -> str:
    return "postgresql" if isinstance(db, PostgresqlDatabase) else "sqlite"


class Migration(NamedTuple):
    name: str
    step: Callable[[Database], None]
    # Where the step changes anything; elsewhere it is only recorded, and an
    # SQLite file is not copied aside for a step that leaves it alone.
    backends: tuple[str, ...] = BACKENDS


def _initial(db: Database) -> None:
    db.create_tables(ALL_MODELS, safe=True)


# Text columns that take values from mail and are searched by equality only.
# A PostgreSQL btree entry cannot exceed ~2.7 kB, and a hostile or broken
# mail can carry a longer Message-ID, reference, subject or address; a hash
# index has no such limit (SQLite's indexes have none either).
_HASHED = (
    ("message", "message_id"),
    ("message", "from_address"),
    ("message_ref", "ref"),
    ("ticket", "subject_key"),
    ("ticket", "requester"),
    ("participant", "address"),
)
DEDUPE_CONSTRAINT = "message_dedupe_key_once"


def _postgres_unbounded_text(db: Database) -> None:
    """PostgreSQL: text as SQLite has it -- no length limit, long values indexable.

    Peewee makes ``CharField`` a ``VARCHAR(255)`` on PostgreSQL, which
    SQLite never enforced: an address, an attachment's content type or an
    actor longer than that stored fine in SQLite and failed the whole
    message here. Every such column becomes ``TEXT``. Equality-only indexes
    on mail text become hash indexes, and the unique dedupe key becomes an
    exclusion constraint over a hash index: as strict as the unique index
    (and a concurrent insert waits for the other transaction just the
    same), without the size limit.
    """
    migrator = _migrator(db)
    tables = [model._meta.table_name for model in ALL_MODELS]
    varchar = db.execute_sql(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND data_type = 'character varying'"
        " AND table_name = ANY(%s) ORDER BY table_name, ordinal_position",
        (tables,),
    ).fetchall()
    run_operations(
        *(
            migrator.alter_column_type(table, column, TextField())
            for table, column in varchar
        )
    )
    for table, column in _HASHED:
        for index in db.get_indexes(table):
            if index.columns == [column] and " USING btree " in index.sql:
                run_operations(migrator.drop_index(table, index.name))
        db.execute_sql(
            f'CREATE INDEX IF NOT EXISTS "{table}_{column}_hash"'
            f' ON "{table}" USING hash ("{column}")'
        )
    has_constraint = db.execute_sql(
        "SELECT 1 FROM pg_constraint WHERE conname = %s"
        " AND conrelid = 'message'::regclass",
        (DEDUPE_CONSTRAINT,),
    ).fetchone()
    if not has_constraint:
        db.execute_sql(
            f'ALTER TABLE "message" ADD CONSTRAINT "{DEDUPE_CONSTRAINT}"'
            ' EXCLUDE USING hash ("dedupe_key" WITH =)'
        )
    for index in db.get_indexes("message"):
        if index.columns == ["dedupe_key"] and index.unique:
            run_operations(migrator.drop_index("message", index.name))


def _desk_due_worklog(db: Database) -> None:
    """The lead's commands: a ticket's due date, logged work time, and an index
    that lets `report` read active tickets by status and assignee without a scan.
    """
    db.create_tables([WorkLog], safe=True)
    if "due_at" not in {c.name for c in db.get_columns("ticket")}:
        migrator = _migrator(db)
        run_operations(
            migrator.add_column("ticket", "due_at", DateTimeField(null=True))
        )
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "ticket_status_assignee"'
        ' ON "ticket" ("status", "assignee_id")'
    )
    # Active tickets are a few percent of a store, and the planner's stats
    # cannot tell (three status values look equally common): a partial index
    # holds just them, in the report's default order. The report's query
    # names the statuses as literals so both SQLite and PostgreSQL use it.
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "ticket_active" ON "ticket" ("created_at", "id")'
        " WHERE status IN ('new', 'open', 'pending')"
    )


def _outbox(db: Database) -> None:
    """The outbox: mail ticketcli sends, kept until the server took it."""
    db.create_tables([Outbox], safe=True)


def _queues_absence(db: Database) -> None:
    """Queues and absence: a ticket's queue, the absent owner a pooled ticket
    is held for, and the absences with the tickets they moved."""
    db.create_tables([Absence, AbsenceMove], safe=True)
    columns = {c.name for c in db.get_columns("ticket")}
    migrator = _migrator(db)
    if "queue" not in columns:
        run_operations(migrator.add_column("ticket", "queue", TextField(null=True)))
    if "held_for_id" not in columns:
        held_for = ForeignKeyField(
            Agent, null=True, field=Agent.id, on_delete="SET NULL"
        )
        # add_column indexes a foreign key, as the model does on a new store.
        run_operations(migrator.add_column("ticket", "held_for_id", held_for))


def _stats_indexes(db: Database) -> None:
    """`stats` reads a period's events by kind (closed, reopened), the tickets
    last closed in it, and the work logged in it: without these, each of
    those is a scan of the whole table on a large store."""
    for name, table, columns in (
        ("event_kind_at", "event", '"kind", "at"'),
        ("ticket_closed_at", "ticket", '"closed_at"'),
        ("work_log_at", "work_log", '"at"'),
    ):
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})')


def _quarantine_retry(db: Database) -> None:
    """`quarantine retry`: a quarantined mail that stores after an upgrade
    keeps its row, marked with when it was retried and the message it became,
    so the reason it was held stays on record."""
    columns = {c.name for c in db.get_columns("quarantine")}
    migrator = _migrator(db)
    if "retried_at" not in columns:
        run_operations(
            migrator.add_column("quarantine", "retried_at", DateTimeField(null=True))
        )
    if "message_ref" not in columns:
        run_operations(
            migrator.add_column("quarantine", "message_ref", IntegerField(null=True))
        )


def _unverified_from(db: Database) -> None:
    """A message whose From claims a staff address our receiving server did
    not verify keeps why, so `show` can say so."""
    if "unverified_from" not in {c.name for c in db.get_columns("message")}:
        migrator = _migrator(db)
        run_operations(
            migrator.add_column("message", "unverified_from", TextField(null=True))
        )


def _plans_that_hold(db: Database) -> None:
    """The thread-key look-up of every ingested mail keeps its index after
    ``ANALYZE`` (issue 18). Most mail has no Thread-Index, so the statistics
    of the plain ``message_thread_key`` index count all those NULLs as one
    huge key, and the planner then prefers walking ``message_date`` to the
    first match: ingest 3.5x slower at 200,000 messages. This index holds
    only the rows the look-up can match, so its statistics describe real
    keys, and it gives the rows already in the look-up's order (date, then
    id), so the first entry is the answer."""
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "message_thread_key_date" ON "message"'
        ' ("thread_key", "date") WHERE "thread_key" IS NOT NULL'
        ' AND "ticket_id" IS NOT NULL'
    )


def _search_index(db: Database) -> None:
    """`search`: the full-text index (FTS5 on SQLite, a tsvector with a GIN
    index on PostgreSQL), written from the messages and notes a store has."""
    create_index(db)
    rebuild(db)


def _tags_watchers_moves(db: Database) -> None:
    """Issue 17: tags on tickets, agents watching a ticket, the messages
    moved by hand from one ticket to another, and what each merge moved."""
    db.create_tables([TicketTag, Watcher, MessageMove, TicketMerge], safe=True)


def _escalation_notices(db: Database) -> None:
    """Issue 20: the notices [escalation] sent, one per ticket, goal and
    kind, so that every later sync knows not to send it again."""
    db.create_tables([EscalationNotice], safe=True)


# Indexes whose every use another index serves: event (kind) and
# participant (ticket) are the first column of event_kind_at and of the
# unique (ticket, address); message (thread_key) is superseded by the
# partial message_thread_key_date (0009), the only way a thread key is
# looked up. Every ingested mail wrote a page of each (issue 18).
REDUNDANT_INDEXES = ("event_kind", "participant_ticket_id", "message_thread_key")


def _leaner_ingest(db: Database) -> None:
    """Issue 18: each index a mail's rows enter is a page its commit writes,
    ~50 pages per mail. Three of them no query needed (``REDUNDANT_INDEXES``):
    ~3.3 pages less per mail, and the store smaller."""
    for name in REDUNDANT_INDEXES:
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


MIGRATIONS: list[Migration] = [
    Migration("0001_initial", _initial),
    Migration(
        "0002_postgres_unbounded_text", _postgres_unbounded_text, ("postgresql",)
    ),
    Migration("0003_desk_due_worklog_report_index", _desk_due_worklog),
    Migration("0004_stats_indexes", _stats_indexes),
    Migration("0005_outbox", _outbox),
    Migration("0006_queues_absence", _queues_absence),
    Migration("0007_quarantine_retry", _quarantine_retry),
    Migration("0008_message_unverified_from", _unverified_from),
    Migration("0009_plans_that_hold", _plans_that_hold),
    Migration("0010_search_index", _search_index),
    Migration("0011_tags_watchers_moves", _tags_watchers_moves),
    Migration("0012_escalation_notices", _escalation_notices),
    Migration("0013_leaner_ingest_indexes", _leaner_ingest),
]


def applied(db: Database) -> dict[str, datetime]:
    """Names of the applied migrations with when they were applied."""
    if not db.table_exists(SchemaMigration._meta.table_name):
        return {}
    query = SchemaMigration.select(
        SchemaMigration.name, SchemaMigration.applied_at
    ).order_by(SchemaMigration.name)
    return {row.name: row.applied_at for row in query.execute(db)}


def pending(db: Database) -> list[str]:
    done = applied(db)
    return [m.name for m in MIGRATIONS if m.name not in done]


def migrate(db: Database, sqlite_path: Path | None = None) -> list[str]:
    """Apply pending migrations; returns their names.

    The steps create tables through the models (peewee creates a model's
    table on the database the model is bound to), so the models are bound
    to ``db`` meanwhile, and to what they were bound to before after.
    """
    if not pending(db):
        return []
    with bind_models(db):
        return _migrate(db, sqlite_path)


def _migrate(db: Database, sqlite_path: Path | None) -> list[str]:
    if isinstance(db, PostgresqlDatabase):
        return _migrate_postgres(db)
    todo = pending(db)
    # A new store has nothing to lose; an old one is copied aside only when
    # a pending step changes an SQLite file.
    touches_file = MIGRATIONS[0].name not in todo and any(
        m.name in todo and "sqlite" in m.backends for m in MIGRATIONS
    )
    if sqlite_path is not None and touches_file and sqlite_path.exists():
        _backup_sqlite(db, sqlite_path)
    db.create_tables([SchemaMigration], safe=True)
    # BEGIN IMMEDIATE: the first process to get here migrates; another one
    # waits on the write lock, then finds nothing pending.
    with db.atomic("IMMEDIATE"):
        todo = pending(db)
        for migration in MIGRATIONS:
            if migration.name in todo:
                _apply(db, migration)
    return todo


def _backup_sqlite(db: Database, path: Path) -> None:
    """A consistent copy (WAL included) through SQLite's backup API."""
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    target = sqlite3.connect(path.with_name(f"{path.name}.{stamp}.bak"))
    try:
        db.connection().backup(target)
    finally:
        target.close()


def _migrate_postgres(db: Database) -> list[str]:
    with db.atomic():
        # Held to the end of this transaction: a second host opening the
        # store waits here, then finds nothing left to do.
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        todo = pending(db)
        db.create_tables([SchemaMigration], safe=True)
        for migration in MIGRATIONS:
            if migration.name in todo:
                _apply(db, migration)
    return todo


def _apply(db: Database, migration: Migration) -> None:
    if backend(db) in migration.backends:
        migration.step(db)
    SchemaMigration.create(
        name=migration.name, applied_at=datetime.now(UTC).replace(tzinfo=None)
    )

"""What the store alone spends storing a sync's mail: the floor under ingest.

Issue 18 asks ingest for >= 0.5x a bare compat32 parse. With parsing in a
second process, that leaves the storing process at most twice the parse's
time per mail; and PostgreSQL for >= 0.8x SQLite. This bench asks whether
the store's own work fits in those budgets.

It syncs the generated mailbox in this process (the parsing worker as
`sync` runs it) while recording every statement ticketcli sends to the
store, with its parameters (BEGIN and COMMIT included). Then it replays the
recording with bare ``sqlite3`` into a fresh store of the same schema: the
same statements, parameters and transactions, every row fetched, and no
Python between them. What the replay costs, no change to ticketcli's code
can save; only storing less per mail, or committing less often, can.

    python bench/store_floor.py [--conversations 5000] [--runs 3] [--batch 20]
        [--postgres]

Prints ms per mail, all measured in this run: the compat32 parse, the budget
the target leaves the storing process, ticketcli's sync, and the replay
as sent; then the replay with the statements of the search index left
out, with ``--batch`` mails per transaction (against DESIGN's one
transaction per message: an upper bound of what batching could gain), and
into an in-memory copy (statements without any file I/O). ``--postgres``
records a sync into a throwaway server too and replays it with psycopg, a
round trip per statement and all of a mail's statements in one pipeline
(as few trips as one transaction per mail can take), against the budget of
0.8x SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import peewee

try:  # only for --postgres
    import psycopg
except ImportError:
    psycopg = None

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest import _Postgres, _raws, compat32_parse, generated_mailbox  # noqa: E402

from ticketcli.config import load_config  # noqa: E402
from ticketcli.ingest import read_sources  # noqa: E402
from ticketcli.ingest.parse_ahead import ParseAhead  # noqa: E402
from ticketcli.mail.sources.mbox import MboxSource  # noqa: E402
from ticketcli.store.db import SQLITE_PRAGMAS, connect  # noqa: E402
from ticketcli.store.models import bind_models  # noqa: E402

Op = tuple[str, str, Any]  # ("one", sql, params) or ("many", sql, rows)


class _Recording:
    """A cursor that notes what it runs, for one peewee database."""

    def __init__(self, cursor: sqlite3.Cursor, ops: list[Op]) -> None:
        self._cursor, self._ops = cursor, ops

    def execute(self, sql: str, params: Any = ()) -> _Recording:
        self._ops.append(("one", sql, tuple(params or ())))
        self._cursor.execute(sql, params or ())
        return self

    def executemany(self, sql: str, rows: Any) -> _Recording:
        rows = [tuple(row) for row in rows]
        self._ops.append(("many", sql, rows))
        self._cursor.executemany(sql, rows)
        return self

    def __iter__(self) -> Any:
        return iter(self._cursor)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def fresh_store(path: Path) -> None:
    """An empty store of today's schema (the migrations ran), closed."""
    _remove(path)
    connect(f"sqlite:///{path}").close()


def _sync(mbox: Path, config_path: Path, url: str) -> tuple[int, float]:
    """ticketcli's sync of ``mbox`` into the store at ``url`` in this
    process, the parsing worker as `sync` runs it: mails stored, wall s."""
    config = load_config(str(config_path))
    db = connect(url)
    started = time.perf_counter()
    with bind_models(db):
        report = read_sources(
            config,
            db,
            [MboxSource("mbox:bench", str(mbox))],
            parse_ahead=lambda size: ParseAhead(size, enabled=True),
        )
    seconds = time.perf_counter() - started
    db.close()
    return report.stored, seconds


@contextlib.contextmanager
def recording(ops: list[Op]) -> Iterator[None]:
    """Every statement sent while inside, into ``ops``. sqlite3's cursor
    cannot be patched, so peewee's is wrapped (peewee sends BEGIN and
    COMMIT through it too); on PostgreSQL psycopg's, which also carries
    what ticketcli sends in pipelines."""
    cursor = peewee.Database.cursor

    def recording_cursor(self: Any, *args: Any, **kwargs: Any) -> Any:
        made = cursor(self, *args, **kwargs)
        return _Recording(made, ops) if isinstance(made, sqlite3.Cursor) else made

    patched: list[tuple[Any, str, Any]] = [(peewee.Database, "cursor", cursor)]
    peewee.Database.cursor = recording_cursor
    if psycopg is not None:
        execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

        def recorded_execute(self: Any, sql: Any, params: Any = None, **kw: Any) -> Any:
            ops.append(("one", str(sql), tuple(params or ())))
            return execute(self, sql, params, **kw)

        def recorded_many(self: Any, sql: Any, rows: Any, **kw: Any) -> Any:
            rows = [tuple(row) for row in rows]
            ops.append(("many", str(sql), rows))
            return executemany(self, sql, rows, **kw)

        patched += [
            (psycopg.Cursor, "execute", execute),
            (psycopg.Cursor, "executemany", executemany),
        ]
        psycopg.Cursor.execute = recorded_execute
        psycopg.Cursor.executemany = recorded_many
    try:
        yield
    finally:
        for owner, name, original in patched:
            setattr(owner, name, original)


def without_search(ops: list[Op]) -> list[Op]:
    return [op for op in ops if "search_message" not in op[1]]


def _is(op: Op, word: str) -> bool:
    return op[1].startswith(word)


def batched(ops: list[Op], size: int) -> list[Op]:
    """The same statements, a transaction per ``size`` mails: every other
    BEGIN and COMMIT dropped (savepoints inside stay as they were)."""
    out: list[Op] = []
    commits = 0
    open_ = False
    for op in ops:
        if _is(op, "BEGIN"):
            if open_:
                continue
            open_ = True
        elif _is(op, "COMMIT"):
            commits += 1
            if commits % size:
                continue
            open_ = False
        out.append(op)
    if open_:
        out.append(("one", "COMMIT", ()))
    return out


def replay(ops: list[Op], con: sqlite3.Connection) -> tuple[float, float]:
    """(wall, CPU) seconds of running ``ops`` on ``con`` as they were sent."""
    cursor = con.cursor()
    started, cpu = time.perf_counter(), time.process_time()
    for kind, sql, params in ops:
        if kind == "one":
            cursor.execute(sql, params)
            cursor.fetchall()
        else:
            cursor.executemany(sql, params)
    return time.perf_counter() - started, time.process_time() - cpu


def _open(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    for name, value in SQLITE_PRAGMAS.items():
        con.execute(f"PRAGMA {name} = {value}")
    return con


def replay_file(ops: list[Op], path: Path) -> float:
    fresh_store(path)
    con = _open(path)
    try:
        return replay(ops, con)[0]
    finally:
        con.close()
        _remove(path)


def replay_memory(ops: list[Op], path: Path) -> float:
    fresh_store(path)
    source = sqlite3.connect(path)
    con = sqlite3.connect(":memory:", isolation_level=None)
    source.backup(con)
    source.close()
    con.execute("PRAGMA foreign_keys = 1")
    try:
        return replay(ops, con)[0]
    finally:
        con.close()
        _remove(path)


def transactions(ops: list[Op]) -> list[list[Op]]:
    """``ops`` cut after each COMMIT (what comes before the first BEGIN
    rides with the first transaction)."""
    out: list[list[Op]] = [[]]
    for op in ops:
        out[-1].append(op)
        if _is(op, "COMMIT"):
            out.append([])
    return [group for group in out if group]


def replay_postgres(ops: list[Op], url: str, *, pipelined: bool) -> float:
    """Wall seconds of ``ops`` on a fresh PostgreSQL database: a round trip
    per statement, or (``pipelined``) one per transaction, which is as
    few as one transaction per mail can take."""
    connect(url).close()  # the schema
    con = psycopg.connect(url, autocommit=True)
    groups = transactions(ops)
    try:
        started = time.perf_counter()
        for group in groups:
            if pipelined:
                with con.pipeline():
                    for kind, sql, params in group:
                        _pg_run(con.cursor(), kind, sql, params)
            else:
                for kind, sql, params in group:
                    cursor = con.cursor()
                    _pg_run(cursor, kind, sql, params)
                    if cursor.description is not None:
                        cursor.fetchall()
        return time.perf_counter() - started
    finally:
        con.close()


def _pg_run(cursor: Any, kind: str, sql: str, params: Any) -> None:
    if kind == "one":
        cursor.execute(sql, params or None)
    else:
        cursor.executemany(sql, params)


def _stores(tmp: Path, postgres: Any) -> Iterator[tuple[str, str]]:
    """(backend, URL of a fresh store) for each backend measured."""
    path = tmp / "store.db"
    fresh_store(path)
    yield "sqlite", f"sqlite:///{path}"
    if postgres is not None:
        url = postgres.fresh()
        connect(url).close()  # the schema, before anything is recorded
        yield "postgresql", url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3, help="median of this many")
    parser.add_argument("--batch", type=int, default=20, help="mails per transaction")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also record and replay a sync into PostgreSQL (a throwaway "
        "server, tests/servers/postgres.py)",
    )
    args = parser.parse_args()
    postgres = _Postgres(None) if args.postgres else None
    figures: dict[str, list[float]] = {}

    def measure(label: str, seconds: float) -> None:
        figures.setdefault(label, []).append(seconds)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        mbox, config = generated_mailbox(tmp, args.conversations, args.seed)
        raws = _raws(mbox)
        count = len(raws)
        recorded: dict[str, list[Op]] = {}
        try:
            for backend, url in _stores(tmp, postgres):
                recorded[backend] = []
                with recording(recorded[backend]):
                    _sync(mbox, config, url)
            ops = recorded["sqlite"]
            store = tmp / "replay.db"
            for _ in range(args.runs):
                measure("compat32 parse", compat32_parse(raws)[0])
                for backend, url in _stores(tmp, postgres):
                    measure(f"ticketcli sync, {backend}", _sync(mbox, config, url)[1])
                measure("replay, as sent", replay_file(ops, store))
                measure(
                    "replay without the search index",
                    replay_file(without_search(ops), store),
                )
                measure(
                    f"replay, {args.batch} mails per transaction",
                    replay_file(batched(ops, args.batch), store),
                )
                measure("replay into memory (no file I/O)", replay_memory(ops, store))
                if postgres is not None:
                    pg_ops = recorded["postgresql"]
                    measure(
                        "postgresql replay, as sent",
                        replay_postgres(pg_ops, postgres.fresh(), pipelined=False),
                    )
                    measure(
                        "postgresql replay, a round trip per mail",
                        replay_postgres(pg_ops, postgres.fresh(), pipelined=True),
                    )
        finally:
            if postgres is not None:
                postgres.stop()

    def per_mail(label: str) -> float:
        return statistics.median(figures[label]) / count * 1000

    parse = per_mail("compat32 parse")
    budget = 2 * parse
    print(f"messages: {count}, median of {args.runs}; ms per mail, wall clock")
    for backend, backend_ops in recorded.items():
        commits = sum(1 for op in backend_ops if _is(op, "COMMIT"))
        print(
            f"  {backend}: {len(backend_ops) / count:.1f} statements and"
            f" {commits / count:.2f} commits per mail"
        )
    print(f"{'':44s} {'ms/mail':>8s} {'of budget':>9s}")
    print(f"{'compat32 parse (the floor)':44s} {parse:8.3f}")
    print(f"{'budget of the storing process at 0.5x':44s} {budget:8.3f} {1:9.2f}")
    for label in figures:
        if label == "compat32 parse" or label.startswith("postgresql"):
            continue
        cost = per_mail(label)
        print(f"{label:44s} {cost:8.3f} {cost / budget:9.2f}")
    if postgres is not None:
        # PostgreSQL >= 0.8x SQLite: at most 1.25x SQLite's time per mail.
        pg_budget = per_mail("ticketcli sync, sqlite") / 0.8
        print(f"{'':44s} {'ms/mail':>8s} {'of budget':>9s}")
        print(f"{'PostgreSQL budget at 0.8x SQLite':44s} {pg_budget:8.3f} {1:9.2f}")
        for label in figures:
            if label.startswith("postgresql") or label.endswith("postgresql"):
                cost = per_mail(label)
                print(f"{label:44s} {cost:8.3f} {cost / pg_budget:9.2f}")


if __name__ == "__main__":
    main()

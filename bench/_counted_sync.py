"""Run the ticketcli CLI, counting what it sends to the store (for bench/ingest.py).

    python bench/_counted_sync.py OUT.json TICKETCLI-ARGS...

Counts are written to OUT.json when the CLI ends: ``statements`` (peewee
cursors asked for: one per statement, BEGIN and COMMIT included, an
executemany once) and, on PostgreSQL, ``round_trips`` (psycopg statements
sent outside a pipeline, plus one per pipeline: each is one wait for the
server). The CLI comes from the ``ticketcli`` package first on sys.path,
so bench/ingest.py can point this at another checkout (``--before``).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import runpy
import sys
from typing import Any

COUNTS = {"statements": 0, "round_trips": 0}


def _count_statements() -> None:
    import peewee

    cursor = peewee.Database.cursor

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        COUNTS["statements"] += 1
        return cursor(self, *args, **kwargs)

    peewee.Database.cursor = counted


def _count_round_trips() -> None:
    try:
        import psycopg
    except ImportError:
        return
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany
    pipeline = psycopg.Connection.pipeline

    def one(method: Any) -> Any:
        def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            if self._conn._pipeline is None:
                COUNTS["round_trips"] += 1
            return method(self, *args, **kwargs)

        return counted

    @contextlib.contextmanager
    def counted_pipeline(self: Any, *args: Any, **kwargs: Any) -> Any:
        outer = self._pipeline is None
        with pipeline(self, *args, **kwargs) as pipe:
            yield pipe
        if outer:
            COUNTS["round_trips"] += 1

    psycopg.Cursor.execute = one(execute)
    psycopg.Cursor.executemany = one(executemany)
    psycopg.Connection.pipeline = counted_pipeline


def main() -> None:
    out, args = sys.argv[1], sys.argv[2:]
    postgres = any(a.startswith(("postgresql:", "postgres:")) for a in args)
    _count_statements()
    if postgres:  # psycopg is imported only for a PostgreSQL store
        _count_round_trips()

    def write() -> None:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(COUNTS, fh)

    atexit.register(write)
    sys.argv = ["ticketcli", *args]
    runpy.run_module("ticketcli", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

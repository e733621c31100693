"""PostgreSQL stores what SQLite stores, in any order and split (issue 18).

On PostgreSQL a sync reads a mail's first questions ahead, lets writes wait
for the next statement and takes each mail's id from the sequence in its
first round trip (``store.lookup``, ``store.db.PipelinedPostgres``). None of
that may change what is stored. The same random delivery -- forests with
duplicates and noise in random orders, splits and formats, hostile mail
mixed in (``tests/property/forest.py``) -- goes into an SQLite store and a
fresh PostgreSQL database: the export (ticket numbers included), every
message's row id and placement, the noise and the quarantine must be equal.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.property.forest import Forest, Helpdesk, forests, hostile_deliveries
from tests.property.test_pipeline_properties import BUDGET, ci_settings
from ticketcli.store.db import connect

if TYPE_CHECKING:
    from tests.servers.postgres import PostgresServer

pytestmark = pytest.mark.postgres


def _store(desk: Helpdesk, url: str, results: list[Any]) -> tuple[Any, ...]:
    db = connect(url)
    try:
        # Row ids too: `noise list`, `show` and `move` name messages by them.
        rows = db.execute_sql(
            "SELECT id, message_id, ticket_id, kind, rule FROM message ORDER BY id"
        ).fetchall()
    finally:
        db.close()
    return (
        [(r.exit_code, r.stderr) for r in results],
        desk.export(),
        [tuple(row) for row in rows],
        desk.unthreaded_noise(),
        # received_at is the clock's; the rest must not differ
        [q | {"received_at": None} for q in desk.quarantined()],
    )


@ci_settings(examples=max(1, BUDGET // 2))  # two stores an example, one a server's
@given(forest=forests(), data=st.data())
def test_postgresql_stores_what_sqlite_stores(
    postgres_server: PostgresServer, forest: Forest, data: Any
) -> None:
    batches = data.draw(hostile_deliveries(forest), label="batches")
    formats = data.draw(
        st.lists(st.sampled_from(["emldir", "mbox"]), min_size=1, max_size=3),
        label="formats",
    )
    # An mbox needs a forest's envelope: a sync with hostile bytes is a folder.
    formats = [
        "emldir"
        if any(isinstance(m, bytes) for m in batch)
        else formats[i % len(formats)]
        for i, batch in enumerate(batches)
    ]
    name = postgres_server.create_database()
    # Nothing from the developer's shell (PGHOST, ...) decides where to connect.
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    seen = []
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            mock.patch.dict(os.environ, environ, clear=True),
        ):
            base = Path(tmp) / "desk"  # the same paths: sources are named by them
            for url in (f"sqlite:///{base / 'store.db'}", postgres_server.url(name)):
                shutil.rmtree(base, ignore_errors=True)
                desk = Helpdesk(base, url)
                synced = zip(batches, formats, strict=True)
                results = [desk.sync(batch, fmt) for batch, fmt in synced]
                seen.append(_store(desk, url, results))
    finally:
        postgres_server.drop_database(name)
    assert {code for code, _ in seen[0][0]} == {0}
    assert seen[1] == seen[0]

"""A backup taken while cron's sync runs in another process (into SQLite or
PostgreSQL): it neither waits for the sync nor sees half of it. Restored, it
holds a prefix of the sync's messages, each whole -- its ticket (with a
message count that adds up), its raw bytes, its delivery row and its
history, nothing of a later one.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from tests.conftest import REPO, write_config
from ticketcli.cli import cli
from ticketcli.store.db import connect

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import GenMailbox

pytestmark = pytest.mark.slow


def _all(url: str, sql: str) -> list[tuple[Any, ...]]:
    db = connect(url)
    try:
        return [tuple(row) for row in db.execute_sql(sql).fetchall()]
    finally:
        db.close()


def _count(url: str, table: str) -> int:
    return int(_all(url, f'SELECT COUNT(*) FROM "{table}"')[0][0])


def _whole(url: str) -> tuple[list[int], dict[str, Any]]:
    """The store's message ids, and what each message's rows say of it."""
    ids = [r[0] for r in _all(url, "SELECT id FROM message ORDER BY id")]
    facts = {
        # Every message has its raw bytes; the deliveries (a source's
        # memory) in the order they were made.
        "raw": _all(url, "SELECT message_id FROM message_raw ORDER BY message_id"),
        "deliveries": _all(
            url, "SELECT id, source, key, message_id FROM delivery ORDER BY id"
        ),
        # A ticket's message count is the (ticket-kind) mail on it, all there.
        "counts": _all(
            url,
            "SELECT t.id FROM ticket t WHERE t.message_count <>"
            " (SELECT COUNT(*) FROM message m WHERE m.ticket_id = t.id"
            " AND m.kind = 'ticket')",
        ),
        "orphans": _all(
            url,
            "SELECT m.id FROM message m LEFT JOIN ticket t ON t.id = m.ticket_id"
            " WHERE m.ticket_id IS NOT NULL AND t.id IS NULL",
        ),
        "unlogged": _all(
            url,
            "SELECT m.id FROM message m WHERE m.ticket_id IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM event e WHERE e.message_id = m.id)",
        ),
    }
    return ids, facts


@pytest.mark.parametrize(
    "live", ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)]
)
def test_a_backup_during_a_sync_restores_a_whole_prefix(
    gen_mailbox: GenMailbox,
    tmp_path: Path,
    live: str,
    request: pytest.FixtureRequest,
) -> None:
    mbox, truth = gen_mailbox(conversations=1200, seed=71, fmt="mbox", noise=0.1)
    config = write_config(tmp_path / "config.toml", truth)
    # The store cron syncs into: an SQLite file in WAL mode, or PostgreSQL
    # (where the backup reads in a REPEATABLE READ transaction).
    url = (
        str(request.getfixturevalue("postgres_db"))
        if live == "pg"
        else f"sqlite:///{tmp_path / 'live.db'}"
    )
    runner = CliRunner()
    base = ["--config", str(config)]
    assert runner.invoke(cli, [*base, "--db", url, "init"]).exit_code == 0
    sync = subprocess.Popen(
        [sys.executable, "-m", "ticketcli", *base, "--db", url, "sync"]
        + ["--source", str(mbox)],
        cwd=REPO,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while _count(url, "message") < 200:
            assert sync.poll() is None, "the sync ended before the backup began"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        backup = tmp_path / "during.backup"
        started = time.monotonic()
        done = runner.invoke(cli, [*base, "--db", url, "backup", str(backup)])
        took = time.monotonic() - started
        assert done.exit_code == 0, done.stderr
        # It neither waited for the sync nor stopped it.
        assert sync.poll() is None, "the sync ended before the backup did"
    finally:
        _, err = sync.communicate(timeout=600)
    assert sync.returncode == 0, err
    final_ids, final = _whole(url)

    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    back = runner.invoke(cli, [*base, "--db", restored, "restore", str(backup)])
    assert back.exit_code == 0, back.stderr
    ids, facts = _whole(restored)
    assert 200 <= len(ids) < len(final_ids), took
    assert ids == final_ids[: len(ids)]
    assert facts["raw"] == [(i,) for i in ids]
    # A prefix of the deliveries too, each message's own among them.
    deliveries = facts["deliveries"]
    assert deliveries == final["deliveries"][: len(deliveries)]
    delivered = {d[3] for d in deliveries}
    assert {d[3] for d in final["deliveries"]} & set(ids) <= delivered
    assert max(i for i in delivered if i is not None) == ids[-1]
    assert facts["counts"] == facts["orphans"] == facts["unlogged"] == []
    # The same holds for the finished store: the checks can tell.
    assert final["counts"] == final["orphans"] == final["unlogged"] == []
    assert final["raw"] == [(i,) for i in final_ids]

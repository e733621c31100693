"""The sync lock: one sync at a time per store, seen by every process (SQLite)
or every host (PostgreSQL's advisory lock), and never left behind by a crash."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

from tests.conftest import REPO, write_config
from tests.servers.postgres import wait_for
from ticketcli.desk import people
from ticketcli.store.db import connect
from ticketcli.store.lock import ADVISORY_KEY, sync_lock
from ticketcli.store.models import bind_models

if TYPE_CHECKING:
    from pathlib import Path

SUPPORT = "support@acme-help.example"


def _sync(config: Path, url: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ticketcli",
            "--config",
            str(config),
            "--db",
            url,
            "sync",
            "--source",
            str(folder),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _inbox(tmp: Path) -> Path:
    inbox = tmp / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(
        f"From: mari@kund.ee\r\nTo: {SUPPORT}\r\nSubject: Tere\r\n"
        "Message-ID: <lock@kund.ee>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0200\r\n"
        "\r\nTere\r\n".encode()
    )
    return inbox


def _other_session_gets_lock(url: str) -> bool:
    """Try the lock from a separate connection (another host), and let go."""
    import psycopg

    if not url.startswith("postgresql:"):
        raise AssertionError("PostgreSQL only")
    with psycopg.connect(url, autocommit=True) as con:
        row = con.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()
        got = bool(row and row[0])
        if got:
            con.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_KEY,))
    return got


def test_lock_is_held_for_the_whole_run_and_keeps_a_second_sync_out(
    store_url: str, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "config.toml", support_addresses=[SUPPORT], lock_timeout=0.5
    )
    inbox = _inbox(tmp_path)
    db = connect(store_url)
    try:
        with sync_lock(db, timeout=1):
            # A sync commits once per message; the lock must outlive commits.
            for n in range(3):
                with bind_models(db), db.atomic():
                    people.add_customer(f"Klient {n}", None, [f"k{n}@kund.ee"], [])
            if store_url.startswith("postgresql:"):
                assert not _other_session_gets_lock(store_url)
            blocked = _sync(config, store_url, inbox)
        assert blocked.returncode == 1
        assert blocked.stdout == ""
        assert blocked.stderr.startswith("Error: another sync is running (")
        assert blocked.stderr.endswith("held for 0.5s); try again later\n")
        if store_url.startswith("postgresql:"):
            assert _other_session_gets_lock(store_url)
        done = _sync(config, store_url, inbox)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    finally:
        db.close()


_HOLD_THE_LOCK = """
    import sys, time
    from ticketcli.store.db import connect
    from ticketcli.store.lock import sync_lock

    db = connect(sys.argv[1])
    with sync_lock(db, timeout=5):
        print("locked", flush=True)
        time.sleep(300)
"""


@pytest.mark.postgres
def test_a_killed_sync_leaves_no_lock_behind(postgres_db: str, tmp_path: Path) -> None:
    """The advisory lock belongs to the session: a host that dies mid-sync
    (kill -9, power cut) releases it with its connection -- no stale file."""
    config = write_config(
        tmp_path / "config.toml", support_addresses=[SUPPORT], lock_timeout=10
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_HOLD_THE_LOCK), postgres_db],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        assert not _other_session_gets_lock(postgres_db)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    wait_for(lambda: _other_session_gets_lock(postgres_db), 10)
    done = _sync(config, postgres_db, _inbox(tmp_path))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")

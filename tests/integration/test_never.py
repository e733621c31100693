"""DESIGN.md's "What never happens", tried for real with processes and kills.

A sync killed at any point loses no mail and stores none twice; a message
is marked on the source (Maildir new/ -> cur/) only after its commit; two
syncs started at the same moment store everything once.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import REPO, GenMailbox

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow


def _config(tmp: Path, maildir: Path, truth: dict[str, Any], **extra: str) -> Path:
    path = tmp / "config.toml"
    lines = [
        f'support_addresses = ["{truth["support_address"]}"]',
        'staff_domains = ["helpdesk.example"]',
        "lock_timeout = 120",
        *(f"{k} = {v}" for k, v in extra.items()),
        f'[database]\nurl = "sqlite:///{tmp / "store.db"}"',
        f'[[sources]]\ntype = "maildir"\nname = "support"\npath = "{maildir}"\n'
        'after = "seen"',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _sync(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ticketcli", "--config", str(config), "sync"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _expected_distinct(truth: dict[str, Any]) -> int:
    """Every delivered mail but second deliveries of the same mail."""
    return sum(1 for m in truth["messages"] if m["kind"] != "duplicate")


def _store_rows(db: Path) -> tuple[int, int, set[str]]:
    con = sqlite3.connect(db)
    try:
        messages = con.execute(
            "SELECT count(*), count(DISTINCT dedupe_key) FROM message"
        ).fetchone()
        keys = {k for (k,) in con.execute("SELECT key FROM delivery")}
    finally:
        con.close()
    return messages[0], messages[1], keys


def _maildir_copy(
    gen: GenMailbox, tmp: Path, conversations: int
) -> tuple[Path, dict[str, Any]]:
    folder, truth = gen(conversations=conversations, seed=23, fmt="maildir", noise=0.1)
    copy = tmp / "Maildir"
    shutil.copytree(folder, copy)
    for sub in ("cur", "tmp"):
        (copy / sub).mkdir(exist_ok=True)
    return copy, truth


def test_sigkill_anywhere_loses_nothing_and_duplicates_nothing(
    gen_mailbox: GenMailbox, tmp_path: Path
) -> None:
    maildir, truth = _maildir_copy(gen_mailbox, tmp_path, 600)
    config = _config(tmp_path, maildir, truth)
    rng = random.Random(1234)
    kills = 0
    for _ in range(6):
        proc = _sync(config)
        time.sleep(rng.uniform(0.3, 1.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        # Whatever moved to cur/ must already be in the store.
        stored, _, keys = (
            _store_rows(tmp_path / "store.db")
            if (tmp_path / "store.db").exists()
            else (0, 0, set())
        )
        moved = {name.split(":")[0] for name in os.listdir(maildir / "cur")}
        assert moved <= keys, moved - keys
    assert kills >= 2, "the sync finished too fast to be killed; use a larger mailbox"
    final = _sync(config)
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()
    assert (out, err) == (b"", b"")
    # The killed runs left up to ~40 MB of WAL not yet checkpointed;
    # the last run's close folded it into the store and removed it.
    assert not (tmp_path / "store.db-wal").exists()
    stored, distinct, keys = _store_rows(tmp_path / "store.db")
    assert stored == distinct == _expected_distinct(truth)
    assert os.listdir(maildir / "new") == []
    assert {n.split(":")[0] for n in os.listdir(maildir / "cur")} <= keys


def test_two_syncs_at_once_store_everything_once(
    gen_mailbox: GenMailbox, tmp_path: Path
) -> None:
    maildir, truth = _maildir_copy(gen_mailbox, tmp_path, 60)
    config = _config(tmp_path, maildir, truth)
    first, second = _sync(config), _sync(config)
    results = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == second.returncode == 0, results
    stored, distinct, _ = _store_rows(tmp_path / "store.db")
    assert stored == distinct == _expected_distinct(truth)

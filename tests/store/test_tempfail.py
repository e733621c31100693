"""`import -` behind an MTA: a mail not stored for a reason that passes exits 75.

Postfix, Exim and sendmail bounce a piped mail back to its sender on any
exit code but 0 and 75 (EX_TEMPFAIL), on which they keep it queued and try
again. Each test here makes the store refuse for real -- the sync lock held
by another process, PostgreSQL not listening, the store's disk full (a small
tmpfs, or SQLite's own page limit) -- runs the real command as the MTA does,
and checks the code, the one line the MTA logs, and that the store holds
nothing of the mail; then takes the obstacle away and sees the retry store it.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from peewee import OperationalError

from tests.conftest import REPO, write_config
from ticketcli.store.db import connect, describe_store_failure
from ticketcli.store.lock import sync_lock

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SUPPORT = "support@acme-help.example"
RETRY = "ticketcli: mail not stored, the MTA should retry: "
FULL = "the store's disk is full (database or disk is full)"

# Runs the real `main()` with SQLite's page limit set on every connection the
# command opens: the store is "full" as a full disk makes it (SQLITE_FULL).
_WITH_PAGE_LIMIT = """
import sys
from ticketcli.store import db
db.SQLITE_PRAGMAS["max_page_count"] = int(sys.argv.pop(1))
from ticketcli.cli import main
main(sys.argv[1:])
"""


def mail(n: int, size: int = 0) -> bytes:
    body = ("Tere, printer ei tööta.\n" + "x" * 70 + "\n") * max(1, size // 95)
    return (
        f"From: Mari Maasikas <mari@kund.ee>\nTo: {SUPPORT}\n"
        f"Subject: Printer {n}\nMessage-ID: <pipe.{n}@kund.ee>\n"
        "Date: Mon, 02 Mar 2026 10:00:00 +0200\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\n" + body
    ).encode()


class Mta:
    """Runs ticketcli as an MTA does: a new process, the mail on stdin."""

    def __init__(self, config: Path, url: str, page_limit: int | None = None) -> None:
        self.config = config
        self.url = url
        self.page_limit = page_limit

    def run(
        self, *args: str, data: bytes = b"", config: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        if self.page_limit is None:
            head = [sys.executable, "-m", "ticketcli"]
        else:
            head = [sys.executable, "-c", _WITH_PAGE_LIMIT, str(self.page_limit)]
        done = subprocess.run(
            [*head, "--config", str(config or self.config), "--db", self.url, *args],
            cwd=REPO,
            input=data,
            capture_output=True,
            timeout=120,
            check=False,
        )
        return subprocess.CompletedProcess(
            done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
        )

    def pipe(self, data: bytes, **kw: Path) -> subprocess.CompletedProcess[str]:
        return self.run("import", "-", data=data, **kw)

    def messages(self) -> list[str]:
        """Every stored message's Message-ID, ticket by ticket (no page limit)."""
        done = Mta(self.config, self.url).run("export")
        if done.returncode == 2 and done.stderr.startswith("Error: no store at "):
            return []  # nothing stored yet, not even the store
        assert done.returncode == 0, done.stderr
        tickets = [json.loads(line) for line in done.stdout.splitlines()]
        return [m["message_id"] for t in tickets for m in t["messages"]]


def _config(tmp: Path, **extra: object) -> Path:
    return write_config(tmp / "config.toml", support_addresses=[SUPPORT], **extra)


def _inbox(tmp: Path, data: bytes) -> Path:
    inbox = tmp / "inbox"
    inbox.mkdir(exist_ok=True)
    (inbox / "1.eml").write_bytes(data)
    return inbox


# -- the lock ---------------------------------------------------------------------


def test_a_held_lock_defers_piped_mail_and_fails_a_sync(
    store_url: str, tmp_path: Path
) -> None:
    mta = Mta(_config(tmp_path, lock_timeout=0.3), store_url)
    db = connect(store_url)
    try:
        with sync_lock(db, timeout=1):
            piped = mta.pipe(mail(1))
            other = mta.run("sync", "--source", "-", data=mail(1))
            synced = mta.run("sync", "--source", str(_inbox(tmp_path, mail(1))))
    finally:
        db.close()
    assert piped.returncode == other.returncode == 75
    assert piped.stdout == ""
    assert piped.stderr.startswith(f"{RETRY}another sync is running (")
    assert piped.stderr.endswith("held for 0.3s); try again later\n")
    assert len(piped.stderr.splitlines()) == 1
    # A cron sync keeps its contract: 1, "Error: ...".
    assert synced.returncode == 1
    assert synced.stderr.startswith("Error: another sync is running (")
    assert mta.messages() == []
    # The MTA tries again once the other sync is done.
    assert (mta.pipe(mail(1)).returncode, mta.messages()) == (0, ["<pipe.1@kund.ee>"])


# -- the store unreachable, the config unreadable ---------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_postgresql_down_defers_piped_mail(tmp_path: Path) -> None:
    url = f"postgresql://ticketcli@127.0.0.1:{_closed_port()}/ticketcli"
    mta = Mta(_config(tmp_path), url)
    piped = mta.pipe(mail(1))
    assert piped.returncode == 75
    assert piped.stderr.startswith(f"{RETRY}cannot open the store {url}: ")
    assert "Connection refused" in piped.stderr
    assert len(piped.stderr.splitlines()) == 1
    assert mta.run("sync", "--source", "-", data=mail(1)).returncode == 75
    # Not from the MTA: the usual runtime failure.
    assert mta.run("sync", "--source", str(_inbox(tmp_path, mail(1)))).returncode == 1
    assert mta.run("import", "-", str(tmp_path / "inbox"), data=mail(1)).returncode == 1


def test_a_store_that_cannot_be_created_defers_piped_mail(tmp_path: Path) -> None:
    (tmp_path / "var").write_text("a file where the store's directory should be")
    mta = Mta(_config(tmp_path), f"sqlite:///{tmp_path / 'var' / 'lib' / 'x.db'}")
    piped = mta.pipe(mail(1))
    assert piped.returncode == 75
    assert piped.stderr.startswith(f"{RETRY}cannot open the store sqlite:///")
    assert len(piped.stderr.splitlines()) == 1
    # One line, no traceback (was exit 4); only the commands that bring mail
    # in create a store, so export says there is none (issue 19).
    assert mta.run("export").returncode == 2


def test_a_broken_config_defers_piped_mail_and_stays_a_usage_error_elsewhere(
    tmp_path: Path,
) -> None:
    """The config is ours, not the sender's (and may be half-written by a
    deployment right now): the MTA keeps the mail instead of bouncing it."""
    bad = tmp_path / "bad.toml"
    bad.write_text("support_adresses = []\n", encoding="utf-8")
    mta = Mta(_config(tmp_path), f"sqlite:///{tmp_path / 'store.db'}")
    piped = mta.pipe(mail(1), config=bad)
    assert piped.returncode == 75
    assert piped.stderr == f"{RETRY}{bad}: support_adresses: unknown setting\n"
    synced = mta.run("sync", "--source", str(_inbox(tmp_path, mail(1))), config=bad)
    assert (synced.returncode, synced.stderr) == (
        2,
        f"Error: {bad}: support_adresses: unknown setting\n",
    )
    assert mta.messages() == []


def test_what_a_retry_cannot_fix_is_not_deferred(tmp_path: Path) -> None:
    mta = Mta(_config(tmp_path), f"sqlite:///{tmp_path / 'store.db'}")
    empty = mta.pipe(b"")
    assert (empty.returncode, empty.stderr) == (
        1,
        "Error: stdin: cannot read stdin: no message (empty input)\n",
    )
    # Quarantined mail is kept whole: stored, as far as the MTA is concerned.
    junk = mta.pipe(b"\x00\x01 this is not mail at all \xff\xfe" * 3)
    assert junk.returncode == 0, junk.stderr
    assert "1 message(s) quarantined" in junk.stderr


# -- a full disk ------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs (needs root, or at least CAP_SYS_ADMIN)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    """Fill the file system up to ``leave`` bytes."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        chunk = b"\0" * 65536
        while True:
            try:
                os.write(fd, chunk)
            except OSError:
                if len(chunk) == 512:
                    break
                chunk = chunk[: len(chunk) // 2]
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave))
    finally:
        os.close(fd)
    return filler


def _full_disk_is_reported_and_leaves_the_store_as_it_was(
    mta: Mta, tmp_path: Path
) -> None:
    piped = mta.pipe(mail(2, 600_000))
    assert (piped.returncode, piped.stderr) == (75, f"{RETRY}{FULL}\n")
    synced = mta.run("sync", "--source", str(_inbox(tmp_path, mail(3, 600_000))))
    assert (synced.returncode, synced.stderr) == (1, f"Error: {FULL}\n")
    assert mta.messages() == ["<pipe.1@kund.ee>"]


def test_a_full_disk_defers_piped_mail_and_says_the_disk_is_full(
    small_disk: Path, tmp_path: Path
) -> None:
    mta = Mta(_config(tmp_path), f"sqlite:///{small_disk / 'store.db'}")
    assert mta.pipe(mail(1)).returncode == 0
    # Room to open the store, not for the mail: SQLITE_FULL mid-transaction,
    # then "cannot rollback - no transaction is active" from peewee.
    filler = _fill(small_disk, leave=200_000)
    _full_disk_is_reported_and_leaves_the_store_as_it_was(mta, tmp_path)
    # No room at all: SQLite cannot even make its -wal and -shm files.
    filler.unlink()
    _fill(small_disk, leave=0)
    piped = mta.pipe(mail(2, 600_000))
    assert piped.returncode == 75
    assert piped.stderr.startswith(f"{RETRY}cannot open the store sqlite:///")
    assert piped.stderr.endswith(": the store's disk is full (disk I/O error)\n")
    filler.unlink()
    assert mta.messages() == ["<pipe.1@kund.ee>"]
    # Room again: the MTA's retry stores it.
    assert mta.pipe(mail(2, 600_000)).returncode == 0
    assert mta.messages() == ["<pipe.1@kund.ee>", "<pipe.2@kund.ee>"]


def test_a_store_at_its_page_limit_is_full_too(tmp_path: Path) -> None:
    """SQLite's own limit gives the very SQLITE_FULL a full disk does, with
    no mount: this runs wherever the tests run."""
    path = tmp_path / "store.db"
    mta = Mta(_config(tmp_path), f"sqlite:///{path}")
    assert mta.pipe(mail(1)).returncode == 0
    with sqlite3.connect(path) as con:
        pages = con.execute("PRAGMA page_count").fetchone()[0]
    full = Mta(mta.config, mta.url, page_limit=pages + 20)
    _full_disk_is_reported_and_leaves_the_store_as_it_was(full, tmp_path)
    assert full.pipe(mail(4)).returncode == 0  # a small one still fits


def test_the_first_error_is_reported_not_the_failed_rollback(tmp_path: Path) -> None:
    db = connect(f"sqlite:///{tmp_path / 'store.db'}")

    def store_too_much() -> None:
        with db.atomic("IMMEDIATE"):
            db.execute_sql("CREATE TABLE big (x BLOB)")
            db.execute_sql("INSERT INTO big VALUES (zeroblob(500000))")

    try:
        pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
        db.execute_sql(f"PRAGMA max_page_count = {pages + 2}")
        with pytest.raises(OperationalError) as caught:
            store_too_much()
    finally:
        db.close()
    assert str(caught.value) == "cannot rollback - no transaction is active"
    assert describe_store_failure(caught.value) == FULL


def test_mail_a_bug_met_is_quarantined_and_the_mta_is_told_it_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync exits 4 so someone reports the bug; the MTA must not bounce a
    mail that waits whole in quarantine (its sender would write again)."""
    from click.testing import CliRunner

    from ticketcli.cli import cli
    from ticketcli.ingest.pipeline import Ingester

    def bug(*args: object) -> str:
        raise KeyError("a bug")

    monkeypatch.setattr(Ingester, "_store", bug)
    base = [
        "--config",
        str(_config(tmp_path)),
        "--db",
        f"sqlite:///{tmp_path / 's.db'}",
    ]
    runner = CliRunner()
    piped = runner.invoke(cli, [*base, "import", "-"], input=mail(1))
    assert piped.exit_code == 0, piped.stderr
    assert "\nticketcli: internal error: 1 message(s) could not be stored" in (
        piped.stderr
    )
    synced = runner.invoke(cli, [*base, "sync", "--source", "-"], input=mail(2))
    assert synced.exit_code == 0
    inbox = _inbox(tmp_path, mail(3))
    assert runner.invoke(cli, [*base, "sync", "--source", str(inbox)]).exit_code == 4
    listed = runner.invoke(cli, [*base, "quarantine", "list", "--format", "json"])
    assert len(json.loads(listed.stdout)) == 3

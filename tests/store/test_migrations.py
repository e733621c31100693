"""Schema versions: a store made by an older ticketcli is upgraded, not broken.

"Older" is a store on which only ``0001_initial`` ran: the migrations list is
cut to its first entry while the store is made and filled, then restored.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import write_config
from tests.store.conftest import StoreCli, fill
from ticketcli.store import migrations
from ticketcli.store.db import connect
from ticketcli.store.migrations import MIGRATIONS, REDUNDANT_INDEXES, Migration
from ticketcli.store.models import ALL_MODELS

if TYPE_CHECKING:
    from pathlib import Path

    from peewee import Database

    from tests.conftest import GenMailbox

SUPPORT = "support@acme-help.example"


@pytest.fixture(scope="module")
def mailbox(gen_mailbox: GenMailbox) -> tuple[Path, dict[str, Any]]:
    return gen_mailbox(conversations=20, seed=41, fmt="eml-dir", noise=0.1)


def _pg_schema(url: str) -> dict[str, Any]:
    """What 0002 changes on PostgreSQL, read straight from the catalogue."""
    import psycopg

    with psycopg.connect(url) as con:
        varchar = con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE"
            " table_schema = 'public' AND data_type = 'character varying'"
        ).fetchone()
        hashed = con.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
            " AND indexdef LIKE '%USING hash%' ORDER BY indexname"
        ).fetchall()
        exclusion = con.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'x'"
            " AND conname = 'message_dedupe_key_once'"
        ).fetchone()
    assert varchar is not None
    assert exclusion is not None
    return {
        "varchar_columns": varchar[0],
        "hash_indexes": [name for (name,) in hashed],
        "dedupe_exclusion": exclusion[0],
    }


def _long_mail_folder(tmp: Path) -> Path:
    folder = tmp / "long"
    folder.mkdir()
    long_id = f"<{secrets.token_urlsafe(5000)}@kund.ee>"
    (folder / "1.eml").write_bytes(
        (
            f"From: mari@kund.ee\r\nTo: {SUPPORT}\r\nSubject: pikk\r\n"
            f"Date: Mon, 02 Mar 2026 10:00:00 +0200\r\nMessage-ID: {long_id}\r\n"
            "Content-Type: text/x-" + "a" * 300 + "\r\n\r\nTere\r\n"
        ).encode()
    )
    return folder


def test_an_older_store_is_upgraded_by_the_next_command(
    store_url: str,
    mailbox: tuple[Path, dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, truth = mailbox
    desk = StoreCli(store_url, write_config(tmp_path / "config.toml", truth))
    with monkeypatch.context() as old_release:
        old_release.setattr(migrations, "MIGRATIONS", MIGRATIONS[:1])
        fill(desk, folder, truth, tmp_path)
        before = desk.export()
        listed = desk.json("migrate", "--list")
        assert [m["name"] for m in listed] == ["0001_initial"]
    if store_url.startswith("postgresql:"):
        assert _pg_schema(store_url)["varchar_columns"] > 0
    # The first command of the new release upgrades the store, data intact.
    assert desk.export() == before
    listed = desk.json("migrate", "--list")
    assert [m["name"] for m in listed] == [m.name for m in MIGRATIONS]
    assert all(m["applied_at"] for m in listed)
    if store_url.startswith("postgresql:"):
        schema = _pg_schema(store_url)
        assert schema["varchar_columns"] == 0
        assert "message_message_id_hash" in schema["hash_indexes"]
        assert "message_ref_ref_hash" in schema["hash_indexes"]
        assert schema["dedupe_exclusion"] == 1
    # What the upgrade is for: mail that the old PostgreSQL schema refused.
    result = desk.sync(_long_mail_folder(tmp_path))
    assert (result.stdout, result.stderr) == ("", "")
    assert len(desk.export()) == len(before) + 1
    assert desk.export()[: len(before)] == before


def test_migrate_says_what_it_applied(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = StoreCli(store_url, write_config(tmp_path / "config.toml"))
    with monkeypatch.context() as old_release:
        old_release.setattr(migrations, "MIGRATIONS", MIGRATIONS[:1])
        created = desk.ok("init")
        assert created.stdout.endswith(" created (schema 0001_initial)\n")
    result = desk.ok("migrate")
    assert result.stdout.splitlines() == [f"applied {m.name}" for m in MIGRATIONS[1:]]
    again = desk.ok("migrate")
    assert again.stdout == f"up to date (schema {MIGRATIONS[-1].name})\n"
    assert desk.ok("init").stdout.endswith(
        f" already exists (schema {MIGRATIONS[-1].name})\n"
    )


def _indexes(url: str) -> set[str]:
    db = connect(url, upgrade=False)
    try:
        return {
            index.name
            for model in ALL_MODELS
            for index in db.get_indexes(model._meta.table_name)
        }
    finally:
        db.close()


# The indexes 0001 made from the models before 0013, on a store of then.
_BEFORE_0013 = (
    ("event_kind", "event", "kind"),
    ("participant_ticket_id", "participant", "ticket_id"),
    ("message_thread_key", "message", "thread_key"),
)


def test_an_upgraded_store_drops_the_indexes_no_query_needs(
    store_url: str,
    mailbox: tuple[Path, dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A store from before 0013 loses the three indexes another one serves,
    keeps the ones that serve them and all its mail; on SQLite its indexes
    are then exactly a new store's."""
    folder, truth = mailbox
    desk = StoreCli(store_url, write_config(tmp_path / "config.toml", truth))
    with monkeypatch.context() as old_release:
        old_release.setattr(migrations, "MIGRATIONS", MIGRATIONS[:-1])
        fill(desk, folder, truth, tmp_path)
        db = connect(store_url, upgrade=False)
        for name, table, column in _BEFORE_0013:
            db.execute_sql(f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
        db.close()
        before = desk.export()
    assert set(REDUNDANT_INDEXES) <= _indexes(store_url)
    assert desk.ok("migrate").stdout == f"applied {MIGRATIONS[-1].name}\n"
    assert desk.export() == before
    upgraded = _indexes(store_url)
    assert not set(REDUNDANT_INDEXES) & upgraded
    serving = {
        "event_kind_at",
        "participant_ticket_id_address",
        "message_thread_key_date",
    }
    assert serving <= upgraded
    if store_url.startswith("sqlite:"):
        fresh = StoreCli(f"sqlite:///{tmp_path / 'fresh.db'}", desk.config)
        fresh.ok("init")
        assert upgraded == _indexes(fresh.url or "")
    result = desk.sync(_long_mail_folder(tmp_path))  # and mail still stores
    assert (result.stdout, result.stderr) == ("", "")
    assert len(desk.export()) == len(before) + 1


def _index_step(db: Database) -> None:
    db.execute_sql('CREATE INDEX IF NOT EXISTS "event_actor" ON "event" ("actor")')


def test_sqlite_file_is_copied_aside_only_when_a_step_changes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = StoreCli(
        f"sqlite:///{tmp_path / 'store.db'}", write_config(tmp_path / "config.toml")
    )
    base = [*MIGRATIONS]
    pg_only = Migration("9001_pg_only", _index_step, ("postgresql",))
    both = Migration("9002_event_actor", _index_step)
    monkeypatch.setattr(migrations, "MIGRATIONS", base)
    desk.ok("init")
    monkeypatch.setattr(migrations, "MIGRATIONS", [*base, pg_only])
    assert desk.ok("migrate").stdout == "applied 9001_pg_only\n"
    assert list(tmp_path.glob("store.db.*.bak")) == []
    monkeypatch.setattr(migrations, "MIGRATIONS", [*base, pg_only, both])
    assert desk.ok("migrate").stdout == "applied 9002_event_actor\n"
    [backup] = tmp_path.glob("store.db.*.bak")
    assert backup.stat().st_size > 0
    import sqlite3

    con = sqlite3.connect(tmp_path / "store.db")
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    finally:
        con.close()
    assert "event_actor" in names


def _fails(db: Database) -> None:
    db.execute_sql("ALTER TABLE no_such_table ADD COLUMN x TEXT")


@pytest.mark.postgres
def test_a_failed_upgrade_leaves_a_postgres_store_as_it_was(
    postgres_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = StoreCli(postgres_db, write_config(tmp_path / "config.toml"))
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:1])
    desk.ok("init")
    broken = Migration("9003_broken", _fails)
    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, broken])
    result = desk.run("export")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert 'relation "no_such_table" does not exist' in result.stderr
    # All steps ran in one transaction: 0002 and later are undone too.
    assert _pg_schema(postgres_db)["varchar_columns"] > 0
    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS])
    assert desk.ok("migrate").stdout.splitlines() == [
        f"applied {m.name}" for m in MIGRATIONS[1:]
    ]


def test_absurdly_long_addresses_are_dropped_not_fatal(
    store_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "addr"
    folder.mkdir()
    junk = secrets.token_urlsafe(3000).lower()
    (folder / "1.eml").write_bytes(
        (
            f"From: {junk}@kund.ee\r\nTo: {SUPPORT}, {junk}@muu.ee\r\n"
            "Subject: pikk aadress\r\nDate: Mon, 02 Mar 2026 10:00:00 +0200\r\n"
            "Message-ID: <long-address@kund.ee>\r\n\r\nTere\r\n"
        ).encode()
    )
    desk = StoreCli(store_url, write_config(tmp_path / "config.toml"))
    result = desk.sync(folder)
    assert (result.stdout, result.stderr) == ("", "")
    [ticket] = desk.export()
    assert ticket["messages"][0]["from"] == ""
    shown = desk.json("show", str(ticket["number"]), "--format", "json")
    assert shown["messages"][0]["message_id"] == "<long-address@kund.ee>"


def _execute(url: str, statement: str) -> None:
    """One statement on the store, outside ticketcli."""
    if url.startswith("sqlite:"):
        import sqlite3

        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            con.execute(statement)
            con.commit()
        finally:
            con.close()
        return
    import psycopg

    with psycopg.connect(url) as con:
        con.execute(statement)


def test_a_store_without_unverified_from_gains_it(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A store from before 0008: its message table lacks the column.
    config = write_config(
        tmp_path / "config.toml",
        support_addresses=[SUPPORT],
        staff_domains=["acme-help.example"],
    )
    desk = StoreCli(store_url, config)
    with monkeypatch.context() as old_release:
        old_release.setattr(migrations, "MIGRATIONS", MIGRATIONS[:1])
        desk.ok("init")
    _execute(store_url, 'ALTER TABLE "message" DROP COLUMN "unverified_from"')
    folder = tmp_path / "forged"
    folder.mkdir()
    (folder / "1.eml").write_bytes(
        b"Authentication-Results: mx.acme-help.example; dkim=fail"
        b" header.d=acme-help.example; dmarc=fail header.from=acme-help.example\r\n"
        b"From: kadri@acme-help.example\r\nTo: mari@kund.ee\r\n"
        b"Cc: support@acme-help.example\r\nSubject: Re: arve\r\n"
        b"Date: Mon, 02 Mar 2026 10:00:00 +0200\r\nMessage-ID: <f@x.example>\r\n"
        b"\r\nMaksa siia.\r\n"
    )
    # The next command upgrades the store; the forged From's mark is kept.
    result = desk.sync(folder)
    assert (result.stdout, result.stderr) == ("", "")
    assert [m["name"] for m in desk.json("migrate", "--list")][-1] == (
        MIGRATIONS[-1].name
    )
    [ticket] = desk.export()
    assert ticket["messages"][0]["direction"] == "inbound"
    shown = desk.json("show", str(ticket["number"]))
    assert shown["messages"][0]["unverified_from"] == "dmarc=fail"

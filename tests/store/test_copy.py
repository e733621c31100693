"""`ticketcli copy`: a whole store into an empty one, and back, losing nothing.

The round trip goes SQLite -> ``store_url`` -> SQLite: with ``store_url`` on
PostgreSQL that is the move up to a shared server and back down.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import write_config
from tests.store.conftest import StoreCli, fill
from ticketcli.clock import now
from ticketcli.desk import tickets
from ticketcli.store.copy import COPIED
from ticketcli.store.db import connect
from ticketcli.store.models import Ticket, bind_models

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import GenMailbox

SUPPORT = "support@acme-help.example"


@pytest.fixture(scope="module")
def mailbox(gen_mailbox: GenMailbox) -> tuple[Path, dict[str, Any]]:
    return gen_mailbox(conversations=40, seed=53, fmt="eml-dir", noise=0.15)


def _table_fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row (in id order) of every copied table."""
    db = connect(url)
    out = {}
    try:
        for model in COPIED:
            pk = model._meta.primary_key
            fields = model._meta.sorted_fields
            digest = hashlib.sha256()
            count = 0
            for row in model.select(*fields).order_by(pk).tuples().execute(db):
                plain = [bytes(v) if isinstance(v, memoryview) else v for v in row]
                digest.update(repr(plain).encode())
                count += 1
            out[model._meta.table_name] = (count, digest.hexdigest())
    finally:
        db.close()
    return out


def _merge_forward(url: str) -> None:
    """Ticket 2 merged into a later ticket: its pointer names a row copied after it."""
    db = connect(url)
    try:
        with bind_models(db), db.atomic():
            last = Ticket.select().order_by(Ticket.id.desc()).get()
            tickets.merge(Ticket.get_by_id(2), last, now(), "lead", "same thing")
    finally:
        db.close()


def _mail(mid: str) -> bytes:
    return (
        f"From: uus@klient.ee\r\nTo: {SUPPORT}\r\nSubject: Uus mure {mid}\r\n"
        f"Date: Mon, 02 Mar 2026 10:00:00 +0200\r\nMessage-ID: <{mid}@klient.ee>\r\n"
        "\r\nTere\r\n"
    ).encode()


def test_copy_round_trip_keeps_everything(
    store_url: str, mailbox: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, truth = mailbox
    config = write_config(tmp_path / "config.toml", truth)
    first_url = f"sqlite:///{tmp_path / 'first.db'}"
    back_url = f"sqlite:///{tmp_path / 'back.db'}"
    first = StoreCli(first_url, config)
    fill(first, folder, truth, tmp_path)
    _merge_forward(first_url)
    exported = first.export()
    assert any(t["status"] == "merged" for t in exported)

    up = first.ok("copy", "--from", first_url, "--to", store_url, "--format", "json")
    down = first.ok("copy", "--from", store_url, "--to", back_url, "--format", "json")
    assert up.stdout == down.stdout
    counts = {row["table"]: row["rows"] for row in json.loads(up.stdout)}
    assert counts["ticket"] == len(exported)
    assert counts["message_raw"] == counts["message"] > 0
    assert counts["quarantine"] == 1
    assert counts["event"] > counts["ticket"]

    fingerprints = _table_fingerprints(first_url)
    assert _table_fingerprints(store_url) == fingerprints
    assert _table_fingerprints(back_url) == fingerprints
    middle, back = StoreCli(store_url, config), StoreCli(back_url, config)
    for desk in (middle, back):
        assert desk.export() == exported
        for number in ("1", "2", str(len(exported))):
            assert desk.ok("show", number, "--format", "json").stdout == (
                first.ok("show", number, "--format", "json").stdout
            )
        assert desk.ok("quarantine", "show", "1").stdout_bytes == (
            first.ok("quarantine", "show", "1").stdout_bytes
        )
    # The copies go on where the original left off: the next ticket number
    # follows the copied ones (PostgreSQL's sequences were moved on).
    inbox = tmp_path / "new-mail"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(_mail("after-the-move"))
    for desk in (first, middle, back):
        desk.sync(inbox)
        assert desk.export()[-1]["number"] == len(exported) + 1
    # And the sources' memory came along: nothing old is read again.
    before = middle.export()
    middle.sync(folder)
    assert middle.export() == before


def test_copy_refuses_a_store_that_is_not_empty(store_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml")
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    source = StoreCli(source_url, config)
    source.ok("customers", "add", "Acme", "--email", "it@acme.example")
    target = StoreCli(store_url, config)
    target.ok("customers", "add", "Other", "--email", "it@other.example")
    result = source.run("copy", "--from", source_url, "--to", store_url)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Error: copy: the target store is not empty: customer (1 rows), "
        "customer_address (1 rows); copy only into a new, empty store\n"
    )
    assert [c["name"] for c in target.json("customers", "list")] == ["Other"]


def test_copy_refuses_a_missing_source_and_the_same_store(tmp_path: Path) -> None:
    desk = StoreCli(None, write_config(tmp_path / "config.toml"))
    missing = f"sqlite:///{tmp_path / 'nothing-here.db'}"
    result = desk.run("copy", "--from", missing, "--to", f"sqlite:///{tmp_path}/x.db")
    assert result.exit_code == 2
    assert result.stderr == f"Error: copy: no store at {missing}\n"
    assert not (tmp_path / "nothing-here.db").exists()
    same = desk.run("copy", "--from", missing, "--to", missing)
    assert same.exit_code == 2
    assert "the same store" in same.stderr


def test_copy_holds_the_sync_lock_of_both_stores(
    store_url: str, tmp_path: Path
) -> None:
    """A cron sync cannot add mail to either store while the copy runs."""
    from ticketcli.store.lock import sync_lock

    config = write_config(tmp_path / "config.toml", lock_timeout=0.3)
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    StoreCli(source_url, config).ok("init")
    held = connect(store_url)
    try:
        with sync_lock(held, 1):
            result = StoreCli(None, config).run(
                "copy", "--from", source_url, "--to", store_url
            )
    finally:
        held.close()
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: another sync is running")
    # Nothing was copied: the target is still empty and takes a copy later.
    again = StoreCli(None, config).run("copy", "--from", source_url, "--to", store_url)
    assert again.exit_code == 0, again.stderr

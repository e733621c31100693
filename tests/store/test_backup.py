"""`ticketcli backup` and `restore`: everything in a store to one file and
back, into SQLite or PostgreSQL (``store_url``), every row of every table.

The store is a team's after a while: a generated mailbox with noise, a
quarantined mail, customers imported and one learned by hand, agents in a
round-robin queue (its memory is a checkpoint), notes, work time, an
absence that pooled tickets, a merge into a later ticket, and an outbox
with sent, waiting, given-up and in-doubt mail.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from tests.cli.test_autoassign import QueueDesk, queue
from tests.conftest import customers_csv
from tests.helpers import Desk, eml
from tests.store.conftest import JUNK
from ticketcli.cli import cli
from ticketcli.clock import now
from ticketcli.store import sending
from ticketcli.store.copy import COPIED
from ticketcli.store.db import connect
from ticketcli.store.models import Checkpoint, Delivery, Outbox, bind_models

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import GenMailbox

SUPPORT = "support@acme-help.example"


@pytest.fixture(scope="module")
def mailbox(gen_mailbox: GenMailbox) -> tuple[Path, dict[str, Any]]:
    return gen_mailbox(conversations=40, seed=61, fmt="eml-dir", noise=0.2)


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table a backup holds, all columns, in id order."""
    db = connect(url)
    try:
        return {
            model._meta.table_name: [
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                for row in model.select(*model._meta.sorted_fields)
                .order_by(model._meta.primary_key)
                .tuples()
                .execute(db)
            ]
            for model in COPIED
        }
    finally:
        db.close()


def _but_folders(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    """``table_rows`` without what a sync remembers of a folder's state,
    which a sync that stores nothing may write (sources/folders.py)."""
    kept = [r for r in rows["checkpoint"] if r[2] != "folders"]
    return {**rows, "checkpoint": kept}


def _outbox_of_every_kind(url: str) -> None:
    """Sent, waiting, given up and in doubt: what `outbox list --all` shows.

    (A real SMTP round is tests/integration's business; here the rows are
    what matter, and they are made by the store's own outbox functions.)
    """
    db = connect(url)
    try:
        with bind_models(db), db.atomic():
            at = now()
            ids = [
                sending.add_row(
                    message_id=f"<out{n}@acme-help.example>",
                    kind="reply",
                    recipients=[f"klient{n}@kund.ee"],
                    sender=SUPPORT,
                    data=f"Subject: vastus {n}\r\n\r\nTere\r\n".encode(),
                    ticket=1,
                    stored=None,
                    at=at,
                    actor="anu",
                )
                for n in range(4)
            ]
            sending.claim(ids[0], at)
            sending.finish(ids[0], sending.SENT, now=at + timedelta(seconds=3))
            sending.claim(ids[2], at)
            sending.finish(ids[2], sending.FAILED, error="550 no such user")
            sending.claim(ids[3], at)
            sending.finish(ids[3], sending.DOUBT, error="connection lost")
            # An IMAP source's memory, as imap.py keeps it.
            Checkpoint.create(source="imap-support", name="uidvalidity", value="77")
            Checkpoint.create(source="imap-support", name="last_uid", value="4120")
            Delivery.create(source="imap-support", key="77:4120", at=at)
            assert {r.status for r in Outbox.select()} == {
                "sent",
                "pending",
                "failed",
                "doubt",
            }
    finally:
        db.close()


def team_store(
    tmp: Path, monkeypatch: pytest.MonkeyPatch, mailbox: tuple[Path, dict[str, Any]]
) -> QueueDesk:
    folder, truth = mailbox
    # The store first: `agents add` makes none (a missing file is a typo).
    made = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp / 'store.db'}", "init"])
    assert made.exit_code == 0, made.stderr
    desk = QueueDesk(
        tmp,
        monkeypatch,
        queue("round-robin", on_absence="pool"),
        mailbox=folder,
        support_addresses=[SUPPORT, truth["support_address"]],
        staff_domains=["acme-help.example", *truth["staff_domains"]],
    )
    desk.ok("customers", "import", str(customers_csv(tmp / "customers.csv", truth)))
    desk.mail()
    (desk.inbox / "junk.eml").write_bytes(JUNK)
    assert "1 message(s) quarantined" in desk.run("sync").stderr
    tickets = desk.export()
    last = tickets[-1]["number"]
    unknown = next(t["number"] for t in tickets if t["customer"] is None)
    code = truth["customers"][0]["id"]
    for args in (
        ("customer", str(unknown), code, "--as", "lead"),
        ("note", "3", "called back, printer fixed", "--as", "anu"),
        ("time", "3", "45m", "--note", "on the phone", "--as", "anu"),
        ("close", "1", "4", "--as", "lead", "--note", "done"),
        ("reopen", "4", "--as", "lead"),
        ("merge", "2", "into", str(last), "--as", "lead"),
        ("agents", "away", "anu", "--note", "ill"),
    ):
        desk.ok(*args)
    _outbox_of_every_kind(desk.db)
    return desk


def _every_kind_is_there(rows: dict[str, list[tuple[Any, ...]]]) -> None:
    for table in (
        "customer_address",
        "agent_address",
        "message_raw",
        "attachment",
        "blob",
        "ticket_link",
        "work_log",
        "quarantine",
        "delivery",
        "checkpoint",
        "outbox",
        "absence",
        "absence_move",
    ):
        assert rows[table], f"the store under test has no {table} rows"


def test_backup_and_restore_bring_everything_back(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mailbox: tuple[Path, dict[str, Any]],
) -> None:
    (tmp_path / "desk").mkdir()
    desk = team_store(tmp_path / "desk", monkeypatch, mailbox)
    original = table_rows(desk.db)
    _every_kind_is_there(original)
    learned = [r for r in original["customer_address"] if r[-1] is True]
    assert learned, "the hand-set customer was not learned"
    assert any(r[1] is None for r in original["message"]), "no noise off any ticket"

    backup = tmp_path / "desk.backup"
    done = desk.run("backup", str(backup))
    assert (done.exit_code, done.stdout, done.stderr) == (0, "", "")
    said = desk.run("-v", "backup", "-")
    assert said.exit_code == 0
    assert said.stderr.startswith("backup: ")
    assert f"message {len(original['message'])}" in said.stderr

    restored = desk.run("--db", store_url, "restore", str(backup), "--format", "json")
    assert restored.exit_code == 0, restored.stderr
    counts = {r["table"]: r["rows"] for r in json.loads(restored.stdout)}
    assert counts == {table: len(rows) for table, rows in original.items()}
    assert table_rows(store_url) == original

    # And back down from there: PostgreSQL -> SQLite through a pipe.
    down = desk.run("--db", store_url, "backup", "-")
    back = f"sqlite:///{tmp_path / 'back.db'}"
    again = desk.runner.invoke(
        cli,
        ["--config", str(desk.config), "--db", back, "restore", "-"],
        input=down.stdout_bytes,
    )
    assert again.exit_code == 0, again.stderr
    assert table_rows(back) == original

    for url in (store_url, back):
        for args in (
            ("export",),
            ("export", "--bodies"),
            ("quarantine", "show", "1"),
            ("show", "3", "--format", "json"),
            ("outbox", "list", "--all", "--format", "json"),
            ("agents", "list", "--format", "json"),
        ):
            ours = desk.run(*args)
            assert ours.exit_code == 0, (args, ours.stderr)
            assert desk.run("--db", url, *args).stdout_bytes == ours.stdout_bytes, args
        # The sources' memory came along: the same sources store nothing new.
        synced = desk.run("--db", url, "-v", "sync")
        assert synced.exit_code == 0, synced.stderr
        assert " 0 stored," in synced.stderr or synced.stderr.startswith("0 stored")
        # ... but may remember what the folder held (sources/folders.py).
        assert _but_folders(table_rows(url)) == _but_folders(original)
    # Numbers go on after the restored ones (PostgreSQL's sequences moved).
    last = original["ticket"][-1][0]
    for url in (store_url, back):
        made = desk.run(
            *("--db", url, "new", "--from", "uus@kund.ee", "--subject", "Pärast"),
            *("--message", "Tere", "--as", "lead"),
        )
        assert made.exit_code == 0, made.stderr
        assert str(last + 1) in made.stdout


def test_export_bodies_adds_the_text_of_each_message(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    desk.deliver(eml("<b1@kund.ee>", body="Tere, printer ei tööta."))
    [plain] = desk.export()
    assert "body_text" not in plain["messages"][0]
    lines = desk.run("export", "--bodies").stdout.splitlines()
    [ticket] = [json.loads(line) for line in lines]
    assert ticket["messages"][0]["body_text"] == "Tere, printer ei tööta.\n"
    assert {k: v for k, v in ticket["messages"][0].items() if k != "body_text"} == (
        plain["messages"][0]
    )


# -- refusals: one line, the target as it was -------------------------------


def _desk(tmp: Path) -> Desk:
    """A desk in a folder of its own: ``store_url`` is tmp/store.db."""
    (tmp / "desk").mkdir()
    return Desk(tmp / "desk")


def _small_backup(tmp: Path) -> tuple[Desk, Path]:
    desk = _desk(tmp)
    desk.deliver(*(eml(f"<s{n}@kund.ee>", subject=f"Mure {n}") for n in range(30)))
    path = tmp / "small.backup"
    assert desk.run("backup", str(path)).exit_code == 0
    return desk, path


def _resealed(lines: list[bytes]) -> bytes:
    """Lines with a fresh last line: what a newer or older ticketcli wrote."""
    body = b"".join(lines)
    end = {
        "end": "ticketcli-backup",
        "rows": len(lines) - 1,
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    return body + json.dumps(end).encode() + b"\n"


WHY = {
    "truncated": "(truncated?); nothing was restored",
    "cut-at-line": "without its last line (truncated?); nothing was restored",
    "flipped-byte": "its checksum does not match (the file was changed);"
    " nothing was restored",
    "bad-base64": "is damaged (data); nothing was restored",
    "no-header": "is not a ticketcli backup",
    "empty": "is not a ticketcli backup",
    "gzipped": "is compressed: gunzip -c it into 'restore -'",
}


@pytest.mark.parametrize(
    "damage",
    [
        "truncated",
        "cut-at-line",
        "flipped-byte",
        "bad-base64",
        "no-header",
        "empty",
        "gzipped",
    ],
)
def test_a_damaged_backup_is_refused_and_the_target_untouched(
    store_url: str, tmp_path: Path, damage: str
) -> None:
    desk, path = _small_backup(tmp_path)
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    if damage == "truncated":
        broken = data[: len(data) // 2]
    elif damage == "cut-at-line":
        broken = b"".join(lines[:-5])
    elif damage == "flipped-byte":
        # Inside a base64 raw mail: still valid JSON and base64, other bytes.
        at = data.index(b'"data":"', data.index(b'{"table":"message_raw"')) + 20
        broken = (
            data[:at] + (b"A" if data[at : at + 1] != b"A" else b"B") + data[at + 1 :]
        )
    elif damage == "bad-base64":
        at = data.index(b'"data":"', data.index(b'{"table":"message_raw"')) + 8
        broken = data[:at] + b"!!" + data[at + 2 :]
    elif damage == "no-header":
        broken = b"".join(lines[1:])
    elif damage == "gzipped":
        broken = gzip.compress(data)
    else:
        broken = b""
    (tmp_path / "broken").write_bytes(broken)
    assert desk.run("--db", store_url, "init").exit_code == 0
    before = table_rows(store_url)
    result = desk.run("--db", store_url, "restore", str(tmp_path / "broken"))
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Error: restore: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.endswith(WHY[damage] + "\n"), result.stderr
    assert table_rows(store_url) == before
    assert all(not rows for rows in before.values())
    # The same target takes the whole backup afterwards.
    assert desk.run("--db", store_url, "restore", str(path)).exit_code == 0
    assert table_rows(store_url) == table_rows(desk.db)


def test_a_backup_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    desk, _ = _small_backup(tmp_path)
    missing = tmp_path / "no-such-dir" / "x.backup"
    result = desk.run("backup", str(missing))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: backup: cannot write {missing}.part: No such file or directory\n"
    )


def test_a_failed_restore_into_a_new_file_leaves_no_store(tmp_path: Path) -> None:
    desk, path = _small_backup(tmp_path)
    (tmp_path / "half").write_bytes(path.read_bytes()[:-200])
    target = tmp_path / "new.db"
    result = desk.run("--db", f"sqlite:///{target}", "restore", str(tmp_path / "half"))
    assert result.exit_code == 2
    assert "truncated" in result.stderr or "checksum" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("new")) == []


def test_restore_refuses_a_store_that_holds_anything(
    store_url: str, tmp_path: Path
) -> None:
    desk, path = _small_backup(tmp_path)
    assert desk.run("--db", store_url, "init").exit_code == 0
    assert (
        desk.run(
            "--db",
            store_url,
            "customers",
            "add",
            "Other",
            "--email",
            "it@other.example",
        ).exit_code
        == 0
    )
    before = table_rows(store_url)
    result = desk.run("--db", store_url, "restore", str(path))
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: restore: the target store is not empty: customer (1 rows), "
        "customer_address (1 rows); restore only into a new, empty store\n"
    )
    assert table_rows(store_url) == before


def test_a_backup_from_a_newer_ticketcli_is_refused(
    store_url: str, tmp_path: Path
) -> None:
    desk, path = _small_backup(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)[:-1]
    header = json.loads(lines[0])
    header["migrations"].append("0099_from_the_future")
    header["ticketcli"] = "9.0.0"
    newer = tmp_path / "newer.backup"
    newer.write_bytes(_resealed([json.dumps(header).encode() + b"\n", *lines[1:]]))
    result = desk.run("--db", store_url, "restore", str(newer))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: restore: {newer} was made by a newer ticketcli (9.0.0: format 1, "
        "schema 0099_from_the_future); restore it with that version (this is 0.1.0)\n"
    )


# Columns and tables that came with 0006-0008: a backup of 0005 has none.
_LATER_COLUMNS = {
    "ticket": ("queue", "held_for_id"),
    "quarantine": ("retried_at", "message_ref"),
    "message": ("unverified_from",),
}
_LATER_TABLES = ("absence", "absence_move")
_LATER_MIGRATIONS = (
    "0006_queues_absence",
    "0007_quarantine_retry",
    "0008_message_unverified_from",
)


def _as_of_0005(data: bytes) -> bytes:
    """The backup an older ticketcli (schema 0005) would have written."""
    lines = data.splitlines(keepends=True)[:-1]
    header = json.loads(lines[0])
    header["migrations"] = [
        m for m in header["migrations"] if m not in _LATER_MIGRATIONS
    ]
    for table in _LATER_TABLES:
        del header["tables"][table]
    for table, columns in _LATER_COLUMNS.items():
        for column in columns:
            del header["tables"][table]["columns"][column]
    out = [json.dumps(header).encode() + b"\n"]
    for line in lines[1:]:
        record = json.loads(line)
        if record["table"] in _LATER_TABLES:
            continue
        for column in _LATER_COLUMNS.get(record["table"], ()):
            del record["row"][column]
        out.append(json.dumps(record).encode() + b"\n")
    return _resealed(out)


def test_a_backup_from_an_older_schema_restores_into_this_one(
    store_url: str, tmp_path: Path
) -> None:
    desk = _desk(tmp_path)
    desk.deliver(*(eml(f"<o{n}@kund.ee>", subject=f"Vana {n}") for n in range(5)))
    (desk.inbox / "junk.eml").write_bytes(JUNK)
    desk.run("sync", "--source", str(desk.inbox))
    path = tmp_path / "new.backup"
    assert desk.run("backup", str(path)).exit_code == 0
    old = tmp_path / "old.backup"
    old.write_bytes(_as_of_0005(path.read_bytes()))
    assert b"unverified_from" not in old.read_bytes()
    result = desk.run("--db", store_url, "restore", str(old))
    assert result.exit_code == 0, result.stderr
    # The target is at this schema, every migration recorded...
    db = connect(store_url)
    try:
        names = [r[0] for r in db.execute_sql("SELECT name FROM schema_migration")]
    finally:
        db.close()
    assert set(_LATER_MIGRATIONS) <= set(names)
    # ... and the rows are the old store's, what came later at its defaults.
    assert table_rows(store_url) == table_rows(desk.db)
    assert desk.run("--db", store_url, "export").stdout == desk.run("export").stdout


def test_the_format_is_readable_without_ticketcli(tmp_path: Path) -> None:
    """What the README promises: a header with the counts, a row per line,
    raw mail in base64, a last line with the SHA-256 of all before it."""
    desk, path = _small_backup(tmp_path)
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    header, end = json.loads(lines[0]), json.loads(lines[-1])
    assert (header["format"], header["version"]) == ("ticketcli-backup", 1)
    assert header["tables"]["message"]["rows"] == 30
    assert header["tables"]["message_raw"]["columns"]["data"] == "base64"
    rows = [json.loads(line) for line in lines[1:-1]]
    assert end["rows"] == len(rows) == sum(t["rows"] for t in header["tables"].values())
    assert end["sha256"] == hashlib.sha256(b"".join(lines[:-1])).hexdigest()
    raw = [r["row"] for r in rows if r["table"] == "message_raw"]
    first = base64.b64decode(raw[0]["data"])
    assert first.startswith(b"From: Mari Maasikas <mari@kund.ee>")

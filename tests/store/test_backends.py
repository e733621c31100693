"""The commands on SQLite and on PostgreSQL: the same behaviour, the same output.

Every test here but the comparisons runs once per backend (``store_url``).
A generated mailbox of 60 conversations is synced through the CLI; the
comparisons hold the two backends' outputs to each other, numbers included.
"""

from __future__ import annotations

import secrets
import shutil
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import customers_csv, write_config
from tests.store.conftest import JUNK, StoreCli, fill

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import GenMailbox

CONVERSATIONS = 60
SUPPORT = "support@acme-help.example"


@pytest.fixture(scope="module")
def mailbox(gen_mailbox: GenMailbox) -> tuple[Path, dict[str, Any]]:
    return gen_mailbox(conversations=CONVERSATIONS, seed=31, fmt="eml-dir", noise=0.1)


def _desk(url: str, tmp: Path, truth: dict[str, Any] | None = None) -> StoreCli:
    config = write_config(tmp / "config.toml", truth)
    return StoreCli(url, config)


def _noise_ids(truth: dict[str, Any]) -> set[str]:
    return {
        m["message_id"]
        for m in truth["messages"]
        if m["kind"] in ("autoreply", "bounce", "bulk") and m["message_id"]
    }


def test_sync_places_every_mail_of_a_generated_mailbox(
    store_url: str, mailbox: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, truth = mailbox
    desk = _desk(store_url, tmp_path, truth)
    result = desk.sync(folder)
    assert (result.stdout, result.stderr) == ("", "")
    tickets = desk.export()
    placed = {m["message_id"] for t in tickets for m in t["messages"]}
    ticket_mail = {
        m["message_id"]
        for m in truth["messages"]
        if m["kind"] == "ticket" and m["message_id"]
    }
    assert ticket_mail <= placed
    assert [t["number"] for t in tickets] == list(range(1, len(tickets) + 1))
    assert len(tickets) >= 0.9 * CONVERSATIONS


def test_resync_stores_nothing_twice(
    store_url: str, mailbox: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, truth = mailbox
    desk = _desk(store_url, tmp_path, truth)
    desk.sync(folder)
    before = desk.export()
    again = desk.sync(folder)
    assert (again.stdout, again.stderr) == ("", "")
    other = tmp_path / "other-source"
    shutil.copytree(folder, other)
    desk.sync(other)  # the same mail through another source
    assert desk.export() == before


def test_close_and_reopen_record_who_and_when(
    store_url: str, mailbox: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, truth = mailbox
    desk = _desk(store_url, tmp_path, truth)
    desk.sync(folder)
    desk.ok("close", "1", "2", "--as", "lead", "--note", "fixed")
    again = desk.ok("close", "1", "--as", "lead")
    assert again.stderr == "#1 is already closed\n"
    desk.ok("reopen", "2", "--as", "mari")
    by_number = {t["number"]: t for t in desk.export()}
    assert by_number[1]["status"] == "closed"
    assert by_number[1]["closed_at"] is not None
    assert by_number[2]["status"] in ("new", "open")
    assert by_number[2]["closed_at"] is None
    assert by_number[2]["reopened"] is False  # a person reopened it
    events = desk.json("show", "2")["events"]
    assert [(e["kind"], e["actor"]) for e in events][-2:] == [
        ("closed", "lead"),
        ("reopened", "mari"),
    ]
    missing = desk.run("close", "9999")
    assert missing.exit_code == 2
    assert "#9999 does not exist" in missing.stderr


def test_customers_import_and_list(
    store_url: str, mailbox: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, truth = mailbox
    desk = _desk(store_url, tmp_path, truth)
    desk.ok("customers", "import", str(customers_csv(tmp_path / "c.csv", truth)))
    desk.sync(folder)
    listed = desk.json("customers", "list")
    assert {(c["code"], c["name"]) for c in listed} == {
        (c["id"], c["name"]) for c in truth["customers"]
    }
    by_code = {c["code"]: c for c in listed}
    for record in truth["customers"]:
        row = by_code[record["id"]]
        assert row["emails"] == sorted(record["addresses"])
        assert row["domains"] == sorted(record["domains"])
    assert sum(c["open_tickets"] for c in listed) > 0
    # The export names the customer recognised for each ticket.
    assert any(t["customer"] in by_code for t in desk.export())


def test_show_json_explains_every_message(
    store_url: str, mailbox: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, truth = mailbox
    desk = _desk(store_url, tmp_path, truth)
    desk.sync(folder)
    longest = max(desk.export(), key=lambda t: len(t["messages"]))
    shown = desk.json("show", str(longest["number"]))
    assert shown["number"] == longest["number"]
    assert [m["message_id"] for m in shown["messages"]] == [
        m["message_id"] for m in longest["messages"]
    ]
    assert all(m["rule"] for m in shown["messages"])
    assert shown["events"][0]["kind"] == "created"


def test_quarantine_keeps_unreadable_mail_whole(store_url: str, tmp_path: Path) -> None:
    desk = _desk(store_url, tmp_path)
    folder = tmp_path / "junk"
    folder.mkdir()
    (folder / "junk.eml").write_bytes(JUNK)
    result = desk.sync(folder)
    assert result.stdout == ""
    assert "1 message(s) quarantined" in result.stderr
    [row] = desk.json("quarantine", "list")
    assert row["reason"]
    assert row["size"] == len(JUNK)
    shown = desk.ok("quarantine", "show", str(row["id"]))
    assert shown.stdout_bytes == JUNK


def test_noise_is_listed_not_ticketed(
    store_url: str, mailbox: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, truth = mailbox
    desk = _desk(store_url, tmp_path, truth)
    desk.sync(folder)
    listed = desk.json("noise", "list", "--all")
    assert {n["message_id"] for n in listed if n["message_id"]} == _noise_ids(truth)
    assert {n["kind"] for n in listed} <= {"autoreply", "bounce", "bulk"}


def _mail(mid: str, subject: str, extra: str = "", ctype: str = "text/plain") -> bytes:
    return (
        f"From: Mari Maasikas <mari@kund.ee>\r\nTo: {SUPPORT}\r\n"
        f"Subject: {subject}\r\nDate: Mon, 02 Mar 2026 10:00:00 +0200\r\n"
        f"Message-ID: {mid}\r\n{extra}MIME-Version: 1.0\r\n"
        f"Content-Type: {ctype}; charset=utf-8\r\n\r\nTere!\r\n"
    ).encode()


def test_absurdly_long_ids_and_text_are_stored_and_threaded(
    store_url: str, tmp_path: Path
) -> None:
    """Longer than a PostgreSQL btree entry may be, and random (incompressible)."""
    desk = _desk(store_url, tmp_path)
    desk.config.write_text(f'support_addresses = ["{SUPPORT}"]\n', encoding="utf-8")
    long_id = f"<{secrets.token_urlsafe(6000)}@kund.ee>"
    long_subject = "Printer " + secrets.token_urlsafe(4000)
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "1.eml").write_bytes(_mail(long_id, long_subject))
    (folder / "2.eml").write_bytes(
        _mail("<reply@kund.ee>", "Re: x", f"In-Reply-To: {long_id}\r\n")
    )
    (folder / "3.eml").write_bytes(
        _mail("<ct@kund.ee>", "Odd type", ctype="text/x-" + "a" * 400)
    )
    (folder / "4.eml").write_bytes(_mail("<follow@kund.ee>", f"Re: {long_subject}"))
    result = desk.sync(folder)
    assert (result.stdout, result.stderr) == ("", "")
    first, second = desk.export()
    assert [m["message_id"] for m in first["messages"]] == [
        long_id,
        "<reply@kund.ee>",
        "<follow@kund.ee>",
    ]
    assert first["subject"] == long_subject
    assert second["messages"][0]["message_id"] == "<ct@kund.ee>"
    desk.sync(folder)  # and the dedupe key of a long id still dedupes
    assert len(desk.export()[0]["messages"]) == 3


def _timeless(value: Any) -> Any:
    """Times that are 'now' (closing, reopening, quarantining) set aside:
    two runs of the same steps differ there by a second or so."""
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    if isinstance(value, dict):
        out = {k: _timeless(v) for k, v in value.items()}
        if out.get("kind") in ("closed", "reopened") and "at" in out:
            out["at"] = "now"
        if out.get("closed_at") is not None:
            out["closed_at"] = "now"
        out.pop("received_at", None)
        return out
    return value


@pytest.mark.postgres
def test_every_output_is_identical_on_sqlite_and_postgres(
    postgres_db: str, mailbox: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, truth = mailbox
    outputs = []
    for name, url in (
        ("sqlite", f"sqlite:///{tmp_path / 'store.db'}"),
        ("postgres", postgres_db),
    ):
        tmp = tmp_path / name
        tmp.mkdir()
        desk = _desk(url, tmp, truth)
        fill(desk, folder, truth, tmp, junk=tmp_path / "junk")
        outputs.append(
            {
                "export": _timeless(desk.export()),
                "show": [_timeless(desk.json("show", str(n))) for n in (1, 2, 3, 10)],
                "customers": desk.ok("customers", "list", "--format", "csv").stdout,
                "noise": desk.ok("noise", "list", "--all", "--format", "json").stdout,
                "quarantine": _timeless(desk.json("quarantine", "list")),
            }
        )
    sqlite, postgres = outputs
    assert len(sqlite["export"]) >= 0.9 * CONVERSATIONS
    for key in sqlite:
        assert postgres[key] == sqlite[key], key

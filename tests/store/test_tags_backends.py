"""Tags on both backends: the report's one query reads them (group_concat on
SQLite, string_agg on PostgreSQL), and `stats --by tag` counts a ticket in
each of its tags."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.conftest import write_config
from tests.helpers import SUPPORT, eml
from tests.store.conftest import StoreCli, store_url  # noqa: F401 - the fixture

if TYPE_CHECKING:
    from pathlib import Path


def test_tags_report_and_stats_agree_on_both_backends(
    store_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = write_config(
        tmp_path / "config.toml",
        support_addresses=[SUPPORT],
        staff_domains=["acme-help.example"],
    )
    cli = StoreCli(store_url, config)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n, sender in enumerate(("mari@kund.ee", "jaan@firma.ee", "liis@muu.ee")):
        (inbox / f"{n}.eml").write_bytes(
            eml(f"<m{n}@x.ee>", sender=sender, subject=f"Asi {n}")
        )
    cli.sync(inbox)
    cli.ok("tag", "1", "2", "vip", "b-2")
    cli.ok("tag", "3", "b-2")
    rows = {r["number"]: r["tags"] for r in cli.json("report", "--assignee", "*")}
    assert rows == {1: ["b-2", "vip"], 2: ["b-2", "vip"], 3: ["b-2"]}
    assert [r["number"] for r in cli.json("report", "--tag", "vip")] == [1, 2]
    stats = cli.json("stats", "--by", "tag", "--since", "2026-03-01")
    assert {s["group"]: s["created"] for s in stats} == {"b-2": 3, "vip": 2}
    assert {t["number"]: t["tags"] for t in cli.export()} == rows
    cli.ok("untag", "1", "2", "3", "b-2")
    assert cli.json("show", "3")["tags"] == []


def test_edits_time_watch_and_move_on_both_backends(
    store_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = write_config(
        tmp_path / "config.toml",
        support_addresses=[SUPPORT],
        staff_domains=["acme-help.example"],
    )
    cli = StoreCli(store_url, config)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(eml("<a1@kund.ee>"))
    (inbox / "2.eml").write_bytes(
        eml(
            "<a2@kund.ee>",
            subject="Re: Printer on katki",
            body="Arve on vale.",
            date="Mon, 02 Mar 2026 11:00:00 +0200",
            extra="In-Reply-To: <a1@kund.ee>\r\n",
        )
    )
    cli.sync(inbox)
    cli.ok("customers", "add", "Kund", "--code", "KUND", "--email", "mari@kund.ee")
    cli.ok("customers", "add", "Vana", "--code", "VANA", "--domain", "vana.ee")
    cli.ok("customers", "merge", "VANA", "into", "KUND")
    cli.ok("customers", "edit", "KUND", "--name", "Kund OÜ", "--add-domain", "kund.ee")
    assert cli.json("customers", "list")[0]["domains"] == ["kund.ee", "vana.ee"]
    cli.ok("agents", "add", "kadri", "--email", "kadri@acme-help.example")
    assert cli.run("agents", "add", "kadri").exit_code == 2
    cli.ok("agents", "edit", "kadri", "--name", "Kadri")
    cli.ok("set", "1", "--status", "pending", "--subject", "Printer")
    assert cli.json("report", "--status", "pending")[0]["number"] == 1
    cli.ok("watch", "1", "kadri")
    assert cli.json("show", "1")["watchers"] == ["kadri"]
    cli.ok("time", "1", "1h")
    [entry] = cli.json("time", "1", "--list")
    cli.ok("time", "--remove", str(entry["id"]))
    assert cli.json("time", "1", "--list") == []
    moved = cli.json("move", "<a2@kund.ee>", "--to", "new")
    assert moved == [{"number": 2, "moved": [moved[0]["moved"][0]]}]
    assert [m["message_id"] for m in cli.json("show", "2")["messages"]] == [
        "<a2@kund.ee>"
    ]
    cli.sync(inbox)  # read again: nothing moves back
    assert [m["message_id"] for m in cli.json("show", "1")["messages"]] == [
        "<a1@kund.ee>"
    ]

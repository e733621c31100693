"""Tags (`tag`, `untag`), `report --tag`, `stats --by tag`, pending through
`set --status`, and what a wrong word does: one line, exit 2, nothing changed."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import Desk, eml

if TYPE_CHECKING:
    from pathlib import Path


def dump(desk: Desk) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the desk's SQLite store."""
    path = desk.db.removeprefix("sqlite:///")
    with sqlite3.connect(path) as con:
        tables = [
            name
            for (name,) in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {
            t: con.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables
        }


def refused(desk: Desk, *args: str, says: str, code: int = 2) -> None:
    """One line on stderr, the exit code, and every table as it was."""
    before = dump(desk)
    result = desk.run(*args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr, result.stderr
    assert dump(desk) == before


def json_of(desk: Desk, *args: str) -> Any:
    result = desk.run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    desk = Desk(tmp_path)
    desk.deliver(
        eml("<a@kund.ee>", subject="Printer on katki"),
        eml("<b@kund.ee>", sender="jaan@firma.ee", subject="Arve puudu"),
        eml("<c@kund.ee>", sender="liis@muu.ee", subject="Parool"),
    )
    assert (
        desk.run(
            "agents", "add", "kadri", "--email", "kadri@acme-help.example"
        ).exit_code
        == 0
    )
    return desk


def test_tag_and_untag_show_in_show_report_and_export(desk: Desk) -> None:
    assert desk.run("tag", "1", "2", "vip", "printer").exit_code == 0
    assert desk.run("tag", "#3", "2026").exit_code == 0  # a tag of digits, last
    assert json_of(desk, "show", "1")["tags"] == ["printer", "vip"]
    assert json_of(desk, "show", "3")["tags"] == ["2026"]
    shown = desk.run("show", "1").stdout
    assert "tags:" in shown
    assert "printer vip" in shown
    rows = {r["number"]: r["tags"] for r in json_of(desk, "report", "--assignee", "*")}
    assert rows == {1: ["printer", "vip"], 2: ["printer", "vip"], 3: ["2026"]}
    assert "printer, vip" in desk.run("report", "--assignee", "*").stdout
    assert {t["number"]: t["tags"] for t in desk.export()} == rows
    assert desk.run("untag", "2", "vip").exit_code == 0
    assert json_of(desk, "show", "2")["tags"] == ["printer"]
    events = [
        (e["kind"], e["detail"])
        for e in json_of(desk, "show", "1")["events"]
        if e["kind"] in ("tagged", "untagged")
    ]
    assert events == [("tagged", "vip printer")]
    assert [e["kind"] for e in json_of(desk, "show", "2")["events"]][-1] == "untagged"


def test_tagging_again_changes_nothing_and_says_so(desk: Desk) -> None:
    assert desk.run("tag", "1", "vip").exit_code == 0
    before = dump(desk)
    again = desk.run("tag", "1", "vip")
    assert again.exit_code == 0
    assert again.stderr == "#1 already has vip\n"
    gone = desk.run("untag", "2", "vip")
    assert (gone.exit_code, gone.stderr) == (0, "#2 has none of vip\n")
    assert dump(desk) == before


def test_report_by_tag_and_stats_by_tag(desk: Desk) -> None:
    desk.run("tag", "1", "2", "vip")
    desk.run("tag", "2", "billing")
    listed = [r["number"] for r in json_of(desk, "report", "--tag", "vip")]
    assert listed == [1, 2]
    assert [r["number"] for r in json_of(desk, "report", "--tag", "billing")] == [2]
    stats = json_of(desk, "stats", "--by", "tag", "--since", "2026-03-01")
    created = {row["group"]: row["created"] for row in stats}
    # A ticket counts once in each of its tags; untagged ones in (none).
    assert created == {"billing": 1, "vip": 2, "(none)": 1}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("tag", "1", "VIP"), "tag 'VIP'"),
        (("tag", "1", "two words"), "tag 'two words'"),
        (("tag", "1", "ä"), "tag 'ä'"),
        (("tag", "1", "a/b"), "tag 'a/b'"),
        (("tag", "1", "x" * 65), "a tag is 1-64"),
        (("tag", "1", ""), "a tag is 1-64"),
        (("tag", "1", "ok", "Bad"), "tag 'Bad'"),
        (("tag", "99", "vip"), "ticket #99 does not exist"),
        (("tag", "1", "99", "vip"), "ticket #99 does not exist"),
        (("tag", "vip"), "give the ticket numbers first"),
        (("untag", "1", "NO"), "tag 'NO'"),
        (("untag", "42", "vip"), "ticket #42 does not exist"),
        (("report", "--tag", "nosuch"), "no ticket is tagged 'nosuch'"),
        (("report", "--tag", "Bad Tag"), "tag 'Bad Tag'"),
        (("report", "--tag", "vip", "--html", "-"), "--tag: not with --html"),
        (("stats", "--by", "tags"), "--by"),
    ],
)
def test_wrong_tags_and_tickets_change_nothing(
    desk: Desk, args: tuple[str, ...], says: str
) -> None:
    refused(desk, *args, says=says)


# --- pending -----------------------------------------------------------------


def test_pending_by_hand_and_back_to_open_by_the_customers_mail(desk: Desk) -> None:
    desk.run("assign", "1", "kadri")
    assert desk.run("set", "1", "--status", "pending").exit_code == 0
    assert json_of(desk, "show", "1")["status"] == "pending"
    listed = json_of(desk, "report", "--status", "pending")
    assert [r["number"] for r in listed] == [1]
    assert 1 in [r["number"] for r in json_of(desk, "report", "--assignee", "*")]
    # Staff mail leaves it pending ...
    desk.deliver(
        eml(
            "<s1@acme-help.example>",
            sender="kadri@acme-help.example",
            subject="Re: Printer on katki",
            date="Mon, 02 Mar 2026 11:00:00 +0200",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        )
    )
    assert json_of(desk, "show", "1")["status"] == "pending"
    # ... the customer's mail opens it again, with an event.
    desk.deliver(
        eml(
            "<a2@kund.ee>",
            subject="Re: Printer on katki",
            date="Mon, 02 Mar 2026 12:00:00 +0200",
            extra="In-Reply-To: <s1@acme-help.example>\r\n",
        )
    )
    ticket = json_of(desk, "show", "1")
    assert ticket["status"] == "open"
    assert ("status", "open") in [(e["kind"], e["detail"]) for e in ticket["events"]]


def test_set_status_open_and_refusals(desk: Desk) -> None:
    desk.run("set", "2", "--status", "pending")
    assert desk.run("set", "2", "--status", "open").exit_code == 0
    assert json_of(desk, "show", "2")["status"] == "new"  # in the pool: new
    desk.run("close", "3")
    refused(desk, "set", "3", "--status", "open", says="#3 is closed")
    refused(desk, "set", "99", "--status", "pending", says="ticket #99 does not exist")
    refused(desk, "set", "1", "--status", "closed", says="--status")
    refused(desk, "set", "1", says="nothing to set")

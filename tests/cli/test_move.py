"""`move MSG --to N|new [--with-replies]`: a mis-threaded mail goes where it
belongs, both histories say so, and threading remembers: a later reply
follows it, a re-sync does not move it back."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.cli.test_tags import refused
from tests.helpers import Desk, eml

if TYPE_CHECKING:
    from pathlib import Path


def show(desk: Desk, number: int) -> dict[str, Any]:
    result = desk.run("show", str(number), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def mids(desk: Desk, number: int) -> list[str]:
    return [m["message_id"] for m in show(desk, number)["messages"]]


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    desk = Desk(tmp_path)
    desk.deliver(
        eml("<a1@kund.ee>"),
        # Answered the printer mail, but is about something else entirely.
        eml(
            "<a2@kund.ee>",
            subject="Re: Printer on katki",
            body="Ja arve on vale.",
            date="Mon, 02 Mar 2026 11:00:00 +0200",
            extra="In-Reply-To: <a1@kund.ee>\r\n",
        ),
        eml(
            "<a3@kund.ee>",
            subject="Re: Printer on katki",
            body="Arve nr 12.",
            date="Mon, 02 Mar 2026 12:00:00 +0200",
            extra="In-Reply-To: <a2@kund.ee>\r\n",
        ),
        eml(
            "<b1@firma.ee>",
            sender="jaan@firma.ee",
            subject="Parool",
            date="Mon, 02 Mar 2026 13:00:00 +0200",
        ),
    )
    assert mids(desk, 1) == ["<a1@kund.ee>", "<a2@kund.ee>", "<a3@kund.ee>"]
    return desk


def test_move_with_replies_to_a_new_ticket_and_threading_follows(desk: Desk) -> None:
    result = desk.run(
        "move",
        "a2@kund.ee",
        "--to",
        "new",
        "--with-replies",
        "--as",
        "lead",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [{"number": 3, "moved": ["m2", "m3"]}]
    assert mids(desk, 1) == ["<a1@kund.ee>"]
    assert mids(desk, 3) == ["<a2@kund.ee>", "<a3@kund.ee>"]
    new = show(desk, 3)
    assert (new["requester"], new["message_count"]) == ("mari@kund.ee", 2)
    assert show(desk, 1)["message_count"] == 1
    out = [(e["kind"], e["actor"]) for e in show(desk, 1)["events"]]
    assert ("moved-out", "lead") in out
    assert "moved-in" in [e["kind"] for e in new["events"]]
    # A later reply to a moved message follows it; a re-sync moves nothing back.
    desk.deliver(
        eml(
            "<a4@kund.ee>",
            subject="Re: Printer on katki",
            body="Ja veel.",
            date="Mon, 02 Mar 2026 14:00:00 +0200",
            extra="In-Reply-To: <a3@kund.ee>\r\n",
        )
    )
    assert mids(desk, 3) == ["<a2@kund.ee>", "<a3@kund.ee>", "<a4@kund.ee>"]
    desk.deliver()  # the same inbox read again
    assert mids(desk, 1) == ["<a1@kund.ee>"]
    assert mids(desk, 3) == ["<a2@kund.ee>", "<a3@kund.ee>", "<a4@kund.ee>"]


def test_move_one_message_by_short_id_to_an_existing_ticket(desk: Desk) -> None:
    short = show(desk, 1)["messages"][2]["short_id"]
    assert desk.run("move", short, "--to", "2").exit_code == 0
    assert mids(desk, 2) == ["<a3@kund.ee>", "<b1@firma.ee>"]  # by date
    assert mids(desk, 1) == ["<a1@kund.ee>", "<a2@kund.ee>"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("move", "m99999", "--to", "2"), "message 'm99999' does not exist"),
        (("move", "<nope@x>", "--to", "2"), "does not exist"),
        (("move", "x" * 300, "--to", "2"), "does not exist"),
        (("move", "<a2@kund.ee>", "--to", "99"), "ticket #99 does not exist"),
        (("move", "<a2@kund.ee>", "--to", "elsewhere"), "--to: 'elsewhere'"),
        (("move", "<a2@kund.ee>", "--to", "1"), "is on #1 already"),
        (("move", "<a2@kund.ee>"), "--to"),
    ],
)
def test_wrong_moves_change_nothing(
    desk: Desk, args: tuple[str, ...], says: str
) -> None:
    refused(desk, *args, says=says)


def test_no_move_into_a_merged_ticket(desk: Desk) -> None:
    assert desk.run("merge", "2", "into", "1").exit_code == 0
    refused(desk, "move", "<a1@kund.ee>", "--to", "2", says="#2 is merged into #1")


# --- unmerge -------------------------------------------------------------------


def test_unmerge_gives_back_the_export_of_before_the_merge(desk: Desk) -> None:
    assert (
        desk.run(
            "agents", "add", "kadri", "--email", "kadri@acme-help.example"
        ).exit_code
        == 0
    )
    assert desk.run("assign", "2", "kadri").exit_code == 0
    assert desk.run("tag", "1", "vip").exit_code == 0
    before = desk.export()
    assert desk.run("merge", "2", "into", "1", "--as", "lead").exit_code == 0
    merged = desk.export()
    assert merged != before
    assert [t["status"] for t in merged] == ["open", "merged"]
    result = desk.run("unmerge", "2", "--as", "lead")
    assert result.exit_code == 0, result.stderr
    assert desk.export() == before
    assert "unmerged" in [e["kind"] for e in show(desk, 2)["events"]]
    assert "unmerged" in [e["kind"] for e in show(desk, 1)["events"]]
    # Threading follows: a reply to #2's mail lands on #2 again.
    desk.deliver(
        eml(
            "<b2@firma.ee>",
            sender="jaan@firma.ee",
            subject="Re: Parool",
            date="Mon, 02 Mar 2026 15:00:00 +0200",
            extra="In-Reply-To: <b1@firma.ee>\r\n",
        )
    )
    assert mids(desk, 2) == ["<b1@firma.ee>", "<b2@firma.ee>"]


def test_wrong_unmerges_change_nothing(desk: Desk) -> None:
    refused(desk, "unmerge", "99", says="ticket #99 does not exist")
    refused(desk, "unmerge", "1", says="#1 is not merged (new)")
    refused(desk, "unmerge", "x", says="not a valid integer")
    desk.run("merge", "2", "into", "1")
    desk.run("unmerge", "2")
    refused(desk, "unmerge", "2", says="#2 is not merged")


def test_a_late_parent_of_both_sides_of_a_move_does_not_merge_them(
    tmp_path: Path,
) -> None:
    desk = Desk(tmp_path)
    refs = "References: <p@kund.ee>"
    desk.deliver(
        eml("<x1@kund.ee>", subject="Re: Vana", extra=f"{refs}\r\n"),
        eml(
            "<x2@kund.ee>",
            subject="Re: Vana",
            body="Uus küsimus.",
            date="Mon, 02 Mar 2026 11:00:00 +0200",
            extra=f"In-Reply-To: <x1@kund.ee>\r\n{refs} <x1@kund.ee>\r\n",
        ),
    )
    assert mids(desk, 1) == ["<x1@kund.ee>", "<x2@kund.ee>"]
    assert desk.run("move", "<x2@kund.ee>", "--to", "new").exit_code == 0
    # The parent both name arrives late: threading would fold #2 into #1.
    desk.deliver(
        eml("<p@kund.ee>", subject="Vana", date="Mon, 02 Mar 2026 09:00:00 +0200")
    )
    assert [t["status"] for t in desk.export()] == ["new", "new"]
    assert mids(desk, 2) == ["<x2@kund.ee>"]
    assert "<p@kund.ee>" in mids(desk, 1)

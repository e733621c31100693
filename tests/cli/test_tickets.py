"""The lead's commands through the CLI, on a store synced from a generated mailbox."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from tests.conftest import GenMailbox, customers_csv
from tests.helpers import Desk, eml
from ticketcli.cli import cli
from ticketcli.render.listing import COLUMNS

if TYPE_CHECKING:
    from pathlib import Path


class GenDesk(Desk):
    """A Desk whose store holds a generated mailbox and its customer records."""

    def __init__(self, tmp: Path, gen_mailbox: GenMailbox) -> None:
        self.mailbox, self.truth = gen_mailbox(conversations=20, seed=11)
        super().__init__(
            tmp,
            support_addresses=[self.truth["support_address"]],
            staff_domains=self.truth["staff_domains"],
        )
        path = customers_csv(tmp / "customers.csv", self.truth)
        assert self.run("customers", "import", str(path)).exit_code == 0
        synced = self.run("sync", "--source", str(self.mailbox))
        assert synced.exit_code == 0, synced.stderr

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--format", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    def ticket(self, number: int) -> dict[str, Any]:
        return self.json("show", str(number))

    def report(self, *args: str) -> list[dict[str, Any]]:
        return self.json("report", *args)


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return Desk(tmp_path)


@pytest.fixture
def gdesk(tmp_path: Path, gen_mailbox: GenMailbox) -> GenDesk:
    return GenDesk(tmp_path, gen_mailbox)


def _refused(desk: Desk, *args: str, says: str) -> None:
    """One line on stderr, exit 2, and the store as it was."""
    before = desk.export()
    result = desk.run(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert says in result.stderr
    assert desk.export() == before


def _events(desk: GenDesk, number: int) -> list[tuple[str, str, str]]:
    return [
        (e["kind"], e["actor"], e["detail"])
        for e in desk.ticket(number)["events"]
        if e["kind"] not in ("message", "created")
    ]


def _active(desk: GenDesk) -> list[int]:
    return [t["number"] for t in desk.report("--assignee", "*")]


# --- agents ----------------------------------------------------------------


def test_agents_add_list_deactivate(gdesk: GenDesk) -> None:
    learned = {a["login"] for a in gdesk.json("agents", "list")}
    assert learned  # first replies in the mailbox made agents of the staff
    added = gdesk.run(
        "agents", "add", "lead", "--name", "Liis Lead", "--email", "Liis@Gmail.com"
    )
    assert (added.exit_code, added.stdout, added.stderr) == (0, "", "")
    rows = {a["login"]: a for a in gdesk.json("agents", "list")}
    assert rows["lead"] == {
        "login": "lead",
        "name": "Liis Lead",
        "emails": ["liis@gmail.com"],
        "active": True,
        "open_tickets": 0,
    }
    assert gdesk.run("agents", "deactivate", "lead").exit_code == 0
    again = gdesk.run("agents", "deactivate", "lead")
    assert (again.exit_code, again.stderr) == (0, "agent lead is already inactive\n")
    assert {a["login"]: a for a in gdesk.json("agents", "list")}["lead"][
        "active"
    ] is False


def test_agents_add_refuses_bad_input(gdesk: GenDesk) -> None:
    gdesk.run("agents", "add", "lead", "--email", "liis@gmail.com")
    _refused(
        gdesk,
        "agents",
        "add",
        "other",
        "--email",
        "liis@gmail.com",
        says="already on agent lead",
    )
    _refused(gdesk, "agents", "add", "x", "--email", "not-an-address", says="--email")
    _refused(gdesk, "agents", "deactivate", "ghost", says="agent 'ghost' does not")


def test_agent_address_makes_mail_outbound(desk: Desk) -> None:
    desk.run("agents", "add", "freelancer", "--email", "free@gmail.com")
    desk.deliver(eml("<a@kund.ee>"))
    desk.deliver(
        eml(
            "<b@gmail.com>",
            sender="free@gmail.com",
            to="mari@kund.ee",
            subject="Re: Printer on katki",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        )
    )
    [ticket] = desk.export()
    assert [m["direction"] for m in ticket["messages"]] == ["inbound", "outbound"]
    assert ticket["assignee"] == "freelancer"


# --- acting on tickets -----------------------------------------------------


def test_assign_unassign_take_record_actor_and_event(
    gdesk: GenDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    gdesk.run("agents", "add", "lead", "--name", "Liis")
    gdesk.run("agents", "add", "kati", "--name", "Kati")
    a, b, c = _active(gdesk)[:3]
    result = gdesk.run("assign", str(a), str(b), "kati", "--as", "lead")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert gdesk.ticket(a)["assignee"] == gdesk.ticket(b)["assignee"] == "kati"
    assert _events(gdesk, a)[-1] == ("assigned", "lead", "kati")
    assert gdesk.ticket(a)["status"] == "open"

    assert gdesk.run("unassign", str(b), "--as", "lead").exit_code == 0
    assert gdesk.ticket(b)["assignee"] is None
    assert gdesk.ticket(b)["status"] == "new"
    assert _events(gdesk, b)[-1] == ("unassigned", "lead", "kati")

    monkeypatch.setenv("TICKETCLI_USER", "kati")
    assert gdesk.run("take", str(c)).exit_code == 0
    assert gdesk.ticket(c)["assignee"] == "kati"
    assert _events(gdesk, c)[-1] == ("assigned", "kati", "kati")

    again = gdesk.run("assign", str(a), "kati")
    assert (again.exit_code, again.stderr) == (
        0,
        f"#{a} is already assigned to kati\n",
    )


def test_acting_on_unknown_ticket_or_agent_changes_nothing(gdesk: GenDesk) -> None:
    gdesk.run("agents", "add", "kati")
    first = _active(gdesk)[0]
    _refused(gdesk, "assign", str(first), "99999", "kati", says="#99999 does not")
    _refused(gdesk, "assign", str(first), "ghost", says="agent 'ghost' does not")
    _refused(gdesk, "unassign", "99999", says="#99999 does not exist")
    _refused(gdesk, "take", str(first), "--as", "nobody", says="'nobody' is not an")
    gdesk.run("agents", "deactivate", "kati")
    _refused(gdesk, "assign", str(first), "kati", says="agent kati is inactive")


def test_set_priority_type_due(gdesk: GenDesk) -> None:
    number = _active(gdesk)[0]
    result = gdesk.run(
        "set",
        str(number),
        "--priority",
        "urgent",
        "--type",
        "quote request",
        "--due",
        "2026-03-31",
        "--as",
        "lead",
    )
    assert (result.exit_code, result.stderr) == (0, "")
    ticket = gdesk.ticket(number)
    assert (ticket["priority"], ticket["type"], ticket["due_at"]) == (
        "urgent",
        "quote request",
        "2026-03-31T23:59:59Z",
    )
    assert _events(gdesk, number)[-3:] == [
        ("priority", "lead", "normal → urgent"),
        ("type", "lead", "quote request"),
        ("due", "lead", "2026-03-31T23:59:59Z"),
    ]
    _refused(gdesk, "set", str(number), "--due", "31.03.2026", says="not a date")
    _refused(gdesk, "set", str(number), "--type", "gossip", says="'gossip' is not")
    _refused(gdesk, "set", "99999", "--priority", "low", says="#99999 does not")
    _refused(gdesk, "set", str(number), says="nothing to set")


def test_ticket_types_come_from_the_config(tmp_path: Path) -> None:
    desk = Desk(tmp_path, ticket_types=["repair"])
    desk.deliver(eml("<a@kund.ee>"))
    assert desk.run("set", "1", "--type", "repair").exit_code == 0
    assert desk.run("set", "1", "--type", "question").exit_code == 2


def test_customer_by_hand_is_learned_for_the_next_mail(desk: Desk) -> None:
    desk.run("customers", "add", "Kund OÜ", "--code", "KUND")
    desk.deliver(eml("<a@gmail.com>", sender="mari@gmail.com"))
    assert desk.export()[0]["customer"] is None
    result = desk.run("customer", "1", "Kund OÜ", "--as", "lead")
    assert (result.exit_code, result.stderr) == (0, "")
    assert desk.export()[0]["customer"] == "KUND"
    shown = json.loads(desk.run("customers", "show", "KUND", "--format", "json").stdout)
    assert shown[0]["learned"] == ["mari@gmail.com"]
    desk.deliver(eml("<b@gmail.com>", sender="mari@gmail.com", subject="Uus mure"))
    assert [t["customer"] for t in desk.export()] == ["KUND", "KUND"]
    _refused(desk, "customer", "1", "NOPE", says="customer 'NOPE' does not exist")


def test_note_and_time(gdesk: GenDesk) -> None:
    number = _active(gdesk)[0]
    assert gdesk.run("note", str(number), "called back", "--as", "lead").exit_code == 0
    ok = gdesk.run("time", str(number), "1h30m", "--note", "remote", "--as", "lead")
    assert (ok.exit_code, ok.stderr) == (0, "")
    assert _events(gdesk, number)[-2:] == [
        ("note", "lead", "called back"),
        ("time", "lead", "90m remote"),
    ]
    _refused(gdesk, "time", str(number), "soon", says="not a duration")
    _refused(gdesk, "time", "99999", "45m", says="#99999 does not exist")
    _refused(gdesk, "note", str(number), "  ", says="the note is empty")


def test_merge_moves_messages_and_replies_follow(desk: Desk) -> None:
    desk.deliver(eml("<a@kund.ee>"))
    desk.deliver(eml("<b@kund.ee>", subject="Teine asi"))
    result = desk.run("merge", "2", "into", "1", "--as", "lead")
    assert (result.exit_code, result.stderr) == (0, "")
    first, second = desk.export()
    assert (second["status"], second["merged_into"], second["messages"]) == (
        "merged",
        1,
        [],
    )
    assert second["closed_at"] is not None
    assert [m["message_id"] for m in first["messages"]] == [
        "<a@kund.ee>",
        "<b@kund.ee>",
    ]
    desk.deliver(
        eml(
            "<c@kund.ee>",
            subject="Re: Teine asi",
            date="Tue, 03 Mar 2026 09:00:00 +0200",
            extra="In-Reply-To: <b@kund.ee>\r\n",
        )
    )
    assert len(desk.export()) == 2
    assert desk.export()[0]["messages"][-1]["message_id"] == "<c@kund.ee>"
    _refused(desk, "merge", "1", "into", "1", says="into itself")
    _refused(desk, "merge", "2", "into", "1", says="#2 is merged into #1")
    _refused(desk, "merge", "1", "onto", "2", says="expected 'merge 1 into M'")


def test_new_ticket_by_hand(desk: Desk) -> None:
    desk.run("customers", "add", "Kund OÜ", "--code", "KUND", "--domain", "kund.ee")
    desk.run("agents", "add", "kati")
    result = desk.run(
        "new",
        "--from",
        "Jaan@Kund.ee",
        "--subject",
        "Helistas: arve",
        "--message",
        "Arve on vale.",
        "--assign",
        "kati",
        "--as",
        "lead",
        "--format",
        "json",
    )
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == [{"number": 1}]
    [ticket] = desk.export()
    assert (ticket["customer"], ticket["requester"], ticket["assignee"]) == (
        "KUND",
        "jaan@kund.ee",
        "kati",
    )
    assert [m["kind"] for m in ticket["messages"]] == ["note"]
    by_code = desk.run("new", "--customer", "KUND", "--subject", "Walk-in")
    assert by_code.exit_code == 0
    assert desk.export()[1]["customer"] == "KUND"
    _refused(desk, "new", "--from", "jaan@", "--subject", "x", says="--from")
    _refused(desk, "new", "--subject", "x", says="give --from ADDRESS or --customer")
    _refused(
        desk,
        "new",
        "--customer",
        "KUND",
        "--subject",
        "x",
        "--assign",
        "ghost",
        says="agent 'ghost'",
    )


def test_acting_on_a_reopened_ticket_clears_the_mark(desk: Desk) -> None:
    desk.deliver(eml("<a@kund.ee>"))
    desk.run("close", "1")
    desk.deliver(
        eml(
            "<b@kund.ee>",
            subject="Re: Printer on katki",
            date="Tue, 03 Mar 2026 09:00:00 +0200",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        )
    )
    assert desk.export()[0]["reopened"] is True
    assert desk.run("note", "1", "looking").exit_code == 0
    assert desk.export()[0]["reopened"] is False


# --- report ------------------------------------------------------------------


def test_report_filters(gdesk: GenDesk) -> None:
    gdesk.run("agents", "add", "lead")
    everyone = gdesk.report("--assignee", "*")
    assert everyone
    assert list(everyone[0]) == list(COLUMNS)
    assert {t["status"] for t in everyone} <= {"new", "open", "pending"}
    exported = {t["number"]: t for t in gdesk.export()}
    for row in everyone:
        source = exported[row["number"]]
        assert row["vs"] == source["message_count"]
        assert row["last_direction"] == source["last_direction"]
    pool = gdesk.report("--assignee", "none")
    assert all(t["assignee"] is None for t in pool)
    mine = everyone[0]["number"]
    gdesk.run("assign", str(mine), "lead")
    default = [t["number"] for t in gdesk.report("--as", "lead")]
    expected = {t["number"] for t in pool} | {mine}
    assert set(default) == expected
    waiting = gdesk.report("--waiting")
    assert waiting
    assert all(t["last_direction"] == "inbound" for t in waiting)
    assert gdesk.report("--overdue") == []
    gdesk.run("set", str(mine), "--due", "2020-01-01")
    [late] = gdesk.report("--overdue")
    assert (late["number"], late["overdue"]) == (mine, True)
    customer = next(t["customer"] for t in everyone if t["customer"])
    assert {t["customer"] for t in gdesk.report("--customer", customer)} == {customer}
    _refused(gdesk, "report", "--since", "yesterday", says="--since")


def test_report_table_and_csv(gdesk: GenDesk) -> None:
    table = gdesk.run("report", "--assignee", "*")
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split()[:4] == [
        "number",
        "age",
        "customer",
        "subject",
    ]
    csv_out = gdesk.run("report", "--assignee", "*", "--format", "csv")
    assert csv_out.stdout.splitlines()[0] == ",".join(COLUMNS)


def test_customers_show(gdesk: GenDesk) -> None:
    code = gdesk.truth["customers"][0]["id"]
    [detail] = gdesk.json("customers", "show", code)
    assert detail["code"] == code
    numbers = [t["number"] for t in detail["tickets"]]
    exported = [t["number"] for t in gdesk.export() if t["customer"] == code]
    assert sorted(numbers) == sorted(exported)
    table = gdesk.run("customers", "show", code)
    assert table.stdout.startswith("customer:")
    _refused(gdesk, "customers", "show", "NOPE", says="customer 'NOPE' does not")


# --- reopen policy -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reopens"),
    [
        ("Aitäh!\n\nMari", False),
        ("Dziękuję!", False),
        ("Aitäh! Aga kas saate arve ka saata?", True),
    ],
    ids=["thanks", "thanks-pl", "thanks-and-asks"],
)
def test_ignore_thanks_keeps_the_ticket_closed(
    tmp_path: Path, body: str, reopens: bool
) -> None:
    desk = Desk(tmp_path, reopen={"ignore_thanks": True})
    desk.deliver(eml("<a@kund.ee>"))
    desk.run("close", "1")
    desk.deliver(
        eml(
            "<b@kund.ee>",
            subject="Re: Printer on katki",
            body=body + "\n\nKontaktil Kadri kirjutas:\n> Kas nüüd töötab?\n",
            date="Tue, 03 Mar 2026 09:00:00 +0200",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        )
    )
    [ticket] = desk.export()
    assert len(ticket["messages"]) == 2
    assert (ticket["status"] != "closed") is reopens
    assert ticket["reopened"] is reopens
    kinds = [
        e["kind"]
        for e in json.loads(desk.run("show", "1", "--format", "json").stdout)["events"]
    ]
    assert ("thanks" in kinds) is not reopens


def test_thanks_reopens_without_the_policy(desk: Desk) -> None:
    desk.deliver(eml("<a@kund.ee>"))
    desk.run("close", "1")
    desk.deliver(
        eml(
            "<b@kund.ee>",
            subject="Re: Printer on katki",
            body="Aitäh!",
            date="Tue, 03 Mar 2026 09:00:00 +0200",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        )
    )
    assert desk.export()[0]["status"] == "new"


# --- show ----------------------------------------------------------------------


def test_show_header_thread_and_folded_quotes(desk: Desk) -> None:
    desk.deliver(eml("<a@kund.ee>"))
    desk.run("close", "1", "--as", "lead")
    desk.deliver(
        eml(
            "<b@kund.ee>",
            subject="Re: Printer on katki",
            body="Ikka ei tööta.\n\nSaatja: Kadri <kadri@acme-help.example>\n"
            "Saadetud: 02.03.2026 11:00\nAdressaat: Mari\nTeema: RE: Printer\n\n"
            "Kas proovisite taaskäivitada?",
            date="Tue, 03 Mar 2026 09:00:00 +0200",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        )
    )
    desk.run("set", "1", "--type", "service", "--due", "2026-03-10")
    desk.deliver(eml("<c@kund.ee>", subject="Teine mure"))
    desk.run("merge", "2", "into", "1")
    desk.run("note", "1", "helistasin kliendile", "--as", "lead")
    shown = desk.run("show", "1")
    assert shown.exit_code == 0
    out = shown.stdout
    assert "  type:           service\n" in out
    # Due by the end of the 10th UTC: on the reader's clock (TZ, Tallinn).
    assert "  (times in Europe/Tallinn)\n" in out
    assert "  due:            2026-03-11 01:59\n" in out
    assert "  linked from:    #2\n" in out
    assert "  | Ikka ei tööta.\n" in out
    assert "Kas proovisite" not in out
    assert "(… 5 quoted lines folded; --full shows them)" in out
    assert "  · " in out
    assert "closed by lead" in out
    assert "note by lead\n  # helistasin kliendile\n" in out
    # Chronological: the mail (March) comes before today's close and note.
    assert out.index("Ikka ei tööta") < out.index("closed by lead")
    assert out.index("Ikka ei tööta") < out.index("note by lead")
    full = desk.run("show", "1", "--full").stdout
    assert "  | Kas proovisite taaskäivitada?\n" in full


def test_show_marks_reopened(desk: Desk) -> None:
    desk.deliver(eml("<a@kund.ee>"))
    desk.run("close", "1")
    desk.deliver(
        eml(
            "<b@kund.ee>",
            subject="Re: Printer on katki",
            date="Tue, 03 Mar 2026 09:00:00 +0200",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        )
    )
    assert desk.run("show", "1").stdout.splitlines()[0].endswith("REOPENED")


def test_report_is_one_query_whatever_the_size(gdesk: GenDesk) -> None:
    from playhouse.test_utils import count_queries

    from ticketcli.clock import now
    from ticketcli.store.db import connect
    from ticketcli.store.models import bind_models
    from ticketcli.store.queries import report_rows

    db = connect(gdesk.db)
    try:
        with bind_models(db), count_queries() as counter:
            rows = list(report_rows(now=now(), assignee="*"))
        assert len(rows) > 5
        assert counter.count == 1
        plan = " ".join(
            str(row[-1])
            for row in db.execute_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM ticket"
                " WHERE status IN ('new', 'open', 'pending') ORDER BY created_at, id"
            )
        )
        # An index (the partial "ticket_active", or status), never the table.
        assert "INDEX ticket_" in plan
        assert "SCAN ticket\n" not in plan + "\n"
    finally:
        db.close()


def test_an_older_store_gets_due_date_work_log_and_indexes(desk: Desk) -> None:
    import sqlite3

    desk.deliver(eml("<a@kund.ee>"))
    path = desk.db.removeprefix("sqlite:///")
    con = sqlite3.connect(path)
    with con:
        con.execute("DROP INDEX ticket_active")
        con.execute("DROP INDEX ticket_status_assignee")
        con.execute("DROP TABLE work_log")
        con.execute("ALTER TABLE ticket DROP COLUMN due_at")
        con.execute("DELETE FROM schema_migration WHERE name LIKE '0003_desk%'")
    con.close()
    assert desk.run("set", "1", "--due", "2026-03-31").exit_code == 0
    assert desk.run("time", "1", "45m").exit_code == 0
    con = sqlite3.connect(path)
    indexes = {row[1] for row in con.execute("PRAGMA index_list(ticket)")}
    con.close()
    assert {"ticket_active", "ticket_status_assignee"} <= indexes
    assert desk.export()[0]["due_at"] == "2026-03-31T23:59:59Z"


def test_report_since_sort_and_status(gdesk: GenDesk) -> None:
    everyone = gdesk.report("--assignee", "*", "--sort", "number")
    numbers = [t["number"] for t in everyone]
    assert numbers == sorted(numbers)
    gdesk.run("set", str(numbers[-1]), "--priority", "urgent")
    assert (
        gdesk.report("--assignee", "*", "--sort", "priority")[0]["number"]
        == (numbers[-1])
    )
    gdesk.run("close", str(numbers[0]), str(numbers[1]))
    closed = gdesk.report("--status", "closed")
    assert [t["number"] for t in closed] == numbers[:2]
    assert numbers[0] not in [t["number"] for t in gdesk.report("--assignee", "*")]
    exported = {t["number"]: t for t in gdesk.export()}
    newest = max(t["created_at"] for t in exported.values())
    since = gdesk.report("--since", newest[:10])
    assert since
    assert all(exported[t["number"]]["created_at"] >= newest[:10] for t in since)
    assert gdesk.report("--since", "2099-01-01") == []


def test_new_edit_takes_the_message_from_the_editor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text(
        '#!/bin/sh\nprintf "Helistas: printer ei prindi.\\n# a comment\\n" > "$1"\n',
        encoding="utf-8",
    )
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.setenv("VISUAL", str(editor))
    runner = CliRunner()
    base = ["--db", f"sqlite:///{tmp_path / 's.db'}"]
    assert runner.invoke(cli, [*base, "init"]).exit_code == 0
    made = runner.invoke(
        cli,
        [
            *base,
            "new",
            "--from",
            "mari@kund.ee",
            "--subject",
            "Printer",
            "--edit",
            "--as",
            "lead",
            "--format",
            "json",
        ],
        catch_exceptions=False,
    )
    assert made.exit_code == 0, made.stderr
    [row] = json.loads(made.stdout)
    shown = json.loads(
        runner.invoke(
            cli, [*base, "show", str(row["number"]), "--format", "json"]
        ).stdout
    )
    assert [m["body_text"] for m in shown["messages"]] == [
        "Helistas: printer ei prindi."
    ]
    empty = tmp_path / "empty.sh"
    empty.write_text('#!/bin/sh\n: > "$1"\n', encoding="utf-8")
    empty.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(empty))
    monkeypatch.setenv("VISUAL", str(empty))
    refused = runner.invoke(
        cli, [*base, "new", "--from", "mari@kund.ee", "--subject", "X", "--edit"]
    )
    assert refused.exit_code == 2
    assert "empty message" in refused.stderr


def test_report_marks_reopened_in_bold_on_a_terminal(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    desk = Desk(tmp_path)
    desk.deliver(eml("<a@kund.ee>"))
    desk.run("close", "1")
    desk.deliver(
        eml(
            "<b@kund.ee>",
            subject="Re: Printer on katki",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        )
    )
    args = [
        sys.executable,
        "-m",
        "ticketcli",
        "--db",
        desk.db,
        "report",
        "--assignee",
        "none",
    ]
    piped = subprocess.run(args, capture_output=True, check=True).stdout.decode()
    assert "REOPENED" in piped
    assert "\x1b[1m" not in piped
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdout=follower, stderr=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    assert "\x1b[1mREOPENED" in b"".join(chunks).decode()

"""`reply` and `templates list` through the CLI, without a mail server:
arguments, refusals before anything is stored, --dry-run, the listing."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import pytest

from tests.helpers import Desk, eml

if TYPE_CHECKING:
    from pathlib import Path

TEMPLATE = "{# Asks for the serial number #}\nHello {{ requester_name }}, ...\n"


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T10:30:00Z")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "serial.txt").write_text(TEMPLATE, encoding="utf-8")
    desk = Desk(
        tmp_path,
        token_prefix="ACME",
        templates={"dir": "templates"},
        smtp={"host": "127.0.0.1", "port": 9, "tls": "none", "timeout": 2},
    )
    desk.deliver(eml("<q1@kund.ee>"))
    return desk


def _refused(desk: Desk, *args: str, says: str) -> None:
    """One line on stderr, exit 2, and the store as it was."""
    before = desk.export()
    result = desk.run("reply", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr
    assert desk.export() == before


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("1",), "nothing to send"),
        (("1", "--message", "x", "--edit"), "give --message, or --template"),
        (("1", "--message", "x", "--template", "serial"), "give --message"),
        (("1", "--message", "  "), "--message is empty"),
        (("1", "--template", "seriall"), "available: acknowledgement, closed, serial"),
        (("1", "--message", "x", "--cc", "not an address"), "--cc:"),
        (("1", "--message", "x", "--attach", "/no/such/file"), "--attach: cannot read"),
        (("1", "--message", "x", "--attach", "/"), "--attach: / is a folder"),
        (("9", "--message", "x"), "ticket #9 does not exist"),
    ],
)
def test_wrong_arguments_change_nothing(
    desk: Desk, args: tuple[str, ...], says: str
) -> None:
    _refused(desk, *args, says=says)


def test_no_smtp_host_is_a_config_error_but_dry_run_works(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    desk.deliver(eml("<q1@kund.ee>"))
    _refused(desk, "1", "--message", "x", says="smtp.host")
    result = desk.run("reply", "1", "--message", "Tere!", "--dry-run", "--as", "x")
    assert result.exit_code == 0, result.stderr
    assert "Subject: Re: Printer on katki [Ticket #1]" in result.stdout


def test_dry_run_prints_headers_body_and_attachments(
    desk: Desk, tmp_path: Path
) -> None:
    (tmp_path / "log.txt").write_text("viga 42\n", encoding="utf-8")
    result = desk.run(
        "reply", "1", "--template", "serial", "--attach", str(tmp_path / "log.txt"),
        "--dry-run", "--as", "anna",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "From: support@acme-help.example\n" in out  # anna is no agent: no name
    assert "To: Mari Maasikas <mari@kund.ee>" in out
    assert "In-Reply-To: <q1@kund.ee>" in out
    assert "\nHello Mari Maasikas, ...\n" in out
    assert "[attachment: log.txt (text/plain, 8 B)]" in out
    outbox = desk.run("outbox", "list", "--all", "--format", "json")
    assert json.loads(outbox.stdout) == []


def test_templates_list(desk: Desk) -> None:
    result = desk.run("templates", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["serial"]["description"] == "Asks for the serial number"
    assert rows["closed"]["file"] == "built in"
    table = desk.run("templates", "list").stdout
    assert "serial" in table
    assert "Asks for the serial number" in table


def test_templates_list_with_a_missing_folder(tmp_path: Path) -> None:
    desk = Desk(tmp_path, templates={"dir": "nowhere"})
    result = desk.run("templates", "list")
    assert result.exit_code == 2
    assert "templates.dir" in result.stderr


def test_mentions_warn_about_unknown_logins_and_keep_the_note(tmp_path: Path) -> None:
    desk = Desk(tmp_path, notifications={"agent_on_mention": True})
    desk.deliver(eml("<q1@kund.ee>"))
    result = desk.run("note", "1", "@nobody vaata", "--as", "lead")
    assert result.exit_code == 0
    assert (
        result.stderr == "@nobody is not an agent's login; nobody was notified for it\n"
    )
    [ticket] = desk.export()
    shown = json.loads(desk.run("show", "1", "--format", "json").stdout)
    assert [e["detail"] for e in shown["events"] if e["kind"] == "note"] == [
        "@nobody vaata"
    ]
    assert ticket["number"] == 1


def test_notes_are_quiet_when_mentions_are_off(desk: Desk) -> None:
    result = desk.run("note", "1", "@nobody vaata", "--as", "lead")
    assert (result.exit_code, result.stderr) == (0, "")


def test_unreachable_server_keeps_the_reply_queued(desk: Desk) -> None:
    result = desk.run("reply", "1", "--message", "Tere!", "--as", "anna")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "reply queued but not sent" in result.stderr
    assert "next sync" in result.stderr
    outbox = json.loads(desk.run("outbox", "list", "--format", "json").stdout)
    assert [(r["kind"], r["status"]) for r in outbox] == [("reply", "pending")]
    [ticket] = desk.export()
    assert [m["direction"] for m in ticket["messages"]] == ["inbound", "outbound"]


def test_edit_without_a_template_writes_the_whole_text(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
        "p.write_text('Tere!\\n\\nKirjutasin ise.\\n' + p.read_text())\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    result = desk.run("reply", "1", "--edit", "--dry-run", "--as", "anna")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("\n\nTere!\n\nKirjutasin ise.\n")


def test_quitting_the_editor_without_saving_sends_nothing(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "true")
    _refused(desk, "1", "--template", "serial", "--edit", says="empty message")

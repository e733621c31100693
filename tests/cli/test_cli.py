"""The commands through click's CliRunner: output, exit codes, and the store after."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import write_config
from tests.helpers import SUPPORT, Desk, eml
from ticketcli.cli import cli


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return Desk(tmp_path)


def test_sync_is_silent_on_success(desk: Desk) -> None:
    result = desk.deliver(eml("<a@kund.ee>"))
    assert (result.stdout, result.stderr) == ("", "")
    [ticket] = desk.export()
    assert ticket["requester"] == "mari@kund.ee"
    assert ticket["messages"][0]["rule"] == "new"


def test_sync_verbose_summarises_on_stderr(desk: Desk) -> None:
    (desk.inbox / "1.eml").write_bytes(eml("<a@kund.ee>"))
    result = desk.runner.invoke(
        cli,
        [
            "--config",
            str(desk.config),
            "--db",
            desk.db,
            "-v",
            "sync",
            "--source",
            str(desk.inbox),
        ],
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "1 stored" in result.stderr
    assert "1 new tickets" in result.stderr


def test_import_stdin_once(desk: Desk) -> None:
    data = eml("<piped@kund.ee>")
    first = desk.run("import", "-", input=data)
    second = desk.run("import", "-", input=data)
    assert first.exit_code == second.exit_code == 0
    assert len(desk.export()) == 1
    assert len(desk.export()[0]["messages"]) == 1


def test_reply_threads_and_customer_mail_reopens_closed_ticket(desk: Desk) -> None:
    desk.deliver(eml("<a@kund.ee>"))
    desk.deliver(
        eml(
            "<b@acme-help.example>",
            sender="kadri@acme-help.example",
            to="mari@kund.ee",
            subject="Re: Printer on katki",
            date="Mon, 02 Mar 2026 11:00:00 +0200",
            extra="In-Reply-To: <a@kund.ee>\r\nCc: " + SUPPORT + "\r\n",
        )
    )
    [ticket] = desk.export()
    assert ticket["assignee"] == "kadri"
    assert ticket["first_response_at"] == "2026-03-02T09:00:00Z"
    assert desk.run("close", "1", "--as", "lead").exit_code == 0
    # Staff mail and auto-replies never reopen.
    desk.deliver(
        eml(
            "<c@acme-help.example>",
            sender="kadri@acme-help.example",
            subject="Re: Printer on katki",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        ),
        eml(
            "<ooo@kund.ee>",
            subject="Automatic reply: Printer on katki",
            extra="Auto-Submitted: auto-replied\r\n"
            "In-Reply-To: <b@acme-help.example>\r\n",
        ),
    )
    assert desk.export()[0]["status"] == "closed"
    desk.deliver(
        eml(
            "<d@kund.ee>",
            subject="Re: Printer on katki",
            date="Tue, 03 Mar 2026 09:00:00 +0200",
            extra="In-Reply-To: <b@acme-help.example>\r\n",
        )
    )
    [ticket] = desk.export()
    assert (ticket["status"], ticket["reopened"], ticket["closed_at"]) == (
        "open",
        True,
        None,
    )
    kinds = [m["kind"] for m in ticket["messages"]]
    assert kinds.count("autoreply") == 1


def test_mail_to_ticket_closed_too_long_opens_linked_ticket(tmp_path: Path) -> None:
    desk = Desk(tmp_path, reopen={"window": "1d"})
    desk.deliver(eml("<a@kund.ee>", date="Mon, 02 Mar 2026 10:00:00 +0200"))
    desk.run("close", "1")
    desk.deliver(
        eml(
            "<late@kund.ee>",
            subject="Re: Printer on katki",
            date="Mon, 07 Dec 2026 10:00:00 +0200",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        )
    )
    first, second = desk.export()
    assert first["status"] == "closed"
    assert second["linked_to"] == [1]
    assert second["messages"][0]["rule"] == "closed-too-long"


def test_foreign_sender_naming_a_ticket_gets_a_linked_ticket(desk: Desk) -> None:
    desk.deliver(eml("<a@kund.ee>"))
    desk.deliver(
        eml(
            "<x@other.example>",
            sender="eve@other.example",
            subject="[Ticket #1] Re: Printer on katki",
        )
    )
    first, second = desk.export()
    assert [m["message_id"] for m in first["messages"]] == ["<a@kund.ee>"]
    assert second["requester"] == "eve@other.example"
    assert second["linked_to"] == [1]
    assert second["messages"][0]["rule"] == "foreign-sender"


def test_token_in_subject_places_mail(desk: Desk) -> None:
    desk.deliver(eml("<a@kund.ee>"), eml("<b@kund.ee>", subject="Other thing"))
    desk.deliver(eml("<c@kund.ee>", subject="[Ticket #1] more info"))
    first, second = desk.export()
    assert [m["rule"] for m in first["messages"]] == ["new", "token"]


def test_subject_fallback_takes_a_colleague_who_was_in_cc(desk: Desk) -> None:
    """A company without a customer record: the colleague in Cc writes afresh
    (no threading headers) with the same subject -- the same conversation,
    while a stranger from the same domain with that subject is not."""
    desk.deliver(eml("<a@kund.ee>", extra="Cc: toomas@kund.ee\r\n"))
    desk.deliver(
        eml(
            "<b@kund.ee>",
            sender="toomas@kund.ee",
            date="Tue, 03 Mar 2026 09:00:00 +0200",
        ),
        eml(
            "<c@kund.ee>", sender="liis@kund.ee", date="Tue, 03 Mar 2026 09:30:00 +0200"
        ),
    )
    first, second = desk.export()
    assert [m["message_id"] for m in first["messages"]] == [
        "<a@kund.ee>",
        "<b@kund.ee>",
    ]
    assert first["messages"][1]["rule"] == "subject"
    assert second["requester"] == "liis@kund.ee"


def test_message_id_collision_is_stored_apart_and_never_threads(desk: Desk) -> None:
    desk.deliver(eml("<same@form.example>", body="first form"))
    desk.deliver(
        eml(
            "<same@form.example>",
            sender="jaan@muu.ee",
            subject="Arve vale",
            body="second form, other content",
        )
    )
    desk.deliver(
        eml(
            "<r@acme-help.example>",
            sender="kadri@acme-help.example",
            to="jaan@muu.ee",
            subject="Re: Arve vale",
            extra="In-Reply-To: <same@form.example>\r\n",
        )
    )
    tickets = desk.export()
    assert len(tickets) == 2
    assert tickets[1]["requester"] == "jaan@muu.ee"
    assert [m["rule"] for m in tickets[1]["messages"]] == ["new", "subject"]


def test_out_of_order_parent_joins_its_reply(desk: Desk) -> None:
    desk.deliver(
        eml(
            "<b@kund.ee>",
            subject="Re: Printer on katki",
            date="Mon, 02 Mar 2026 12:00:00 +0200",
            extra="In-Reply-To: <a@kund.ee>\r\nReferences: <a@kund.ee>\r\n",
        )
    )
    desk.deliver(eml("<a@kund.ee>", subject="Printer on katki"))
    [ticket] = desk.export()
    assert [m["message_id"] for m in ticket["messages"]] == [
        "<a@kund.ee>",
        "<b@kund.ee>",
    ]
    assert ticket["created_at"] == "2026-03-02T08:00:00Z"
    assert ticket["messages"][0]["rule"] == "referenced-by"


def test_show_explains_placement(desk: Desk) -> None:
    desk.deliver(
        eml("<a@kund.ee>"),
        eml(
            "<b@kund.ee>",
            subject="Re: Printer on katki",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        ),
    )
    result = desk.run("show", "1")
    assert result.exit_code == 0
    assert "why: opened this ticket" in result.stdout
    assert "why: In-Reply-To names <a@kund.ee>" in result.stdout
    data = json.loads(desk.run("show", "1", "--format", "json").stdout)
    assert data["messages"][1]["rule"] == "in-reply-to"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "99"], "ticket #99 does not exist"),
        (["close", "1", "99"], "ticket #99 does not exist"),
        (["show", "x"], "'x' is not a valid integer"),
    ],
    ids=["show-unknown", "close-unknown-changes-nothing", "not-a-number"],
)
def test_bad_arguments_one_line_exit_2(
    desk: Desk, args: list[str], message: str
) -> None:
    desk.deliver(eml("<a@kund.ee>"))
    result = desk.run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert desk.export()[0]["status"] == "new"


def test_close_closed_ticket_is_a_noop_with_a_note(desk: Desk) -> None:
    desk.deliver(eml("<a@kund.ee>"))
    assert desk.run("close", "1").exit_code == 0
    result = desk.run("close", "1")
    assert result.exit_code == 0
    assert "#1 is already closed" in result.stderr


def test_unparseable_mail_is_quarantined_whole(desk: Desk) -> None:
    garbage = b"\x00\x01 this is not mail at all \xff\xfe" * 3
    (desk.inbox / "junk.eml").write_bytes(garbage)
    result = desk.run("sync", "--source", str(desk.inbox))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "ticketcli: 1 message(s) quarantined; see 'ticketcli quarantine list'"
    )
    [row] = json.loads(desk.run("quarantine", "list", "--format", "json").stdout)
    assert row["reason"]
    shown = desk.runner.invoke(
        cli, ["--db", desk.db, "quarantine", "show", str(row["id"])]
    )
    assert shown.stdout_bytes == garbage


def test_attachment_names_are_sanitised(desk: Desk) -> None:
    mail = (
        b"From: mari@kund.ee\r\nTo: support@acme-help.example\r\nSubject: logs\r\n"
        b"Message-ID: <att@kund.ee>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0200\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b"--XX\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="../../etc/passwd"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--XX--\r\n"
    )
    desk.deliver(mail)
    shown = json.loads(desk.run("show", "1", "--format", "json").stdout)
    [part] = shown["messages"][0]["attachments"]
    assert "/" not in part["filename"]
    assert ".." not in part["filename"]
    assert part["size"] == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("colour = 1\n", "colour: unknown setting"),
        ('support_addresses = ["not an address"]\n', "support_addresses:"),
        ('[smtp]\npassword = "hunter2"\n', "smtp.password: passwords are never read"),
        ('[[sources]]\ntype = "pop3"\nname = "x"\n', "sources[0].type"),
        ('subject_window = "soon"\n', "subject_window:"),
        ("support_addresses = [\n", "config.toml"),
    ],
    ids=[
        "unknown-key",
        "bad-address",
        "password-in-file",
        "bad-source-type",
        "bad-duration",
        "bad-toml",
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "--db", f"sqlite:///{tmp_path / 's.db'}", "export"],
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "hunter2" not in result.stderr


def test_config_from_env_and_default_store_in_xdg_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path / "elsewhere.toml", token_prefix="ACME")
    monkeypatch.setenv("TICKETCLI_CONFIG", str(config))
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(eml("<a@kund.ee>"))
    (inbox / "2.eml").write_bytes(eml("<b@kund.ee>", subject="[ACME #1] more"))
    result = CliRunner().invoke(cli, ["sync", "--source", str(inbox)])
    assert result.exit_code == 0, result.stderr
    store = Path(tmp_path / "home" / ".local" / "share" / "ticketcli" / "ticketcli.db")
    assert store.exists()
    [ticket] = [
        json.loads(x) for x in CliRunner().invoke(cli, ["export"]).stdout.splitlines()
    ]
    assert [m["rule"] for m in ticket["messages"]] == ["new", "token"]


def test_empty_config_file_is_valid(tmp_path: Path) -> None:
    config = tmp_path / "empty.toml"
    config.write_text("", encoding="utf-8")
    base = ["--config", str(config), "--db", f"sqlite:///{tmp_path / 's.db'}"]
    assert CliRunner().invoke(cli, [*base, "init"]).exit_code == 0
    result = CliRunner().invoke(cli, [*base, "export"])
    assert (result.exit_code, result.stdout) == (0, "")


def test_bad_db_url_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", "mysql://x", "export"])
    assert result.exit_code == 2
    assert "--db" in result.stderr


def test_missing_source_path_fails_with_one_line(desk: Desk) -> None:
    result = desk.run("sync", "--source", str(desk.tmp / "nope"))
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("No such file or directory")
    assert len(result.stderr.strip().splitlines()) == 1


def test_one_failed_source_of_two_is_partial(desk: Desk) -> None:
    (desk.inbox / "1.eml").write_bytes(eml("<a@kund.ee>"))
    result = desk.run(
        "sync", "--source", str(desk.inbox), "--source", str(desk.tmp / "nope")
    )
    assert result.exit_code == 3
    assert len(desk.export()) == 1


def test_second_sync_waits_then_reports_the_lock(tmp_path: Path) -> None:
    desk = Desk(tmp_path, lock_timeout=0.3)
    desk.deliver(eml("<a@kund.ee>"))
    from ticketcli.store.db import connect
    from ticketcli.store.lock import sync_lock

    db = connect(desk.db)
    with sync_lock(db, 1):
        (desk.inbox / "2.eml").write_bytes(eml("<b@kund.ee>", subject="other"))
        result = desk.run("sync", "--source", str(desk.inbox))
    db.close()
    assert result.exit_code == 1
    assert "another sync is running" in result.stderr
    assert len(desk.export()) == 1


def test_parse_prints_what_is_read(desk: Desk) -> None:
    path = desk.tmp / "one.eml"
    path.write_bytes(eml("<a@kund.ee>", extra="References: <r1@x> <r2@x>\r\n"))
    result = desk.run("parse", str(path), "--format", "json")
    data = json.loads(result.stdout)
    assert set(data) >= {
        "message_id",
        "date",
        "from_address",
        "from_name",
        "to",
        "cc",
        "subject",
        "body_text",
        "attachments",
        "kind",
        "in_reply_to",
        "references",
        "thread_index",
        "defects",
    }
    assert data["references"] == ["<r1@x>", "<r2@x>"]
    assert data["kind"] == "ticket"
    assert data["from_name"] == "Mari Maasikas"
    table = desk.run("parse", str(path))
    assert "subject: Printer on katki" in table.stdout
    assert desk.export() == []


def test_customers_import_all_or_nothing(desk: Desk) -> None:
    good = desk.tmp / "good.csv"
    good.write_text(
        "name,code,emails,domains\nKund OÜ,KUND,,kund.ee\n", encoding="utf-8"
    )
    bad = desk.tmp / "bad.csv"
    bad.write_text(
        "name,code,emails,domains\nMuu AS,MUU,,muu.ee\n,X,,\n", encoding="utf-8"
    )
    refused = desk.run("customers", "import", str(bad))
    assert refused.exit_code == 2
    assert "line 3: name is empty" in refused.stderr
    assert json.loads(desk.run("customers", "list", "--format", "json").stdout) == []
    assert desk.run("customers", "import", str(good)).exit_code == 0
    desk.deliver(eml("<a@kund.ee>"))
    assert desk.export()[0]["customer"] == "KUND"


def test_message_bridging_two_tickets_read_out_of_order_merges_them(desk: Desk) -> None:
    # C names only B; A arrives; then B -- the consultant's answer to A, which
    # C (A's sender again, under a subject of her own) replied to.
    desk.deliver(
        eml(
            "<c@kund.ee>",
            subject="Still broken",
            date="Mon, 02 Mar 2026 14:00:00 +0200",
            extra="In-Reply-To: <b@x.ee>\r\n",
        )
    )
    desk.deliver(eml("<a@kund.ee>", subject="Printer on katki"))
    assert len(desk.export()) == 2
    desk.deliver(
        eml(
            "<b@x.ee>",
            sender="kadri@acme-help.example",
            to="mari@kund.ee",
            subject="Re: Printer on katki",
            date="Mon, 02 Mar 2026 12:00:00 +0200",
            extra=f"Cc: {SUPPORT}\r\nIn-Reply-To: <a@kund.ee>\r\n",
        )
    )
    # B names A's ticket (#2), the conversation's root: #1 folds into it.
    first, second = desk.export()
    assert first["messages"] == []
    assert (first["status"], first["merged_into"], first["linked_to"]) == (
        "merged",
        2,
        [2],
    )
    assert [m["message_id"] for m in second["messages"]] == [
        "<a@kund.ee>",
        "<b@x.ee>",
        "<c@kund.ee>",
    ]
    assert second["last_message_at"] == "2026-03-02T12:00:00Z"
    # The merged ticket's token still leads to the surviving ticket.
    desk.deliver(eml("<d@kund.ee>", subject="[Ticket #1] still broken"))
    placed = {m["message_id"]: m["rule"] for m in desk.export()[1]["messages"]}
    assert placed["<d@kund.ee>"] == "token"

"""`reply`, and notices to agents, end to end: the CLI, the store, the outbox,
and a real SMTP server on 127.0.0.1 (aiosmtpd) -- then the customer's
answer, built from what arrived, synced back onto the same ticket."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import SUPPORT, Desk, eml

if TYPE_CHECKING:
    from email.message import EmailMessage
    from pathlib import Path

    from tests.servers.smtp import Received, SmtpServer

pytestmark = pytest.mark.smtp

CUSTOMER = "mari@kund.ee"
COLLEAGUE = "jaan@kund.ee"
STAFF = "kadri@acme-help.example"
ANNA = "anna@acme-help.example"
LEAD = "lead@acme-help.example"
ASKED_AT = "Mon, 02 Mar 2026 10:00:00 +0200"  # 08:00 UTC
NOW = "2026-03-02T10:30:00Z"

SHIPPING = """{# The parcel is late: apologise, give a date #}
Hello {{ requester_name }},

your order for {{ customer or "you" }} left our warehouse late; it arrives
by Friday. Ticket {{ ticket.token }} stays open until it does.

{{ agent.name }}
"""


class MailDesk(Desk):
    def json(self, *args: str) -> Any:
        result = self.run(*args, "--format", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    def ticket(self, number: int = 1) -> dict[str, Any]:
        return self.json("show", str(number))

    def outbox(self) -> list[dict[str, Any]]:
        return self.json("outbox", "list", "--all")


@pytest.fixture
def desk(tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> MailDesk:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "shipping-delay.txt").write_text(SHIPPING, encoding="utf-8")
    (templates / "needs-order.txt").write_text(
        "Your order {{ order_number }} is on its way.\n", encoding="utf-8"
    )
    desk = MailDesk(
        tmp_path,
        token_prefix="ACME",
        smtp=smtp.table(login=True, **{"from": SUPPORT}),
        templates={"dir": "templates"},
        notifications={"agent_on_assign": True, "agent_on_mention": True},
    )
    for login, name, address in (("anna", "Anna Tamm", ANNA), ("lead", "Lea", LEAD)):
        added = desk.run("agents", "add", login, "--name", name, "--email", address)
        assert added.exit_code == 0, added.stderr
    desk.deliver(
        eml(
            "<q1@kund.ee>",
            date=ASKED_AT,
            extra=f"Cc: {COLLEAGUE}, {STAFF}\r\nReferences: <older@kund.ee>\r\n",
            body="Tere, printer ei tööta.\n\n> vana tekst\n> veel\n",
        )
    )
    return desk


def _only(received: list[Received]) -> EmailMessage:
    assert len(received) == 1, [r.message["Subject"] for r in received]
    return received[0].message


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def _answer_to(message: EmailMessage, sender: str, body: str, subject: str) -> bytes:
    """What a mail client sends when someone answers ``message``."""
    refs = f"{message['References'] or ''} {message['Message-ID']}".strip()
    return eml(
        "<answer-" + sender.split("@")[0] + "@kund.ee>",
        sender=sender,
        subject=subject,
        date="Mon, 02 Mar 2026 14:00:00 +0200",
        extra=f"In-Reply-To: {message['Message-ID']}\r\nReferences: {refs}\r\n",
        body=body,
    )


def test_reply_arrives_threaded_to_the_customer_side_and_threads_back(
    desk: MailDesk, smtp: SmtpServer, tmp_path: Path
) -> None:
    invoice = tmp_path / "arve 12.pdf"
    invoice.write_bytes(b"%PDF-1.4 arve\n")
    result = desk.run(
        "reply", "1", "--template", "shipping-delay", "--attach", str(invoice),
        "--as", "anna",
    )  # fmt: skip
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    got = smtp.wait_for(1)
    message = _only(got)
    assert message["Subject"] == "Re: Printer on katki [ACME #1]"
    assert message["In-Reply-To"] == "<q1@kund.ee>"
    assert message["References"].split() == ["<older@kund.ee>", "<q1@kund.ee>"]
    assert str(message["From"]) == f"Anna Tamm <{SUPPORT}>"
    assert [a.addr_spec for a in message["To"].addresses] == [CUSTOMER]
    assert [a.addr_spec for a in message["Cc"].addresses] == [COLLEAGUE]
    assert sorted(got[0].rcpt_tos) == [COLLEAGUE, CUSTOMER]
    assert got[0].mail_from == SUPPORT
    assert message["Auto-Submitted"] is None  # a person's answer
    text = _text(message)
    assert text.startswith("Hello Mari Maasikas,\n")
    assert "Ticket [ACME #1] stays open" in text
    assert "Anna Tamm" in text
    assert "{#" not in text
    [part] = list(message.iter_attachments())
    assert part.get_filename() == "arve 12.pdf"
    assert part.get_payload(decode=True) == b"%PDF-1.4 arve\n"

    ticket = desk.ticket()
    assert ticket["first_response_at"] == NOW
    assert ticket["assignee"] == "anna"  # assign_on_reply, as from a mail client
    [ours] = [m for m in ticket["messages"] if m["direction"] == "outbound"]
    assert ours["kind"] == "ticket"
    assert ours["message_id"] == message["Message-ID"]
    assert ours["attachments"][0]["filename"] == "arve 12.pdf"
    assert any(e["kind"] == "mailed" and e["actor"] == "anna" for e in ticket["events"])
    shown = desk.run("show", "1").stdout
    # 10:30 UTC, shown in the team's zone (Tallinn, +02:00 in March).
    assert "(times in Europe/Tallinn)" in shown
    assert f"→ 2026-03-02 12:30  Anna Tamm <{SUPPORT}>" in shown

    # The customer answers our mail without the token: the headers place it.
    desk.deliver(_answer_to(message, CUSTOMER, "Aitäh, ootan.", "Re: Printer on katki"))
    [ticket_row] = desk.export()
    last = ticket_row["messages"][-1]
    assert (last["from"], last["rule"]) == (CUSTOMER, "in-reply-to")
    assert desk.outbox()[0]["status"] == "sent"


def test_only_requester_and_cc(desk: MailDesk, smtp: SmtpServer) -> None:
    result = desk.run(
        "reply", "1", "--message", "Vaatame üle.", "--only-requester",
        "--cc", "Boss@Kund.ee", "--as", "anna",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    message = _only(smtp.wait_for(1))
    assert [a.addr_spec for a in message["To"].addresses] == [CUSTOMER]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["boss@kund.ee"]
    assert "Vaatame üle." in _text(message)


def test_missing_variable_sends_and_stores_nothing(
    desk: MailDesk, smtp: SmtpServer
) -> None:
    before = desk.export()
    result = desk.run("reply", "1", "--template", "needs-order", "--as", "anna")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "'order_number' is undefined" in result.stderr
    assert desk.outbox() == []
    assert desk.export() == before
    assert smtp.wait_for(1, timeout=0.5) == []


def test_dry_run_prints_the_mail_and_sends_nothing(
    desk: MailDesk, smtp: SmtpServer
) -> None:
    before = desk.export()
    result = desk.run(
        "reply", "1", "--template", "shipping-delay", "--dry-run", "--as", "anna"
    )
    assert result.exit_code == 0, result.stderr
    assert "Subject: Re: Printer on katki [ACME #1]" in result.stdout
    assert f"To: Mari Maasikas <{CUSTOMER}>" in result.stdout
    assert f"Cc: {COLLEAGUE}" in result.stdout
    assert "In-Reply-To: <q1@kund.ee>" in result.stdout
    assert "Hello Mari Maasikas," in result.stdout
    assert desk.outbox() == []
    assert desk.export() == before
    assert smtp.wait_for(1, timeout=0.5) == []


def _editor_script(tmp_path: Path, code: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\ntext = p.read_text()\n"
        + code,
        encoding="utf-8",
    )
    return f"{sys.executable} {script}"


def test_edit_opens_the_rendered_template(
    desk: MailDesk, smtp: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = tmp_path / "seen.txt"
    monkeypatch.setenv(
        "EDITOR",
        _editor_script(
            tmp_path,
            f"pathlib.Path({str(seen)!r}).write_text(text)\n"
            "p.write_text(text.replace('by Friday', 'by Monday, sorry'))\n",
        ),
    )
    result = desk.run("reply", "1", "--template", "shipping-delay", "--edit")
    assert result.exit_code == 0, result.stderr
    opened = seen.read_text()
    assert opened.startswith("Hello Mari Maasikas,")
    assert "# Subject: Re: Printer on katki [ACME #1]" in opened
    assert "# Tere, printer ei tööta." in opened  # what they asked, for reference
    text = _text(_only(smtp.wait_for(1)))
    assert "by Monday, sorry" in text
    assert ">8" not in text
    assert "Tere, printer" not in text


def test_edit_to_nothing_sends_nothing(
    desk: MailDesk, smtp: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "EDITOR",
        _editor_script(tmp_path, "p.write_text('\\n' + text[text.index('# ---'):])\n"),
    )
    result = desk.run("reply", "1", "--template", "shipping-delay", "--edit")
    assert result.exit_code == 2
    assert "empty message; nothing sent" in result.stderr
    assert desk.outbox() == []
    assert smtp.wait_for(1, timeout=0.5) == []


def test_smtp_down_keeps_the_reply_queued_for_the_next_send(
    desk: MailDesk, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp.refuse(451, "greylisted", times=None)
    result = desk.run("reply", "1", "--message", "Tuleb.", "--as", "anna")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "queued but not sent" in result.stderr
    assert "greylisted" in result.stderr
    [row] = desk.outbox()
    assert row["status"] == "pending"
    # The answer is on the ticket already: it will go, exactly once.
    assert desk.ticket()["first_response_at"] == NOW
    smtp.reset()
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T11:00:00Z")  # after the backoff
    sent = desk.run("sync", "--source", str(desk.inbox))
    assert (sent.exit_code, sent.stderr) == (0, "")
    message = _only(smtp.wait_for(1))
    assert message["Message-ID"] == row["message_id"]
    assert desk.run("outbox", "send").exit_code == 0
    assert len(smtp.wait_for(2, timeout=0.5)) == 1


def test_closed_ticket_takes_a_reply_and_stays_closed(
    desk: MailDesk, smtp: SmtpServer
) -> None:
    assert desk.run("close", "1", "--as", "lead").exit_code == 0
    result = desk.run("reply", "1", "--message", "PS: arve lisatud.", "--as", "anna")
    assert result.exit_code == 0, result.stderr
    assert len(smtp.wait_for(1)) == 1
    assert desk.ticket()["status"] == "closed"


def test_reply_to_a_merged_ticket_goes_to_its_target(
    desk: MailDesk, smtp: SmtpServer
) -> None:
    desk.deliver(
        eml(
            "<q2@kund.ee>", subject="Ka skanner", date="Mon, 02 Mar 2026 11:00:00 +0200"
        )
    )
    assert desk.run("merge", "2", "into", "1", "--as", "lead").exit_code == 0
    result = desk.run("reply", "2", "--message", "Mõlemad korras.", "--as", "anna")
    assert result.exit_code == 0, result.stderr
    assert "#2 is merged into #1" in result.stderr
    message = _only(smtp.wait_for(1))
    assert "[ACME #1]" in message["Subject"]
    assert message["In-Reply-To"] == "<q2@kund.ee>"  # their latest mail


# --- notices to agents ------------------------------------------------------------


def test_assignment_notice_goes_to_the_agent_only(
    desk: MailDesk, smtp: SmtpServer
) -> None:
    result = desk.run("assign", "1", "anna", "--as", "lead")
    assert (result.exit_code, result.stderr) == (0, "")
    received = smtp.wait_for(1)
    notice = _only(received)
    assert received[0].rcpt_tos == (ANNA,)
    assert notice["Subject"] == "Assigned to you: Printer on katki [ACME #1]"
    assert notice["Auto-Submitted"] == "auto-generated"
    text = _text(notice)
    assert "lead assigned ticket [ACME #1] to you." in text
    assert "Tere, printer ei tööta." in text
    assert "vana tekst" not in text  # quoted history folded
    assert "2 quoted lines folded" in text
    assert "http" not in text
    # Not on the ticket: the customer's thread holds no notice.
    assert all(m["direction"] == "inbound" for m in desk.ticket()["messages"])

    # Assigning to yourself is not news; nor is re-assigning to the same one.
    assert desk.run("assign", "1", "lead", "--as", "lead").exit_code == 0
    assert desk.run("take", "1", "--as", "lead").exit_code == 0
    assert len(smtp.wait_for(2, timeout=0.5)) == 1

    # Anna answers the notice from her mail client: a staff message on #1.
    desk.deliver(_answer_to(notice, ANNA, "Vaatan homme.", f"Re: {notice['Subject']}"))
    tickets = desk.export()
    assert len(tickets) == 1
    last = tickets[0]["messages"][-1]
    assert (last["from"], last["direction"], last["rule"], last["kind"]) == (
        ANNA,
        "outbound",
        "token",
        "note",  # to support only: internal, not an answer to the customer
    )
    assert tickets[0]["reopened"] is False
    assert tickets[0]["first_response_at"] is None


def test_new_with_assign_notifies(desk: MailDesk, smtp: SmtpServer) -> None:
    result = desk.run(
        "new", "--from", "peeter@kund.ee", "--subject", "Helistas",
        "--message", "Ekraan on must.", "--assign", "anna", "--as", "lead",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    notice = _only(smtp.wait_for(1))
    assert "[ACME #2]" in notice["Subject"]
    assert "Ekraan on must." in _text(notice)


def test_mention_in_a_note_notifies_that_agent(
    desk: MailDesk, smtp: SmtpServer
) -> None:
    result = desk.run(
        "note", "1", "@anna palun vaata; mari@kund.ee ootab. @bob ka?", "--as", "lead"
    )
    assert result.exit_code == 0
    assert result.stderr.strip() == (
        "@bob is not an agent's login; nobody was notified for it"
    )
    received = smtp.wait_for(1)
    notice = _only(received)
    assert received[0].rcpt_tos == (ANNA,)
    assert notice["Subject"] == "lead mentioned you: Printer on katki [ACME #1]"
    assert "@anna palun vaata" in _text(notice)
    notes = [e for e in desk.ticket()["events"] if e["kind"] == "note"]
    assert len(notes) == 1  # the note is kept whatever the warnings

    # Mentioning yourself sends nothing.
    assert desk.run("note", "1", "@lead todo", "--as", "lead").exit_code == 0
    assert len(smtp.wait_for(2, timeout=0.5)) == 1


def test_notice_that_cannot_go_now_does_not_fail_the_assignment(
    desk: MailDesk, smtp: SmtpServer
) -> None:
    smtp.refuse(451, "later", times=None)
    result = desk.run("assign", "1", "anna", "--as", "lead")
    assert result.exit_code == 0
    assert result.stderr.count("\n") == 1
    assert "#1 assigned to anna@acme-help.example not sent yet" in result.stderr
    assert desk.ticket()["assignee"] == "anna"
    assert [r["kind"] for r in desk.outbox()] == ["assigned"]


@pytest.mark.postgres
def test_reply_and_answer_on_postgresql(
    tmp_path: Path,
    smtp: SmtpServer,
    postgres_db: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same store logic on the shared backend (row locks, SQL types)."""
    monkeypatch.setenv("TICKETCLI_NOW", NOW)
    desk = MailDesk(
        tmp_path,
        token_prefix="ACME",
        smtp=smtp.table(**{"from": SUPPORT}),
        notifications={"agent_on_assign": True},
    )
    desk.db = postgres_db
    assert desk.run("agents", "add", "anna", "--email", ANNA).exit_code == 0
    desk.deliver(eml("<q1@kund.ee>", date=ASKED_AT, extra=f"Cc: {COLLEAGUE}\r\n"))
    assert desk.run("assign", "1", "anna", "--as", "lead").exit_code == 0
    result = desk.run("reply", "1", "--message", "Tuleb reedel.", "--as", "anna")
    assert result.exit_code == 0, result.stderr
    notice, reply = smtp.wait_for(2)
    assert notice.rcpt_tos == (ANNA,)
    assert sorted(reply.rcpt_tos) == [COLLEAGUE, CUSTOMER]
    desk.deliver(_answer_to(reply.message, CUSTOMER, "Aitäh!", "Re: Printer"))
    [ticket] = desk.export()
    assert ticket["first_response_at"] == NOW
    assert [m["rule"] for m in ticket["messages"]] == ["new", "sent", "in-reply-to"]

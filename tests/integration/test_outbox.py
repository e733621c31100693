"""What ticketcli sends, as a real SMTP server (aiosmtpd) receives it.

Acknowledgements and close notices through `sync` and `close`, the outbox's
retry / give-up / crash paths, and the customer's answer to each mail we
send threading back onto its ticket when synced.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import GEN_MAILBOX, REPO, need_shared, write_config
from tests.helpers import SUPPORT, MailDesk, eml

if TYPE_CHECKING:
    from pathlib import Path

    from tests.servers.smtp import Received, SmtpServer

pytestmark = pytest.mark.smtp

NOW = "2026-03-02T09:00:00Z"  # the mails' day (eml() dates them 08:00 UTC)


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)


@pytest.fixture
def desk(tmp_path: Path, smtp: SmtpServer) -> MailDesk:
    return MailDesk(tmp_path, smtp)


def answer_to(
    got: Received,
    body: str = "Thanks, but it still fails.",
    keep_token: bool = True,
    sender: str = "mari@kund.ee",
) -> bytes:
    """The customer's reply to a mail we sent, as their client writes it."""
    msg = got.message
    subject = str(msg["Subject"])
    if not keep_token:
        subject = subject.split(" [ACME #")[0]
    refs = f"{msg['References'] or ''} {msg['Message-ID']}".strip()
    return eml(
        f"<answer.{abs(hash(msg['Message-ID']))}@kund.ee>",
        sender=sender,
        subject=f"Re: {subject}",
        body=body,
        date="Mon, 02 Mar 2026 11:00:00 +0200",
        extra=f"In-Reply-To: {msg['Message-ID']}\r\nReferences: {refs}\r\n",
    )


def test_acknowledgement_as_received(desk: MailDesk, smtp: SmtpServer) -> None:
    result = desk.deliver(eml("<q1@kund.ee>", subject="Printer õ katki"))
    assert (result.stdout, result.stderr) == ("", "")
    [got] = smtp.wait_for(1)
    msg = got.message
    assert got.mail_from == SUPPORT
    assert got.rcpt_tos == ("mari@kund.ee",)
    assert str(msg["Subject"]) == "Re: Printer õ katki [ACME #1]"
    assert parseaddr(str(msg["From"]))[1] == SUPPORT
    assert str(msg["To"]) == "Mari Maasikas <mari@kund.ee>"
    assert msg["In-Reply-To"] == "<q1@kund.ee>"
    assert msg["References"] == "<q1@kund.ee>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Message-ID"].endswith("@acme-help.example>")
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert not msg.is_multipart()
    body = msg.get_content()
    assert "[ACME #1]" in body
    assert "Hello Mari Maasikas," in body
    # Stored on the ticket as ours, never as a response.
    ticket = desk.ticket(1)
    ours = [m for m in ticket["messages"] if m["direction"] == "outbound"]
    assert [(m["message_id"], m["kind"]) for m in ours] == [
        (msg["Message-ID"], "autoreply")
    ]
    assert ticket["first_response_at"] is None
    [row] = desk.outbox("--all")
    assert (row["status"], row["kind"], row["ticket"]) == ("sent", "acknowledgement", 1)
    assert row["message_id"] == msg["Message-ID"]
    assert desk.outbox() == []


@pytest.mark.parametrize("keep_token", [True, False])
def test_the_answer_to_an_acknowledgement_threads_back(
    desk: MailDesk, smtp: SmtpServer, keep_token: bool
) -> None:
    desk.deliver(eml("<q1@kund.ee>"), eml("<q2@kund.ee>", subject="Muu asi"))
    got = smtp.wait_for(2)
    assert len(got) == 2
    first = next(g for g in got if "[ACME #1]" in str(g.message["Subject"]))
    desk.deliver(answer_to(first, keep_token=keep_token))
    exported = {t["number"]: t for t in desk.export()}
    assert len(exported) == 2
    answer = exported[1]["messages"][-1]
    assert answer["from"] == "mari@kund.ee"
    assert answer["kind"] == "ticket"
    if not keep_token:
        assert answer["rule"] != "token"
    assert len(smtp.wait_for(3, timeout=0.5)) == 2  # an answer is no new ticket


def test_no_acknowledgement_for_staff_noise_or_our_own_mail(
    desk: MailDesk, smtp: SmtpServer
) -> None:
    desk.deliver(
        # a consultant opens a ticket by writing to a customer, support in Cc
        eml("<s1@acme-help.example>", sender="mati@acme-help.example",
            to="mari@kund.ee", extra=f"Cc: {SUPPORT}\r\n"),
        eml("<a1@kund.ee>", subject="Automatic reply: hello",
            sender="jaan@kund.ee"),
        eml("<a2@kund.ee>", subject="Tere", sender="juss@kund.ee",
            extra="Auto-Submitted: auto-generated\r\n"),
        eml("<b1@kund.ee>", subject="News", sender="news@kund.ee",
            extra="Precedence: bulk\r\n"),
        eml("<b2@kund.ee>", subject="Hello", sender="list@kund.ee",
            extra="Precedence: list\r\n"),
        eml("<n1@kund.ee>", subject="Your order", sender="no-reply@kund.ee"),
        eml("<n2@kund.ee>", subject="Failure", sender="mailer-daemon@kund.ee"),
        eml("<n3@kund.ee>", subject="Ping", sender="postmaster@kund.ee",
            extra="Return-Path: <>\r\n"),
        eml("<o1@acme-help.example>", subject="A test", sender=SUPPORT),
        eml("<old@kund.ee>", subject="Old one", sender="vana@kund.ee",
            date="Mon, 02 Feb 2026 10:00:00 +0200"),
    )  # fmt: skip
    assert desk.outbox("--all") == []
    assert smtp.wait_for(1, timeout=0.3) == []
    assert len(desk.export()) >= 4  # the tickets exist, unacknowledged


def test_acknowledgements_per_sender_are_rate_limited(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    desk = MailDesk(
        tmp_path, smtp, acknowledgement={"enabled": True, "max_per_hour": 2}
    )
    desk.deliver(*(eml(f"<r{i}@kund.ee>", subject=f"Teema {i}") for i in range(5)))
    desk.deliver(eml("<other@kund.ee>", sender="teine@kund.ee", subject="Muu"))
    got = smtp.wait_for(3)
    assert sorted(g.rcpt_tos[0] for g in got) == [
        "mari@kund.ee", "mari@kund.ee", "teine@kund.ee"
    ]  # fmt: skip
    assert len(desk.export()) == 6


def test_a_source_can_be_left_unacknowledged(tmp_path: Path, smtp: SmtpServer) -> None:
    quiet, loud = tmp_path / "quiet", tmp_path / "loud"
    for folder, mid in ((quiet, "<q@kund.ee>"), (loud, "<l@kund.ee>")):
        folder.mkdir()
        (folder / "1.eml").write_bytes(eml(mid, subject=mid))
    desk = MailDesk(
        tmp_path,
        smtp,
        sources=[
            {"type": "emldir", "name": "quiet", "path": str(quiet),
             "acknowledge": False},
            {"type": "emldir", "name": "loud", "path": str(loud)},
        ],
    )  # fmt: skip
    result = desk.run("sync")
    assert result.exit_code == 0, result.stderr
    [got] = smtp.wait_for(1)
    assert got.message["In-Reply-To"] == "<l@kund.ee>"


def test_close_notice_threads_and_its_answer_reopens(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    desk = MailDesk(
        tmp_path,
        smtp,
        acknowledgement={"enabled": False},
        notifications={"customer_on_close": True},
    )
    desk.deliver(
        eml("<q1@kund.ee>"),
        eml("<r1@acme-help.example>", sender="mati@acme-help.example",
            subject="Re: Printer on katki [ACME #1]", to="mari@kund.ee",
            extra=f"Cc: {SUPPORT}\r\nIn-Reply-To: <q1@kund.ee>\r\n"
            "References: <q1@kund.ee>\r\n",
            date="Mon, 02 Mar 2026 10:30:00 +0200"),
    )  # fmt: skip
    assert smtp.wait_for(1, timeout=0.3) == []
    closed = desk.run("close", "1")
    assert (closed.exit_code, closed.stderr) == (0, "")
    [got] = smtp.wait_for(1)
    msg = got.message
    assert got.rcpt_tos == ("mari@kund.ee",)
    assert str(msg["Subject"]) == "Re: Printer on katki [ACME #1]"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["In-Reply-To"] == "<r1@acme-help.example>"
    assert msg["References"] == "<q1@kund.ee> <r1@acme-help.example>"
    assert "closed ticket [ACME #1]" in msg.get_content()
    # The notice does not answer anything: FRT stays the consultant's reply.
    ticket = desk.ticket(1)
    assert ticket["status"] == "closed"
    desk.deliver(answer_to(got, keep_token=False))
    ticket = desk.ticket(1)
    assert ticket["status"] != "closed"
    assert ticket["reopened"] is True
    assert len(desk.export()) == 1
    # Closing it again sends a second notice, closing a closed one nothing.
    assert desk.run("close", "1").exit_code == 0
    assert desk.run("close", "1").exit_code == 0
    assert len(smtp.wait_for(3, timeout=0.5)) == 2


def test_close_without_smtp_queues_the_notice_for_sync(tmp_path: Path) -> None:
    desk = MailDesk(
        tmp_path,
        None,
        acknowledgement={"enabled": False},
        notifications={"customer_on_close": True},
    )
    desk.deliver(eml("<q1@kund.ee>"))
    closed = desk.run("close", "1")
    assert (closed.exit_code, closed.stderr) == (0, "")
    [row] = desk.outbox()
    assert (row["kind"], row["status"], row["to"]) == (
        "close-notice", "pending", ["mari@kund.ee"]
    )  # fmt: skip
    synced = desk.sync()
    assert synced.exit_code == 0
    assert "no [smtp] host" in synced.stderr
    assert len(synced.stderr.splitlines()) == 1


def test_a_refused_mail_is_retried_later_and_sent_once(
    desk: MailDesk, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp.refuse(451, "greylisted")
    first = desk.sync_with(eml("<q1@kund.ee>"))
    assert first.exit_code == 0
    [line] = first.stderr.splitlines()
    assert "451 greylisted" in line
    assert "1 to retry" in line
    [row] = desk.outbox()
    assert (row["status"], row["attempts"]) == ("pending", 1)
    # Not due yet: the next sync leaves it alone.
    assert desk.sync().stderr == ""
    assert smtp.wait_for(1, timeout=0.3) == []
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T09:06:00Z")
    again = desk.sync()
    assert (again.exit_code, again.stderr) == (0, "")
    assert len(smtp.wait_for(1)) == 1
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-03T09:00:00Z")
    assert desk.sync().stderr == ""
    assert len(smtp.wait_for(2, timeout=0.3)) == 1
    assert desk.outbox() == []


def test_a_permanent_refusal_is_given_up_listed_and_can_be_retried(
    desk: MailDesk, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp.refuse(554, "no such user", times=None)
    desk.sync_with(eml("<q1@kund.ee>"))
    for hour in range(1, 3):
        monkeypatch.setenv("TICKETCLI_NOW", f"2026-03-02T{9 + hour:02d}:00:00Z")
        result = desk.sync()
        assert result.exit_code == 0
    assert "given up" in result.stderr
    assert "554 no such user" in result.stderr
    [row] = desk.outbox()
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert "554" in row["error"]
    assert desk.sync().stderr == ""  # reported once, listed for good
    smtp.reset()
    assert desk.run("outbox", "retry", str(row["id"])).exit_code == 0
    sent = desk.run("outbox", "send")
    assert (sent.exit_code, sent.stderr) == (0, "")
    assert len(smtp.wait_for(1)) == 1
    assert desk.outbox() == []
    # Sent mail can be neither retried nor dropped.
    assert desk.run("outbox", "retry", str(row["id"])).exit_code == 2
    assert desk.run("outbox", "drop", str(row["id"])).exit_code == 2
    assert desk.run("outbox", "drop", "99").exit_code == 2


def test_server_down_keeps_everything_queued_for_five_days(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = MailDesk(tmp_path, smtp, smtp=smtp.table(port=1, **{"from": SUPPORT}))
    result = desk.sync_with(eml("<q1@kund.ee>"))
    assert result.exit_code == 0
    [line] = result.stderr.splitlines()
    assert "connection refused" in line
    [row] = desk.outbox()
    assert (row["status"], row["attempts"]) == ("pending", 0)
    sent = desk.run("outbox", "send")
    assert sent.exit_code == 1
    assert "connection refused" in sent.stderr
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-07T08:59:00Z")
    assert "1 to retry" in desk.sync().stderr
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-07T09:01:00Z")
    late = desk.sync()
    assert late.exit_code == 0
    assert "1 given up" in late.stderr
    [row] = desk.outbox()
    assert row["status"] == "failed"


_CRASHING_SYNC = """
import os, sys
import ticketcli.desk.outbox as outbox

def crash(*args, **kwargs):
    os._exit(70)  # killed after the server said 250, before our commit

outbox._record_sent = crash
from ticketcli.cli import main
main(sys.argv[1:])
"""


def _crash_while_sending(desk: MailDesk, mail: bytes) -> None:
    """A sync in another process, killed right after the server took the ack."""
    (desk.inbox / "1.eml").write_bytes(mail)
    args = ["--config", str(desk.config), "--db", desk.db, "sync",
            "--source", str(desk.inbox)]  # fmt: skip
    crashed = subprocess.run(
        [sys.executable, "-c", _CRASHING_SYNC, *args],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert crashed.returncode == 70, crashed.stderr


def test_crash_between_send_and_commit_never_sends_twice(
    desk: MailDesk, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_while_sending(desk, eml("<q1@kund.ee>"))
    [got] = smtp.wait_for(1)
    [row] = desk.outbox()
    assert row["status"] == "sending"
    # Right after: its flush might still be running, so it is left alone.
    assert desk.sync().stderr == ""
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T09:30:00Z")
    later = desk.sync()
    assert later.exit_code == 0
    assert "may not have been sent" in later.stderr
    assert len(later.stderr.splitlines()) == 1
    assert desk.sync().stderr == ""  # said once
    [row] = desk.outbox()
    assert row["status"] == "doubt"
    assert len(smtp.wait_for(2, timeout=0.3)) == 1  # never resent by itself
    # Our own mail comes back through a source (a copy to the support
    # mailbox): proof it left, so the doubt is settled as sent.
    desk.deliver(got.data)
    assert desk.sync().stderr == ""
    assert desk.outbox() == []
    [row] = desk.outbox("--all")
    assert row["status"] == "sent"
    assert len(smtp.wait_for(2, timeout=0.3)) == 1


def test_a_doubtful_mail_is_resent_only_when_a_person_says_so(
    desk: MailDesk, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_while_sending(desk, eml("<q1@kund.ee>"))
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T10:00:00Z")
    desk.sync()
    [row] = desk.outbox()
    assert row["status"] == "doubt"
    assert desk.run("outbox", "retry", str(row["id"])).exit_code == 0
    assert desk.run("outbox", "send").exit_code == 0
    got = smtp.wait_for(2)
    assert len(got) == 2
    assert got[0].data == got[1].data  # the very same mail, same Message-ID


def test_header_injection_from_a_customer_mail_adds_no_header(
    desk: MailDesk, smtp: SmtpServer
) -> None:
    nasty = (
        b"From: =?utf-8?b?TWFyaQ0KQmNjOiB2aWN0aW1AZXhhbXBsZS5vcmc=?= <mari@kund.ee>\r\n"
        b"To: " + SUPPORT.encode() + b"\r\n"
        # "Hi\r\nBcc: victim@example.org\r\nX-Injected: yes"
        b"Subject: =?utf-8?b?SGkNCkJjYzogdmljdGltQGV4YW1wbGUub3JnDQpYLUlu"
        b"amVjdGVkOiB5ZXM=?=\r\n"
        b"Date: Mon, 02 Mar 2026 10:00:00 +0200\r\n"
        b"Message-ID: <inj@kund.ee>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
    )
    desk.deliver(nasty)
    [got] = smtp.wait_for(1)
    assert got.rcpt_tos == ("mari@kund.ee",)
    names = sorted(k.lower() for k in got.message.keys())
    assert names == sorted(
        ["from", "to", "subject", "date", "message-id", "x-loop", "in-reply-to",
         "references", "auto-submitted", "x-auto-response-suppress",
         "mime-version", "content-type", "content-transfer-encoding"]
    )  # fmt: skip
    subject = str(got.message["Subject"])
    assert "\r" not in subject
    assert "\n" not in subject
    assert subject.startswith("Re: Hi Bcc: victim@example.org")


def test_a_broken_template_skips_acknowledgements_but_stores_mail(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "acknowledgement.txt").write_text("Hello {{ no_such_field }}\n")
    desk = MailDesk(tmp_path, smtp, templates={"dir": str(folder)})
    result = desk.sync_with(eml("<q1@kund.ee>"), eml("<q2@kund.ee>", subject="x"))
    assert result.exit_code == 0
    [line] = result.stderr.splitlines()
    assert "acknowledgements not sent" in line
    assert "no_such_field" in line
    assert len(desk.export()) == 2
    assert desk.outbox("--all") == []


def _sync_with(self: MailDesk, *mails: bytes) -> Any:
    for data in mails:
        self.count += 1
        (self.inbox / f"{self.count:05d}.eml").write_bytes(data)
    return self.sync()


MailDesk.sync_with = _sync_with  # type: ignore[attr-defined]


def test_generated_mailbox_one_acknowledgement_per_customer_ticket(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A realistic mailbox (noise included) synced with acknowledgements on."""
    need_shared()
    out, truth_file = tmp_path / "mailbox", tmp_path / "truth.json"
    subprocess.run(
        [sys.executable, str(GEN_MAILBOX), "--conversations", "60", "--seed", "5",
         "--format", "eml-dir", "--out", str(out), "--truth", str(truth_file),
         "--start", "2026-03-02", "--days", "2", "--noise", "0.2", "--quiet"],
        check=True, timeout=120,
    )  # fmt: skip
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    # The day after the conversations began: no first mail is "old".
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-03T12:00:00Z")
    desk = MailDesk(
        tmp_path,
        smtp,
        support_addresses=[truth["support_address"]],
        staff_domains=truth["staff_domains"],
        smtp=smtp.table(**{"from": truth["support_address"]}),
        acknowledgement={"enabled": True, "max_per_hour": 1000},
    )
    result = desk.run("sync", "--source", str(out))
    assert (result.exit_code, result.stderr) == (0, "")
    rows = desk.outbox("--all")
    assert {r["status"] for r in rows} == {"sent"}
    got = smtp.wait_for(len(rows))
    assert len(got) == len(rows)

    tickets = {t["number"]: t for t in desk.export()}
    acks = {}
    for row in rows:
        assert row["ticket"] not in acks  # at most one per ticket
        acks[row["ticket"]] = row
    staff = {s["address"] for s in truth["staff"]}
    for number, ticket in tickets.items():
        mails = [m for m in ticket["messages"] if m["rule"] != "sent"]
        opener = min(mails, key=lambda m: (m["date"], m["message_id"] or ""))
        by_customer = opener["direction"] == "inbound" and opener["kind"] == "ticket"
        assert (number in acks) == by_customer, (number, opener)
        if number in acks:
            assert acks[number]["to"] == [ticket["requester"]]
            assert ticket["requester"] not in staff
    # Per the ground truth: every conversation's first mail is acknowledged,
    # and no noise (auto-reply, bounce, bulk) and no staff mail ever is.
    answered = {str(g.message["In-Reply-To"]).strip() for g in got}
    noise = {
        m["message_id"]
        for m in truth["messages"]
        if m["kind"] in ("autoreply", "bounce", "bulk") and m["message_id"]
    }
    staff_ids = {
        m["message_id"] for m in truth["messages"] if m["direction"] == "outbound"
    }
    assert not answered & noise
    assert not answered & staff_ids
    firsts = {
        truth["messages"][c["messages"][0]]["message_id"]
        for c in truth["conversations"].values()
        if not truth["messages"][c["messages"][0]].get("anomaly")
    }
    assert firsts <= answered
    assert len(rows) >= len(truth["conversations"]) - 2
    assert len({g.rcpt_tos for g in got}) > 10  # many customers, one mail each


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("postgres_db"))


def test_the_outbox_on_both_backends(
    tmp_path: Path, smtp: SmtpServer, any_store: str
) -> None:
    desk = MailDesk(tmp_path, smtp, notifications={"customer_on_close": True})
    desk.db = any_store
    smtp.refuse(451, "later")
    assert "1 to retry" in desk.sync_with(eml("<q1@kund.ee>")).stderr
    assert desk.run("outbox", "retry", "1").exit_code == 0
    assert desk.run("close", "1").exit_code == 0
    got = smtp.wait_for(2)
    # Oldest first: the retried acknowledgement, then the close notice.
    assert [g.message["Auto-Submitted"] for g in got] == [
        "auto-replied",
        "auto-generated",
    ]
    assert {r["status"] for r in desk.outbox("--all")} == {"sent"}
    desk.deliver(answer_to(got[0], keep_token=False))
    assert len(desk.export()) == 1


def test_two_flushes_at_once_send_each_mail_once(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    """Cron's sync and a person's `close` may flush at the same moment."""
    desk = MailDesk(tmp_path, None)  # no [smtp] yet: everything stays queued
    mails = [eml(f"<m{i}@kund.ee>", sender=f"c{i}@kund.ee") for i in range(30)]
    desk.sync_with(*mails)
    assert len(desk.outbox()) == 30
    sending = write_config(
        tmp_path / "sending.toml",
        support_addresses=[SUPPORT],
        token_prefix="ACME",
        smtp=smtp.table(**{"from": SUPPORT}),
    )
    args = [sys.executable, "-m", "ticketcli", "--config", str(sending),
            "--db", desk.db, "outbox", "send"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [subprocess.Popen(args, env=env, stderr=subprocess.PIPE) for _ in range(3)]
    for run in runs:
        assert run.wait(timeout=120) == 0, run.stderr.read() if run.stderr else ""
        if run.stderr:
            run.stderr.close()
    got = smtp.wait_for(30)
    assert len(got) == 30
    assert len({g.message["Message-ID"] for g in got}) == 30
    assert len(smtp.wait_for(31, timeout=0.5)) == 30
    assert {r["status"] for r in desk.outbox("--all")} == {"sent"}

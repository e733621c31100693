"""No mail loops, end to end: real SMTP (aiosmtpd) and the real sync pipeline.

Each test routes what the SMTP server received back into the inboxes of the
parties it was addressed to -- another ticketcli instance, or a vacation
responder that answers everything -- and runs round after round of `sync`.
The exchange must stay small and then stop.
"""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import MailDesk, eml
from tests.integration.test_outbox import NOW

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.servers.smtp import Received, SmtpServer

pytestmark = pytest.mark.smtp

DATE = "Mon, 02 Mar 2026 10:00:00 +0200"
MARI = "mari@kund.ee"  # eml()'s sender
ROUNDS = 8
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)


class Network:
    """Delivers what the SMTP server accepted to whoever it was for."""

    def __init__(self, smtp: SmtpServer) -> None:
        self.smtp = smtp
        self.seen = 0
        self.desks: dict[str, MailDesk] = {}
        self.people: dict[str, Callable[[Received], bytes | None]] = {}
        self.per_round: list[int] = []

    def run(self, rounds: int = ROUNDS) -> list[int]:
        """Sync every desk, deliver the mail sent; the mails of each round
        (the first counts what was sent before it, e.g. by `close`)."""
        start = len(self.per_round)
        for _ in range(rounds):
            for desk in self.desks.values():
                result = desk.sync()
                assert result.exit_code == 0, result.stderr
            got = self.smtp.wait_for(self.seen + 1, timeout=0.2)
            new, self.seen = got[self.seen :], len(got)
            self.per_round.append(len(new))
            for mail in new:
                for rcpt in mail.rcpt_tos:
                    self._deliver(rcpt, mail)
        return self.per_round[start:]

    def _deliver(self, rcpt: str, mail: Received) -> None:
        if rcpt in self.desks:
            desk = self.desks[rcpt]
            desk.count += 1
            (desk.inbox / f"{desk.count:05d}.eml").write_bytes(mail.data)
        elif rcpt in self.people:
            answer = self.people[rcpt](mail)
            if answer is not None:
                target = self.desks[_sender(mail)]
                target.count += 1
                (target.inbox / f"{target.count:05d}.eml").write_bytes(answer)


def _sender(mail: Received) -> str:
    return mail.message["From"].addresses[0].addr_spec.lower()


def _instance(tmp: Path, smtp: SmtpServer, name: str, **config: Any) -> MailDesk:
    folder = tmp / name
    folder.mkdir()
    support = f"support@{name}.example"
    return MailDesk(
        folder,
        None,
        support_addresses=[support],
        staff_domains=[f"{name}.example"],
        token_prefix=name.upper(),
        smtp=smtp.table(**{"from": support}),
        **config,
    )


def test_two_ticketcli_instances_pointed_at_each_other_stop(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    net = Network(smtp)
    notices = {"customer_on_close": True}
    a = _instance(tmp_path, smtp, "a", notifications=notices)
    b = _instance(tmp_path, smtp, "b", notifications=notices)
    net.desks = {"support@a.example": a, "support@b.example": b}
    # A's shared address writes to B's (a colleague using it, or a
    # forwarding rule); and a customer writes to both at once.
    b.count += 1
    (b.inbox / "00001.eml").write_bytes(
        eml("<start@a.example>", sender="support@a.example", to="support@b.example")
    )
    both = eml("<c1@kund.ee>", to="support@a.example", extra=(
        "Cc: support@b.example\r\n"))  # fmt: skip
    for desk in (a, b):
        desk.count += 1
        (desk.inbox / f"{desk.count:05d}.eml").write_bytes(both)
    rounds = net.run()
    # B acknowledges A's address and the customer; A the customer only.
    assert sum(rounds) == 3
    assert rounds[-4:] == [0, 0, 0, 0]
    # Closing tickets on either side sends notices that end there too.
    for desk in (a, b):
        for ticket in desk.export():
            assert desk.run("close", str(ticket["number"])).exit_code == 0
    rounds = net.run()
    # One notice per ticket, sent by `close` itself; nobody answers them.
    assert rounds[0] == 3
    assert sum(rounds) == 3
    notices = [
        g for g in smtp.received if g.message["Auto-Submitted"] == "auto-generated"
    ]
    assert len(notices) == 3
    assert [t["status"] for t in a.export() + b.export()] == ["closed"] * 3


def test_instances_behind_a_relay_that_strips_auto_submitted_stop(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    """Worst case: the headers that mark our mail as automatic are lost."""
    net = Network(smtp)
    a = _instance(tmp_path, smtp, "a")
    b = _instance(tmp_path, smtp, "b")
    net.desks = {"support@a.example": a, "support@b.example": b}
    original = net._deliver

    def strip(rcpt: str, mail: Received) -> None:
        data = mail.data.replace(b"Auto-Submitted:", b"X-Was-Submitted:")
        data = data.replace(b"X-Auto-Response-Suppress:", b"X-Was-Suppress:")
        original(rcpt, type(mail)(mail.mail_from, mail.rcpt_tos, data))

    net._deliver = strip  # type: ignore[method-assign]
    b.count += 1
    (b.inbox / "00001.eml").write_bytes(
        eml("<start@a.example>", sender="support@a.example", to="support@b.example")
    )
    rounds = net.run()
    # B acks A; A takes that for a person and acks B; B's copy names B's
    # own ticket by token, so it opens nothing and is acknowledged by none.
    assert sum(rounds) == 2
    assert rounds[-5:] == [0] * 5


def _bounce(mail: Received) -> bytes:
    boundary = "dsn-boundary"
    head = mail.data.split(b"\r\n\r\n", 1)[0]
    return (
        (
            f"From: Mail Delivery System <MAILER-DAEMON@mx.kund.ee>\r\n"
            f"To: {mail.mail_from}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"Date: {DATE}\r\nMessage-ID: <dsn.{next(_ids)}@mx.kund.ee>\r\n"
            "Return-Path: <>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; "
            f'boundary="{boundary}"'
            f"\r\n\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
            "Mailbox full.\r\n"
            f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.kund.ee\r\n\r\nFinal-Recipient: rfc822; "
            "mari@kund.ee\r\nAction: failed\r\nStatus: 5.2.2\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        ).encode()
        + head
        + f"\r\n--{boundary}--\r\n".encode()
    )


def _responder(kind: str) -> Callable[[Received], bytes | None]:
    """A vacation responder that answers every single mail it gets."""

    def answer(mail: Received) -> bytes:
        if kind == "forward":  # a .forward to the support address: the same bytes
            return mail.data
        if kind == "bounce":  # the mailbox is full: a DSN to the envelope sender
            return _bounce(mail)
        msg = mail.message
        subject = str(msg["Subject"])
        n = next(_ids)
        extra = f"In-Reply-To: {msg['Message-ID']}\r\n"
        if kind == "rfc3834":
            extra += "Auto-Submitted: auto-replied\r\n"
            subject = f"Auto: {subject}"
        elif kind == "ooo-subject":
            subject = f"Out of office: {subject}"
        else:  # nothing at all: a fresh subject, no threading, no marks
            subject = f"Thank you for your message (reference {n})"
            extra = ""
        return eml(
            f"<vacation.{n}@kund.ee>",
            subject=subject,
            body="I am on holiday until Monday.",
            date=DATE,
            extra=extra,
        )

    return answer


@pytest.mark.parametrize(
    "kind", ["rfc3834", "ooo-subject", "plain", "forward", "bounce"]
)
def test_a_vacation_responder_gets_a_bounded_number_of_mails(
    tmp_path: Path, smtp: SmtpServer, kind: str
) -> None:
    net = Network(smtp)
    desk = _instance(
        tmp_path, smtp, "acme", acknowledgement={"enabled": True, "max_per_hour": 3}
    )
    net.desks = {"support@acme.example": desk}
    net.people = {"mari@kund.ee": _responder(kind)}
    desk.count += 1
    (desk.inbox / "00001.eml").write_bytes(
        eml("<c1@kund.ee>", to="support@acme.example")
    )
    rounds = net.run()
    assert rounds[-3:] == [0, 0, 0]
    tickets = desk.export()
    if kind == "plain":
        # Indistinguishable from a person writing new mail: only the rate
        # limit stops it, after max_per_hour acknowledgements.
        assert sum(rounds) == 3
        assert len(tickets) == 4
    elif kind == "forward":
        # Our own mail back: a duplicate of what we stored, nothing new.
        assert sum(rounds) == 1
        [ticket] = tickets
        assert [m["direction"] for m in ticket["messages"]] == ["inbound", "outbound"]
    else:
        # The answer is recognised as automatic: kept on the ticket, unanswered.
        assert sum(rounds) == 1
        [ticket] = tickets
        kinds = [m["kind"] for m in ticket["messages"]]
        noise = "bounce" if kind == "bounce" else "autoreply"
        assert sorted(kinds) == sorted(["ticket", "autoreply", noise])


def test_mail_back_with_our_x_loop_is_kept_and_answered_by_nothing(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    """Issue 13: X-Loop naming our address means the mail has been through
    us. RT drops such mail; we keep it (mail is never lost) as an automatic
    reply: no acknowledgement, no ticket, so no "assigned to you" either, and
    on a ticket it never reopens -- whatever else it looks like."""
    support = "support@acme.example"
    desk = _instance(
        tmp_path,
        smtp,
        "acme",
        acknowledgement={"enabled": True},
        queues=[{"name": "default", "assign_mode": "round-robin"}],
        notifications={
            "agent_on_assign": True,
            "agent_on_mention": True,
            "customer_on_close": True,
        },
    )
    added = desk.run("agents", "add", "anu", "--email", "anu@acme.example")
    assert added.exit_code == 0, added.stderr

    def deliver(data: bytes) -> None:
        desk.count += 1
        (desk.inbox / f"{desk.count:05d}.eml").write_bytes(data)
        result = desk.sync()
        assert (result.exit_code, result.stderr) == (0, "")

    # A person writes: acknowledged, and the agent the queue chose is told.
    deliver(eml("<c1@kund.ee>", to=support))
    sent = smtp.wait_for(2)
    assert sorted(m.rcpt_tos for m in sent) == [("anu@acme.example",), (MARI,)]
    # Everything else we send: a reply, a mention, the morning report.
    for args in (
        ("reply", "1", "--message", "Proovige uuesti.", "--as", "anu"),
        ("note", "1", "@anu vaata", "--as", "lead"),
        ("report", "--mail", "--to", "lead@acme.example"),
    ):
        done = desk.run(*args)
        assert done.exit_code == 0, (args, done.stderr)
    assert len(smtp.wait_for(5)) == 5

    # The same customer's mailbox sends something back that carries our
    # X-Loop (one of two, with a display name): a new subject, no threading.
    deliver(
        eml(
            "<c2@kund.ee>",
            subject="Printer ikka katki",
            to=support,
            extra="X-Loop: helpdesk@vendor.example\r\n"
            "X-Loop: Acme Support <SUPPORT@acme.example>\r\n",
        )
    )
    assert len(smtp.wait_for(6, timeout=0.5)) == 5
    assert len(desk.export()) == 1
    [kept] = json.loads(desk.run("noise", "list", "--format", "json").stdout)
    assert (kept["message_id"], kept["kind"]) == ("<c2@kund.ee>", "autoreply")

    # Closing tells the customer; a responder answers that notice, copying
    # X-Loop and dropping Auto-Submitted. The ticket stays closed, and
    # nothing more goes out.
    assert desk.run("close", "1", "--as", "anu").exit_code == 0
    notice = smtp.wait_for(6)[5].message
    assert notice["Auto-Submitted"] == "auto-generated"
    deliver(
        eml(
            "<away.1@kund.ee>",
            subject=f"Re: {notice['Subject']}",
            body="Olen puhkusel.",
            to=support,
            extra=f"In-Reply-To: {notice['Message-ID']}\r\n"
            f"X-Loop: {notice['X-Loop']}\r\n",
        )
    )
    assert len(smtp.wait_for(7, timeout=0.5)) == 6
    [ticket] = desk.export()
    assert ticket["status"] == "closed"
    assert not ticket["reopened"]
    answer = [m for m in ticket["messages"] if m["message_id"] == "<away.1@kund.ee>"]
    assert [m["kind"] for m in answer] == ["autoreply"]
    # Every mail we sent names the address it left from.
    assert [m.message["X-Loop"] for m in smtp.received] == [support] * 6

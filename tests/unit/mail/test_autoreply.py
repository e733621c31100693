"""Whether a mail may be acknowledged: the pure loop guard."""

from __future__ import annotations

from datetime import datetime

import pytest

from ticketcli.mail.autoreply import is_unanswerable_address, should_acknowledge
from ticketcli.mail.classify import classify
from ticketcli.mail.model import Kind
from ticketcli.mail.parse import parse_message

NOW = datetime(2026, 3, 2, 9, 0)  # naive UTC, as the store's clock
OWN = {"support@acme.example", "kadri@acme.example"}


def mail(
    sender: str = "mari@kund.ee",
    subject: str = "Printer on katki",
    extra: str = "",
    date: str = "Mon, 02 Mar 2026 10:00:00 +0200",
    mid: str = "<q1@kund.ee>",
) -> bytes:
    return (
        f"From: Mari <{sender}>\r\nTo: support@acme.example\r\n"
        f"Subject: {subject}\r\nDate: {date}\r\nMessage-ID: {mid}\r\n{extra}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nTere\r\n"
    ).encode()


def decide(data: bytes, recent: int = 0, limit: int = 3) -> str | None:
    parsed = parse_message(data)
    return should_acknowledge(
        parsed,
        kind=classify(parsed),
        is_own=OWN.__contains__,
        own_domain="acme.example",
        recent_acks=recent,
        max_per_hour=limit,
        now=NOW,
    )


def test_a_person_writing_is_acknowledged() -> None:
    assert decide(mail()) is None
    assert decide(mail(extra="Auto-Submitted: no\r\n")) is None
    # Outlook sets this on mail people write: not a reason to stay quiet.
    assert decide(mail(extra="X-Auto-Response-Suppress: All\r\n")) is None
    # A mail dated in the future (a wrong clock) is still a person's.
    assert decide(mail(date="Tue, 03 Mar 2026 10:00:00 +0200")) is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (mail(extra="Auto-Submitted: auto-replied\r\n"), "autoreply"),
        (mail(extra="Auto-Submitted: auto-generated\r\n"), "autoreply"),
        (mail(extra="Auto-Submitted: auto-notified; owner-email=x\r\n"), "autoreply"),
        (mail(extra="X-Autoreply: yes\r\n"), "autoreply"),
        (mail(extra="Precedence: auto_reply\r\n"), "autoreply"),
        (mail(subject="Out of office: Printer on katki"), "autoreply"),
        (mail(subject="Automaatne vastus: Printer"), "autoreply"),
        (mail(extra="Precedence: bulk\r\n"), "bulk"),
        (mail(extra="Precedence: list\r\n"), "bulk"),
        (mail(extra="Precedence: junk\r\n"), "bulk"),
        (mail(extra="List-Id: <news.kund.ee>\r\n"), "bulk"),
        (mail(sender="mailer-daemon@kund.ee", subject="Undelivered"), "bounce"),
        (mail(extra="Return-Path: <>\r\n"), "mail system"),
        (mail(sender="postmaster@kund.ee", subject="Hi"), "mail system"),
        (mail(sender="support@acme.example"), "own address"),
        (mail(sender="kadri@acme.example"), "own address"),
        (mail(sender="noreply@shop.example"), "no-reply"),
        (mail(sender="no-reply+orders@shop.example"), "no-reply"),
        (mail(sender="DoNotReply@shop.example"), "no-reply"),
        (mail(sender="bounces-123@list.example"), "no-reply"),
        (mail(mid="<ticketcli.65f.abc@acme.example>"), "we sent"),
        (mail(date="Mon, 23 Feb 2026 10:00:00 +0200"), "older"),
    ],
)
def test_what_is_never_acknowledged(data: bytes, reason: str) -> None:
    said = decide(data)
    assert said is not None
    assert reason in said


def test_the_rate_limit_counts_the_last_hour() -> None:
    assert decide(mail(), recent=2, limit=3) is None
    said = decide(mail(), recent=3, limit=3)
    assert said is not None
    assert "3 acknowledgements in the last hour" in said


def test_another_helpdesk_using_ticketcli_is_a_customer() -> None:
    # Its people's replies carry its own ticketcli Message-IDs: not ours.
    assert decide(mail(mid="<ticketcli.65f.abc@other.example>")) is None


def test_the_kind_from_classification_is_respected() -> None:
    parsed = parse_message(mail())
    said = should_acknowledge(
        parsed,
        kind=Kind.BULK,
        is_own=OWN.__contains__,
        own_domain=None,
        recent_acks=0,
        max_per_hour=3,
        now=NOW,
    )
    assert said == "it is bulk mail"


@pytest.mark.parametrize(
    ("address", "unanswerable"),
    [
        ("mari@kund.ee", False),
        ("", True),
        ("no-at-sign", True),
        ("x@localhost", True),
        ("MAILER-DAEMON@kund.ee", True),
        ("noreply-billing@shop.example", True),
        ("root@server.example", True),
        ("norbert@kund.ee", False),
        ("jüri@kund.ee", True),
        ("jyri@õun.ee", False),
    ],
)
def test_unanswerable_addresses(address: str, unanswerable: bool) -> None:
    assert is_unanswerable_address(address) is unanswerable


@pytest.mark.parametrize(
    "loop",
    [
        "X-Loop: support@acme.example\r\n",
        "X-Loop: SUPPORT@Acme.Example\r\n",
        "X-Loop: Acme Support <support@acme.example>\r\n",
        "X-Loop: <kadri@acme.example>\r\n",
        "X-Loop: helpdesk@vendor.example\r\nX-Loop: support@acme.example\r\n",
        "X-Loop: yes\r\nX-Loop: helpdesk@vendor.example,\r\n support@acme.example\r\n",
    ],
)
def test_mail_that_has_been_through_us_is_never_acknowledged(loop: str) -> None:
    """X-Loop naming one of our addresses: the mail is ours come back (a
    forward, a responder that copies X-Loop and drops Auto-Submitted)."""
    parsed = parse_message(mail(extra=loop))
    assert len(parsed.x_loop) == loop.count("X-Loop:")
    # The rule holds whatever classification said, like every header rule.
    said = should_acknowledge(
        parsed,
        kind=Kind.TICKET,
        is_own=OWN.__contains__,
        own_domain="acme.example",
        recent_acks=0,
        max_per_hour=3,
        now=NOW,
    )
    assert said == "it has been through us before (X-Loop names our address)"
    assert decide(mail(extra=loop)) is not None


@pytest.mark.parametrize(
    "loop",
    [
        "X-Loop: yes\r\n",  # Zammad, OTRS: no address
        "X-Loop: helpdesk@vendor.example\r\n",  # another system's own mark
        "X-Loop: mari@kund.ee\r\n",  # the customer's procmail, forwarding to us
        "X-Loop: support@acme.example.evil.test\r\n",
    ],
)
def test_an_x_loop_naming_someone_else_is_no_reason_to_stay_quiet(loop: str) -> None:
    assert decide(mail(extra=loop)) is None

"""The pure rules of `reply` and of agent notices: who gets the mail, what
the editor shows and keeps, what a notice says."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from ticketcli.desk.notices import assigned_text, excerpt, mention_text
from ticketcli.desk.replies import (
    SCISSORS,
    editor_text,
    from_editor,
    read_attachments,
    reply_recipients,
    reply_subject_for,
)
from ticketcli.errors import UsageError
from ticketcli.rules.customers import Staff
from ticketcli.store.ticket_view import LastMessage, TicketView

if TYPE_CHECKING:
    from pathlib import Path

SUPPORT = "support@acme.ee"
STAFF = Staff(
    support_addresses=frozenset({SUPPORT, "help@acme.ee"}),
    staff_addresses=frozenset({"anna@gmail.com"}),
    staff_domains=frozenset({"acme.ee"}),
)


def _recipients(
    requester: str, participants: list[str], **kw: object
) -> tuple[list[str], list[str]]:
    return reply_recipients(requester, participants, STAFF, SUPPORT, **kw)  # type: ignore[arg-type]


def test_requester_and_the_customer_side_of_the_thread() -> None:
    to, cc = _recipients(
        "mari@kund.ee",
        ["mari@kund.ee", "jaan@kund.ee", "kadri@acme.ee", "help@acme.ee",
         "anna@gmail.com", "boss@kund.ee"],
    )  # fmt: skip
    assert to == ["mari@kund.ee"]
    assert cc == ["jaan@kund.ee", "boss@kund.ee"]


def test_only_requester_and_explicit_cc() -> None:
    to, cc = _recipients(
        "mari@kund.ee",
        ["jaan@kund.ee"],
        only_requester=True,
        cc=["kadri@acme.ee", "mari@kund.ee"],
    )
    assert (to, cc) == (["mari@kund.ee"], ["kadri@acme.ee"])  # a colleague may be cc'd


def test_no_customer_requester_falls_back_to_a_participant() -> None:
    assert _recipients("", ["kadri@acme.ee", "jaan@kund.ee"]) == (["jaan@kund.ee"], [])
    assert _recipients("kadri@acme.ee", ["jaan@kund.ee"]) == (["jaan@kund.ee"], [])


def test_no_customer_at_all_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        _recipients("kadri@acme.ee", [SUPPORT, "anna@gmail.com"])


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Printer on katki", "Re: Printer on katki"),
        ("RE: AW: Printer", "Re: Printer"),
        ("Fwd: Arve", "Re: Arve"),
        ("", "Re:"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject_for(subject) == expected


def test_editor_keeps_what_is_above_the_scissors() -> None:
    text = editor_text("Hello Mari,\n\n#5 is fixed.\n", "To: mari@kund.ee\n\nHi")
    assert text.startswith("Hello Mari,\n\n#5 is fixed.\n\n" + SCISSORS)
    assert "# To: mari@kund.ee" in text
    edited = text.replace("fixed", "fixed today")
    assert from_editor(edited) == "Hello Mari,\n\n#5 is fixed today.\n"  # '#' kept
    assert from_editor(SCISSORS + text.split(SCISSORS)[1]) == ""
    assert from_editor("   \n\n" + SCISSORS + "\nwhatever") == ""
    assert from_editor(None) == ""  # quit without saving


VIEW = TicketView(
    number=5,
    subject="Printer on katki",
    status="open",
    priority="high",
    type=None,
    requester="mari@kund.ee",
    customer_name="Kund OÜ",
    customer_code="KUND",
    assignee="anna",
    created_at=datetime(2026, 3, 2, 8, 0),
    participants=("mari@kund.ee",),
    last_customer_message=LastMessage(
        "mari@kund.ee",
        "Mari Maasikas",
        datetime(2026, 3, 2, 8, 0),
        "Ikka ei tööta.\n\nOn Mon, Anna <anna@acme.ee> wrote:\n> proovige uuesti\n",
        "<q@kund.ee>",
    ),
)


def test_assigned_notice_summarises_without_links() -> None:
    subject, body = assigned_text(VIEW, "ACME", "lead")
    assert subject == "Assigned to you: Printer on katki"
    assert body.startswith("lead assigned ticket [ACME #5] to you.\n")
    assert "Customer:  Kund OÜ (KUND)" in body
    assert "Status:    open, priority high" in body
    assert "  Ikka ei tööta." in body
    assert "proovige" not in body
    assert "2 quoted lines folded" in body
    assert "ticketcli show 5" in body
    assert "http" not in body


def test_mention_notice_quotes_the_note() -> None:
    subject, body = mention_text(VIEW, "ACME", "lead", "@anna kas sina?\nrida 2")
    assert subject == "lead mentioned you: Printer on katki"
    assert "  @anna kas sina?\n  rida 2\n" in body


def test_excerpt_cuts_long_messages() -> None:
    text = excerpt("\n".join(f"rida {i}" for i in range(100)))
    assert "rida 24" in text
    assert "rida 25" not in text
    assert "cut;" in text


def test_the_agents_name_on_the_sender_cannot_add_headers() -> None:
    from ticketcli.config import Config
    from ticketcli.desk.replies import set_sender_name
    from ticketcli.mail.compose import compose

    config = Config(support_addresses=frozenset({SUPPORT}))
    message = compose(config, to=["mari@kund.ee"], subject="Re: x", body="hi")
    set_sender_name(message, "Anna Tamm\r\nBcc: everyone@evil.example")
    data = bytes(message)
    assert b"\r\nBcc:" not in data
    assert data.count(b"\r\nFrom: ") + data.startswith(b"From: ") == 1
    assert message["From"].addresses[0].addr_spec == SUPPORT
    assert message["From"].addresses[0].display_name == (
        "Anna Tamm Bcc: everyone@evil.example"
    )


def test_attachments_over_the_limit_are_refused_before_reading(tmp_path: Path) -> None:
    small, big = tmp_path / "a.txt", tmp_path / "b.bin"
    small.write_bytes(b"x" * 600)
    big.write_bytes(b"y" * 600)
    [read] = read_attachments([str(small)], limit=1000)
    assert (read.filename, read.content_type, read.data) == (
        "a.txt",
        "text/plain",
        small.read_bytes(),
    )
    with pytest.raises(UsageError, match=r"b.bin brings the attachments to"):
        read_attachments([str(small), str(big)], limit=1000)

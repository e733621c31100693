"""The REOPENED mark, through the CLI: a customer's mail to a closed ticket
sets it; a person acting on the ticket clears it -- every command that
names the ticket (README, "A day in the life") and a staff answer, from
`reply` or from a mail client -- and what ticketcli does by itself keeps it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import SUPPORT, Desk, eml

if TYPE_CHECKING:
    from pathlib import Path

NOW = "2026-03-03T08:00:00Z"  # after the first mail, before the customer's next
KADRI = "kadri@acme-help.example"


class MarkDesk(Desk):
    """Ticket #1 closed and reopened by its customer's mail (marked), and
    ticket #2, another conversation of the same customer."""

    def __init__(self, tmp: Path, **config: Any) -> None:
        # An SMTP server that is not there: `reply` stores and queues, then
        # says the mail waits in the outbox (exit 1).
        config.setdefault(
            "smtp", {"host": "127.0.0.1", "port": 9, "tls": "none", "timeout": 2}
        )
        super().__init__(tmp, token_prefix="ACME", **config)
        self.ok("agents", "add", "kadri", "--name", "Kadri", "--email", KADRI)
        self.ok("agents", "add", "jaan", "--email", "jaan@acme-help.example")
        self.ok("customers", "add", "Kund OÜ", "--code", "KUND")
        self.deliver(eml("<a@kund.ee>"), eml("<other@kund.ee>", subject="Arve on vale"))

    def ok(self, *args: str) -> Any:
        result = self.run(*args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return result

    def reopen_by_customer(self) -> None:
        self.ok("close", "1", "--as", "lead")
        self.deliver(
            eml(
                "<b@kund.ee>",
                subject="Re: Printer on katki",
                date="Tue, 03 Mar 2026 12:00:00 +0200",
                extra="In-Reply-To: <a@kund.ee>\r\n",
            )
        )
        assert self.ticket(1)["status"] in ("new", "open")
        assert self.marked(1), "the customer's mail marks the ticket"

    def ticket(self, number: int) -> dict[str, Any]:
        return {t["number"]: t for t in self.export()}[number]

    def marked(self, number: int) -> bool:
        return bool(self.ticket(number)["reopened"])

    def staff_answer(self, mid: str, sender: str = KADRI) -> None:
        """An agent answers from their mail client, support in Cc."""
        self.deliver(
            eml(
                mid,
                sender=sender,
                subject="Re: Printer on katki",
                date="Tue, 03 Mar 2026 13:00:00 +0200",
                to="mari@kund.ee",
                extra=f"Cc: {SUPPORT}\r\nIn-Reply-To: <b@kund.ee>\r\n",
            )
        )
        assert [m["direction"] for m in self.ticket(1)["messages"]][-1] == "outbound"


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MarkDesk:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)
    return MarkDesk(tmp_path)


def test_a_staff_answer_from_a_mail_client_assigns_and_clears_the_mark(
    desk: MarkDesk,
) -> None:
    desk.reopen_by_customer()
    desk.staff_answer("<c@acme-help.example>")
    ticket = desk.ticket(1)
    assert (ticket["assignee"], ticket["reopened"]) == ("kadri", False)


def test_a_staff_answer_clears_the_mark_of_a_ticket_someone_owns(
    desk: MarkDesk,
) -> None:
    desk.ok("assign", "1", "jaan", "--as", "lead")
    desk.reopen_by_customer()
    desk.staff_answer("<c@acme-help.example>")
    ticket = desk.ticket(1)
    assert (ticket["assignee"], ticket["reopened"]) == ("jaan", False)


def test_a_staff_answer_clears_the_mark_without_assign_on_reply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)
    desk = MarkDesk(tmp_path, assign_on_reply=False)
    desk.reopen_by_customer()
    desk.staff_answer("<c@acme-help.example>")
    ticket = desk.ticket(1)
    assert (ticket["assignee"], ticket["reopened"]) == (None, False)


def test_an_answer_from_the_shell_clears_the_mark(desk: MarkDesk) -> None:
    desk.reopen_by_customer()
    result = desk.run("reply", "1", "--message", "Vaatan üle.", "--as", "kadri")
    assert result.exit_code == 1  # the server is not there: queued, not sent
    assert "reply queued but not sent" in result.stderr
    ticket = desk.ticket(1)
    assert (ticket["assignee"], ticket["reopened"]) == ("kadri", False)


@pytest.mark.parametrize(
    "args",
    [
        ("assign", "1", "kadri"),
        ("unassign", "1"),  # in the pool already: no change, but looked at
        ("take", "1", "--as", "kadri"),
        ("set", "1", "--priority", "high"),
        ("customer", "1", "KUND"),
        ("note", "1", "Helistan neile"),
        ("time", "1", "15m"),
        ("close", "1"),
        ("merge", "2", "into", "1"),
        ("merge", "1", "into", "2"),
    ],
    ids=lambda args: "-".join(args[:3]),
)
def test_every_command_that_acts_on_the_ticket_clears_the_mark(
    desk: MarkDesk, args: tuple[str, ...]
) -> None:
    desk.reopen_by_customer()
    desk.ok(*args)
    assert not desk.marked(1)


def test_assigning_to_the_owner_again_clears_the_mark(desk: MarkDesk) -> None:
    desk.ok("assign", "1", "kadri", "--as", "lead")
    desk.reopen_by_customer()
    result = desk.ok("assign", "1", "kadri", "--as", "lead")
    assert result.stderr == "#1 is already assigned to kadri\n"
    assert not desk.marked(1)


def test_a_person_who_reopens_a_ticket_leaves_no_mark(desk: MarkDesk) -> None:
    desk.reopen_by_customer()
    desk.ok("close", "1", "--as", "lead")
    desk.ok("reopen", "1", "--as", "lead")
    ticket = desk.ticket(1)
    assert (ticket["status"], ticket["reopened"]) == ("new", False)


def test_what_is_no_act_keeps_the_mark(desk: MarkDesk) -> None:
    """Another customer mail, a staff mail to staff only (a note), and
    commands on another ticket leave the mark for whoever looks."""
    desk.reopen_by_customer()
    desk.deliver(
        eml(
            "<d@kund.ee>",
            subject="Re: Printer on katki",
            date="Tue, 03 Mar 2026 12:30:00 +0200",
            extra="In-Reply-To: <b@kund.ee>\r\n",
        ),
        eml(
            "<e@acme-help.example>",
            sender=KADRI,
            subject="Re: Printer on katki [ACME #1]",
            date="Tue, 03 Mar 2026 12:40:00 +0200",
            to="jaan@acme-help.example",
            extra=f"Cc: {SUPPORT}\r\n",
        ),
    )
    desk.ok("note", "2", "teine pilet")
    assert [m["kind"] for m in desk.ticket(1)["messages"]][-1] == "note"
    assert desk.marked(1)

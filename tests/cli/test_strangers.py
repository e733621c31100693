"""A stranger never gets into another customer's ticket, on any path.

Each test is an attack on today's threading that used to work: joining by a
Message-ID the customer's ticket references, merging the customer's ticket
into one's own, and merges of tickets read out of order that broke the
store's link table (issue 13).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.helpers import SUPPORT, Desk, eml

if TYPE_CHECKING:
    from pathlib import Path

ALICE = "alice@alice-company.ee"
EVE = "eve@gmail.com"


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    desk = Desk(tmp_path)
    csv = tmp_path / "customers.csv"
    csv.write_text(
        "name,code,emails,domains\nAlice Company,ALICE,,alice-company.ee\n",
        encoding="utf-8",
    )
    assert desk.run("customers", "import", str(csv)).exit_code == 0
    return desk


def _by_number(desk: Desk) -> dict[int, dict]:
    return {t["number"]: t for t in desk.export()}


def _ids(ticket: dict) -> list[str]:
    return [m["message_id"] for m in ticket["messages"]]


def test_stranger_whose_id_a_ticket_references_does_not_join_it(desk: Desk) -> None:
    # Alice's mail names <lure@gmail.com> (a mail she was sent, or an id Eve
    # read off a Cc'd copy); Eve then sends a mail with exactly that id.
    desk.deliver(
        eml(
            "<a1@alice-company.ee>",
            sender=ALICE,
            subject="Contract renewal",
            extra="References: <lure@gmail.com>\r\n",
        )
    )
    desk.deliver(
        eml(
            "<lure@gmail.com>",
            sender=EVE,
            subject="Contract renewal",
            body="Please send the contract to me instead.",
            date="Mon, 02 Mar 2026 09:00:00 +0200",
        )
    )
    tickets = _by_number(desk)
    assert _ids(tickets[1]) == ["<a1@alice-company.ee>"]
    assert tickets[1]["status"] != "merged"
    stranger = tickets[2]
    assert stranger["requester"] == EVE
    assert stranger["linked_to"] == [1]
    assert stranger["messages"][0]["rule"] == "foreign-sender"
    # Eve is no participant of Alice's ticket: a reply there is not Cc'd to her.
    shown = desk.run("show", "1").stdout
    assert EVE not in shown


def test_stranger_cannot_merge_a_customers_ticket_into_her_own(desk: Desk) -> None:
    desk.deliver(
        eml(
            "<a1@alice-company.ee>",
            sender=ALICE,
            subject="Invoice 2026-17",
            extra="In-Reply-To: <e2@gmail.com>\r\n",
        )
    )
    desk.deliver(
        eml("<e1@gmail.com>", sender=EVE, subject="My own question", to=SUPPORT)
    )
    # Eve's ticket is #2. Her next mail names #2 by token and carries the id
    # Alice's ticket answers: it used to fold Alice's ticket into Eve's.
    desk.deliver(
        eml(
            "<e2@gmail.com>",
            sender=EVE,
            subject="[Ticket #2] My own question",
            date="Mon, 02 Mar 2026 11:00:00 +0200",
        )
    )
    tickets = _by_number(desk)
    alice, eve = tickets[1], tickets[2]
    assert alice["status"] != "merged"
    assert _ids(alice) == ["<a1@alice-company.ee>"]
    assert alice["requester"] == ALICE
    assert _ids(eve) == ["<e1@gmail.com>", "<e2@gmail.com>"]
    # The two are related, and linked, but each keeps its own customer.
    assert eve["linked_to"] == [1]
    assert alice["customer"] == "ALICE"
    assert eve["customer"] is None


def test_tickets_of_two_customers_are_never_merged_even_by_staff(desk: Desk) -> None:
    # A consultant's mail answers Alice's mail while its References name a
    # ticket of another customer (a copy-paste of an old thread).
    desk.deliver(eml("<a1@alice-company.ee>", sender=ALICE, subject="Login fails"))
    desk.deliver(
        eml(
            "<o1@other.ee>",
            sender="olev@other.ee",
            subject="Printer",
            extra="In-Reply-To: <k1@acme-help.example>\r\n",
        )
    )
    csv = desk.tmp / "more.csv"
    csv.write_text("name,code,emails,domains\nOther,OTHER,,other.ee\n")
    assert desk.run("customers", "import", str(csv)).exit_code == 0
    assert desk.run("customer", "2", "OTHER").exit_code == 0
    desk.deliver(
        eml(
            "<k1@acme-help.example>",
            sender="kadri@acme-help.example",
            to=ALICE,
            subject="Re: Login fails",
            extra=f"Cc: {SUPPORT}\r\nIn-Reply-To: <a1@alice-company.ee>\r\n",
        )
    )
    tickets = _by_number(desk)
    assert {t["status"] for t in tickets.values()} != {"merged"}
    assert "merged" not in (tickets[1]["status"], tickets[2]["status"])
    assert _ids(tickets[2]) == ["<o1@other.ee>"]
    assert tickets[1]["linked_to"] == [2]


def test_merge_of_tickets_sharing_a_link_keeps_one_link_and_redirects(
    desk: Desk,
) -> None:
    """The mailing-list crash: a merge moved a link onto a ticket that had it."""
    desk.deliver(eml("<a1@alice-company.ee>", sender=ALICE, subject="Outage"))
    # Eve, a stranger, writes twice naming #1: two foreign tickets, each
    # linked to #1. The second answers a mail of hers not read yet.
    desk.deliver(eml("<e1@gmail.com>", sender=EVE, subject="[Ticket #1] me too"))
    desk.deliver(
        eml(
            "<e3@gmail.com>",
            sender=EVE,
            subject="[Ticket #1] still down",
            extra="In-Reply-To: <e2@gmail.com>\r\n",
        )
    )
    # Bob names Eve's second ticket: a link that points at it.
    desk.deliver(
        eml("<b1@yahoo.com>", sender="bob@yahoo.com", subject="[Ticket #3] same")
    )
    # Now the mail between Eve's two: it answers #2's and #3 answers it.
    result = desk.deliver(
        eml(
            "<e2@gmail.com>",
            sender=EVE,
            subject="Re: me too",
            extra="In-Reply-To: <e1@gmail.com>\r\n",
        )
    )
    assert result.stderr == ""
    tickets = _by_number(desk)
    assert tickets[3]["status"] == "merged"
    assert sorted(_ids(tickets[2])) == [
        "<e1@gmail.com>",
        "<e2@gmail.com>",
        "<e3@gmail.com>",
    ]
    assert tickets[2]["linked_to"] == [1]  # once, not twice
    assert tickets[4]["linked_to"] == [2]  # Bob's link follows the merge
    assert _ids(tickets[1]) == ["<a1@alice-company.ee>"]
    # A chain: #2 merged into Alice's? Never -- but a later merge of #2 into
    # another of Eve's tickets redirects #3's pointer too (one hop).
    assert desk.run("merge", "2", "into", "4").exit_code == 0
    tickets = _by_number(desk)
    assert tickets[3]["merged_into"] == 4
    assert tickets[2]["merged_into"] == 4
    assert 2 not in tickets[4]["linked_to"]


def test_reply_to_our_acknowledgement_lands_on_the_stranger_ticket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No loop of linked tickets: one token out, and the person we wrote to
    answers on the ticket we wrote about."""
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T10:30:00+02:00")
    desk = Desk(tmp_path, token_prefix="ACME", acknowledgement={"enabled": True})
    desk.deliver(eml("<a1@alice-company.ee>", sender=ALICE, subject="Outage"))
    desk.deliver(
        eml("<e1@gmail.com>", sender=EVE, subject="Re: [ACME #1] Outage me too")
    )
    tickets = _by_number(desk)
    ack = next(m for m in tickets[2]["messages"] if m["direction"] == "outbound")
    assert ack["subject"].endswith("Outage me too [ACME #2]")
    assert "[ACME #1]" not in ack["subject"]
    # Her client keeps the old token as well as answering our mail.
    desk.deliver(
        eml(
            "<e2@gmail.com>",
            sender=EVE,
            subject="Re: [ACME #1] Re: Outage me too [ACME #2]",
            extra=f"In-Reply-To: {ack['message_id']}\r\n",
        )
    )
    desk.deliver(
        eml(
            "<e3@gmail.com>",
            sender=EVE,
            subject="Re: [ACME #1] Outage me too",
            extra=f"In-Reply-To: {ack['message_id']}\r\n",
        )
    )
    tickets = _by_number(desk)
    assert sorted(tickets) == [1, 2]
    assert sorted(m for m in _ids(tickets[2]) if "gmail" in m) == [
        "<e1@gmail.com>",
        "<e2@gmail.com>",
        "<e3@gmail.com>",
    ]
    acks = [m for m in tickets[2]["messages"] if m["direction"] == "outbound"]
    assert len(acks) == 1

"""The threading rules without a database: a dict-backed lookup plays the store."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from ticketcli.mail.model import Kind, ParsedMail
from ticketcli.rules import threads as th
from ticketcli.rules.threads import Party, Settings, TicketRef, decide, thread_key

if TYPE_CHECKING:
    from collections.abc import Sequence

T0 = datetime(2026, 3, 2, 9, 0)
SETTINGS = Settings(
    token_prefix="ACME",
    subject_window=timedelta(days=30),
    reopen_window=timedelta(days=60),
)


def mail(**overrides: object) -> ParsedMail:
    base = ParsedMail(
        message_id="<new@customer.example>",
        date=None,
        from_address="mari@customer.example",
        from_name="Mari",
        to=(),
        cc=(),
        subject="Printer broken",
        body_text="",
        attachments=(),
        in_reply_to=(),
        references=(),
        thread_index=None,
        headers={},
        content_type="text/plain",
        content_hash="h-new",
        raw_sha256="r-new",
        size=10,
    )
    return replace(base, **overrides)


def ticket(
    number: int,
    customer: int | None = 1,
    status: str = "open",
    closed_at: datetime | None = None,
    requester: str = "mari@customer.example",
) -> TicketRef:
    return TicketRef(
        number=number,
        customer_id=customer,
        requester=requester,
        status=status,
        created_at=T0,
        closed_at=closed_at,
    )


@dataclass
class FakeLookup:
    tickets: dict[int, TicketRef] = field(default_factory=dict)
    by_message_id: dict[str, int] = field(default_factory=dict)
    referencing: dict[str, list[int]] = field(default_factory=dict)
    by_thread_key: dict[str, int] = field(default_factory=dict)
    by_subject: dict[str, int] = field(default_factory=dict)
    participants: dict[int, set[str]] = field(default_factory=dict)
    stored: set[tuple[str | None, str]] = field(default_factory=set)
    collisions: set[str] = field(default_factory=set)

    def copies(self, message_id: str | None, content_hash: str) -> tuple[bool, bool]:
        return (
            (message_id, content_hash) in self.stored,
            message_id in self.collisions,
        )

    def ticket(self, number: int) -> TicketRef | None:
        return self.tickets.get(number)

    def ticket_for_message_id(self, message_id: str) -> TicketRef | None:
        number = self.by_message_id.get(message_id)
        return self.tickets[number] if number else None

    def tickets_referencing(self, message_id: str) -> Sequence[TicketRef]:
        return [self.tickets[n] for n in self.referencing.get(message_id, [])]

    def ticket_for_thread_key(self, key: str) -> TicketRef | None:
        number = self.by_thread_key.get(key)
        return self.tickets[number] if number else None

    def ticket_for_subject(
        self, subject_key: str, party: Party, around: datetime, window: timedelta
    ) -> TicketRef | None:
        number = self.by_subject.get(subject_key)
        found = self.tickets.get(number) if number else None
        if found and (
            found.customer_id == party.customer_id or found.requester == party.address
        ):
            return found
        return None

    def is_participant(self, number: int, address: str) -> bool:
        return address in self.participants.get(number, set())


CUSTOMER = Party("mari@customer.example", 1, sender_is_staff=False)
STRANGER = Party("eve@elsewhere.example", 2, sender_is_staff=False)
STAFF = Party("mari@customer.example", 1, sender_is_staff=True)


def place(
    m: ParsedMail,
    lookup: FakeLookup,
    party: Party = CUSTOMER,
    kind: Kind = Kind.TICKET,
    token: int | None = None,
    subject_key: str = "",
    when: datetime = T0,
) -> th.Placement:
    return decide(m, kind, party, when, token, subject_key, lookup, SETTINGS)


def test_decide_duplicate_is_skipped() -> None:
    lookup = FakeLookup(stored={("<new@customer.example>", "h-new")})
    assert place(mail(), lookup).rule == th.DUPLICATE


def test_decide_token_wins_over_headers() -> None:
    lookup = FakeLookup(
        tickets={5: ticket(5), 9: ticket(9)}, by_message_id={"<old@x>": 9}
    )
    result = place(mail(in_reply_to=("<old@x>",)), lookup, token=5)
    assert (result.rule, result.ticket.number) == (th.TOKEN, 5)


def test_decide_unknown_token_falls_through_to_headers() -> None:
    lookup = FakeLookup(tickets={9: ticket(9)}, by_message_id={"<old@x>": 9})
    result = place(mail(in_reply_to=("<old@x>",)), lookup, token=404)
    assert (result.rule, result.ticket.number, result.detail) == (
        th.IN_REPLY_TO,
        9,
        "<old@x>",
    )


@pytest.mark.parametrize(
    ("in_reply_to", "references", "rule"),
    [
        (("<a@x>",), (), th.IN_REPLY_TO),
        ((), ("<root@x>", "<a@x>"), th.REFERENCES),
        (("<unknown@x>",), ("<a@x>",), th.REFERENCES),
    ],
    ids=["in-reply-to", "references-last", "parent-unknown-root-known"],
)
def test_decide_headers_name_a_stored_message(
    in_reply_to: tuple[str, ...], references: tuple[str, ...], rule: str
) -> None:
    lookup = FakeLookup(tickets={3: ticket(3)}, by_message_id={"<a@x>": 3})
    result = place(mail(in_reply_to=in_reply_to, references=references), lookup)
    assert (result.rule, result.ticket.number) == (rule, 3)


def _thread_index(conversation: bytes, extra_blocks: int) -> str:
    return base64.b64encode(conversation + b"\x01" * 5 * extra_blocks).decode()


def test_decide_thread_index_conversation_prefix() -> None:
    conv = bytes(range(22))
    lookup = FakeLookup(
        tickets={4: ticket(4)}, by_thread_key={thread_key(_thread_index(conv, 0)): 4}
    )
    result = place(mail(thread_index=_thread_index(conv, 2)), lookup)
    assert (result.rule, result.ticket.number) == (th.THREAD_INDEX, 4)


@pytest.mark.parametrize(
    "value",
    ["", "not base64!!", base64.b64encode(b"short").decode()],
    ids=["empty", "garbage", "too-short"],
)
def test_thread_key_rejects_unusable_values(value: str) -> None:
    assert thread_key(value) is None


def test_decide_subject_fallback_needs_same_customer() -> None:
    lookup = FakeLookup(tickets={7: ticket(7)}, by_subject={"printer broken": 7})
    assert place(mail(), lookup, subject_key="printer broken").ticket.number == 7
    other = place(
        mail(from_address="eve@elsewhere.example"),
        lookup,
        party=STRANGER,
        subject_key="printer broken",
    )
    assert other.rule == th.NEW
    assert other.ticket is None


def test_decide_new_ticket_when_nothing_matches() -> None:
    result = place(mail(), FakeLookup(), subject_key="printer broken")
    assert result.rule == th.NEW
    assert result.opens_ticket


def test_decide_foreign_sender_opens_linked_ticket() -> None:
    lookup = FakeLookup(tickets={3: ticket(3)}, by_message_id={"<a@x>": 3})
    result = place(
        mail(from_address="eve@elsewhere.example", in_reply_to=("<a@x>",)),
        lookup,
        party=STRANGER,
    )
    assert result.rule == th.FOREIGN
    assert result.ticket is None
    assert result.link_to == 3
    assert result.opens_ticket


@pytest.mark.parametrize(
    "party",
    [
        STAFF,
        Party("eve@elsewhere.example", 1, sender_is_staff=False),
    ],
    ids=["staff", "same-customer-record"],
)
def test_decide_known_senders_may_follow_up(party: Party) -> None:
    lookup = FakeLookup(tickets={3: ticket(3)}, by_message_id={"<a@x>": 3})
    result = place(
        mail(from_address=party.address, in_reply_to=("<a@x>",)), lookup, party=party
    )
    assert result.ticket.number == 3


def test_decide_participant_may_follow_up() -> None:
    lookup = FakeLookup(
        tickets={3: ticket(3, customer=None)},
        by_message_id={"<a@x>": 3},
        participants={3: {"colleague@gmail.com"}},
    )
    result = place(
        mail(from_address="colleague@gmail.com", in_reply_to=("<a@x>",)),
        lookup,
        party=Party("colleague@gmail.com", None, False),
    )
    assert result.ticket.number == 3


def test_decide_noise_threads_but_never_opens() -> None:
    lookup = FakeLookup(tickets={3: ticket(3)}, by_message_id={"<a@x>": 3})
    bounce = place(
        mail(from_address="mailer-daemon@mx.example", in_reply_to=("<a@x>",)),
        lookup,
        party=STRANGER,
        kind=Kind.BOUNCE,
    )
    assert bounce.ticket.number == 3
    lost = place(
        mail(), FakeLookup(), kind=Kind.AUTOREPLY, subject_key="printer broken"
    )
    assert lost.rule == th.UNTHREADED
    assert not lost.opens_ticket


def test_decide_parent_read_after_its_reply_joins_the_reply() -> None:
    lookup = FakeLookup(
        tickets={8: ticket(8)}, referencing={"<new@customer.example>": [8]}
    )
    result = place(mail(), lookup)
    assert (result.rule, result.ticket.number) == (th.REFERENCED_BY, 8)


def test_decide_message_bridging_two_tickets_merges_them() -> None:
    lookup = FakeLookup(
        tickets={2: ticket(2), 8: ticket(8)},
        by_message_id={"<root@x>": 2},
        referencing={"<new@customer.example>": [8]},
    )
    result = place(mail(in_reply_to=("<root@x>",)), lookup)
    assert result.ticket.number == 2
    assert [t.number for t in result.merge] == [8]


def test_decide_colliding_message_id_is_not_used() -> None:
    lookup = FakeLookup(
        tickets={8: ticket(8)},
        referencing={"<new@customer.example>": [8]},
        collisions={"<new@customer.example>"},
    )
    assert place(mail(), lookup).rule == th.NEW


@pytest.mark.parametrize(
    ("closed_days_ago", "rule"),
    [(10, th.IN_REPLY_TO), (90, th.CLOSED_WINDOW)],
    ids=["within-window", "closed-too-long"],
)
def test_decide_closed_ticket_window(closed_days_ago: int, rule: str) -> None:
    closed = ticket(3, status="closed", closed_at=T0 - timedelta(days=closed_days_ago))
    lookup = FakeLookup(tickets={3: closed}, by_message_id={"<a@x>": 3})
    result = place(mail(in_reply_to=("<a@x>",)), lookup)
    assert result.rule == rule
    if rule == th.CLOSED_WINDOW:
        assert result.link_to == 3
        assert result.ticket is None


def test_thread_ids_nearest_parent_first_without_self() -> None:
    m = mail(
        in_reply_to=("<b@x>",),
        references=("<root@x>", "<a@x>", "<b@x>"),
        reported_message_ids=("<orig@x>",),
        message_id="<self@x>",
    )
    assert m.thread_ids == ("<b@x>", "<a@x>", "<root@x>", "<orig@x>")

"""Which ticket a message belongs to: DESIGN.md's threading rules, as pure code.

``decide`` takes the parsed mail, what is already known about its sender, and
a ``ThreadLookup`` (the store implements it; tests use dicts) and returns a
``Placement`` that says where the mail goes and *why* -- the reason is stored
with the message, so ``show`` can explain every placement.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from datetime import datetime, timedelta

    from ticketcli.mail.model import Kind, ParsedMail

# Placement rules, as stored on each message and shown by `show`/`export`.
DUPLICATE = "duplicate"
TOKEN = "token"
IN_REPLY_TO = "in-reply-to"
REFERENCES = "references"
THREAD_INDEX = "thread-index"
REFERENCED_BY = "referenced-by"
SUBJECT = "subject"
NEW = "new"
FOREIGN = "foreign-sender"
CLOSED_WINDOW = "closed-too-long"
UNTHREADED = "unthreaded"


@dataclass(frozen=True)
class TicketRef:
    """What the rules need to know about a candidate ticket."""

    number: int
    customer_id: int | None
    requester: str
    status: str
    created_at: datetime
    closed_at: datetime | None = None


@dataclass(frozen=True)
class Party:
    """Who is on the customer side of a message, and whether staff sent it."""

    address: str  # the customer-side address (sender, or recipient of staff mail)
    customer_id: int | None
    sender_is_staff: bool


@dataclass(frozen=True)
class Settings:
    token_prefix: str
    subject_window: timedelta
    reopen_window: timedelta


@dataclass(frozen=True)
class Placement:
    """Where a message goes. ``ticket`` None means a new ticket (or, for noise,
    no ticket at all); ``merge`` lists tickets found to be the same
    conversation, to be folded into ``ticket``; ``link_to`` the ticket a new
    ticket must link to."""

    rule: str
    ticket: TicketRef | None = None
    detail: str = ""
    link_to: int | None = None
    merge: tuple[TicketRef, ...] = ()
    # Tickets found to be the same conversation that may not be merged into
    # ``ticket`` (another customer's, or a sender foreign to them): linked.
    links: tuple[int, ...] = ()
    # Its Message-ID is shared with other content: never thread by that id.
    collision: bool = False

    @property
    def opens_ticket(self) -> bool:
        return self.ticket is None and self.rule not in (DUPLICATE, UNTHREADED)


class ThreadLookup(Protocol):
    def copies(self, message_id: str | None, content_hash: str) -> tuple[bool, bool]:
        """Whether this very mail is stored (the same Message-ID and
        content), and whether a stored mail has its Message-ID but other
        content (never, for a mail without one): one question, one query
        (issue 18)."""

    def ticket(self, number: int) -> TicketRef | None:
        """The ticket with this number, following merges."""

    def ticket_for_message_id(self, message_id: str) -> TicketRef | None:
        """The ticket of the stored message with this (unique) Message-ID."""

    def tickets_referencing(self, message_id: str) -> Sequence[TicketRef]:
        """Tickets holding a stored message that names this Message-ID."""

    def ticket_for_thread_key(self, key: str) -> TicketRef | None: ...

    def ticket_for_subject(
        self, subject_key: str, party: Party, around: datetime, window: timedelta
    ) -> TicketRef | None:
        """The latest ticket with this subject key, of the same sender or the
        same customer, active within ``window`` of ``around``."""

    def is_participant(self, number: int, address: str) -> bool: ...


def thread_key(thread_index: str | None) -> str | None:
    """The conversation part of an Outlook Thread-Index: its first 22 bytes.

    Later messages append 5 bytes each, so the prefix names the conversation.
    """
    if not thread_index:
        return None
    text = "".join(thread_index.split())
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None
    if len(data) < 22:
        return None
    return data[:22].hex()


def _belongs(
    ticket: TicketRef, party: Party, sender: str, lookup: ThreadLookup
) -> bool:
    """May this sender add to that ticket? (DESIGN: the foreign-sender rule.)"""
    if party.sender_is_staff:
        return True
    if ticket.customer_id is not None and party.customer_id == ticket.customer_id:
        return True
    if sender and sender == ticket.requester:
        return True
    return bool(sender) and lookup.is_participant(ticket.number, sender)


def _named_tickets(
    mail: ParsedMail, token: int | None, lookup: ThreadLookup
) -> Iterator[tuple[str, str, TicketRef]]:
    """Rules 2-4, in order: the tickets the message names by token, headers or
    Thread-Index. Lazily: the first is nearly always the answer."""
    if token is not None:
        found = lookup.ticket(token)
        if found is not None:
            yield TOKEN, f"#{token}", found
    parents = set(mail.in_reply_to)
    for mid in mail.thread_ids:
        found = lookup.ticket_for_message_id(mid)
        if found is not None:
            yield (IN_REPLY_TO if mid in parents else REFERENCES), mid, found
    key = thread_key(mail.thread_index)
    if key is not None:
        found = lookup.ticket_for_thread_key(key)
        if found is not None:
            yield THREAD_INDEX, key[:16], found


def _named_ticket(
    mail: ParsedMail,
    token: int | None,
    party: Party,
    lookup: ThreadLookup,
    *,
    noise: bool,
) -> tuple[tuple[str, str, TicketRef] | None, tuple[str, str, TicketRef] | None]:
    """The first named ticket the sender may add to, and the first named at all.

    A reply to our acknowledgement whose subject still carries another
    ticket's token names both: it belongs where the sender belongs.
    """
    first = None
    for named in _named_tickets(mail, token, lookup):
        if noise or _may_join(named, party, mail.from_address, lookup):
            return named, first or named
        first = first or named
    return None, first


def _may_join(
    named: tuple[str, str, TicketRef], party: Party, sender: str, lookup: ThreadLookup
) -> bool:
    """The foreign-sender rule, and its one case for staff: a staff mail to
    someone who is not on the ticket, found only by an older message in its
    References or by Thread-Index (its direct parent not read yet), is about
    that person's own conversation -- in arrival order it would have joined
    the parent's ticket, not this one. A token or a direct parent is an
    explicit answer: staff may write to anyone on it."""
    rule, _, ticket = named
    if not _belongs(ticket, party, sender, lookup):
        return False
    if not party.sender_is_staff or rule in (TOKEN, IN_REPLY_TO):
        return True
    return not party.address or _of_party(ticket, party, lookup)


def decide(
    mail: ParsedMail,
    kind: Kind,
    party: Party,
    when: datetime,
    token: int | None,
    subject_key: str,
    lookup: ThreadLookup,
    settings: Settings,
) -> Placement:
    """Place one message (DESIGN.md, "Which ticket a message belongs to").

    ``when`` is the message's time (its Date, else its arrival), ``token`` the
    ticket number in its subject, ``subject_key`` its normalised subject.
    """
    duplicate, collides = lookup.copies(mail.message_id, mail.content_hash)
    if duplicate:
        return Placement(DUPLICATE)
    placement = _place(
        mail,
        kind,
        party,
        when,
        token,
        subject_key,
        lookup,
        settings,
        use_own_id=not collides,
    )
    return replace(placement, collision=collides) if collides else placement


def _place(
    mail: ParsedMail,
    kind: Kind,
    party: Party,
    when: datetime,
    token: int | None,
    subject_key: str,
    lookup: ThreadLookup,
    settings: Settings,
    use_own_id: bool,
) -> Placement:
    sender = mail.from_address
    noise = kind.is_noise
    named, first_named = _named_ticket(mail, token, party, lookup, noise=noise)
    # Replies that were read before this message name it: they share its ticket.
    referencing = (
        _unique(lookup.tickets_referencing(mail.message_id))
        if (use_own_id and mail.message_id)
        else []
    )
    # A ticket the message named but its sender may not join: whatever the
    # message joins is related to it (the same answer as in arrival order).
    refused = (
        (first_named[2].number,)
        if first_named is not None and (named is None or first_named != named)
        else ()
    )

    if named is not None:
        rule, detail, ticket = named
        others = [t for t in referencing if t.number != ticket.number]
        if not noise and not party.sender_is_staff:
            stale = _closed_too_long(ticket, when, settings)
            if stale is not None:
                return replace(stale, links=_numbers(others))
        merge, links = _mergeable(ticket, others, party, sender, lookup, noise)
        return Placement(
            rule,
            ticket=ticket,
            detail=detail,
            merge=merge,
            links=(*links, *refused) if not noise else (),
        )

    # The tickets that name this message and that its sender may join. A
    # stranger whose Message-ID someone's ticket references (a forged id, a
    # mail the customer answered privately) joins none of them; nor does
    # staff mail to someone else than that ticket's customer side.
    joinable = sorted(
        (
            t
            for t in referencing
            if noise or _may_join_referencing(t, party, sender, lookup)
        ),
        key=lambda t: (t.created_at, t.number),
    )
    if joinable:
        chosen = joinable[0]
        others = [t for t in referencing if t.number != chosen.number]
        merge, links = _mergeable(chosen, others, party, sender, lookup, noise)
        return Placement(
            REFERENCED_BY,
            ticket=chosen,
            detail=f"#{chosen.number}",
            merge=merge,
            links=(*links, *refused) if not noise else (),
        )

    if noise:
        return Placement(UNTHREADED)

    # Named or naming only tickets it may not join: its own conversation by
    # subject if it has one (linked to those), else a new ticket linked.
    not_joined = (*refused, *_numbers(referencing))
    if subject_key:
        found = lookup.ticket_for_subject(
            subject_key, party, when, settings.subject_window
        )
        if found is not None:
            related = tuple(n for n in not_joined if n != found.number)
            if not party.sender_is_staff:
                stale = _closed_too_long(found, when, settings)
                if stale is not None:
                    return replace(stale, links=related)
            return Placement(
                SUBJECT, ticket=found, detail=f"#{found.number}", links=related
            )
    foreign = first_named[2] if first_named is not None else None
    if foreign is None and referencing:
        foreign = min(referencing, key=lambda t: (t.created_at, t.number))
    if foreign is not None:
        how = first_named[0] if first_named is not None else REFERENCED_BY
        return Placement(
            FOREIGN,
            detail=f"named #{foreign.number} by {how}",
            link_to=foreign.number,
            links=tuple(n for n in not_joined if n != foreign.number),
        )
    return Placement(NEW)


def _may_join_referencing(
    ticket: TicketRef, party: Party, sender: str, lookup: ThreadLookup
) -> bool:
    """Whether a message may join a ticket that names it (rule "referenced
    by"): its sender belongs there, and staff mail is written to that
    ticket's customer side (their answer to a stranger's mail that was read
    first belongs with that stranger, not with the customer)."""
    if not party.sender_is_staff:
        return _belongs(ticket, party, sender, lookup)
    return not party.address or _of_party(ticket, party, lookup)


def _numbers(tickets: Iterable[TicketRef]) -> tuple[int, ...]:
    return tuple(t.number for t in tickets)


def _mergeable(
    ticket: TicketRef,
    others: Sequence[TicketRef],
    party: Party,
    sender: str,
    lookup: ThreadLookup,
    noise: bool,
) -> tuple[tuple[TicketRef, ...], tuple[int, ...]]:
    """Which of ``others`` (tickets found to be the same conversation) fold
    into ``ticket``, and which are only linked to it.

    Threading merges only what is plainly one customer's conversation: the
    two tickets' customer sides are one (same customer record, or one's
    requester is the other's requester or participant), and the sender may
    join both. Anything else is linked: the same answer as had the mail
    arrived in order, when the stranger's reply would have opened a linked
    ticket. Noise (a bounce quoting ids) neither merges nor links.
    """
    if noise:
        return (), ()
    merge: list[TicketRef] = []
    links: list[int] = []
    for other in others:
        if _same_side(ticket, other, lookup) and _belongs(other, party, sender, lookup):
            merge.append(other)
        else:
            links.append(other.number)
    return tuple(merge), tuple(links)


def _same_side(target: TicketRef, other: TicketRef, lookup: ThreadLookup) -> bool:
    """Whether ``other`` is the same customer side's conversation as
    ``target``: its requester could have written on ``target`` itself."""
    if target.customer_id is not None and other.customer_id is not None:
        return target.customer_id == other.customer_id
    if not other.requester:
        return False
    return other.requester == target.requester or lookup.is_participant(
        target.number, other.requester
    )


def _of_party(ticket: TicketRef, party: Party, lookup: ThreadLookup) -> bool:
    """The ticket is the customer side's of this message (for staff mail,
    the customer it is written to)."""
    if party.customer_id is not None and ticket.customer_id == party.customer_id:
        return True
    if not party.address:
        return False
    return party.address == ticket.requester or lookup.is_participant(
        ticket.number, party.address
    )


def _closed_too_long(
    ticket: TicketRef, when: datetime, settings: Settings
) -> Placement | None:
    if (
        ticket.status == "closed"
        and ticket.closed_at is not None
        and (when - ticket.closed_at > settings.reopen_window)
    ):
        return Placement(
            CLOSED_WINDOW,
            detail=f"#{ticket.number} closed {ticket.closed_at:%Y-%m-%d}",
            link_to=ticket.number,
        )
    return None


def _unique(tickets: Sequence[TicketRef]) -> list[TicketRef]:
    seen: dict[int, TicketRef] = {}
    for ticket in tickets:
        seen.setdefault(ticket.number, ticket)
    return list(seen.values())

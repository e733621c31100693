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
    from collections.abc import Sequence
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
MERGED = "merged"


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
    # Its Message-ID is shared with other content: never thread by that id.
    collision: bool = False

    @property
    def opens_ticket(self) -> bool:
        return self.ticket is None and self.rule not in (DUPLICATE, UNTHREADED)


class ThreadLookup(Protocol):
    def is_duplicate(self, message_id: str | None, content_hash: str) -> bool: ...

    def id_collides(self, message_id: str, content_hash: str) -> bool:
        """A stored message has this Message-ID but other content."""

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


def _named_ticket(
    mail: ParsedMail, token: int | None, lookup: ThreadLookup
) -> tuple[str, str, TicketRef] | None:
    """Rules 2-4: the ticket the message names by token, headers or Thread-Index."""
    if token is not None:
        found = lookup.ticket(token)
        if found is not None:
            return TOKEN, f"#{token}", found
    parents = set(mail.in_reply_to)
    for mid in mail.thread_ids:
        found = lookup.ticket_for_message_id(mid)
        if found is not None:
            return (IN_REPLY_TO if mid in parents else REFERENCES), mid, found
    key = thread_key(mail.thread_index)
    if key is not None:
        found = lookup.ticket_for_thread_key(key)
        if found is not None:
            return THREAD_INDEX, key[:16], found
    return None


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
    if lookup.is_duplicate(mail.message_id, mail.content_hash):
        return Placement(DUPLICATE)
    collides = bool(mail.message_id) and lookup.id_collides(
        mail.message_id or "", mail.content_hash
    )
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
    named = _named_ticket(mail, token, lookup)
    # Replies that were read before this message name it: they share its ticket.
    referencing = (
        list(lookup.tickets_referencing(mail.message_id))
        if (use_own_id and mail.message_id)
        else []
    )

    if named is not None:
        rule, detail, ticket = named
        if not kind.is_noise and not _belongs(ticket, party, sender, lookup):
            return Placement(
                FOREIGN,
                detail=f"named #{ticket.number} by {rule}",
                link_to=ticket.number,
            )
        if not kind.is_noise and not party.sender_is_staff:
            stale = _closed_too_long(ticket, when, settings)
            if stale is not None:
                return stale
        merge = tuple(t for t in _unique(referencing) if t.number != ticket.number)
        return Placement(rule, ticket=ticket, detail=detail, merge=merge)

    if referencing:
        tickets = sorted(_unique(referencing), key=lambda t: (t.created_at, t.number))
        return Placement(
            REFERENCED_BY,
            ticket=tickets[0],
            detail=f"#{tickets[0].number}",
            merge=tuple(tickets[1:]),
        )

    if kind.is_noise:
        return Placement(UNTHREADED)

    if subject_key:
        found = lookup.ticket_for_subject(
            subject_key, party, when, settings.subject_window
        )
        if found is not None:
            if not party.sender_is_staff:
                stale = _closed_too_long(found, when, settings)
                if stale is not None:
                    return stale
            return Placement(SUBJECT, ticket=found, detail=f"#{found.number}")
    return Placement(NEW)


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

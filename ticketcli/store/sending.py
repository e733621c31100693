"""The store's side of sending mail: outbox rows, threading, template fields.

Queries and row changes only; the decisions (what to send, when to retry)
live in ``ticketcli/desk/outbox.py`` and ``ticketcli/desk/acknowledgements.py``.
Every function works inside the caller's transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from peewee import fn

from ticketcli.errors import NotFoundError
from ticketcli.store.models import (
    Customer,
    Delivery,
    Message,
    Outbox,
    Ticket,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import datetime

# Statuses of an outbox row; only "pending" rows are picked up by a flush.
PENDING = "pending"
SENDING = "sending"  # claimed by a flush; committed before SMTP is spoken
SENT = "sent"
FAILED = "failed"  # given up (refused for good, or too old): listed, not retried
DOUBT = "doubt"  # a flush died after claiming it: the server may have it
DROPPED = "dropped"  # by hand: `outbox drop`
UNFINISHED = (PENDING, SENDING, FAILED, DOUBT)


def thread_headers(
    ticket_number: int, *, answering_customer: bool = False
) -> tuple[str | None, tuple[str, ...]]:
    """``(in_reply_to, references)`` for a mail we send on this ticket.

    The parent is the ticket's latest real mail (kind ``ticket``, by date)
    that has a usable Message-ID (not one shared by two different mails,
    which rule 1 never threads by); failing that, its latest mail of any
    kind. ``answering_customer`` (a reply) prefers the customer's latest
    mail, so their client files our answer under what they wrote.
    ``references`` is the parent's References followed by the parent, so
    the customer's client files our mail in the conversation and their
    answer names it (rule 3). ``(None, ())`` for a ticket without mail.
    """
    base = Message.select(Message.message_id, Message.references).where(
        (Message.ticket == ticket_number)
        & Message.message_id.is_null(False)
        & (Message.collision == False)  # noqa: E712 - SQL, not Python
    )
    order = (Message.date.desc(), Message.id.desc())
    real = base.where(Message.kind == "ticket")
    parent = (
        answering_customer
        and real.where(Message.direction == "inbound").order_by(*order).first()
    ) or (real.order_by(*order).first() or base.order_by(*order).first())
    if parent is None:
        return None, ()
    refs = [r for r in (parent.references or "").split() if r != parent.message_id]
    return parent.message_id, (*refs, parent.message_id)


def ticket_fields(ticket_number: int) -> dict[str, Any]:
    """What templates may use about a ticket (the documented field names)."""
    ticket = Ticket.get_or_none(Ticket.id == ticket_number)
    if ticket is None:
        raise NotFoundError(f"ticket #{ticket_number} does not exist")
    customer = (
        Customer.get_or_none(Customer.id == ticket.customer_id)
        if ticket.customer_id
        else None
    )
    first = (
        Message.select(Message.from_name, Message.from_address)
        .where(
            (Message.ticket == ticket_number)
            & (Message.from_address == ticket.requester)
        )
        .order_by(Message.date, Message.id)
        .first()
    )
    return {
        "number": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "requester": ticket.requester,
        "requester_name": (first.from_name if first else "") or "",
        "customer": customer.name if customer else "",
        "customer_code": (customer.code or "") if customer else "",
        "assignee": ticket.assignee.login if ticket.assignee_id else "",
        "assignee_name": (ticket.assignee.name or ticket.assignee.login)
        if ticket.assignee_id
        else "",
        "created_at": ticket.created_at,
        "closed_at": ticket.closed_at,
    }


def acks_since(address: str, since: datetime) -> int:
    """Acknowledgements queued for ``address`` since then (any status)."""
    return (
        Outbox.select(fn.COUNT(Outbox.id))
        .where(
            (Outbox.kind == "acknowledgement")
            & (Outbox.to_address == address)
            & (Outbox.created_at >= since)
        )
        .scalar()
        or 0
    )


def add_row(
    *,
    message_id: str,
    kind: str,
    recipients: Sequence[str],
    sender: str,
    data: bytes,
    ticket: int | None,
    stored: int | None,
    at: datetime,
    actor: str,
) -> int:
    row = Outbox.create(
        ticket=ticket,
        stored=stored,
        message_id=message_id,
        kind=kind,
        to_address=recipients[0],
        recipients=" ".join(recipients),
        sender=sender,
        data=data,
        status=PENDING,
        created_at=at,
        next_attempt_at=at,
        actor=actor,
    )
    return int(row.id)


def has_work() -> bool:
    """Whether a flush could have anything to do: a pending row, one left
    ``sending`` by a flush that died, or one in doubt (settled as sent when
    our copy comes back). One indexed look-up, so that a sync with nothing
    to send need not load the mail-sending code at all."""
    return (
        Outbox.select(Outbox.id)
        .where(Outbox.status.in_((PENDING, SENDING, DOUBT)))
        .exists()
    )


def due_rows(now: datetime, limit: int | None = None) -> list[Outbox]:
    """Pending rows whose next attempt is due, oldest first."""
    query = (
        Outbox.select()
        .where(
            (Outbox.status == PENDING)
            & (Outbox.next_attempt_at.is_null(True) | (Outbox.next_attempt_at <= now))
        )
        .order_by(Outbox.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(query)


def claim(row_id: int, now: datetime) -> bool:
    """Mark a pending row ``sending``; False if another process got it first."""
    changed = (
        Outbox.update(status=SENDING, sending_at=now, attempts=Outbox.attempts + 1)
        .where((Outbox.id == row_id) & (Outbox.status == PENDING))
        .execute()
    )
    return changed == 1


def finish(
    row_id: int,
    status: str,
    *,
    now: datetime | None = None,
    error: str = "",
    next_attempt_at: datetime | None = None,
) -> None:
    values: dict[Any, Any] = {Outbox.status: status, Outbox.last_error: error}
    if status == SENT:
        values[Outbox.sent_at] = now
    if next_attempt_at is not None:
        values[Outbox.next_attempt_at] = next_attempt_at
    Outbox.update(values).where(Outbox.id == row_id).execute()


def stale_sending(before: datetime) -> list[Outbox]:
    """Rows claimed before then and never finished: their flush died."""
    return list(
        Outbox.select()
        .where((Outbox.status == SENDING) & (Outbox.sending_at < before))
        .order_by(Outbox.id)
    )


def doubtful() -> list[Outbox]:
    return list(Outbox.select().where(Outbox.status == DOUBT).order_by(Outbox.id))


def came_back(row: Outbox) -> bool:
    """Whether a copy of this mail reached us through a source: proof it left.

    A source delivering our own bytes again is recorded as a duplicate of
    the stored copy (a Delivery row pointing at it); a copy a relay changed
    is stored as another message with our Message-ID.
    """
    changed_copy = (
        Message.select(Message.id)
        .where((Message.message_id == row.message_id) & (Message.source != "outbox"))
        .exists()
    )
    if changed_copy:
        return True
    if row.stored_id is None:
        return False
    return Delivery.select().where(Delivery.message == row.stored_id).exists()


def get_row(row_id: int) -> Outbox:
    row = Outbox.get_or_none(Outbox.id == row_id)
    if row is None:
        raise NotFoundError(f"outbox entry {row_id} does not exist")
    return row


def requeue(row_id: int, now: datetime) -> None:
    """Pending again from ``now``, with a fresh count of attempts."""
    Outbox.update(status=PENDING, next_attempt_at=now, attempts=0, last_error="").where(
        Outbox.id == row_id
    ).execute()


def outbox_rows(show_all: bool = False) -> Iterator[dict[str, Any]]:
    """Listing rows, oldest first; by default only what is not sent or dropped."""
    query = Outbox.select(
        Outbox.id,
        Outbox.ticket,
        Outbox.kind,
        Outbox.status,
        Outbox.recipients,
        Outbox.message_id,
        Outbox.attempts,
        Outbox.created_at,
        Outbox.next_attempt_at,
        Outbox.sent_at,
        Outbox.last_error,
    ).order_by(Outbox.id)
    if not show_all:
        query = query.where(Outbox.status.in_(UNFINISHED))
    for row in query.iterator():
        yield {
            "id": row.id,
            "ticket": row.ticket_id,
            "kind": row.kind,
            "status": row.status,
            "to": row.recipients.split(),
            "message_id": row.message_id,
            "attempts": row.attempts,
            "created_at": row.created_at,
            "next_attempt_at": row.next_attempt_at if row.status == PENDING else None,
            "sent_at": row.sent_at,
            "error": row.last_error,
        }

"""The store's answers to the pure rules' questions (threading, customers).

Every method is one indexed query: the cost of placing a message must not
grow with the size of the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ticketcli.store.models import (
    Checkpoint,
    CustomerAddress,
    CustomerDomain,
    Delivery,
    Message,
    MessageRef,
    Participant,
    Ticket,
)
from ticketcli.threading import Party, TicketRef


def ticket_ref(ticket: Ticket) -> TicketRef:
    return TicketRef(
        number=ticket.id,
        customer_id=ticket.customer_id,
        requester=ticket.requester,
        status=ticket.status,
        created_at=ticket.created_at,
        closed_at=ticket.closed_at,
    )


def dedupe_key(message_id: str | None, content_hash: str) -> str:
    return f"{message_id or ''}|{content_hash}"


class StoreLookup:
    """Implements ``threading.ThreadLookup`` and ``customers.CustomerLookup``."""

    def is_duplicate(self, message_id: str | None, content_hash: str) -> bool:
        return Message.select(Message.id).where(
            Message.dedupe_key == dedupe_key(message_id, content_hash)).exists()

    def id_collides(self, message_id: str, content_hash: str) -> bool:
        return Message.select(Message.id).where(
            (Message.message_id == message_id)
            & (Message.content_hash != content_hash)).exists()

    def ticket(self, number: int) -> TicketRef | None:
        ticket = Ticket.get_or_none(Ticket.id == number)
        hops = 0
        while ticket is not None and ticket.merged_into_id and hops < 50:
            ticket = Ticket.get_or_none(Ticket.id == ticket.merged_into_id)
            hops += 1
        return ticket_ref(ticket) if ticket is not None else None

    def ticket_for_message_id(self, message_id: str) -> TicketRef | None:
        rows = list(Message.select(Message.ticket, Message.collision).where(
            Message.message_id == message_id).limit(2))
        # An id two different mails share names neither (DESIGN, rule 1).
        if len(rows) != 1 or rows[0].collision or rows[0].ticket_id is None:
            return None
        return self.ticket(rows[0].ticket_id)

    def tickets_referencing(self, message_id: str) -> Sequence[TicketRef]:
        query = (Ticket.select().join(Message).join(MessageRef)
                 .where((MessageRef.ref == message_id)
                        & Message.ticket.is_null(False)).distinct())
        return [ticket_ref(t) for t in query]

    def ticket_for_thread_key(self, key: str) -> TicketRef | None:
        row = (Message.select(Message.ticket)
               .where((Message.thread_key == key) & Message.ticket.is_null(False))
               .order_by(Message.date).first())
        return self.ticket(row.ticket_id) if row else None

    def ticket_for_subject(self, subject_key: str, party: Party, around: datetime,
                           window: timedelta) -> TicketRef | None:
        who = Ticket.requester == party.address
        if party.customer_id is not None:
            who = who | (Ticket.customer == party.customer_id)
        if not party.address and party.customer_id is None:
            return None
        ticket = (Ticket.select()
                  .where((Ticket.subject_key == subject_key) & who
                         & (Ticket.status != "merged")
                         & (Ticket.last_message_at >= around - window)
                         & (Ticket.created_at <= around + window))
                  .order_by(Ticket.last_message_at.desc()).first())
        return ticket_ref(ticket) if ticket else None

    def is_participant(self, number: int, address: str) -> bool:
        return Participant.select().where(
            (Participant.ticket == number) & (Participant.address == address)).exists()

    # customers.CustomerLookup

    def customer_by_address(self, address: str) -> int | None:
        row = CustomerAddress.get_or_none(CustomerAddress.address == address)
        return row.customer_id if row else None

    def customer_by_domain(self, domain: str) -> int | None:
        row = CustomerDomain.get_or_none(CustomerDomain.domain == domain)
        return row.customer_id if row else None

    def customer_of_latest_ticket(self, address: str) -> int | None:
        row = (Ticket.select(Ticket.customer)
               .where((Ticket.requester == address) & Ticket.customer.is_null(False))
               .order_by(Ticket.created_at.desc()).first())
        return row.customer_id if row else None


class StoreSourceState:
    """``sources.base.SourceState`` for one source name."""

    def __init__(self, source: str) -> None:
        self.source = source

    def get(self, name: str) -> str | None:
        row = Checkpoint.get_or_none((Checkpoint.source == self.source)
                                     & (Checkpoint.name == name))
        return row.value if row else None

    def seen(self, key: str) -> bool:
        return Delivery.select(Delivery.id).where(
            (Delivery.source == self.source) & (Delivery.key == key)).exists()


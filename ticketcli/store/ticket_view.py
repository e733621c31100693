"""One ticket as the mail about it needs it: its fields, the thread's
participants, the customer's last message, the agents' addresses.

Read once per reply or notification; the rules that use it (who gets the
mail, what a template may say) stay pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ticketcli.errors import NotFoundError, UsageError
from ticketcli.store.models import (
    Agent,
    AgentAddress,
    Customer,
    Message,
    Participant,
    Ticket,
)
from ticketcli.store.sending import thread_headers

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(frozen=True)
class LastMessage:
    from_address: str
    from_name: str
    date: datetime
    body_text: str
    message_id: str | None


@dataclass(frozen=True)
class TicketView:
    number: int
    subject: str
    status: str
    priority: str
    type: str | None
    requester: str
    customer_name: str | None
    customer_code: str | None
    assignee: str | None
    created_at: datetime
    participants: tuple[str, ...]
    last_customer_message: LastMessage | None
    merged_from: int | None = None  # the number asked for, when it was merged


def _live_ticket(number: int) -> tuple[Ticket, int | None]:
    """The ticket, following merges to the one that holds the conversation."""
    ticket = Ticket.get_or_none(Ticket.id == number)
    if ticket is None:
        raise NotFoundError(f"ticket #{number} does not exist")
    seen = {ticket.id}
    while ticket.status == "merged" and ticket.merged_into_id:
        if ticket.merged_into_id in seen:
            raise UsageError(f"ticket #{number} is merged in a circle")
        seen.add(ticket.merged_into_id)
        ticket = Ticket.get_by_id(ticket.merged_into_id)
    return ticket, (number if ticket.id != number else None)


def _last_customer_message(number: int) -> LastMessage | None:
    row = (
        Message.select()
        .where(
            (Message.ticket == number)
            & (Message.direction == "inbound")
            & (Message.kind.in_(("ticket", "note")))
        )
        .order_by(Message.date.desc(), Message.id.desc())
        .first()
    )
    if row is None:
        return None
    return LastMessage(
        row.from_address, row.from_name, row.date, row.body_text, row.message_id
    )


def reply_headers(number: int) -> tuple[str | None, tuple[str, ...]]:
    """``(in_reply_to, references)`` for an answer to the customer: after
    their latest mail on the ticket; a ticket with no customer mail (opened
    by hand or by staff) threads after its latest mail instead."""

    return thread_headers(number, answering_customer=True)


def ticket_view(number: int) -> TicketView:
    ticket, merged_from = _live_ticket(number)
    customer = (
        Customer.get_or_none(Customer.id == ticket.customer_id)
        if ticket.customer_id
        else None
    )
    assignee = (
        Agent.get_or_none(Agent.id == ticket.assignee_id)
        if ticket.assignee_id
        else None
    )
    participants = tuple(
        p.address
        for p in Participant.select(Participant.address)
        .where(Participant.ticket == ticket.id)
        .order_by(Participant.id)
    )
    return TicketView(
        number=ticket.id,
        subject=ticket.subject,
        status=ticket.status,
        priority=ticket.priority,
        type=ticket.type,
        requester=ticket.requester,
        customer_name=customer.name if customer else None,
        customer_code=customer.code if customer else None,
        assignee=assignee.login if assignee else None,
        created_at=ticket.created_at,
        participants=participants,
        last_customer_message=_last_customer_message(ticket.id),
        merged_from=merged_from,
    )


def agent_addresses() -> frozenset[str]:
    """Every agent's address: staff, whatever the config's domains say."""
    return frozenset(a.address for a in AgentAddress.select(AgentAddress.address))


def agent_address(agent: Agent) -> str | None:
    """Where an agent's notifications go: their first address."""
    row = (
        AgentAddress.select(AgentAddress.address)
        .where(AgentAddress.agent == agent)
        .order_by(AgentAddress.id)
        .first()
    )
    return row.address if row else None


def agent_logins() -> dict[str, Agent]:
    return {a.login: a for a in Agent.select()}

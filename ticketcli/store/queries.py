"""Every read the commands need, by name; rows come back as plain dicts.

Listings stream (``iterator()``) and walk ordered cursors side by side
instead of querying once per ticket, so an export of a large store costs a
handful of queries, not one per ticket.
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Any

from peewee import JOIN, fn

from ticketcli.errors import NotFoundError
from ticketcli.store.models import (
    Agent,
    Attachment,
    Customer,
    CustomerAddress,
    CustomerDomain,
    Event,
    Message,
    Quarantine,
    Ticket,
    TicketLink,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


def _ticket_row(
    ticket: Ticket, customer: str | None, assignee: str | None
) -> dict[str, Any]:
    return {
        "number": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "customer": customer,
        "requester": ticket.requester,
        "assignee": assignee,
        "created_at": ticket.created_at,
        "first_response_at": ticket.first_response_at,
        "closed_at": ticket.closed_at,
        "last_message_at": ticket.last_message_at,
        "last_direction": ticket.last_direction,
        "message_count": ticket.message_count,
        "reopened": bool(ticket.reopened),
        "source": ticket.source,
        "merged_into": ticket.merged_into_id,
    }


def _message_row(message: Message) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
        "direction": message.direction,
        "kind": message.kind,
        "from": message.from_address,
        "date": message.date,
        "rule": message.rule,
        "rule_detail": message.rule_detail,
        "subject": message.subject,
    }


def _tickets_query() -> Any:
    """Tickets with their customer's code/name and assignee's login, one query."""
    return (
        Ticket.select(
            Ticket,
            Customer.code.alias("customer_code"),
            Customer.name.alias("customer_name"),
            Agent.login.alias("assignee_login"),
        )
        .join(Customer, JOIN.LEFT_OUTER, on=(Ticket.customer == Customer.id))
        .switch(Ticket)
        .join(Agent, JOIN.LEFT_OUTER, on=(Ticket.assignee == Agent.id))
        .order_by(Ticket.id)
        .objects()
    )


def _customer_label(ticket: Ticket) -> str | None:
    return ticket.customer_code or ticket.customer_name


def _assignee_login(ticket: Ticket) -> str | None:
    return ticket.assignee_login


def export_tickets() -> Iterator[dict[str, Any]]:
    """Every ticket with its links and messages, in number order (the backup format)."""
    messages = (
        Message.select()
        .where(Message.ticket.is_null(False))
        .order_by(Message.ticket, Message.date, Message.id)
        .iterator()
    )
    links = (
        TicketLink.select().order_by(TicketLink.ticket, TicketLink.linked).iterator()
    )
    by_ticket = groupby(messages, key=lambda m: m.ticket_id)
    links_by_ticket = groupby(links, key=lambda link: link.ticket_id)
    pending_messages = next(by_ticket, None)
    pending_links = next(links_by_ticket, None)
    for ticket in _tickets_query().iterator():
        row = _ticket_row(ticket, _customer_label(ticket), _assignee_login(ticket))
        linked: list[int] = []
        while pending_links is not None and pending_links[0] <= ticket.id:
            if pending_links[0] == ticket.id:
                linked = [link.linked_id for link in pending_links[1]]
            else:
                list(pending_links[1])
            pending_links = next(links_by_ticket, None)
        mails: list[dict[str, Any]] = []
        while pending_messages is not None and pending_messages[0] <= ticket.id:
            if pending_messages[0] == ticket.id:
                mails = [_message_row(m) for m in pending_messages[1]]
            else:
                list(pending_messages[1])
            pending_messages = next(by_ticket, None)
        row["linked_to"] = linked
        row["messages"] = mails
        yield row


def ticket_detail(number: int) -> dict[str, Any]:
    """One ticket with its messages (and attachments), links and history."""
    ticket = _tickets_query().where(Ticket.id == number).first()
    if ticket is None:
        raise NotFoundError(f"ticket #{number} does not exist")
    row = _ticket_row(ticket, _customer_label(ticket), _assignee_login(ticket))
    row["customer_name"] = ticket.customer_name
    attachments: dict[int, list[dict[str, Any]]] = {}
    for part in (
        Attachment.select()
        .join(Message)
        .where(Message.ticket == number)
        .order_by(Attachment.id)
    ):
        attachments.setdefault(part.message_id, []).append(
            {
                "filename": part.filename,
                "size": part.size,
                "content_type": part.content_type,
            }
        )
    row["messages"] = [
        {
            **_message_row(m),
            "from_name": m.from_name,
            "body_text": m.body_text,
            "attachments": attachments.get(m.id, []),
            "id": m.id,
        }
        for m in Message.select()
        .where(Message.ticket == number)
        .order_by(Message.date, Message.id)
    ]
    row["linked_to"] = [
        link.linked_id
        for link in TicketLink.select().where(TicketLink.ticket == number)
    ]
    row["linked_from"] = [
        link.ticket_id
        for link in TicketLink.select().where(TicketLink.linked == number)
    ]
    row["events"] = [
        {"at": e.at, "kind": e.kind, "actor": e.actor, "detail": e.detail}
        for e in Event.select()
        .where(Event.ticket == number)
        .order_by(Event.at, Event.id)
    ]
    return row


def quarantine_rows() -> Iterator[dict[str, Any]]:
    for row in Quarantine.select(
        Quarantine.id,
        Quarantine.source,
        Quarantine.key,
        Quarantine.reason,
        Quarantine.size,
        Quarantine.received_at,
    ).order_by(Quarantine.id):
        yield {
            "id": row.id,
            "source": row.source,
            "key": row.key,
            "size": row.size,
            "received_at": row.received_at,
            "reason": row.reason,
        }


def quarantined_bytes(quarantine_id: int) -> bytes:
    row = Quarantine.get_or_none(Quarantine.id == quarantine_id)
    if row is None:
        raise NotFoundError(f"quarantine entry {quarantine_id} does not exist")
    return bytes(row.data)


def noise_rows(unthreaded_only: bool = True) -> Iterator[dict[str, Any]]:
    """Auto-replies, bounces and bulk mail: kept, never tickets."""
    query = Message.select().where(Message.kind.in_(("autoreply", "bounce", "bulk")))
    if unthreaded_only:
        query = query.where(Message.ticket.is_null())
    for m in query.order_by(Message.date, Message.id).iterator():
        yield {
            "id": m.id,
            "kind": m.kind,
            "date": m.date,
            "from": m.from_address,
            "subject": m.subject,
            "ticket": m.ticket_id,
            "message_id": m.message_id,
        }


def customer_rows() -> Iterator[dict[str, Any]]:
    """Customers with their addresses, domains and open ticket count."""
    addresses: dict[int, list[str]] = {}
    for customer_id, address in (
        CustomerAddress.select(CustomerAddress.customer, CustomerAddress.address)
        .order_by(CustomerAddress.address)
        .tuples()
    ):
        addresses.setdefault(customer_id, []).append(address)
    domains: dict[int, list[str]] = {}
    for customer_id, domain in (
        CustomerDomain.select(CustomerDomain.customer, CustomerDomain.domain)
        .order_by(CustomerDomain.domain)
        .tuples()
    ):
        domains.setdefault(customer_id, []).append(domain)
    open_counts = dict(
        Ticket.select(Ticket.customer, fn.COUNT(Ticket.id))
        .where(Ticket.status.in_(("new", "open", "pending")))
        .group_by(Ticket.customer)
        .tuples()
    )
    for customer in Customer.select().order_by(Customer.name).iterator():
        yield {
            "code": customer.code,
            "name": customer.name,
            "emails": addresses.get(customer.id, []),
            "domains": domains.get(customer.id, []),
            "open_tickets": open_counts.get(customer.id, 0),
        }

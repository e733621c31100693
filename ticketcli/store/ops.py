"""Every change to tickets, as named operations that also write the history.

Callers hold the transaction; each operation records its event, so no change
can be made without leaving a trace of who did it and when.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ticketcli.store.models import (
    Agent,
    AgentAddress,
    Customer,
    CustomerAddress,
    CustomerDomain,
    Event,
    Message,
    Participant,
    Quarantine,
    Ticket,
    TicketLink,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

SYSTEM = "ticketcli"


def utc_naive(moment: datetime) -> datetime:
    """The store's form of a time: UTC without tzinfo."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def now() -> datetime:
    return utc_naive(datetime.now(UTC))


def add_event(
    ticket: Ticket | int,
    kind: str,
    at: datetime,
    actor: str = SYSTEM,
    detail: str = "",
    message: Message | None = None,
) -> Event:
    return Event.create(
        ticket=ticket, kind=kind, at=at, actor=actor, detail=detail, message=message
    )


def assign(
    ticket: Ticket, agent: Agent | None, at: datetime, actor: str, detail: str = ""
) -> None:
    previous = ticket.assignee.login if ticket.assignee_id else None
    ticket.assignee = agent
    if ticket.status in ("new", "open"):
        ticket.status = "open" if agent is not None else "new"
    ticket.save()
    if agent is None:
        add_event(ticket, "unassigned", at, actor, detail or (previous or ""))
    else:
        add_event(ticket, "assigned", at, actor, detail or agent.login)


def reopen(
    ticket: Ticket,
    at: datetime,
    actor: str,
    detail: str = "",
    message: Message | None = None,
) -> None:
    ticket.status = "open" if ticket.assignee_id else "new"
    ticket.closed_at = None
    ticket.reopened = True
    ticket.save()
    add_event(ticket, "reopened", at, actor, detail, message)


def close(ticket: Ticket, at: datetime, actor: str, note: str = "") -> None:
    ticket.status = "closed"
    ticket.closed_at = at
    ticket.reopened = False
    ticket.save()
    add_event(ticket, "closed", at, actor, note)


def merge(
    source: Ticket, target: Ticket, at: datetime, actor: str, detail: str = ""
) -> None:
    """Fold ``source`` into ``target``: messages, participants and history move;
    ``source`` stays as a pointer so its number keeps working."""
    from ticketcli.store.writer import Writer

    writer = Writer(Ticket._meta.database)
    Message.update(ticket=target).where(Message.ticket == source).execute()
    Event.update(ticket=target).where(Event.ticket == source).execute()
    addresses = [
        p.address
        for p in Participant.select(Participant.address).where(
            Participant.ticket == source
        )
    ]
    writer.add_participants(target.id, addresses)
    Participant.delete().where(Participant.ticket == source).execute()
    TicketLink.update(ticket=target).where(
        (TicketLink.ticket == source) & (TicketLink.linked != target)
    ).execute()
    if target.customer_id is None and source.customer_id is not None:
        target.customer = source.customer_id
    if target.assignee_id is None and source.assignee_id is not None:
        target.assignee = source.assignee_id
        if target.status == "new":
            target.status = "open"
    target.save()
    source.status = "merged"
    source.merged_into = target
    source.message_count = 0
    source.save()
    writer.link(source.id, target.id, "merged")
    writer.refresh_times(target.id)
    add_event(target, "merged", at, actor, f"#{source.id} {detail}".strip())


def learn_agent(address: str, name: str, at: datetime) -> Agent:
    """An agent for a staff address seen in mail, so first replies can assign.

    The login is the address's local part, made unique with a number.
    """
    base = address.partition("@")[0] or "agent"
    login, n = base, 1
    while Agent.select().where(Agent.login == login).exists():
        n += 1
        login = f"{base}{n}"
    agent = Agent.create(login=login, name=name, created_at=at)
    AgentAddress.create(agent=agent, address=address)
    return agent


def quarantine(
    source: str, key: str, raw: bytes, raw_sha256: str, reason: str, at: datetime
) -> Quarantine:
    row = Quarantine.get_or_none(Quarantine.raw_sha256 == raw_sha256)
    if row is None:
        row = Quarantine.create(
            source=source,
            key=key,
            reason=reason,
            raw_sha256=raw_sha256,
            size=len(raw),
            data=raw,
            received_at=at,
        )
    return row


def get_ticket(number: int) -> Ticket:
    from ticketcli.errors import NotFoundError

    ticket = Ticket.get_or_none(Ticket.id == number)
    if ticket is None:
        raise NotFoundError(f"ticket #{number} does not exist")
    return ticket


def close_tickets(
    numbers: Iterable[int], actor: str, note: str = "", at: datetime | None = None
) -> list[str]:
    """Close each ticket; returns a line for each that needed no change."""
    at = at or now()
    notes = []
    tickets = [get_ticket(n) for n in numbers]  # all exist, or nothing changes
    for ticket in tickets:
        if ticket.status in ("closed", "merged"):
            notes.append(f"#{ticket.id} is already {ticket.status}")
            continue
        close(ticket, at, actor, note)
    return notes


def reopen_tickets(
    numbers: Iterable[int], actor: str, at: datetime | None = None
) -> list[str]:
    at = at or now()
    notes = []
    tickets = [get_ticket(n) for n in numbers]
    for ticket in tickets:
        if ticket.status != "closed":
            notes.append(f"#{ticket.id} is not closed ({ticket.status})")
            continue
        reopen(ticket, at, actor, "by hand")
        ticket.reopened = False  # a person reopened it: nobody needs alerting
        ticket.save()
    return notes


def add_customer(
    name: str,
    code: str | None,
    addresses: Iterable[str],
    domains: Iterable[str],
    at: datetime | None = None,
) -> Customer:
    """A customer record; an address or domain already on a record is an error."""
    from ticketcli.errors import UsageError

    for address in addresses:
        if CustomerAddress.select().where(CustomerAddress.address == address).exists():
            raise UsageError(f"address {address} is already on a customer")
    for domain in domains:
        if CustomerDomain.select().where(CustomerDomain.domain == domain).exists():
            raise UsageError(f"domain {domain} is already on a customer")
    if code and Customer.select().where(Customer.code == code).exists():
        raise UsageError(f"customer code {code!r} exists already")
    customer = Customer.create(name=name, code=code, created_at=at or now())
    for address in dict.fromkeys(addresses):
        CustomerAddress.create(customer=customer, address=address)
    for domain in dict.fromkeys(domains):
        CustomerDomain.create(customer=customer, domain=domain)
    return customer

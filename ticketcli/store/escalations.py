"""The store's side of [escalation]: the notices sent, and who hears them.

A notice is remembered in the transaction that queues it in the outbox,
and remembered first: the unique (ticket, goal, kind) index turns a second
attempt -- a concurrent run on another host -- into ``False`` here, and
its caller queues nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peewee import JOIN, IntegrityError, fn

from ticketcli.clock import utc_naive
from ticketcli.store.models import (
    ACTIVE_STATUSES,
    Agent,
    AgentAddress,
    Customer,
    EscalationNotice,
    Ticket,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime


def sent_notices() -> set[tuple[int, str, str]]:
    """(ticket, goal, kind) of every notice sent about an active ticket."""
    query = (
        EscalationNotice.select(
            EscalationNotice.ticket, EscalationNotice.goal, EscalationNotice.kind
        )
        .join(Ticket, on=Ticket.id == EscalationNotice.ticket)
        .where(Ticket.status.in_(ACTIVE_STATUSES))
        .tuples()
    )
    return {(ticket, goal, kind) for ticket, goal, kind in query}


def remember(
    ticket: int,
    goal: str,
    kind: str,
    *,
    deadline: datetime,
    recipient: str,
    at: datetime,
) -> int | None:
    """Record a notice (inside the caller's transaction); its row id, or
    None when it was sent already."""
    try:
        with EscalationNotice._meta.database.atomic():  # a savepoint
            row = EscalationNotice.create(
                ticket=ticket,
                goal=goal,
                kind=kind,
                deadline=utc_naive(deadline),
                recipient=recipient,
                at=utc_naive(at),
            )
    except IntegrityError:
        return None
    return int(row.id)


def link_outbox(notice: int, outbox: int) -> None:
    """The outbox row that carries the notice, for a person looking."""
    EscalationNotice.update(outbox=outbox).where(
        EscalationNotice.id == notice
    ).execute()


def agent_addresses() -> dict[str, str | None]:
    """{login: first address} of every active agent (None: no address)."""
    found: dict[str, str | None] = {
        login: None
        for (login,) in Agent.select(Agent.login)
        .where(Agent.active == True)  # noqa: E712 -- peewee builds SQL from it
        .tuples()
    }
    query = (
        AgentAddress.select(Agent.login, AgentAddress.address)
        .join(Agent, on=Agent.id == AgentAddress.agent)
        .where(Agent.active == True)  # noqa: E712
        .order_by(AgentAddress.id)
        .tuples()
    )
    for login, address in query:
        if found.get(login) is None:
            found[login] = address
    return found


def ticket_labels(numbers: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    """{number: (subject, customer)} of the tickets; the customer by the
    label every list uses, its code else its name (``store.names``)."""
    wanted = list(numbers)
    if not wanted:
        return {}
    query = (
        Ticket.select(
            Ticket.id, Ticket.subject, fn.COALESCE(Customer.code, Customer.name)
        )
        .join(Customer, on=Customer.id == Ticket.customer, join_type=JOIN.LEFT_OUTER)
        .where(Ticket.id.in_(wanted))
        .tuples()
    )
    return {number: (subject, customer) for number, subject, customer in query}

"""Every read the commands need, by name: plain dicts or dataclasses of raw
values (times as naive UTC datetimes, marks as booleans, people as logins);
how they read is ``ticketcli.render``'s business.

Listings stream (``iterator()``) and walk ordered cursors side by side
instead of querying once per ticket, so an export of a large store costs a
handful of queries, not one per ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Any

from peewee import JOIN, SQL, Case, fn

from ticketcli.clock import now
from ticketcli.errors import NotFoundError, UsageError
from ticketcli.store.absences import away_owner_column
from ticketcli.store.lookup import customer_by_ref
from ticketcli.store.models import (
    ACTIVE_SQL,
    ACTIVE_STATUSES,
    Agent,
    AgentAddress,
    Attachment,
    Customer,
    CustomerAddress,
    CustomerDomain,
    Event,
    Message,
    Quarantine,
    Ticket,
    TicketLink,
    WorkLog,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime


def _ticket_row(
    ticket: Ticket, customer: str | None, assignee: str | None
) -> dict[str, Any]:
    return {
        "number": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "due_at": ticket.due_at,
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
        "queue": ticket.queue,
    }


def _message_row(message: Message, body: bool = False) -> dict[str, Any]:
    row = {
        "message_id": message.message_id,
        "direction": message.direction,
        "kind": message.kind,
        "from": message.from_address,
        "date": message.date,
        "rule": message.rule,
        "rule_detail": message.rule_detail,
        "subject": message.subject,
    }
    if body:
        row["body_text"] = message.body_text
    return row


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


def export_tickets(bodies: bool = False) -> Iterator[dict[str, Any]]:
    """Every ticket with its links and messages, in number order, as scripts
    read it (``bodies``: each message's text too). A backup is ``backup.py``."""
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
                mails = [_message_row(m, bodies) for m in pending_messages[1]]
            else:
                list(pending_messages[1])
            pending_messages = next(by_ticket, None)
        row["linked_to"] = linked
        row["messages"] = mails
        yield row


def ticket_detail(number: int) -> dict[str, Any]:
    """One ticket with its messages (and attachments), links and history."""

    ticket = (
        _tickets_query()
        .select_extend(away_owner_column(now()).alias("away_owner"))
        .where(Ticket.id == number)
        .first()
    )
    if ticket is None:
        raise NotFoundError(f"ticket #{number} does not exist")
    row = _ticket_row(ticket, _customer_label(ticket), _assignee_login(ticket))
    row["customer_name"] = ticket.customer_name
    # Its absent owner: held for them in the pool, or away.
    row["away_owner"] = ticket.away_owner
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
            # Why a From claiming a staff address was not believed, or None.
            "unverified_from": m.unverified_from,
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


def quarantine_rows(include_retried: bool = False) -> Iterator[dict[str, Any]]:
    """Quarantined mail; with ``include_retried`` also what a retry stored."""
    query = Quarantine.select(
        Quarantine.id,
        Quarantine.source,
        Quarantine.key,
        Quarantine.reason,
        Quarantine.size,
        Quarantine.received_at,
        Quarantine.retried_at,
        Quarantine.message_ref,
    ).order_by(Quarantine.id)
    if not include_retried:
        query = query.where(Quarantine.retried_at.is_null())
    for row in query:
        item = {
            "id": row.id,
            "source": row.source,
            "key": row.key,
            "size": row.size,
            "received_at": row.received_at,
            "reason": row.reason,
        }
        if include_retried:
            item["retried_at"] = row.retried_at
            item["message"] = row.message_ref
        yield item


def quarantine_waiting(entry: int | None = None) -> list[int]:
    """Ids of quarantined mail not yet stored by a retry: one entry, or all.

    Ids, not rows: each mail's bytes are read when it is retried, so memory
    stays flat however much waits."""
    query = Quarantine.select(Quarantine.id).where(Quarantine.retried_at.is_null())
    if entry is not None:
        row = Quarantine.get_or_none(Quarantine.id == entry)
        if row is None:
            raise NotFoundError(f"quarantine entry {entry} does not exist")
        if row.retried_at is not None:
            raise UsageError(
                f"quarantine entry {entry} was stored by a retry on "
                f"{row.retried_at:%Y-%m-%d %H:%M} (message {row.message_ref})"
            )
        query = query.where(Quarantine.id == entry)
    return [row.id for row in query.order_by(Quarantine.id)]


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


def _lists_by_owner(owner: Any, value: Any) -> dict[int, list[str]]:
    """{owner id: sorted values} from one query, e.g. every customer's addresses."""
    grouped: dict[int, list[str]] = {}
    for owner_id, item in owner.model.select(owner, value).order_by(value).tuples():
        grouped.setdefault(owner_id, []).append(item)
    return grouped


def customer_rows() -> Iterator[dict[str, Any]]:
    """Customers with their addresses, domains and open ticket count."""
    addresses = _lists_by_owner(CustomerAddress.customer, CustomerAddress.address)
    domains = _lists_by_owner(CustomerDomain.customer, CustomerDomain.domain)
    open_counts = dict(
        Ticket.select(Ticket.customer, fn.COUNT(Ticket.id))
        .where(Ticket.status.in_(ACTIVE_STATUSES))
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


def agent_rows() -> Iterator[dict[str, Any]]:
    """Agents with their addresses and how many active tickets each carries."""
    addresses = _lists_by_owner(AgentAddress.agent, AgentAddress.address)
    carried = dict(
        Ticket.select(Ticket.assignee, fn.COUNT(Ticket.id))
        .where(Ticket.status.in_(ACTIVE_STATUSES) & Ticket.assignee.is_null(False))
        .group_by(Ticket.assignee)
        .tuples()
    )
    for agent in Agent.select().order_by(Agent.login):
        yield {
            "login": agent.login,
            "name": agent.name,
            "emails": addresses.get(agent.id, []),
            "active": bool(agent.active),
            "open_tickets": carried.get(agent.id, 0),
        }


REPORT_SORTS = ("age", "number", "last", "priority", "due", "assignee")
_PRIORITY_RANK = Case(
    Ticket.priority, (("urgent", 0), ("high", 1), ("normal", 2), ("low", 3)), 4
)


@dataclass(frozen=True)
class ReportRow:
    """An active ticket as the report lists it: raw values, no display text."""

    number: int
    subject: str
    status: str
    priority: str
    type: str | None
    customer: str | None  # the customer's code, else its name
    assignee: str | None  # login
    created_at: datetime
    last_message_at: datetime
    last_direction: str  # "inbound": the customer wrote last
    message_count: int
    reopened: bool
    due_at: datetime | None
    # The absent owner (login): whom a pooled ticket is held for, or the
    # assignee when they are away.
    away_owner: str | None


def report_query(
    *,
    now: datetime,
    assignee: str | None = None,
    current_user: str | None = None,
    statuses: tuple[str, ...] = (),
    customer: str | None = None,
    waiting: bool = False,
    since: datetime | None = None,
    sort: str = "age",
) -> Any:
    """The report's one SQL query: active tickets, filtered and sorted.

    ``assignee``: a login, "*" (everyone's), "none" (the pool) or None -- the
    pool plus ``current_user``'s tickets, the default for people.
    """

    query = (
        Ticket.select(
            Ticket.id,
            Ticket.subject,
            Ticket.status,
            Ticket.priority,
            Ticket.type,
            Ticket.created_at,
            Ticket.last_message_at,
            Ticket.last_direction,
            Ticket.message_count,
            Ticket.reopened,
            Ticket.due_at,
            Customer.code.alias("customer_code"),
            Customer.name.alias("customer_name"),
            Agent.login.alias("assignee_login"),
            away_owner_column(now).alias("away_owner"),
        )
        .join(Customer, JOIN.LEFT_OUTER, on=(Ticket.customer == Customer.id))
        .switch(Ticket)
        .join(Agent, JOIN.LEFT_OUTER, on=(Ticket.assignee == Agent.id))
    )
    if statuses:
        query = query.where(Ticket.status.in_(statuses))
    else:
        # Literal, not bound: matches the partial index "ticket_active".
        query = query.where(Ticket.status.in_(SQL(ACTIVE_SQL)))
    if assignee == "none":
        query = query.where(Ticket.assignee.is_null())
    elif assignee is None:
        query = query.where(
            Ticket.assignee.is_null() | (Agent.login == (current_user or ""))
        )
    elif assignee != "*":
        query = query.where(Agent.login == assignee)
    if customer:
        query = query.where((Customer.code == customer) | (Customer.name == customer))
    if waiting:
        query = query.where(Ticket.last_direction == "inbound")
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    order = {
        "age": (Ticket.created_at, Ticket.id),
        "number": (Ticket.id,),
        "last": (Ticket.last_message_at.desc(), Ticket.id),
        "priority": (_PRIORITY_RANK, Ticket.created_at, Ticket.id),
        "due": (Ticket.due_at.is_null(), Ticket.due_at, Ticket.id),
        "assignee": (Agent.login, Ticket.created_at, Ticket.id),
    }[sort]
    return query.order_by(*order)


def report_rows(*, now: datetime, **filters: Any) -> Iterator[ReportRow]:
    """Active tickets one row each, from one SQL query (``report_query``'s
    filters); the absent owner as of ``now``."""
    for t in report_query(now=now, **filters).objects().iterator():
        yield ReportRow(
            number=t.id,
            subject=t.subject,
            status=t.status,
            priority=t.priority,
            type=t.type,
            customer=t.customer_code or t.customer_name,
            assignee=t.assignee_login,
            created_at=t.created_at,
            last_message_at=t.last_message_at,
            last_direction=t.last_direction,
            message_count=t.message_count,
            reopened=bool(t.reopened),
            due_at=t.due_at,
            away_owner=t.away_owner,
        )


def customer_detail(ref: str) -> dict[str, Any]:
    """One customer (by code or name) with addresses, work time and tickets."""
    customer = customer_by_ref(ref)
    addresses = list(
        CustomerAddress.select()
        .where(CustomerAddress.customer == customer)
        .order_by(CustomerAddress.address)
    )
    minutes = (
        WorkLog.select(fn.COALESCE(fn.SUM(WorkLog.minutes), 0))
        .join(Ticket)
        .where(Ticket.customer == customer)
        .scalar()
    )
    tickets = (
        Ticket.select(
            Ticket.id,
            Ticket.subject,
            Ticket.status,
            Ticket.created_at,
            Ticket.last_message_at,
            Ticket.message_count,
            Agent.login.alias("assignee_login"),
        )
        .join(Agent, JOIN.LEFT_OUTER, on=(Ticket.assignee == Agent.id))
        .where(Ticket.customer == customer)
        .order_by(Ticket.last_message_at.desc(), Ticket.id.desc())
        .objects()
    )
    return {
        "code": customer.code,
        "name": customer.name,
        "emails": [a.address for a in addresses if not a.learned],
        "learned": [a.address for a in addresses if a.learned],
        "domains": [
            d.domain
            for d in CustomerDomain.select()
            .where(CustomerDomain.customer == customer)
            .order_by(CustomerDomain.domain)
        ],
        "work_minutes": int(minutes or 0),
        "tickets": [
            {
                "number": t.id,
                "subject": t.subject,
                "status": t.status,
                "assignee": t.assignee_login,
                "vs": t.message_count,
                "created_at": t.created_at,
                "last_message_at": t.last_message_at,
            }
            for t in tickets
        ],
    }

"""Every change to tickets, as named operations that also write the history.

Callers hold the transaction; each operation records its event, so no change
can be made without leaving a trace of who did it and when.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from ticketcli.clock import now, utc_naive
from ticketcli.errors import NotFoundError, UsageError
from ticketcli.store.absences import current_absence
from ticketcli.store.models import (
    SYSTEM,
    Absence,
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
    from collections.abc import Callable, Iterable

    from ticketcli.store.writer import Writer


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
    ticket: Ticket,
    agent: Agent | int | None,
    at: datetime,
    actor: str,
    detail: str = "",
    *,
    keep_mark: bool = False,
) -> None:
    """Give the ticket to ``agent`` (an Agent or its id) or the pool.

    ``keep_mark``: nobody acted on the ticket (an absence moved it), so a
    REOPENED mark stays for whoever picks it up.
    """
    if not detail:
        if agent is None:
            detail = ticket.assignee.login if ticket.assignee_id else ""
        else:
            detail = agent.login if isinstance(agent, Agent) else str(agent)
    ticket.assignee = agent
    if not keep_mark:
        ticket.reopened = False  # someone acted on it: the mark has done its job
    if ticket.status in ("new", "open"):
        ticket.status = "open" if agent is not None else "new"
    ticket.save()
    add_event(ticket, "unassigned" if agent is None else "assigned", at, actor, detail)


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
    ``source`` stays as a pointer so its number keeps working.

    Links follow the move both ways: what ``source`` linked to, and what
    linked to it (tickets merged into it earlier among them), now concerns
    ``target``. A link the target already has is not written twice, and
    none is left pointing from a ticket to itself.
    """
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
    _move_links(source.id, target.id, writer)
    # A chain a -> source -> target becomes a -> target: one hop to the live one.
    Ticket.update(merged_into=target).where(Ticket.merged_into == source).execute()
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


def _move_links(source: int, target: int, writer: Writer) -> None:
    outgoing = list(
        TicketLink.select(TicketLink.linked, TicketLink.kind)
        .where(TicketLink.ticket == source)
        .tuples()
    )
    incoming = list(
        TicketLink.select(TicketLink.ticket, TicketLink.kind)
        .where(TicketLink.linked == source)
        .tuples()
    )
    TicketLink.delete().where(
        (TicketLink.ticket == source) | (TicketLink.linked == source)
    ).execute()
    for other, kind in outgoing:
        if other != target:
            writer.link(target, other, kind)
    for other, kind in incoming:
        if other != target:
            writer.link(other, target, kind)


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
    if row is not None and row.reason != reason:
        row.reason = reason  # read again (a retry, another source): why now
        row.save()
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
    """The ticket, locked for the caller's transaction where the database can.

    On PostgreSQL (``SELECT ... FOR UPDATE``) two people changing one ticket
    at once take turns: the second waits, then reads the first one's change
    and decides from it, so no change is lost and none is recorded twice.
    SQLite has no row locks; the query stays as it was.
    """
    from ticketcli.errors import NotFoundError

    query = Ticket.select().where(Ticket.id == number)
    if Ticket._meta.database.for_update:
        query = query.for_update()
    ticket = query.get_or_none()
    if ticket is None:
        raise NotFoundError(f"ticket #{number} does not exist")
    return ticket


def close_tickets(
    numbers: Iterable[int],
    actor: str,
    note: str = "",
    at: datetime | None = None,
    on_close: Callable[[Ticket, datetime], None] | None = None,
) -> list[str]:
    """Close each ticket; returns a line for each that needed no change.

    ``on_close`` runs for each ticket closed, in the same transaction (the
    customer's close notice is queued there: sent if and only if closed).
    """
    at = at or now()
    notes = []
    tickets = [get_ticket(n) for n in numbers]  # all exist, or nothing changes
    for ticket in tickets:
        if ticket.status in ("closed", "merged"):
            notes.append(f"#{ticket.id} is already {ticket.status}")
            continue
        close(ticket, at, actor, note)
        if on_close is not None:
            on_close(ticket, at)
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


# --- the lead's and consultants' commands ---------------------------------
#
# Each takes numbers and names as typed, checks all of them before changing
# anything (one bad number: one line, exit 2, no change), and clears the
# REOPENED mark of every ticket it touches: someone has looked at it.

PRIORITIES = ("low", "normal", "high", "urgent")


def _acted(ticket: Ticket) -> None:
    ticket.reopened = False
    ticket.save()


def add_agent(
    login: str, name: str, addresses: Iterable[str], at: datetime | None = None
) -> Agent:
    """A staff member; their addresses make mail outbound from the next sync.

    An agent learned from mail (first reply) under the same login is adopted:
    it gets the name and addresses, so its tickets keep their assignee.
    """
    login = login.strip()
    if not login or any(c.isspace() for c in login):
        raise UsageError(f"login {login!r} must be one word")
    agent = Agent.get_or_none(Agent.login == login)
    for address in addresses:
        owner = AgentAddress.get_or_none(AgentAddress.address == address)
        if owner is not None and (agent is None or owner.agent_id != agent.id):
            raise UsageError(
                f"address {address} is already on agent {owner.agent.login}"
            )
    if agent is not None and (
        agent.active
        and AgentAddress.select().where(AgentAddress.agent == agent).exists()
        and not addresses
    ):
        raise UsageError(f"agent {login} exists already")
    if agent is None:
        agent = Agent.create(login=login, name=name, created_at=at or now())
    else:
        agent.name = name or agent.name
        agent.active = True
        agent.save()
    for address in dict.fromkeys(addresses):
        AgentAddress.get_or_create(agent=agent, address=address)
    return agent


def find_agent(login: str) -> Agent:
    agent = Agent.get_or_none(Agent.login == login)
    if agent is None:
        raise NotFoundError(f"agent {login!r} does not exist (see `agents list`)")
    return agent


def deactivate_agent(login: str) -> list[str]:
    """An agent who left: no new assignments, their tickets stay as they are."""
    agent = find_agent(login)
    if not agent.active:
        return [f"agent {login} is already inactive"]
    agent.active = False
    agent.save()
    return []


def agent_for_actor(actor: str) -> Agent:
    """The agent who acts, for `take`: the actor must be an active agent's login."""
    agent = Agent.get_or_none(Agent.login == actor)
    if agent is None:
        raise NotFoundError(
            f"{actor!r} is not an agent: use --as LOGIN or set $TICKETCLI_USER"
        )
    if not agent.active:
        raise UsageError(f"agent {actor} is inactive")
    return agent


def absence_until(absence: Absence) -> str:
    """How long an absence lasts, as refusals and history say it."""
    if absence.ends_at is None:
        return "until back"
    return f"until {absence.ends_at.isoformat(timespec='minutes')}Z"


def away_message(agent: Agent, now: datetime) -> str | None:
    """Why nothing new may go to ``agent`` now, or None when they are here."""
    absence = current_absence(agent, now)
    if absence is None:
        return None
    return (
        f"agent {agent.login} is away {absence_until(absence)}"
        f" (`agents back {agent.login}` ends it)"
    )


def _active_agent(login: str) -> Agent:

    agent = find_agent(login)
    if not agent.active:
        raise UsageError(f"agent {login} is inactive")
    away = away_message(agent, now())
    if away:
        raise UsageError(away)  # their tickets would only move on at the next sync
    return agent


def _live(ticket: Ticket) -> None:
    if ticket.status == "merged":
        raise UsageError(f"#{ticket.id} is merged into #{ticket.merged_into_id}")


def assign_tickets(
    numbers: Iterable[int],
    login: str | None,
    actor: str,
    at: datetime | None = None,
    on_assign: Callable[[Ticket, Agent, str, datetime], None] | None = None,
) -> list[str]:
    """Give the tickets to ``login`` (None: back to the pool); notes for no-ops.

    ``on_assign(ticket, agent, actor, at)`` runs for each ticket that gets
    an agent (the command's notifier: ops knows nothing of mail)."""
    at = at or now()
    agent = _active_agent(login) if login is not None else None
    tickets = [get_ticket(n) for n in numbers]
    for ticket in tickets:
        _live(ticket)
    notes = []
    for ticket in tickets:
        if ticket.assignee_id == (agent.id if agent else None):
            who = agent.login if agent else "nobody"
            notes.append(f"#{ticket.id} is already assigned to {who}")
            _acted(ticket)
            continue
        assign(ticket, agent, at, actor)
        if agent is not None and on_assign is not None:
            on_assign(ticket, agent, actor, at)
    return notes


def take_tickets(
    numbers: Iterable[int], actor: str, at: datetime | None = None
) -> list[str]:
    return assign_tickets(numbers, agent_for_actor(actor).login, actor, at)


def parse_day(text: str, option: str, *, inclusive: bool = False) -> datetime:
    """A day or a time typed on the command line: ``YYYY-MM-DD`` is its
    midnight (with ``inclusive``, the midnight after it, so ``--until`` names
    the last day counted), else an ISO 8601 time. Naive unless the text has
    an offset: `stats` reads it in the [hours] time zone, the rest as UTC
    (``utc_naive``)."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = datetime.combine(date.fromisoformat(value), time())
            return day + timedelta(days=1) if inclusive else day
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option}: {text!r} is not a date like 2026-03-31 or 2026-03-31T14:00"
        ) from None


def parse_due(text: str, option: str = "--due") -> datetime | None:
    """YYYY-MM-DD (due by the end of that day, UTC) or YYYY-MM-DDTHH:MM;
    "none" clears it."""
    if text.strip().lower() in ("none", "-", ""):
        return None
    try:
        if len(text.strip()) == 10:
            day = datetime.strptime(text.strip(), "%Y-%m-%d")
            return day.replace(hour=23, minute=59, second=59)
        return utc_naive(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date like 2026-03-31") from None


def set_fields(
    number: int,
    actor: str,
    types: Iterable[str],
    priority: str | None = None,
    type_: str | None = None,
    due: str | None = None,
    at: datetime | None = None,
    queue: str | None = None,
    queues: Iterable[str] = (),
) -> None:
    """Priority, type, due date and queue; each change is its own event.

    ``queue`` is one of ``queues`` (the config's names) or "none". Moving a
    ticket to another queue changes whose absence rules apply to it, not its
    owner: the lead decides that with `assign`.
    """
    at = at or now()
    ticket = get_ticket(number)
    _live(ticket)
    if priority is not None and priority not in PRIORITIES:
        raise UsageError(
            f"--priority: {priority!r} is not one of {', '.join(PRIORITIES)}"
        )
    allowed = list(types)
    if type_ is not None and type_ not in allowed:
        raise UsageError(
            f"--type: {type_!r} is not one of {', '.join(allowed)}"
            " (config: ticket_types)"
        )
    due_at = parse_due(due) if due is not None else None
    known_queues = list(queues)
    if queue is not None and queue != "none" and queue not in known_queues:
        names = ", ".join(known_queues) or "none configured"
        raise UsageError(
            f"--queue: {queue!r} is not one of {names} ([[queues]]), or none"
        )
    new_queue = None if queue == "none" else queue
    if queue is not None and new_queue != ticket.queue:
        add_event(ticket, "queue", at, actor, new_queue or "none")
        ticket.queue = new_queue
    if priority is not None and priority != ticket.priority:
        add_event(ticket, "priority", at, actor, f"{ticket.priority} → {priority}")
        ticket.priority = priority
    if type_ is not None and type_ != ticket.type:
        add_event(ticket, "type", at, actor, type_)
        ticket.type = type_
    if due is not None and due_at != ticket.due_at:
        detail = due_at.isoformat() + "Z" if due_at else "none"
        add_event(ticket, "due", at, actor, detail)
        ticket.due_at = due_at
    _acted(ticket)


def find_customer(ref: str) -> Customer:
    """A customer by code, else by exact name (case-insensitive), else an error."""
    customer = Customer.get_or_none(Customer.code == ref)
    if customer is not None:
        return customer
    found = list(Customer.select().where(Customer.name**ref).limit(2))
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(f"customer {ref!r} is ambiguous: use its code")
    raise NotFoundError(f"customer {ref!r} does not exist (see `customers list`)")


def set_customer(
    number: int, ref: str, actor: str, at: datetime | None = None
) -> list[str]:
    """Set the customer by hand and remember the requester's address for it
    (learned), so the next mail from that address is recognised."""
    at = at or now()
    ticket = get_ticket(number)
    _live(ticket)
    customer = find_customer(ref)
    notes = []
    if ticket.customer_id != customer.id:
        ticket.customer = customer
        add_event(ticket, "customer", at, actor, customer.code or customer.name)
    address = ticket.requester
    if address:
        known = CustomerAddress.get_or_none(CustomerAddress.address == address)
        if known is None:
            CustomerAddress.create(customer=customer, address=address, learned=True)
        elif known.customer_id != customer.id:
            owner = known.customer.code or known.customer.name
            notes.append(f"{address} stays on customer {owner}")
    _acted(ticket)
    return notes


def add_note(number: int, text: str, actor: str, at: datetime | None = None) -> None:
    """An internal note: history only, never mailed."""
    if not text.strip():
        raise UsageError("the note is empty")
    ticket = get_ticket(number)
    add_event(ticket, "note", at or now(), actor, text.strip())
    _acted(ticket)


def log_time(
    number: int, duration: str, actor: str, note: str = "", at: datetime | None = None
) -> int:
    """Work time on a ticket; returns the minutes logged."""
    from ticketcli.config import parse_duration
    from ticketcli.store.models import WorkLog

    try:
        minutes = int(parse_duration(duration).total_seconds() // 60)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if minutes <= 0:
        raise UsageError(f"{duration!r} is no time at all")
    at = at or now()
    ticket = get_ticket(number)
    WorkLog.create(ticket=ticket, agent=actor, minutes=minutes, at=at, note=note)
    add_event(ticket, "time", at, actor, f"{minutes}m {note}".strip())
    _acted(ticket)
    return minutes


def merge_tickets(
    number: int, into: int, actor: str, at: datetime | None = None
) -> None:
    """`merge N INTO M`: N's messages and history move to M; N is closed as merged."""
    at = at or now()
    if number == into:
        raise UsageError(f"#{number} cannot be merged into itself")
    source, target = get_ticket(number), get_ticket(into)
    _live(source)
    _live(target)
    merge(source, target, at, actor, "by hand")
    source.closed_at = at
    source.reopened = False
    source.save()
    _acted(Ticket.get_by_id(target.id))


def new_ticket(
    *,
    subject: str,
    actor: str,
    address: str | None,
    customer_ref: str | None,
    message: str,
    assignee: str | None,
    free_mail_domains: frozenset[str],
    token_prefix: str,
    at: datetime | None = None,
    on_assign: Callable[[Ticket, Agent, str, datetime], None] | None = None,
) -> int:
    """A ticket opened by hand (phone, walk-in, web form); returns its number.

    The customer is recognised from the address as for mail, unless named.
    The text, if any, is kept as a message of kind "note" from the requester;
    like every note it is not mail, so it does not count in the ticket's VS.
    """
    import hashlib

    from ticketcli.mail.subject import normalize_subject
    from ticketcli.rules.customers import identify
    from ticketcli.store.lookup import StoreLookup
    from ticketcli.store.writer import Writer

    at = at or now()
    if not subject.strip():
        raise UsageError("--subject is empty")
    if not address and not customer_ref:
        raise UsageError("give --from ADDRESS or --customer CODE")
    customer = find_customer(customer_ref) if customer_ref else None
    agent = _active_agent(assignee) if assignee else None
    db = Ticket._meta.database
    customer_id = customer.id if customer else None
    if customer_id is None and address:
        customer_id = identify(address, StoreLookup(db), free_mail_domains).customer_id
    writer = Writer(db)
    number = writer.create_ticket(
        subject=subject.strip(),
        subject_key=normalize_subject(subject, token_prefix),
        customer_id=customer_id,
        requester=address or "",
        source="manual",
        at=at,
        detail=f"by hand ({actor})",
    )
    if address:
        writer.add_participants(number, [address])
    if message.strip():
        digest = hashlib.sha256(f"{number}|{message}".encode()).hexdigest()
        Message.create(
            ticket=number,
            message_id=None,
            content_hash=digest,
            dedupe_key=f"manual:{number}|{digest}",
            raw_sha256=digest,
            kind="note",
            direction="inbound",
            from_address=address or "",
            subject=subject.strip(),
            date=at,
            received_at=at,
            body_text=message.strip(),
            rule="new",
            rule_detail="by hand",
            source="manual",
        )
    if agent is not None:
        ticket = Ticket.get_by_id(number)
        assign(ticket, agent, at, actor)
        if on_assign is not None:
            on_assign(ticket, agent, actor, at)
    return number

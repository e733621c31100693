"""A ticket's life: assign, answer, reopen, close, merge and the REOPENED mark,
each rule written once for the commands and for sync alike.

Each operation decides what becomes of the ticket's status, owner and
REOPENED mark and which event records it, then has the store's ``Writer``
write exactly that -- the prepared statements sync uses for every message.
It takes the ticket as sync reads it (a ``TicketState``) or as a command
holds it (a ``Ticket`` model, kept in step with what was written), and
returns the state after. Callers hold the transaction; every change leaves
an event saying who did it and when.

The REOPENED mark says "the customer wrote after we closed it, and nobody
has looked since". A customer's mail to a closed ticket sets it. A person
acting on the ticket clears it: every command that names a ticket (see
"the lead's and consultants' commands" below), and a staff answer, from
`reply` or from a mail client. What ticketcli does by itself --
auto-assignment, an absence moving tickets, a merge threading finds --
leaves it for whoever picks the ticket up.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ticketcli.clock import now
from ticketcli.desk.people import (
    agent_for_actor,
    assignable_agent,
    find_agent,
    first_address,
    merge_customers,
)
from ticketcli.errors import NotFoundError, UsageError
from ticketcli.mail.subject import normalize_subject
from ticketcli.rules.customers import identify
from ticketcli.rules.quotes import only_thanks
from ticketcli.store.customers import customer_by_ref
from ticketcli.store.lookup import StoreLookup
from ticketcli.store.models import (
    Agent,
    CustomerAddress,
    Event,
    Message,
    MessageMove,
    Participant,
    Ticket,
    TicketLink,
    TicketMerge,
    TicketTag,
    Watcher,
    WorkLog,
    bound_database,
)
from ticketcli.store.queries import known_tag, message_by_ref, short_id
from ticketcli.store.writer import AgentRow, TicketState, Writer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import timedelta

    # Told of each ticket given to an agent (to mail them a notice):
    # (ticket, agent, actor, at).
    OnAssign = Callable[[Ticket, Agent, str, datetime], None]


# --- the rules -------------------------------------------------------------


def state_of(ticket: Ticket | TicketState) -> TicketState:
    """What the rules read of a ticket, from a model or as sync read it."""
    if isinstance(ticket, TicketState):
        return ticket
    return TicketState(
        ticket.id,
        ticket.status,
        ticket.assignee_id,
        ticket.queue,
        bool(ticket.reopened),
    )


def _writer(writer: Writer | None) -> Writer:
    return writer if writer is not None else Writer(bound_database())


def _write(ticket: Ticket | TicketState, writer: Writer, **values: Any) -> TicketState:
    """Write the decided values; a model passed in takes them too."""
    state = state_of(ticket)
    writer.update_ticket(state.number, **values)
    if isinstance(ticket, Ticket):
        for column, value in values.items():
            setattr(ticket, column, value)
    fields = ("status", "assignee_id", "reopened")
    return replace(state, **{k: v for k, v in values.items() if k in fields})


def _active_status(assignee_id: int | None) -> str:
    """A ticket someone still has to work on: open with an owner, else new."""
    return "open" if assignee_id is not None else "new"


def _agent_id(agent: Agent | AgentRow | int | None) -> int | None:
    if agent is None or isinstance(agent, int):
        return agent
    return agent.id


def _login(agent_id: int | None) -> str:
    agent = Agent.get_or_none(Agent.id == agent_id) if agent_id else None
    return agent.login if agent else ""


def assign(
    ticket: Ticket | TicketState,
    agent: Agent | AgentRow | int | None,
    at: datetime,
    actor: str,
    detail: str = "",
    *,
    acted: bool = True,
    writer: Writer | None = None,
) -> TicketState:
    """Give the ticket to ``agent`` (an agent or its id) or, with None, to the
    pool. A new or open ticket follows its owner (open with one, new
    without); a pending or closed one keeps its status. The event says
    whom (``detail``, by default the login given or taken away).

    ``acted`` False: nobody acted on the ticket (sync gave it out, an
    absence moved it), so a REOPENED mark stays for whoever picks it up.
    """
    writer = _writer(writer)
    state = state_of(ticket)
    agent_id = _agent_id(agent)
    if not detail:
        detail = getattr(agent, "login", None) or _login(
            agent_id if agent is not None else state.assignee_id
        )
    values: dict[str, Any] = {"assignee_id": agent_id}
    if state.status in ("new", "open"):
        values["status"] = _active_status(agent_id)
    if acted:
        values["reopened"] = False
    after = _write(ticket, writer, **values)
    kind = "unassigned" if agent_id is None else "assigned"
    writer.event(state.number, kind, at, actor, detail)
    return after


def acted_on(
    ticket: Ticket | TicketState, *, writer: Writer | None = None
) -> TicketState:
    """Someone acted on the ticket: its REOPENED mark has done its job."""
    state = state_of(ticket)
    if not state.reopened:
        return state
    return _write(ticket, _writer(writer), reopened=False)


def answered(
    ticket: Ticket | TicketState,
    at: datetime,
    actor: str,
    *,
    taker: Agent | AgentRow | None = None,
    detail: str = "",
    writer: Writer | None = None,
) -> TicketState:
    """Staff answered the customer, with `reply` or from a mail client.

    Someone acted, so the REOPENED mark clears. ``taker`` (the one who
    answered, when the caller's rule makes them the owner: assign on reply,
    a first-responder queue) takes the ticket if it has no owner yet.
    """
    state = state_of(ticket)
    if taker is not None and state.assignee_id is None:
        return assign(ticket, taker, at, actor, detail, writer=writer)
    return acted_on(ticket, writer=writer)


def reopen(
    ticket: Ticket | TicketState,
    at: datetime,
    actor: str,
    detail: str = "",
    message: int | None = None,
    *,
    marked: bool = True,
    writer: Writer | None = None,
) -> TicketState:
    """A closed ticket is active again: open with its owner, else new.

    ``marked``: a customer's mail reopened it, and the REOPENED mark asks
    someone to look. A person who reopens it is looking already.
    """
    writer = _writer(writer)
    state = state_of(ticket)
    after = _write(
        ticket,
        writer,
        status=_active_status(state.assignee_id),
        closed_at=None,
        reopened=marked,
    )
    writer.event(state.number, "reopened", at, actor, detail, message)
    return after


def close(
    ticket: Ticket | TicketState,
    at: datetime,
    actor: str,
    note: str = "",
    *,
    writer: Writer | None = None,
) -> TicketState:
    """Done: closed at ``at``; whoever closes it has looked at it."""
    writer = _writer(writer)
    after = _write(ticket, writer, status="closed", closed_at=at, reopened=False)
    writer.event(after.number, "closed", at, actor, note)
    return after


def customer_wrote(
    ticket: Ticket | TicketState,
    at: datetime,
    sender: str,
    message: int | None,
    *,
    body: str,
    ignore_thanks: bool,
    detail: str,
    writer: Writer | None = None,
) -> bool:
    """The customer wrote on the ticket; returns whether that reopened it.

    A closed ticket reopens, marked REOPENED -- unless the mail only says
    thank you and ``ignore_thanks`` (config ``[reopen]``): then it is kept
    and noted, and reopens nothing. A pending ticket is active again.
    """
    writer = _writer(writer)
    state = state_of(ticket)
    if state.status == "closed":
        if ignore_thanks and only_thanks(body):
            writer.event(state.number, "thanks", at, sender, "", message)
            return False
        reopen(ticket, at, sender, detail, message, writer=writer)
        return True
    if state.status == "pending":
        status = _active_status(state.assignee_id)
        writer.set_status(state.number, status, at, sender)
        if isinstance(ticket, Ticket):
            ticket.status = status
    return False


def _moved_apart(one: int, other: int) -> bool:
    """Whether a person moved a message from one of the tickets to the other."""
    pair = [one, other]
    return (
        MessageMove.select()
        .where(
            MessageMove.from_ticket.in_(pair)
            & MessageMove.to_ticket.in_(pair)
            & (MessageMove.from_ticket != MessageMove.to_ticket)
        )
        .exists()
    )


def merge(
    source: Ticket,
    target: Ticket,
    at: datetime,
    actor: str,
    detail: str = "",
    *,
    acted: bool = False,
    writer: Writer | None = None,
) -> None:
    """Fold ``source`` into ``target``: messages, participants, history and
    links move; ``source`` stays as a pointer so its number keeps working.

    The target takes the source's customer and owner when it has none. With
    ``acted`` a person merged them (`merge`): the source is closed at that
    moment and both marks are cleared. A merge threading finds is no one's
    act: times and marks stay, and it is not done at all between two tickets
    a person moved a message between (`move`): that person said they differ.
    What the merge moved is recorded, so `unmerge` can give it back.
    """
    writer = _writer(writer)
    if not acted and _moved_apart(source.id, target.id):
        return  # someone moved mail between them by hand: threading keeps out
    _record_merge(source, target, at)
    writer.move_contents(source.id, target.id)
    values: dict[str, Any] = {}
    if target.customer_id is None and source.customer_id is not None:
        values["customer_id"] = source.customer_id
    if target.assignee_id is None and source.assignee_id is not None:
        values["assignee_id"] = source.assignee_id
        if target.status == "new":
            values["status"] = "open"
    if acted:
        values["reopened"] = False
    _write(target, writer, **values)
    gone: dict[str, Any] = {
        "status": "merged",
        "merged_into_id": target.id,
        "message_count": 0,
    }
    if acted:
        gone.update(closed_at=at, reopened=False)
    _write(source, writer, **gone)
    writer.link(source.id, target.id, "merged")
    writer.refresh_times(target.id)
    writer.event(target.id, "merged", at, actor, f"#{source.id} {detail}".strip())


# --- the lead's and consultants' commands ---------------------------------
#
# Each takes numbers and names as typed, checks all of them before changing
# anything (one bad number: one line, exit 2, no change), and clears the
# REOPENED mark of every ticket it touches: someone has looked at it.

PRIORITIES = ("low", "normal", "high", "urgent")
# What `set --status` takes: waiting on the customer, or on us again.
SETTABLE_STATUSES = ("pending", "open")


def get_ticket(number: int) -> Ticket:
    """The ticket, locked for the caller's transaction where the database can.

    On PostgreSQL (``SELECT ... FOR UPDATE``) two people changing one ticket
    at once take turns: the second waits, then reads the first one's change
    and decides from it, so no change is lost and none is recorded twice.
    SQLite has no row locks; the query stays as it was.
    """
    query = Ticket.select().where(Ticket.id == number)
    if Ticket._meta.database.for_update:
        query = query.for_update()
    ticket = query.get_or_none()
    if ticket is None:
        raise NotFoundError(f"ticket #{number} does not exist")
    return ticket


def _live(ticket: Ticket) -> None:
    if ticket.status == "merged":
        raise UsageError(f"#{ticket.id} is merged into #{ticket.merged_into_id}")


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
        reopen(ticket, at, actor, "by hand", marked=False)
    return notes


def assign_tickets(
    numbers: Iterable[int],
    login: str | None,
    actor: str,
    at: datetime | None = None,
    on_assign: OnAssign | None = None,
) -> list[str]:
    """Give the tickets to ``login`` (None: back to the pool); notes for no-ops.

    ``on_assign(ticket, agent, actor, at)`` runs for each ticket that gets
    an agent (the command's notifier: this module knows nothing of mail)."""
    at = at or now()
    agent = assignable_agent(login) if login is not None else None
    tickets = [get_ticket(n) for n in numbers]
    for ticket in tickets:
        _live(ticket)
    notes = []
    for ticket in tickets:
        if ticket.assignee_id == (agent.id if agent else None):
            who = agent.login if agent else "nobody"
            notes.append(f"#{ticket.id} is already assigned to {who}")
            acted_on(ticket)
            continue
        assign(ticket, agent, at, actor)
        if agent is not None and on_assign is not None:
            on_assign(ticket, agent, actor, at)
    return notes


def take_tickets(
    numbers: Iterable[int], actor: str, at: datetime | None = None
) -> list[str]:
    return assign_tickets(numbers, agent_for_actor(actor).login, actor, at)


def set_fields(
    number: int,
    actor: str,
    types: Iterable[str],
    priority: str | None = None,
    type_: str | None = None,
    due: datetime | None = None,
    at: datetime | None = None,
    queue: str | None = None,
    queues: Iterable[str] = (),
    *,
    clear_due: bool = False,
    status: str | None = None,
    subject: str | None = None,
    requester: str | None = None,
    token_prefix: str = "",
) -> None:
    """Priority, type, due date (``clear_due``: none any more), queue,
    status (pending or open), subject and requester; each change is its own
    event. Everything is checked before anything changes.

    ``status`` "pending" waits on the customer (the goals' clocks pause);
    "open" is on us again: open with an owner, new in the pool, as a
    customer's mail to a pending ticket makes it. A closed ticket is
    reopened with `reopen`, not here. ``requester`` is an address already
    checked (lower case); it joins the ticket's participants.

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
    known_queues = list(queues)
    if queue is not None and queue != "none" and queue not in known_queues:
        names = ", ".join(known_queues) or "none configured"
        raise UsageError(
            f"--queue: {queue!r} is not one of {names} ([[queues]]), or none"
        )
    if status is not None and status not in SETTABLE_STATUSES:
        raise UsageError(
            f"--status: {status!r} is not one of {', '.join(SETTABLE_STATUSES)}"
        )
    if status is not None and ticket.status == "closed":
        raise UsageError(f"#{ticket.id} is closed: `reopen {ticket.id}` first")
    if subject is not None and not subject.strip():
        raise UsageError("--subject is empty")
    writer = _writer(None)
    changes: dict[str, Any] = {}
    if status is not None:
        wanted = (
            "pending" if status == "pending" else _active_status(ticket.assignee_id)
        )
        if wanted != ticket.status:
            writer.event(ticket.id, "status", at, actor, wanted)
            changes["status"] = wanted
    _edit_subject_requester(ticket, writer, at, actor, subject, requester, token_prefix)
    new_queue = None if queue == "none" else queue
    if queue is not None and new_queue != ticket.queue:
        writer.event(ticket.id, "queue", at, actor, new_queue or "none")
        changes["queue"] = new_queue
    if priority is not None and priority != ticket.priority:
        writer.event(
            ticket.id, "priority", at, actor, f"{ticket.priority} → {priority}"
        )
        changes["priority"] = priority
    if type_ is not None and type_ != ticket.type:
        writer.event(ticket.id, "type", at, actor, type_)
        changes["type"] = type_
    due_at = None if clear_due else due
    if (due is not None or clear_due) and due_at != ticket.due_at:
        detail = due_at.isoformat() + "Z" if due_at else "none"
        writer.event(ticket.id, "due", at, actor, detail)
        changes["due_at"] = due_at
    _write(ticket, writer, **changes)
    acted_on(ticket, writer=writer)


def _edit_subject_requester(
    ticket: Ticket,
    writer: Writer,
    at: datetime,
    actor: str,
    subject: str | None,
    requester: str | None,
    token_prefix: str,
) -> None:
    """`set --subject` / `--requester`: the fallback threading key follows
    the subject; the requester becomes a participant (so their mail threads)."""
    values: dict[str, Any] = {}
    if subject is not None and subject.strip() != ticket.subject:
        values["subject"] = subject.strip()
        values["subject_key"] = normalize_subject(subject, token_prefix)
        writer.event(
            ticket.id, "subject", at, actor, f"{ticket.subject} → {subject.strip()}"
        )
    if requester is not None and requester != ticket.requester:
        values["requester"] = requester
        writer.add_participants(ticket.id, [requester])
        writer.event(
            ticket.id,
            "requester",
            at,
            actor,
            f"{ticket.requester or 'none'} → {requester}",
        )
    if values:
        Ticket.update(**values).where(Ticket.id == ticket.id).execute()
        for column, value in values.items():
            setattr(ticket, column, value)


def set_customer(
    number: int, ref: str, actor: str, at: datetime | None = None
) -> list[str]:
    """Set the customer by hand and remember the requester's address for it
    (learned), so the next mail from that address is recognised."""
    at = at or now()
    ticket = get_ticket(number)
    _live(ticket)
    customer = customer_by_ref(ref)
    writer = _writer(None)
    notes = []
    if ticket.customer_id != customer.id:
        _write(ticket, writer, customer_id=customer.id)
        writer.event(ticket.id, "customer", at, actor, customer.code or customer.name)
    address = ticket.requester
    if address:
        known = CustomerAddress.get_or_none(CustomerAddress.address == address)
        if known is None:
            CustomerAddress.create(customer=customer, address=address, learned=True)
        elif known.customer_id != customer.id:
            owner = known.customer.code or known.customer.name
            notes.append(f"{address} stays on customer {owner}")
    acted_on(ticket, writer=writer)
    return notes


def merge_customer(
    source_ref: str, target_ref: str, actor: str, at: datetime | None = None
) -> int:
    """`customers merge A into B`: A's tickets become B's (an event on each),
    then A's addresses and domains; A's record goes. Returns the tickets moved."""
    at = at or now()
    source, target = customer_by_ref(source_ref), customer_by_ref(target_ref)
    if source.id == target.id:
        raise UsageError(f"customer {source.code or source.name} is itself")
    writer = _writer(None)
    label = target.code or target.name
    moved = [
        number
        for (number,) in Ticket.select(Ticket.id)
        .where(Ticket.customer == source.id)
        .order_by(Ticket.id)
        .tuples()
    ]
    for number in moved:
        writer.event(number, "customer", at, actor, f"{label} (merged)")
    Ticket.update(customer=target.id).where(Ticket.customer == source.id).execute()
    merge_customers(source_ref, target_ref)
    return len(moved)


def add_note(number: int, text: str, actor: str, at: datetime | None = None) -> None:
    """An internal note: history only, never mailed."""
    if not text.strip():
        raise UsageError("the note is empty")
    ticket = get_ticket(number)
    writer = _writer(None)
    writer.note(ticket.id, at or now(), actor, text.strip())
    acted_on(ticket, writer=writer)


def log_time(
    number: int,
    duration: timedelta,
    actor: str,
    note: str = "",
    at: datetime | None = None,
) -> int:
    """Work time on a ticket; returns the minutes logged."""
    minutes = int(duration.total_seconds() // 60)
    if minutes <= 0:
        raise UsageError(f"{minutes}m is no time at all")
    at = at or now()
    ticket = get_ticket(number)
    writer = _writer(None)
    WorkLog.create(ticket=ticket, agent=actor, minutes=minutes, at=at, note=note)
    writer.event(ticket.id, "time", at, actor, f"{minutes}m {note}".strip())
    acted_on(ticket, writer=writer)
    return minutes


def remove_time(entry: int, actor: str, at: datetime | None = None) -> int:
    """`time --remove ID`: a wrong entry goes; its "time" event stays and a
    "time-removed" event says who took it back. Returns the ticket."""
    row = WorkLog.get_or_none(WorkLog.id == entry)
    if row is None:
        raise NotFoundError(f"time entry {entry} does not exist (see `time N --list`)")
    ticket = get_ticket(row.ticket_id)
    writer = _writer(None)
    detail = f"{row.minutes}m logged by {row.agent} (entry {entry})"
    row.delete_instance()
    writer.event(ticket.id, "time-removed", at or now(), actor, detail)
    acted_on(ticket, writer=writer)
    return ticket.id


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
    merge(source, target, at, actor, "by hand", acted=True)


def new_ticket(
    *,
    subject: str,
    actor: str,
    address: str | None,
    customer_ref: str | None,
    message: str,
    name: str = "",
    assignee: str | None,
    free_mail_domains: frozenset[str],
    token_prefix: str,
    at: datetime | None = None,
    on_assign: OnAssign | None = None,
) -> int:
    """A ticket opened by hand (phone, walk-in, web form); returns its number.

    The customer is recognised from the address as for mail, unless named;
    a named customer without ``address`` gives its first address as the
    requester (none when it has none: `set N --requester` adds one later).
    The text, if any, is kept as a message of kind "note" from the requester;
    like every note it is not mail, so it does not count in the ticket's VS.
    """
    at = at or now()
    if not subject.strip():
        raise UsageError("--subject is empty")
    if not address and not customer_ref:
        raise UsageError("give --from ADDRESS or --customer CODE")
    customer = customer_by_ref(customer_ref) if customer_ref else None
    if not address and customer is not None:
        # A phone ticket for a customer: its first address can be answered.
        address = first_address(customer)
    agent = assignable_agent(assignee) if assignee else None
    db = bound_database()
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
        created = Message.create(
            ticket=number,
            message_id=None,
            content_hash=digest,
            dedupe_key=f"manual:{number}|{digest}",
            raw_sha256=digest,
            kind="note",
            direction="inbound",
            from_address=address or "",
            from_name=name,
            subject=subject.strip(),
            date=at,
            received_at=at,
            body_text=message.strip(),
            rule="new",
            rule_detail="by hand",
            source="manual",
        )
        writer.index_stored_message(created.id)
    if agent is not None:
        ticket = Ticket.get_by_id(number)
        assign(ticket, agent, at, actor, writer=writer)
        if on_assign is not None:
            on_assign(ticket, agent, actor, at)
    return number


# --- tags ------------------------------------------------------------------

TAG_RULE = "lower-case letters, digits, - and _"
_TAG = re.compile(r"[a-z0-9_-]{1,64}")


def check_tag(tag: str) -> str:
    """A tag as scripts and `search tag:` use it, or one refusal line."""
    if not _TAG.fullmatch(tag):
        shown = tag if len(tag) <= 40 else tag[:40] + "..."
        raise UsageError(f"tag {shown!r}: a tag is 1-64 {TAG_RULE}")
    return tag


def known_tag_filter(tag: str) -> str:
    """A listing's tag filter names a tag some ticket has: a typo is an
    error, not an empty listing."""
    if not known_tag(check_tag(tag)):
        raise NotFoundError(f"no ticket is tagged {tag!r}")
    return tag


def tag_tickets(
    numbers: Iterable[int],
    tags: Iterable[str],
    actor: str,
    at: datetime | None = None,
    *,
    remove: bool = False,
) -> list[str]:
    """Put ``tags`` on (``remove``: take them off) every ticket; an event per
    ticket changed. All numbers and tags are checked before anything changes;
    returns a line for each ticket that needed no change."""
    at = at or now()
    wanted = list(dict.fromkeys(check_tag(t) for t in tags))
    if not wanted:
        raise UsageError("give at least one TAG")
    tickets = [get_ticket(n) for n in dict.fromkeys(numbers)]
    writer = _writer(None)
    notes = []
    for ticket in tickets:
        query = TicketTag.select(TicketTag.tag).where(TicketTag.ticket == ticket.id)
        have = {tag for (tag,) in query.tuples()}
        if remove:
            change = [t for t in wanted if t in have]
            if change:
                TicketTag.delete().where(
                    (TicketTag.ticket == ticket.id) & TicketTag.tag.in_(change)
                ).execute()
        else:
            change = [t for t in wanted if t not in have]
            for tag in change:
                TicketTag.create(ticket=ticket.id, tag=tag)
        if not change:
            verb = "has none of" if remove else "already has"
            notes.append(f"#{ticket.id} {verb} {' '.join(wanted)}")
        else:
            kind = "untagged" if remove else "tagged"
            writer.event(ticket.id, kind, at, actor, " ".join(change))
        acted_on(ticket, writer=writer)
    return notes


# --- watchers --------------------------------------------------------------


def watch_tickets(
    numbers: Iterable[int],
    login: str,
    actor: str,
    at: datetime | None = None,
    *,
    stop: bool = False,
) -> list[str]:
    """`watch N... LOGIN` (``stop``: `unwatch`): the agent is told when the
    customer writes, as the assignee is. All checked first; lines for no-ops."""
    at = at or now()
    agent = find_agent(login)
    if not stop and not agent.active:
        raise UsageError(f"agent {login} is inactive")
    tickets = [get_ticket(n) for n in dict.fromkeys(numbers)]
    writer = _writer(None)
    notes = []
    for ticket in tickets:
        watching = Watcher.get_or_none(
            (Watcher.ticket == ticket.id) & (Watcher.agent == agent.id)
        )
        if stop and watching is None:
            notes.append(f"{login} is not watching #{ticket.id}")
        elif not stop and watching is not None:
            notes.append(f"{login} is already watching #{ticket.id}")
        else:
            if stop:
                watching.delete_instance()
            else:
                Watcher.create(ticket=ticket.id, agent=agent.id)
            writer.event(ticket.id, "unwatch" if stop else "watch", at, actor, login)
        acted_on(ticket, writer=writer)
    return notes


# --- moving a message --------------------------------------------------------

NEW_TICKET = "new"  # `move MSG --to new`


def _replies_to(first: Message) -> list[Message]:
    """``first`` and, on its ticket, every message answering it (In-Reply-To
    or References naming one of them), however deep."""
    on_ticket = list(
        Message.select().where(Message.ticket == first.ticket_id).order_by(Message.id)
    )
    moving = {first.id: first}
    ids = {first.message_id} if first.message_id else set()
    grew = True
    while grew:
        grew = False
        for m in on_ticket:
            if m.id in moving:
                continue
            named = {m.in_reply_to, *m.references.split()} - {""}
            if named & ids:
                moving[m.id] = m
                if m.message_id:
                    ids.add(m.message_id)
                grew = True
    return sorted(moving.values(), key=lambda m: (m.date, m.id))


def move_message(
    ref: str,
    to: str,
    actor: str,
    *,
    with_replies: bool = False,
    token_prefix: str = "",
    at: datetime | None = None,
) -> tuple[int, list[str]]:
    """`move MSG --to N|new`: the message (``with_replies``: and the ones
    answering it) goes to ticket N or to a new one; both tickets' histories
    say so, and a ``MessageMove`` row keeps it. Threading reads a message's
    ticket, so a later reply to a moved message follows it, and a re-sync
    (the same mail, stored once) leaves it there. Returns the target's number
    and the short ids moved."""
    at = at or now()
    message = message_by_ref(ref)
    if message.ticket_id is None:
        raise UsageError(f"message {short_id(message.id)} is on no ticket (noise)")
    source = get_ticket(message.ticket_id)
    target: Ticket | None = None
    if to != NEW_TICKET:
        if not to.removeprefix("#").isdigit() or len(to) > 19:
            raise UsageError(f"--to: {to!r} is not a ticket number or 'new'")
        target = get_ticket(int(to.removeprefix("#")))
        _live(target)
        if target.id == source.id:
            raise UsageError(
                f"message {short_id(message.id)} is on #{source.id} already"
            )
    moving = _replies_to(message) if with_replies else [message]
    writer = _writer(None)
    if target is None:
        inbound = message.direction == "inbound"
        number = writer.create_ticket(
            subject=message.subject or source.subject,
            subject_key=normalize_subject(
                message.subject or source.subject, token_prefix
            ),
            customer_id=source.customer_id,
            requester=message.from_address if inbound else source.requester,
            source=source.source or "manual",
            at=message.date,
            detail=f"moved from #{source.id} ({actor})",
            queue=source.queue,
        )
        target = Ticket.get_by_id(number)
    ids = [m.id for m in moving]
    Message.update(ticket=target.id).where(Message.id.in_(ids)).execute()
    for m in moving:
        MessageMove.create(
            message=m.id, from_ticket=source.id, to_ticket=target.id, at=at, actor=actor
        )
    writer.add_participants(target.id, [m.from_address for m in moving])
    shorts = [short_id(i) for i in ids]
    writer.event(
        source.id, "moved-out", at, actor, f"{' '.join(shorts)} → #{target.id}"
    )
    writer.event(
        target.id, "moved-in", at, actor, f"{' '.join(shorts)} from #{source.id}"
    )
    for number in (source.id, target.id):
        writer.refresh_times(number)
        if (
            not Message.select()
            .where((Message.ticket == number) & (Message.kind == "ticket"))
            .exists()
        ):
            Ticket.update(message_count=0).where(Ticket.id == number).execute()
    acted_on(Ticket.get_by_id(source.id), writer=writer)
    return target.id, shorts


# --- unmerge -----------------------------------------------------------------

_KEPT = ("status", "closed_at", "reopened", "message_count", "merged_into_id",
         "assignee_id", "customer_id")  # fmt: skip


def _ids(query: Any) -> list[Any]:
    return [row[0] for row in query.tuples()]


def _links(number: int) -> list[list[Any]]:
    return [
        [link.ticket_id, link.linked_id, link.kind]
        for link in TicketLink.select().where(
            (TicketLink.ticket == number) | (TicketLink.linked == number)
        )
    ]


def _participants(number: int) -> list[str]:
    query = Participant.select(Participant.address).where(Participant.ticket == number)
    return _ids(query.order_by(Participant.id))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _record_merge(source: Ticket, target: Ticket, at: datetime) -> None:
    """Before a merge moves anything: what is whose, for `unmerge`."""
    pair = (source, target)
    merged_in = Ticket.select(Ticket.id).where(Ticket.merged_into == source.id)
    state = {
        "messages": _ids(Message.select(Message.id).where(Message.ticket == source.id)),
        "events": _ids(Event.select(Event.id).where(Event.ticket == source.id)),
        "participants": {str(t.id): _participants(t.id) for t in pair},
        "links": {str(t.id): _links(t.id) for t in pair},
        "merged_in": _ids(merged_in),
        "fields": {str(t.id): {k: _plain(getattr(t, k)) for k in _KEPT} for t in pair},
    }
    TicketMerge.create(
        source=source.id, target=target.id, at=at, state=json.dumps(state)
    )


def _field(column: str, value: Any) -> Any:
    if column == "closed_at" and value is not None:
        return datetime.fromisoformat(value)
    if column == "reopened":
        return bool(value)
    return value


def unmerge_ticket(number: int, actor: str, at: datetime | None = None) -> int:
    """`unmerge N`: the merged ticket N gets back its own messages, history,
    participants, links and fields, and the target what it had before; both
    histories say so. Returns the target's number."""
    at = at or now()
    ticket = get_ticket(number)
    if ticket.status != "merged":
        raise UsageError(f"#{number} is not merged ({ticket.status})")
    record = (
        TicketMerge.select()
        .where((TicketMerge.source == number) & TicketMerge.undone_at.is_null())
        .order_by(TicketMerge.id.desc())
        .first()
    )
    if record is None or record.target_id != ticket.merged_into_id:
        raise UsageError(f"#{number} was merged before ticketcli kept what merges move")
    target = get_ticket(record.target_id)
    state = json.loads(record.state)
    Message.update(ticket=number).where(
        Message.id.in_(state["messages"]) & (Message.ticket == target.id)
    ).execute()
    Event.update(ticket=number).where(
        Event.id.in_(state["events"]) & (Event.ticket == target.id)
    ).execute()
    for n in (number, target.id):
        Participant.delete().where(Participant.ticket == n).execute()
        _writer(None).add_participants(n, state["participants"][str(n)])
    TicketLink.delete().where(
        (TicketLink.ticket.in_([number, target.id]))
        | (TicketLink.linked.in_([number, target.id]))
    ).execute()
    links = {
        tuple(link) for n in (number, target.id) for link in state["links"][str(n)]
    }
    for ticket_id, linked_id, kind in sorted(links):
        TicketLink.create(ticket=ticket_id, linked=linked_id, kind=kind)
    Ticket.update(merged_into=number).where(Ticket.id.in_(state["merged_in"])).execute()
    writer = _writer(None)
    for n in (number, target.id):
        values = {k: _field(k, v) for k, v in state["fields"][str(n)].items()}
        Ticket.update(**values).where(Ticket.id == n).execute()
        writer.refresh_times(n)
    record.undone_at = at
    record.save()
    writer.event(number, "unmerged", at, actor, f"from #{target.id}")
    writer.event(target.id, "unmerged", at, actor, f"#{number}")
    return target.id

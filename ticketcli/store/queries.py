"""Every read the commands need, by name: plain dicts or dataclasses of raw
values (times as naive UTC datetimes, marks as booleans, people as logins);
how they read is ``ticketcli.render``'s business.

Listings stream (``iterator()``) and walk ordered cursors side by side
instead of querying once per ticket, so an export of a large store costs a
handful of queries, not one per ticket.
"""

from __future__ import annotations

from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from peewee import JOIN, SQL, Case, PostgresqlDatabase, fn

from ticketcli.clock import now
from ticketcli.errors import NotFoundError, UsageError
from ticketcli.store.absences import away_owner_column
from ticketcli.store.customers import customer_by_ref
from ticketcli.store.models import (
    ACTIVE_SQL,
    ACTIVE_STATUSES,
    Agent,
    AgentAddress,
    Attachment,
    Blob,
    Customer,
    CustomerAddress,
    CustomerDomain,
    Event,
    Message,
    MessageRaw,
    Quarantine,
    Ticket,
    TicketLink,
    TicketTag,
    Watcher,
    WorkLog,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence


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


# The ticket times ``export`` writes, as columns of ``ticket t``.
EXPORT_TICKET_TIMES = (
    "t.due_at",
    "t.created_at",
    "t.first_response_at",
    "t.closed_at",
    "t.last_message_at",
)


def export_tickets(
    bodies: bool = False,
    *,
    tags: bool = False,
    iso_text: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every ticket with its links and messages, in number order, as scripts
    read it (``bodies``: each message's text too; ``tags``: each ticket's
    tags, last). A backup is ``backup.py``.

    One pass over ordered cursors (tickets, links, tags, messages), read as
    the driver's tuples: no model instance and no field conversion per row
    (issue 18: a model per row held export to 18,000 messages/s). Times are
    naive UTC datetimes, as the models give them; with ``iso_text`` they are
    the text ``export`` writes (``2026-03-02T08:00:00Z``), made by the
    database, which spares Python a parse and a format per time: SQLite
    keeps them as text, so it is cut and joined; PostgreSQL's ``to_char``
    prints them. A time in SQLite of a shape ticketcli never writes is read
    as before, as peewee reads it (``_odd_sql`` finds those rows).
    """
    db = Ticket._meta.database
    sqlite = not isinstance(db, PostgresqlDatabase)
    fast = iso_text and sqlite
    if not iso_text:
        time: Callable[[str], str] = _same
    else:
        time = _iso_sql if sqlite else _iso_postgres
    ticket_times = EXPORT_TICKET_TIMES
    due, created, first_response, closed, last_message = map(time, ticket_times)
    tickets = db.execute_sql(
        "SELECT t.id, t.subject, t.status, t.priority, t.type,"
        f" {due}, c.code, c.name, t.requester, a.login, {created},"
        f" {first_response}, {closed}, {last_message},"
        " t.last_direction, t.message_count, t.reopened, t.source,"
        " t.merged_into_id, t.queue"
        " FROM ticket t LEFT JOIN customer c ON c.id = t.customer_id"
        " LEFT JOIN agent a ON a.id = t.assignee_id ORDER BY t.id"
    )
    # Rows with a time of odd shape: none in a store ticketcli wrote.
    odd_tickets = odd_rows(db, "ticket", ticket_times) if fast else set()
    odd_mail = odd_rows(db, "message", ("t.date",)) if fast else set()
    links = _grouped(
        db.execute_sql(
            "SELECT ticket_id, linked_id FROM ticket_link ORDER BY ticket_id, linked_id"
        )
    )
    labels = _grouped(
        db.execute_sql("SELECT ticket_id, tag FROM ticket_tag ORDER BY ticket_id, tag")
        if tags
        else ()
    )
    messages = groupby(
        db.execute_sql(
            f"SELECT m.ticket_id, {_message_columns(time)}, m.id"
            f"{', m.body_text' if bodies else ''}"
            " FROM message m WHERE m.ticket_id IS NOT NULL"
            " ORDER BY m.ticket_id, m.date, m.id"
        ),
        _FIRST,
    )
    when = None if iso_text else _when
    link = next(links, None)
    label = next(labels, None)
    group = next(messages, None)
    for (
        number,
        subject,
        status,
        priority,
        type_,
        due_at,
        customer_code,
        customer_name,
        requester,
        assignee,
        created_at,
        first_response_at,
        closed_at,
        last_message_at,
        last_direction,
        message_count,
        reopened,
        source,
        merged_into,
        queue,
    ) in tickets:
        while group is not None and group[0] < number:
            group = next(messages, None)  # a message of no ticket listed
        mails: list[dict[str, Any]]
        if group is None or group[0] != number:
            mails = []
        elif when is None and not odd_mail and not bodies:
            mails = [
                {
                    "message_id": m[1],
                    "direction": m[2],
                    "kind": m[3],
                    "from": m[4],
                    "date": m[5],
                    "rule": m[6],
                    "rule_detail": m[7],
                    "subject": m[8],
                }
                for m in group[1]
            ]
        else:
            mails = [_mail_row(m, bodies, when, odd_mail) for m in group[1]]
        if group is not None and group[0] == number:
            group = next(messages, None)
        if when is not None:
            due_at, created_at, first_response_at, closed_at, last_message_at = (
                when(due_at),
                when(created_at),
                when(first_response_at),
                when(closed_at),
                when(last_message_at),
            )
        elif odd_tickets and number in odd_tickets:
            due_at, created_at, first_response_at, closed_at, last_message_at = (
                _raw_time("ticket", column[2:], number) for column in ticket_times
            )
        linked: list[int] = []
        while link is not None and link[0] <= number:
            if link[0] == number:
                linked = link[1]
            link = next(links, None)
        ticket = {
            "number": number,
            "subject": subject,
            "status": status,
            "priority": priority,
            "type": type_,
            "due_at": due_at,
            "customer": customer_code or customer_name,
            "requester": requester,
            "assignee": assignee,
            "created_at": created_at,
            "first_response_at": first_response_at,
            "closed_at": closed_at,
            "last_message_at": last_message_at,
            "last_direction": last_direction,
            "message_count": message_count,
            "reopened": bool(reopened),
            "source": source,
            "merged_into": merged_into,
            "queue": queue,
            "linked_to": linked,
            "messages": mails,
        }
        if tags:
            names: list[str] = []
            while label is not None and label[0] <= number:
                if label[0] == number:
                    names = label[1]
                label = next(labels, None)
            ticket["tags"] = names
        yield ticket


_FIRST = itemgetter(0)


def _message_columns(time: Callable[[str], str]) -> str:
    return (
        "m.message_id, m.direction, m.kind, m.from_address,"
        f" {time('m.date')}, m.rule, m.rule_detail, m.subject"
    )


def _same(column: str) -> str:
    return column


def _grouped(rows: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, list[Any]]]:
    """(ticket, [values]) from rows of (ticket, value) in ticket order."""
    for number, group in groupby(rows, _FIRST):
        yield number, [value for _number, value in group]


def _mail_row(
    m: tuple[Any, ...],
    bodies: bool,
    when: Callable[[Any], Any] | None,
    odd: set[int],
) -> dict[str, Any]:
    """One message of ``export_tickets`` the slower way: its time read by
    Python (``when``), or read again for an odd row."""
    date = m[5]
    if when is not None:
        date = when(date)
    elif m[9] in odd:
        date = _raw_time("message", "date", m[9])
    row = {
        "message_id": m[1],
        "direction": m[2],
        "kind": m[3],
        "from": m[4],
        "date": date,
        "rule": m[6],
        "rule_detail": m[7],
        "subject": m[8],
    }
    if bodies:
        row["body_text"] = m[10]
    return row


def _iso_sql(column: str) -> str:
    """SQLite: ``2026-03-02 08:00:00[.123456]`` -> ``2026-03-02T08:00:00Z``
    (what ``render.output.iso`` makes of it: seconds, no fraction)."""
    return f"substr({column}, 1, 10) || 'T' || substr({column}, 12, 8) || 'Z'"


def _iso_postgres(column: str) -> str:
    return f"""to_char({column}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def _odd_sql(*columns: str) -> str:
    """True for a row with a time of another shape than the models write
    (``2026-03-02 08:00:00[.123456]``), which ``_iso_sql`` would not read as
    peewee does: the checks ``_when`` makes before its fast path."""
    return " OR ".join(
        f"({c} IS NOT NULL AND {c} NOT LIKE '____-__-__ __:__:__'"
        f" AND {c} NOT LIKE '____-__-__ __:__:__.______')"
        for c in columns
    )


def odd_rows(db: Any, table: str, columns: Sequence[str]) -> set[int]:
    """The ids of ``table`` rows (alias ``t``) with a time ``_odd_sql`` finds."""
    sql = f"SELECT t.id FROM {table} t WHERE {_odd_sql(*columns)}"
    return {row[0] for row in db.execute_sql(sql)}


def _raw_time(table: str, column: str, row: int) -> Any:
    """One time of one row as the models read it: for the odd row."""
    db = Ticket._meta.database
    value = db.execute_sql(
        f"SELECT {column} FROM {table} WHERE id = {db.param}", (row,)
    ).fetchone()[0]
    return _when(value)


_READ_TIME = Message.date.python_value


def _when(value: Any) -> datetime | None:
    """A time as the store's driver returned it, as the models read it: the
    usual SQLite text (``2026-03-02 08:00:00[.123456]``) by the C parser,
    anything else as peewee's ``DateTimeField`` reads it (PostgreSQL's
    datetimes pass through)."""
    if value is None:
        return None
    if (
        value.__class__ is str
        and (len(value) == 19 or (len(value) == 26 and value[19] == "."))
        and value[10] == " "
        and value[13] == value[16] == ":"
    ):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return _READ_TIME(value)


def tags_by_ticket(numbers: Iterable[int]) -> dict[int, list[str]]:
    """{ticket: its tags in order} for the tickets ``numbers``, one query."""
    wanted = list(numbers)
    tags: dict[int, list[str]] = {}
    if not wanted:
        return tags
    query = (
        TicketTag.select(TicketTag.ticket, TicketTag.tag)
        .where(TicketTag.ticket.in_(wanted))
        .order_by(TicketTag.ticket, TicketTag.tag)
    )
    for ticket, tag in query.tuples():
        tags.setdefault(ticket, []).append(tag)
    return tags


SHORT_PREFIX = "m"  # `show` names message 123 "m123"


def short_id(message: int) -> str:
    """How `show` names a message for `move`, `show --raw`, `attachments`."""
    return f"{SHORT_PREFIX}{message}"


def message_on_ticket(number: int, ref: str) -> Message:
    """Message ``ref`` (``message_by_ref``), which must be on ticket ``number``."""
    if not Ticket.select().where(Ticket.id == number).exists():
        raise NotFoundError(f"ticket #{number} does not exist")
    message = message_by_ref(ref)
    if message.ticket_id != number:
        raise NotFoundError(
            f"message {short_id(message.id)} is not on ticket #{number}"
        )
    return message


def message_by_ref(ref: str) -> Message:
    """A message by its short id (``m123``) or Message-ID (``<a@b>`` or
    ``a@b``); a Message-ID several stored mails share is refused."""
    text = ref.strip()
    body = text.removeprefix(SHORT_PREFIX)
    if text.startswith(SHORT_PREFIX) and body.isdigit() and len(body) < 19:
        found = Message.get_or_none(Message.id == int(body))
        if found is not None:
            return found
    mid = text if text.startswith("<") else f"<{text}>"
    matches = list(Message.select().where(Message.message_id == mid).limit(2))
    if len(matches) > 1:
        raise UsageError(
            f"message {mid} is stored more than once: use its short id from `show`"
        )
    if not matches:
        shown = ref if len(ref) <= 80 else ref[:80] + "..."
        raise NotFoundError(f"message {shown!r} does not exist")
    return matches[0]


def watcher_logins(number: int) -> list[str]:
    """The logins watching ticket ``number``, in order."""
    query = (
        Agent.select(Agent.login)
        .join(Watcher, on=(Watcher.agent == Agent.id))
        .where(Watcher.ticket == number)
        .order_by(Agent.login)
    )
    return [login for (login,) in query.tuples()]


def work_entries(number: int) -> list[dict[str, Any]]:
    """Ticket ``number``'s logged work time, one entry per row with its id
    (for `time --remove ID`), oldest first."""
    if not Ticket.select().where(Ticket.id == number).exists():
        raise NotFoundError(f"ticket #{number} does not exist")
    return [
        {"id": w.id, "at": w.at, "agent": w.agent, "minutes": w.minutes, "note": w.note}
        for w in WorkLog.select()
        .where(WorkLog.ticket == number)
        .order_by(WorkLog.at, WorkLog.id)
    ]


def attachment_rows(number: int, message: int | None = None) -> list[dict[str, Any]]:
    """Ticket ``number``'s attachments (``message``: one message's, which
    must be on it), in message order: raw values, no data."""
    if not Ticket.select().where(Ticket.id == number).exists():
        raise NotFoundError(f"ticket #{number} does not exist")
    query = (
        Attachment.select(Attachment)
        .join(Message)
        .where(Message.ticket == number)
        .order_by(Message.date, Message.id, Attachment.id)
    )
    if message is not None:
        query = query.where(Message.id == message)
    return [
        {
            "message": a.message_id,
            "short_id": short_id(a.message_id),
            "filename": a.filename,
            "size": a.size,
            "content_type": a.content_type,
            "sha256": a.sha256,
        }
        for a in query
    ]


def attachment_data(sha256: str) -> bytes:
    blob = Blob.get_or_none(Blob.sha256 == sha256)
    if blob is None:  # only a damaged store lacks it
        raise NotFoundError(f"attachment content {sha256} is not in the store")
    return bytes(blob.data)


def raw_message(message: Message) -> bytes:
    """The original bytes of a stored message, as they arrived."""
    raw = MessageRaw.get_or_none(MessageRaw.message == message.id)
    if raw is None:
        raise NotFoundError(
            f"message {short_id(message.id)} has no original (opened by hand)"
        )
    return bytes(raw.data)


def watching_agents(number: int) -> list[Agent]:
    """Ticket ``number``'s assignee, then its watchers, each once."""
    ticket = Ticket.get_or_none(Ticket.id == number)
    if ticket is None:
        return []
    watchers = list(
        Agent.select()
        .join(Watcher, on=(Watcher.agent == Agent.id))
        .where(Watcher.ticket == number)
        .order_by(Agent.login)
    )
    owner = (
        Agent.get_or_none(Agent.id == ticket.assignee_id)
        if ticket.assignee_id
        else None
    )
    agents = [owner] if owner is not None else []
    return agents + [a for a in watchers if owner is None or a.id != owner.id]


def known_tag(tag: str) -> bool:
    """Whether any ticket carries ``tag``."""
    return TicketTag.select().where(TicketTag.tag == tag).exists()


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
    row["tags"] = tags_by_ticket([number]).get(number, [])
    row["watchers"] = watcher_logins(number)
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
            "short_id": short_id(m.id),
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


class ReportRow(NamedTuple):
    """An active ticket as the report lists it: raw values, no display text.

    A NamedTuple, not a frozen dataclass: ``report`` imports this on every
    run, and a dataclass costs ~0.5 ms to define (issue 18)."""

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
    tags: tuple[str, ...] = ()


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
    tag: str | None = None,
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
    if tag is not None:
        tagged = TicketTag.select(TicketTag.ticket).where(TicketTag.tag == tag)
        query = query.where(Ticket.id.in_(tagged))
    order = {
        "age": (Ticket.created_at, Ticket.id),
        "number": (Ticket.id,),
        "last": (Ticket.last_message_at.desc(), Ticket.id),
        "priority": (_PRIORITY_RANK, Ticket.created_at, Ticket.id),
        "due": (Ticket.due_at.is_null(), Ticket.due_at, Ticket.id),
        "assignee": (Agent.login, Ticket.created_at, Ticket.id),
    }[sort]
    return query.order_by(*order)


def _tags_column() -> Any:
    """A ticket's tags as one space-separated text (a tag has no space), in
    the report's own query: the listing stays one query."""
    tag = TicketTag.alias("tags_of")
    if isinstance(Ticket._meta.database, PostgresqlDatabase):
        joined = fn.string_agg(tag.tag, " ")
    else:
        joined = fn.group_concat(tag.tag, " ")
    return tag.select(joined).where(tag.ticket == Ticket.id)


def report_rows(*, now: datetime, **filters: Any) -> Iterator[ReportRow]:
    """Active tickets one row each, from one SQL query (``report_query``'s
    filters); the absent owner as of ``now``."""
    query = report_query(now=now, **filters).select_extend(
        _tags_column().alias("tag_list")
    )
    for t in query.objects().iterator():
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
            tags=tuple(sorted((t.tag_list or "").split())),
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

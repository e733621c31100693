"""Peewee models: the store's schema, and nothing else.

Times are naive UTC everywhere (SQLite has no time zones and PostgreSQL's
``timestamp`` must mean the same thing). The ticket's number is its id.

The models belong to no database of their own: whoever works on a store
binds them to its ``Database`` for as long as the work lasts
(``bind_models``; ``ticketcli.api.Store`` does it around each call), and
the binding before comes back after. So two stores can be open in one
process, used one after the other in any order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from peewee import (
    AutoField,
    BlobField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from peewee import Database

# The actor of what ticketcli does on its own (created, auto-assigned, ...).
SYSTEM = "ticketcli"

# The statuses of a ticket someone still has to work on.
ACTIVE_STATUSES = ("new", "open", "pending")
ACTIVE_SQL = "('new', 'open', 'pending')"


class BaseModel(Model):
    class Meta:
        database = None  # bound per store: see bind_models
        legacy_table_names = False


class Customer(BaseModel):
    id = AutoField()
    code = CharField(null=True, unique=True)
    name = CharField()
    created_at = DateTimeField()


class CustomerAddress(BaseModel):
    customer = ForeignKeyField(Customer, backref="addresses", on_delete="CASCADE")
    address = CharField(unique=True)
    # Learned from a ticket whose customer someone set by hand (not imported).
    learned = BooleanField(default=False)


class CustomerDomain(BaseModel):
    customer = ForeignKeyField(Customer, backref="domains", on_delete="CASCADE")
    domain = CharField(unique=True)


class Agent(BaseModel):
    id = AutoField()
    login = CharField(unique=True)
    name = CharField(default="")
    active = BooleanField(default=True)
    created_at = DateTimeField()


class AgentAddress(BaseModel):
    agent = ForeignKeyField(Agent, backref="addresses", on_delete="CASCADE")
    address = CharField(unique=True)


class Ticket(BaseModel):
    id = AutoField()  # the ticket number people see
    subject = TextField(default="")
    subject_key = TextField(index=True, default="")  # normalised, for fallback
    customer = ForeignKeyField(Customer, null=True, index=True, on_delete="SET NULL")
    requester = TextField(index=True, default="")
    assignee = ForeignKeyField(Agent, null=True, index=True, on_delete="SET NULL")
    status = CharField(index=True, default="new")  # new|open|pending|closed|merged
    priority = CharField(default="normal")
    type = CharField(null=True)
    source = TextField(null=True)
    created_at = DateTimeField(index=True)
    first_response_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    last_message_at = DateTimeField(index=True)
    last_direction = CharField(default="inbound")
    message_count = IntegerField(default=0)
    reopened = BooleanField(default=False)
    merged_into = ForeignKeyField("self", null=True, on_delete="SET NULL")
    due_at = DateTimeField(null=True)  # set by hand: `set N --due DATE`
    queue = TextField(null=True)  # [[queues]] name, from its source at creation
    # The absent owner of a ticket put in the pool by their absence: it goes
    # back to them when they return, unless someone takes it meanwhile.
    held_for = ForeignKeyField(
        Agent, null=True, backref="+", index=True, on_delete="SET NULL"
    )

    @property
    def number(self) -> int:
        return self.id


class Message(BaseModel):
    id = AutoField()
    ticket = ForeignKeyField(
        Ticket, null=True, backref="messages", index=True, on_delete="SET NULL"
    )
    message_id = TextField(null=True, index=True)
    content_hash = CharField()
    # One row per distinct mail: "<message-id>|<content hash>". Unique, so two
    # runs racing past the duplicate check still cannot store a mail twice.
    dedupe_key = TextField(unique=True)
    raw_sha256 = CharField(index=True)
    collision = BooleanField(default=False)  # its Message-ID is not unique
    kind = CharField(default="ticket")  # ticket|autoreply|bounce|bulk|note
    direction = CharField(default="inbound")
    from_address = TextField(default="", index=True)
    from_name = TextField(default="")
    to_addrs = TextField(default="")  # space-separated
    cc_addrs = TextField(default="")
    subject = TextField(default="")
    date = DateTimeField(index=True)
    received_at = DateTimeField()
    body_text = TextField(default="")
    in_reply_to = TextField(default="")
    references = TextField(default="")
    # Thread-Index conversation; indexed only where set and placed
    # (message_thread_key_date, migrations 0009 and 0013).
    thread_key = CharField(null=True)
    rule = CharField(default="new")  # why it is on its ticket
    rule_detail = TextField(default="")
    source = TextField(default="")
    size = IntegerField(default=0)
    defects = TextField(default="")
    # From names a staff address our receiving server did not verify: why
    # ("dmarc=fail"). Such a mail is stored as the customer side's.
    unverified_from = TextField(null=True)


class MessageRaw(BaseModel):
    """The original bytes, apart from Message so listings never read them."""

    message = ForeignKeyField(Message, primary_key=True, on_delete="CASCADE")
    data = BlobField()


class MessageRef(BaseModel):
    """Every Message-ID a stored message names: lets a parent that arrives
    after its reply find the reply's ticket."""

    message = ForeignKeyField(Message, backref="refs", on_delete="CASCADE")
    ref = TextField(index=True)


class Blob(BaseModel):
    """Attachment content, stored once per sha256."""

    sha256 = CharField(primary_key=True)
    data = BlobField()
    size = IntegerField()


class Attachment(BaseModel):
    message = ForeignKeyField(Message, backref="attachments", on_delete="CASCADE")
    filename = CharField()
    content_type = CharField()
    size = IntegerField()
    sha256 = CharField(index=True)


class Participant(BaseModel):
    # No index of its own: the unique (ticket, address) one begins with it.
    ticket = ForeignKeyField(
        Ticket, backref="participants", index=False, on_delete="CASCADE"
    )
    address = CharField(index=True)

    class Meta:
        indexes = ((("ticket", "address"), True),)


class TicketLink(BaseModel):
    ticket = ForeignKeyField(Ticket, backref="links", on_delete="CASCADE")
    linked = ForeignKeyField(Ticket, backref="linked_from", on_delete="CASCADE")
    kind = CharField()  # follow-up | foreign | merged

    class Meta:
        indexes = ((("ticket", "linked"), True),)


class Event(BaseModel):
    ticket = ForeignKeyField(Ticket, backref="events", index=True, on_delete="CASCADE")
    at = DateTimeField(index=True)
    actor = CharField(default="ticketcli")
    # created|message|assigned|closed|reopened|...; found through the
    # (kind, at) index of migration 0004, which begins with it.
    kind = CharField()
    detail = TextField(default="")
    message = ForeignKeyField(Message, null=True, on_delete="SET NULL")


class WorkLog(BaseModel):
    """Effective work time on a ticket (`time N 45m`), for time per customer."""

    ticket = ForeignKeyField(Ticket, backref="work", index=True, on_delete="CASCADE")
    agent = TextField()  # the actor's login, as events record it
    minutes = IntegerField()
    at = DateTimeField()
    note = TextField(default="")


class TicketTag(BaseModel):
    """A tag on a ticket (`tag N urgent`): lower-case letters, digits, - and _."""

    ticket = ForeignKeyField(Ticket, backref="tags", on_delete="CASCADE")
    tag = CharField(index=True)

    class Meta:
        indexes = ((("ticket", "tag"), True),)


class Watcher(BaseModel):
    """An agent who gets the assignee's notice when the customer writes."""

    ticket = ForeignKeyField(Ticket, backref="watchers", on_delete="CASCADE")
    agent = ForeignKeyField(Agent, backref="+", on_delete="CASCADE")

    class Meta:
        indexes = ((("ticket", "agent"), True),)


class MessageMove(BaseModel):
    """A message moved by hand to another ticket (`move`): threading reads
    it, so a reply to the message follows it and a re-sync leaves it there."""

    message = ForeignKeyField(Message, backref="moves", index=True, on_delete="CASCADE")
    from_ticket = ForeignKeyField(Ticket, backref="+", null=True, on_delete="SET NULL")
    to_ticket = ForeignKeyField(Ticket, backref="+", index=True, on_delete="CASCADE")
    at = DateTimeField()
    actor = TextField(default="ticketcli")
    kind = TextField(default="move")  # move (by hand) | merge (for unmerge)


class TicketMerge(BaseModel):
    """What a merge moved and changed (JSON), so `unmerge` can give it back."""

    source = ForeignKeyField(Ticket, backref="+", index=True, on_delete="CASCADE")
    target = ForeignKeyField(Ticket, backref="+", on_delete="CASCADE")
    at = DateTimeField()
    state = TextField()
    undone_at = DateTimeField(null=True)


class Quarantine(BaseModel):
    id = AutoField()
    source = TextField()
    key = TextField()
    reason = TextField()
    raw_sha256 = CharField(unique=True)
    size = IntegerField()
    data = BlobField()
    received_at = DateTimeField()
    # Set when `quarantine retry` stored it after all: the row stays, as a record.
    retried_at = DateTimeField(null=True)
    message_ref = IntegerField(null=True)  # the message it became


class Delivery(BaseModel):
    """What a source has handed over, by its own key: a source's memory."""

    source = TextField()
    key = TextField()
    message = ForeignKeyField(Message, null=True, on_delete="SET NULL")
    quarantine = ForeignKeyField(Quarantine, null=True, on_delete="SET NULL")
    at = DateTimeField()

    class Meta:
        indexes = ((("source", "key"), True),)


class Checkpoint(BaseModel):
    source = TextField()
    name = TextField()
    value = TextField()

    class Meta:
        indexes = ((("source", "name"), True),)


class Outbox(BaseModel):
    """Mail ticketcli is to send: the exact bytes, fixed before the first try.

    ``status``: pending -> sending (committed before SMTP) -> sent; or
    failed (given up, kept and listed), dropped (by hand). See outbox.py.
    """

    id = AutoField()
    ticket = ForeignKeyField(Ticket, null=True, index=True, on_delete="SET NULL")
    # The copy stored on the ticket (None when the mail is not kept there).
    stored = ForeignKeyField(Message, null=True, on_delete="SET NULL")
    message_id = TextField(index=True)  # the Message-ID header, fixed at queueing
    kind = TextField()  # acknowledgement|close-notice|reply|assigned|mention
    to_address = TextField(index=True)  # first recipient: the rate limit's key
    recipients = TextField()  # envelope recipients, space-separated
    sender = TextField()  # envelope sender
    data = BlobField()
    status = TextField(index=True, default="pending")
    attempts = IntegerField(default=0)
    created_at = DateTimeField(index=True)
    next_attempt_at = DateTimeField(null=True)
    sending_at = DateTimeField(null=True)
    sent_at = DateTimeField(null=True)
    last_error = TextField(default="")
    actor = TextField(default="ticketcli")


class Absence(BaseModel):
    """An agent away (ill, on holiday), planned ahead or now; see absence.py.

    ``starts_at``/``ends_at`` are what was asked (``ends_at`` None: until
    `agents back`); whether it has begun is a question for the clock.
    ``ended_at`` records when it was ended (by `agents back`, or by a run
    after ``ends_at``), so ending it again changes nothing.
    """

    id = AutoField()
    agent = ForeignKeyField(Agent, backref="absences", on_delete="CASCADE")
    starts_at = DateTimeField(index=True)
    ends_at = DateTimeField(null=True)
    note = TextField(default="")
    created_at = DateTimeField()
    created_by = TextField(default="ticketcli")
    ended_at = DateTimeField(null=True, index=True)
    ended_by = TextField(null=True)


class AbsenceMove(BaseModel):
    """A ticket an absence moved (to the pool, or to a colleague): what
    `agents back` looks at, and what the daily report counts."""

    absence = ForeignKeyField(Absence, backref="moves", on_delete="CASCADE")
    ticket = ForeignKeyField(Ticket, index=True, on_delete="CASCADE")
    action = TextField()  # pooled | reassigned
    to_agent = ForeignKeyField(Agent, null=True, backref="+", on_delete="SET NULL")
    at = DateTimeField()


class EscalationNotice(BaseModel):
    """A notice [escalation] sent about one goal of one ticket: ``warning``
    (it will be missed soon) or ``missed``. Each at most once, whichever
    run gets there first (the unique index): two cron syncs send one."""

    ticket = ForeignKeyField(Ticket, backref="+", on_delete="CASCADE")
    goal = TextField()  # first_response | resolution
    kind = TextField()  # warning | missed
    deadline = DateTimeField()  # when the goal fell (or falls) due
    recipient = TextField()
    outbox = ForeignKeyField(Outbox, null=True, backref="+", on_delete="SET NULL")
    at = DateTimeField()

    class Meta:
        indexes = ((("ticket", "goal", "kind"), True),)


class SchemaMigration(BaseModel):
    name = CharField(unique=True)
    applied_at = DateTimeField()


ALL_MODELS: tuple[type[BaseModel], ...] = (
    Customer,
    CustomerAddress,
    CustomerDomain,
    Agent,
    AgentAddress,
    Ticket,
    Message,
    MessageRaw,
    MessageRef,
    Blob,
    Attachment,
    Participant,
    TicketLink,
    Event,
    WorkLog,
    TicketTag,
    Watcher,
    MessageMove,
    TicketMerge,
    Quarantine,
    Delivery,
    Checkpoint,
    Outbox,
    Absence,
    AbsenceMove,
    EscalationNotice,
    SchemaMigration,
)


def bind_models(db: Database) -> AbstractContextManager[Any]:
    """The models bound to ``db`` inside a ``with`` block; on leaving it they
    are bound again to whatever they were bound to before (nothing, or
    another store)."""
    # Every model is listed, so peewee need not walk the references.
    return db.bind_ctx(ALL_MODELS, bind_refs=False, bind_backrefs=False)


def bound_database() -> Database:
    """The database the models are bound to now, for plain SQL beside them."""
    db = Ticket._meta.database
    if db is None:
        raise RuntimeError(
            "the models are bound to no store: open one with ticketcli.Store.open"
            " (or bind_models(db) in a test)"
        )
    return db

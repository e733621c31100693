"""[escalation]: tell someone before a goal is missed, and when it was.

After every sync (and by ``ticketcli escalate``), each active ticket's
first-response and resolution deadlines (``rules.escalation``: business
time) are held against the clock. A goal that will be missed within
``warn_before`` makes a *warning*, one that has been missed a *missed*
notice: to the ticket's assignee, or to ``[escalation] to`` for a pool
ticket (and for an assignee without an address). Each notice goes once
per ticket, goal and kind -- remembered in the store in the transaction
that queues it (``store.escalations``), so the next sync, or a second host,
sends nothing again -- and only in opening hours.

The mail is a notice like "assigned to you" (``desk.notices``): the
ticket's summary, ``Auto-Submitted: auto-generated`` and X-Loop (the loop
guard: nobody's responder answers it, and a copy that comes back is known
as ours), queued in the outbox and sent by its flush -- sync's own, at the
end of the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ticketcli.desk.notices import summary
from ticketcli.desk.outbox import enqueue, send_queued
from ticketcli.errors import ConfigError, StoreLockedError, UsageError
from ticketcli.mail.compose import compose
from ticketcli.mail.subject import format_token
from ticketcli.rules.escalation import MISSED, goal_clocks, is_open, notice_kind
from ticketcli.rules.metrics import business_seconds
from ticketcli.store import escalations as remembered
from ticketcli.store import stats as aggregates
from ticketcli.store.lock import sync_lock
from ticketcli.store.models import SYSTEM, bound_database
from ticketcli.store.ticket_view import ticket_view

if TYPE_CHECKING:
    from datetime import datetime

    from ticketcli.config import Config

log = logging.getLogger(__name__)

ESCALATION = "escalation"  # the outbox kind
GOAL_NAMES = {"first_response": "first response", "resolution": "resolution"}


@dataclass(frozen=True)
class DueTicket:
    """One goal of one active ticket and when it falls due (aware UTC)."""

    number: int
    assignee: str | None  # login; None: the pool
    priority: str
    goal: str  # first_response | resolution
    deadline: datetime
    status: str
    created_at: datetime  # naive UTC, as the store keeps it
    waiting: bool  # the customer wrote last


@dataclass(frozen=True)
class Notice:
    """A notice to send (or sent): about which goal of which ticket, to whom."""

    number: int
    goal: str
    kind: str  # warning | missed
    deadline: datetime
    to: str  # the address
    assignee: str | None


def due_tickets(config: Config, now: datetime) -> list[DueTicket]:
    """Every first-response and resolution deadline of the active tickets,
    soonest first; empty without [goals]."""
    goals = config.goals
    if goals is None:
        return []
    tickets = aggregates.active_tickets()
    if not tickets:
        return []
    first_inbound = aggregates.first_unanswered_inbound()
    events = aggregates.active_status_events()
    due = [
        DueTicket(
            number=t.number,
            assignee=t.assignee,
            priority=t.priority,
            goal=clock.goal,
            deadline=clock.deadline,
            status=t.status,
            created_at=t.created_at,
            waiting=t.waiting,
        )
        for t in tickets
        if t.created_at <= now  # a clock pinned in the past: not there yet
        for clock in goal_clocks(
            priority=t.priority,
            status=t.status,
            created_at=t.created_at,
            first_inbound=(
                first_inbound.get(t.number) if t.first_response_at is None else None
            ),
            events=events.get(t.number, ()),
            goals=goals,
            hours=config.hours,
            now=now,
        )
    ]
    due.sort(key=lambda d: (d.deadline, d.number, d.goal))
    return due


def pending_notices(config: Config, now: datetime) -> list[Notice]:
    """The notices due now and not sent before (reads only)."""
    settings = config.escalation
    if not settings.enabled or not is_open(now, config.hours):
        return []  # at night a sync reads nothing for it
    due = due_tickets(config, now)
    if not due:
        return []
    sent = remembered.sent_notices()
    addresses = remembered.agent_addresses()
    notices = []
    for ticket in due:
        kind = notice_kind(ticket.deadline, now, settings.warn_before, config.hours)
        if kind is None or (ticket.number, ticket.goal, kind) in sent:
            continue
        to = _recipient(ticket.assignee, settings.to, addresses)
        if to is None:
            log.info(
                "ticket %d: %s %s, but nobody to tell ([escalation] to)",
                ticket.number,
                ticket.goal,
                kind,
            )
            continue
        notices.append(
            Notice(
                ticket.number, ticket.goal, kind, ticket.deadline, to, ticket.assignee
            )
        )
    return notices


def _recipient(
    assignee: str | None, lead: str | None, addresses: dict[str, str | None]
) -> str | None:
    """The assignee's address; else [escalation] to (an address, or a login)."""
    if assignee is not None and addresses.get(assignee):
        return addresses[assignee]
    if lead is None:
        return None
    return lead if "@" in lead else addresses.get(lead)


@dataclass
class Escalated:
    """What a run queued, and one line for each notice it could not send
    (said once: the notice is remembered all the same)."""

    notices: list[Notice] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def escalate(config: Config, now: datetime, *, dry_run: bool = False) -> Escalated:
    """Queue every notice due now, each once, under the sync lock (with
    ``dry_run``: list what would be queued, queueing nothing). The caller
    flushes the outbox (sync does at its end; see ``run``)."""
    if not config.escalation.enabled:
        return Escalated()
    if dry_run:
        return Escalated(pending_notices(config, now))
    db = bound_database()
    done = Escalated()
    with sync_lock(db, config.lock_timeout):
        for notice in pending_notices(config, now):
            with db.atomic():
                queued, warning = _queue(config, notice, now)
            if queued:
                done.notices.append(notice)
            if warning:
                done.warnings.append(warning)
    return done


def _queue(config: Config, notice: Notice, now: datetime) -> tuple[bool, str | None]:
    """Remember the notice, then queue its mail, in the caller's
    transaction: (queued, why not). Not queued and no reason: another run
    has sent it meanwhile."""
    row = remembered.remember(
        notice.number,
        notice.goal,
        notice.kind,
        deadline=notice.deadline,
        recipient=notice.to,
        at=now,
    )
    if row is None:
        return False, None
    subject, body = notice_text(config, notice, now)
    try:
        with bound_database().atomic():  # a savepoint: the memory stays
            message = compose(
                config,
                to=[notice.to],
                subject=subject,
                body=body,
                ticket_number=notice.number,
                auto_submitted="auto-generated",
                date=now,
            )
            outbox = enqueue(
                message,
                recipients=[notice.to],
                kind=ESCALATION,
                ticket=notice.number,
                at=now,
                actor=SYSTEM,
                store=False,
            )
    except (UsageError, ConfigError) as exc:  # an address, no sender
        return False, f"escalation: {describe(notice)} not sent: {exc.message}"
    remembered.link_outbox(row, outbox)
    return True, None


def after_sync(config: Config, now: datetime) -> list[str]:
    """Sync's step: queue what is due (sync's flush sends it); lines for
    stderr, none when all went well. Another run holding the lock does the
    same work, so waiting in vain for it is no failure."""
    if not config.escalation.enabled:
        return []
    try:
        done = escalate(config, now)
    except StoreLockedError:
        log.info("escalation: another run holds the sync lock; it escalates")
        return []
    for notice in done.notices:
        log.info("escalation: %s", describe(notice))
    return done.warnings


def run(
    config: Config, now: datetime, *, dry_run: bool = False
) -> tuple[Escalated, str | None]:
    """`ticketcli escalate`: queue what is due and send it; what was queued
    and the outbox's line for stderr, if any."""
    done = escalate(config, now, dry_run=dry_run)
    problem = send_queued(config, now) if done.notices and not dry_run else None
    return done, problem


# -- the words (pure) -------------------------------------------------------


def _zone(config: Config) -> str:
    if config.display.timezone:
        return config.display.timezone
    return config.hours.timezone if config.hours is not None else "UTC"


def _when(config: Config, moment: datetime) -> str:
    zone = _zone(config)
    local = moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {zone}"


def _span(seconds: int) -> str:
    hours, minutes = divmod(max(0, seconds) // 60, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def describe(notice: Notice) -> str:
    """One line for -v: what was (or would be) sent, to whom."""
    return (
        f"#{notice.number} {GOAL_NAMES[notice.goal]} {notice.kind} "
        f"(due {notice.deadline:%Y-%m-%d %H:%M} UTC) to {notice.to}"
    )


def notice_text(config: Config, notice: Notice, now: datetime) -> tuple[str, str]:
    """(subject, body) of a warning or missed notice."""
    view = ticket_view(notice.number)
    token = format_token(config.token_prefix, notice.number)
    goal = GOAL_NAMES[notice.goal]
    when = _when(config, notice.deadline)
    clock = "business time" if config.hours is not None else "calendar time"
    deed = (
        "someone answers the customer"
        if notice.goal == "first_response"
        else "it is closed or waits on the customer (pending)"
    )
    if notice.kind == MISSED:
        subject = f"Goal missed, {goal}: {view.subject}"
        lead = f"Ticket {token} missed its {goal} goal at {when}."
    else:
        left = business_seconds(now, notice.deadline, config.hours)
        subject = f"Goal due soon, {goal}: {view.subject}"
        lead = (
            f"Ticket {token} misses its {goal} goal at {when} "
            f"(in {_span(left)} of {clock}) unless {deed} first."
        )
    if notice.assignee is None:
        lead += "\nIt is in the pool: nobody has taken it."
    return subject, f"{lead}\n\n" + summary(view, token)

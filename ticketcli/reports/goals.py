"""Goals ([goals]) against the active tickets now: which ticket breaches which.

The store hands over each active ticket's facts and status events; the
rules of time (business hours, open spells, status clocks) are
``ticketcli.rules.metrics``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ticketcli.rules import metrics
from ticketcli.store import stats as aggregates

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from datetime import datetime

    from ticketcli.config import BusinessHours, Config, Goals
    from ticketcli.store.stats import ActiveTicket, Event


def goal_seconds(goals: Goals | None, priority: str | None, name: str) -> int | None:
    """A goal's target for a priority, in seconds; None when it is not set."""
    if goals is None:
        return None
    target = getattr(goals.for_priority(priority), name)
    return int(target.total_seconds()) if target is not None else None


def timeline(created_at: datetime, events: Iterable[Event]) -> list[Event]:
    """The ticket's events with one "created" at its first message's date.

    Sync records "created" when it reads the first mail, which for mail read
    out of order is later than the ticket's first message; a merge brings a
    second one. The ticket's own ``created_at`` is the truth for both.
    """
    return [("created", created_at, ""), *(e for e in events if e[0] != "created")]


def breaches(
    *, config: Config, now: datetime, only: Collection[int] | None = None
) -> dict[int, list[str]]:
    """Active tickets breaching a goal now: {number: goal names}.

    first_response: the customer has waited longer than the goal for a first
    reply; resolution: open (pending paused, reopens summed) longer than the
    goal; new_max/open_max/pending_max: in that status longer. All in
    business time when [hours] is set. Empty without [goals]. ``only``: just
    these tickets (a listing of some), not every active one.
    """
    goals = config.goals
    if goals is None:
        return {}
    tickets = aggregates.active_tickets()
    if only is not None:
        tickets = [ticket for ticket in tickets if ticket.number in only]
    if not tickets:
        return {}
    first_inbound = aggregates.first_unanswered_inbound()
    events = aggregates.active_status_events()
    out: dict[int, list[str]] = {}
    for ticket in tickets:
        found = ticket_breaches(
            ticket,
            first_inbound.get(ticket.number),
            events.get(ticket.number, ()),
            goals,
            config.hours,
            now,
        )
        if found:
            out[ticket.number] = list(found)
    return out


def ticket_breaches(
    ticket: ActiveTicket,
    first_inbound: datetime | None,
    events: Iterable[Event],
    goals: Goals,
    hours: BusinessHours | None,
    now: datetime,
) -> tuple[str, ...]:
    """The goals one active ticket breaches at ``now``, from its facts and
    status events (``first_inbound``: when the customer first wrote, if no
    one has answered yet)."""
    history = timeline(ticket.created_at, events)
    waited = None
    if ticket.first_response_at is None and first_inbound is not None:
        waited = metrics.business_seconds(first_inbound, now, hours)
    in_status: dict[str, int | None] = {}
    state = metrics.status_since(history)
    if state is not None and state[0] == ticket.status:
        in_status[ticket.status] = metrics.business_seconds(state[1], now, hours)
    return metrics.goal_breached(
        goals,
        ticket.priority,
        first_response=waited,
        resolution=metrics.resolution(history, hours, now).open_seconds,
        new_seconds=in_status.get("new"),
        open_seconds=in_status.get("open"),
        pending_seconds=in_status.get("pending"),
    )

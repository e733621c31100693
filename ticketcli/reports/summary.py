"""`stats`' summary of a period: counts from the store's aggregates, and the
durations (first response, resolution) worked out per ticket of the period.

Every row is plain data: counts as ints, durations as whole seconds (halves
rounded up: a median of two may end in .5), shares as fractions 0..1 to four
places. Percentiles are exact (nearest rank).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ticketcli.reports.goals import goal_seconds, timeline
from ticketcli.reports.groups import ALL, grouping
from ticketcli.reports.periods import zone_name
from ticketcli.rules import metrics
from ticketcli.store import stats as aggregates

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from ticketcli.config import BusinessHours, Config
    from ticketcli.reports.groups import Grouping
    from ticketcli.store.stats import OpenedTicket

SUMMARY_KEYS = (
    "group",
    "created",
    "closed",
    "reopened",
    "backlog",
    "frt_avg",
    "frt_median",
    "frt_p90",
    "frt_within_goal",
    "frt_breaches",
    "resolution_median",
    "resolution_p90",
    "resolution_breaches",
    "replies_per_ticket",
    "at_risk",
)


def whole_seconds(value: float | None) -> int | None:
    """Whole seconds, halves rounded up (a median of two may end in .5)."""
    return None if value is None else int(math.floor(value + 0.5))


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def first_response(ticket: OpenedTicket, hours: BusinessHours | None) -> int | None:
    """FRT: the customer's first mail to the first staff reply, in business
    time; None while unanswered, or when only staff wrote."""
    if ticket.first_inbound is None or ticket.first_response_at is None:
        return None
    return metrics.business_seconds(
        ticket.first_inbound, ticket.first_response_at, hours
    )


@dataclass
class FrtFigures:
    """FRT figures of a set of tickets."""

    values: list[int] = field(default_factory=list)
    within: int = 0
    decided: int = 0  # answered, or unanswered past the goal (a known breach)
    breaches: int = 0
    has_goal: bool = False

    def row(self) -> dict[str, Any]:
        values = self.values
        return {
            "frt_avg": whole_seconds(sum(values) / len(values)) if values else None,
            "frt_median": whole_seconds(metrics.median(values)),
            "frt_p90": whole_seconds(metrics.percentile(values, 90)),
            "frt_within_goal": share(self.within, self.decided)
            if self.has_goal
            else None,
            "frt_breaches": self.breaches,
        }


def frt_figures(
    tickets: Iterable[OpenedTicket], config: Config, now: datetime
) -> FrtFigures:
    """FRT of each ticket answered; with a goal, the share answered within it.

    A ticket still unanswered counts as a breach once its waiting time is past
    the goal; before that it is undecided and left out of the share.
    """
    result = FrtFigures(has_goal=config.goals is not None)
    for ticket in tickets:
        if ticket.first_inbound is None:
            continue  # staff opened it and the customer never wrote
        goal = goal_seconds(config.goals, ticket.priority, "first_response")
        value = first_response(ticket, config.hours)
        if value is not None:
            result.values.append(value)
            if goal is not None:
                result.decided += 1
                if value > goal:
                    result.breaches += 1
                else:
                    result.within += 1
        elif goal is not None:
            waited = metrics.business_seconds(ticket.first_inbound, now, config.hours)
            if waited > goal:
                result.decided += 1
                result.breaches += 1
    return result


def first_response_times(
    *, start: datetime, end: datetime, config: Config
) -> dict[int, int | None]:
    """{ticket: FRT seconds} for the tickets opened in [start, end); None
    while unanswered, or when only staff wrote."""
    return {
        ticket.number: first_response(ticket, config.hours)
        for ticket in aggregates.opened_tickets(None, start, end)
    }


def _resolutions(
    groups: Grouping, start: datetime, end: datetime, config: Config, now: datetime
) -> dict[str, tuple[list[int], int]]:
    """{group: (resolution seconds, breaches)} of tickets closed in [start, end).

    A ticket counts once, when it was last closed; its resolution is all the
    time it spent open (pending paused), every reopened spell included.
    """
    out: dict[str, tuple[list[int], int]] = {}
    for ticket in aggregates.closed_tickets(groups.key, start, end):
        history = timeline(ticket.created_at, ticket.events)
        seconds = metrics.resolution(history, config.hours, now).open_seconds
        label = groups.label(ticket.group)
        values, breaches = out.get(label, ([], 0))
        goal = goal_seconds(config.goals, ticket.priority, "resolution")
        values.append(seconds)
        out[label] = (values, breaches + (goal is not None and seconds > goal))
    return out


def summary(
    *,
    start: datetime,
    end: datetime,
    by: str | None,
    config: Config,
    now: datetime,
) -> list[dict[str, Any]]:
    """One row per group with the keys of ``SUMMARY_KEYS``.

    created: opened in the period; closed / reopened: closed or reopened in
    it (a ticket once, however often); backlog: open at the period's end
    (now, for a period still running); at_risk: active now with an owner who
    is away now. FRT figures over the tickets opened in the period,
    resolution over the tickets last closed in it, replies per ticket opened
    in it.
    """
    groups = grouping(by, zone_name(config))
    key = groups.key
    created = groups.add_up(aggregates.created_counts(key, start, end))
    closed = groups.add_up(aggregates.event_counts(key, "closed", start, end))
    reopened = groups.add_up(aggregates.event_counts(key, "reopened", start, end))
    backlog = groups.add_up(aggregates.backlog_counts(key, end, now))
    opened: dict[str, list[OpenedTicket]] = defaultdict(list)
    for ticket in aggregates.opened_tickets(key, start, end):
        opened[groups.label(ticket.group)].append(ticket)
    resolved = _resolutions(groups, start, end, config, now)
    at_risk = groups.add_up(aggregates.owner_away_counts(key, now))
    labels = set(created) | set(closed) | set(reopened) | set(backlog) | set(resolved)
    labels |= set(at_risk)
    if by is None:
        labels.add(ALL)
    rows = []
    for label in sorted(labels, key=groups.order):
        tickets = opened.get(label, [])
        values, breaches = resolved.get(label, ([], 0))
        replies = sum(t.replies for t in tickets)
        rows.append(
            {
                "group": label,
                "created": created.get(label, 0),
                "closed": closed.get(label, 0),
                "reopened": reopened.get(label, 0),
                "backlog": backlog.get(label, 0),
                **frt_figures(tickets, config, now).row(),
                "resolution_median": whole_seconds(metrics.median(values)),
                "resolution_p90": whole_seconds(metrics.percentile(values, 90)),
                "resolution_breaches": breaches,
                "replies_per_ticket": round(replies / len(tickets), 2)
                if tickets
                else None,
                "at_risk": at_risk.get(label, 0),
            }
        )
    return rows

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
    from collections.abc import Iterable, Iterator
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


# An FRT verdict against the goal: within it, over it (a breach), or not
# decided (no goal; or unanswered, and the wait not past the goal yet).
WITHIN, BREACH, UNDECIDED = 1, -1, 0


@dataclass
class FrtFigures:
    """FRT figures of a set of tickets."""

    values: list[int] = field(default_factory=list)
    within: int = 0
    decided: int = 0  # answered, or unanswered past the goal (a known breach)
    breaches: int = 0
    has_goal: bool = False

    def add(self, value: int | None, verdict: int) -> None:
        """One ticket's FRT (None: none yet) and its verdict."""
        if value is not None:
            self.values.append(value)
        if verdict == WITHIN:
            self.decided += 1
            self.within += 1
        elif verdict == BREACH:
            self.decided += 1
            self.breaches += 1

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


def frt_outcomes(
    tickets: Iterable[OpenedTicket], config: Config, now: datetime
) -> Iterator[tuple[OpenedTicket, int | None, int]]:
    """Each ticket with its FRT (None while unanswered, or when only staff
    wrote) and its verdict against the first-response goal.

    A ticket still unanswered is a breach once its waiting time is past the
    goal; before that it is undecided and left out of the share.
    """
    hours, goals = config.hours, config.goals
    targets: dict[str, int | None] = {}  # per priority: a few, asked thousands of times
    for ticket in tickets:
        if ticket.first_inbound is None:
            yield ticket, None, UNDECIDED  # staff opened it, the customer never wrote
            continue
        priority = ticket.priority
        if priority not in targets:
            targets[priority] = goal_seconds(goals, priority, "first_response")
        goal = targets[priority]
        value = first_response(ticket, hours)
        verdict = UNDECIDED
        if value is not None:
            if goal is not None:
                verdict = BREACH if value > goal else WITHIN
        elif goal is not None:
            waited = metrics.business_seconds(ticket.first_inbound, now, hours)
            if waited > goal:
                verdict = BREACH
        yield ticket, value, verdict


def frt_figures(
    tickets: Iterable[OpenedTicket], config: Config, now: datetime
) -> FrtFigures:
    """FRT of each ticket answered; with a goal, the share answered within it
    (``frt_outcomes``)."""
    result = FrtFigures(has_goal=config.goals is not None)
    for _, value, verdict in frt_outcomes(tickets, config, now):
        result.add(value, verdict)
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


@dataclass(frozen=True)
class PeriodTickets:
    """The durations of a period's tickets, each worked out once for every
    grouping of the period a report shows (``summary(tickets=...)``).

    opened: {ticket opened in the period: (FRT, verdict, replies)};
    resolved: {ticket last closed in it: (resolution seconds, over its goal)}.
    """

    start: datetime
    end: datetime
    opened: dict[int, tuple[int | None, int, int]]
    resolved: dict[int, tuple[int, bool]]


def period_tickets(
    *, start: datetime, end: datetime, config: Config, now: datetime
) -> PeriodTickets:
    """The FRT of each ticket opened in [start, end) and the resolution of
    each last closed in it.

    A ticket counts once, when it was last closed; its resolution is all the
    time it spent open (pending paused), every reopened spell included.
    """
    opened = {
        ticket.number: (value, verdict, ticket.replies)
        for ticket, value, verdict in frt_outcomes(
            aggregates.opened_tickets(None, start, end), config, now
        )
    }
    resolved: dict[int, tuple[int, bool]] = {}
    targets: dict[str, int | None] = {}
    for ticket in aggregates.closed_tickets(None, start, end):
        history = timeline(ticket.created_at, ticket.events)
        seconds = metrics.resolution(history, config.hours, now).open_seconds
        if ticket.priority not in targets:
            targets[ticket.priority] = goal_seconds(
                config.goals, ticket.priority, "resolution"
            )
        goal = targets[ticket.priority]
        resolved[ticket.number] = (seconds, goal is not None and seconds > goal)
    return PeriodTickets(start, end, opened, resolved)


def _members(
    groups: Grouping, rows: Iterable[tuple[int, Any]] | None, numbers: Iterable[int]
) -> dict[str, list[int]]:
    """{label: tickets}: ``rows`` (ticket, raw group) by label, or all of
    ``numbers`` as one group when nothing is grouped (``rows`` None)."""
    if rows is None:
        return {groups.label(None): list(numbers)}
    members: dict[str, list[int]] = defaultdict(list)
    for number, value in rows:
        members[groups.label(value)].append(number)
    return members


def summary(
    *,
    start: datetime,
    end: datetime,
    by: str | None,
    config: Config,
    now: datetime,
    tickets: PeriodTickets | None = None,
) -> list[dict[str, Any]]:
    """One row per group with the keys of ``SUMMARY_KEYS``.

    created: opened in the period; closed / reopened: closed or reopened in
    it (a ticket once, however often); backlog: open at the period's end
    (now, for a period still running); at_risk: active now with an owner who
    is away now. FRT figures over the tickets opened in the period,
    resolution over the tickets last closed in it, replies per ticket opened
    in it. ``tickets``: ``period_tickets`` of the same period and moment,
    when the caller summarises it more than one way.
    """
    if tickets is None or (tickets.start, tickets.end) != (start, end):
        tickets = period_tickets(start=start, end=end, config=config, now=now)
    groups = grouping(by, zone_name(config))
    key = groups.key
    created = groups.add_up(aggregates.created_counts(key, start, end))
    closed = groups.add_up(aggregates.event_counts(key, "closed", start, end))
    reopened = groups.add_up(aggregates.event_counts(key, "reopened", start, end))
    backlog = groups.add_up(aggregates.backlog_counts(key, end, now))
    opened = _members(
        groups,
        None if key is None else aggregates.opened_groups(key, start, end),
        tickets.opened,
    )
    resolved = _members(
        groups,
        None if key is None else aggregates.closed_groups(key, start, end),
        tickets.resolved,
    )
    at_risk = groups.add_up(aggregates.owner_away_counts(key, now))
    labels = set(created) | set(closed) | set(reopened) | set(backlog) | set(resolved)
    labels |= set(at_risk)
    if by is None:
        labels.add(ALL)
    has_goal = config.goals is not None
    rows = []
    for label in sorted(labels, key=groups.order):
        frt = FrtFigures(has_goal=has_goal)
        replies = counted = 0
        for number in opened.get(label, ()):
            figures = tickets.opened.get(number)
            if figures is None:
                continue  # opened while the report was read
            frt.add(figures[0], figures[1])
            replies += figures[2]
            counted += 1
        values, breaches = [], 0
        for number in resolved.get(label, ()):
            done = tickets.resolved.get(number)
            if done is not None:
                values.append(done[0])
                breaches += done[1]
        rows.append(
            {
                "group": label,
                "created": created.get(label, 0),
                "closed": closed.get(label, 0),
                "reopened": reopened.get(label, 0),
                "backlog": backlog.get(label, 0),
                **frt.row(),
                "resolution_median": whole_seconds(metrics.median(values)),
                "resolution_p90": whole_seconds(metrics.percentile(values, 90)),
                "resolution_breaches": breaches,
                "replies_per_ticket": round(replies / counted, 2) if counted else None,
                "at_risk": at_risk.get(label, 0),
            }
        )
    return rows

"""Times derived from a ticket's messages and events: pure functions.

A ticket's times come from its messages' dates, never from when they were
read, so that reading mail in another order gives the same ticket.

Datetimes may be aware (any offset) or naive; naive means UTC, as the store
keeps them. Durations are whole seconds: business time when a
``BusinessHours`` is given, calendar time otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ticketcli.rules.calendar import calendar_for

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ticketcli.config import BusinessHours, Goals


@dataclass(frozen=True)
class TicketTimes:
    created_at: datetime
    last_message_at: datetime
    last_direction: str
    first_response_at: datetime | None
    message_count: int


def ticket_times(messages: Iterable[tuple[datetime, str]]) -> TicketTimes | None:
    """From (date, direction) of a ticket's ticket-kind messages (noise excluded).

    First response: the first outbound message at or after the first inbound
    one -- a ticket staff opened is answered by staff only after the customer
    has written.
    """
    ordered = sorted(messages)
    if not ordered:
        return None
    first_inbound = next(
        (d for d, direction in ordered if direction == "inbound"), None
    )
    first_response = None
    if first_inbound is not None:
        first_response = next(
            (
                d
                for d, direction in ordered
                if direction == "outbound" and d >= first_inbound
            ),
            None,
        )
    return TicketTimes(
        created_at=ordered[0][0],
        last_message_at=ordered[-1][0],
        last_direction=ordered[-1][1],
        first_response_at=first_response,
        message_count=len(ordered),
    )


# --- business time -----------------------------------------------------------


def _utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _local(day: datetime, minutes: int, zone: ZoneInfo) -> datetime:
    """Local wall time `minutes` after midnight of `day`'s date, as UTC.

    Built from the date each time (never by adding to midnight) so that a
    DST change that day moves the UTC instant, not the wall-clock hour.
    """
    extra_days, minutes = divmod(minutes, 24 * 60)
    local_date = day.date() + timedelta(days=extra_days)
    wall = datetime.combine(local_date, time(minutes // 60, minutes % 60))
    return wall.replace(tzinfo=zone).astimezone(UTC)


def business_seconds(
    start: datetime, end: datetime, hours: BusinessHours | None
) -> int:
    """Seconds from `start` to `end` (0 if end is earlier).

    With `hours`, only time inside the opening hours of a day that is not
    closed (``BusinessHours.closed``: weekday, team or public holiday), all
    in the local time of `hours.timezone`, counts.
    """
    if hours is not None and not (start.microsecond or end.microsecond):
        # Whole seconds, all the store holds: two look-ups in the calendar.
        seconds = calendar_for(hours).seconds(start, end)
        if seconds is not None:
            return seconds
    start, end = _utc(start), _utc(end)
    if end <= start:
        return 0
    if hours is None:
        return int((end - start).total_seconds())
    # Fractions of a second (or a calendar that cannot answer): the walk,
    # whose float sum the calendar's whole seconds would not match to the bit.
    zone = ZoneInfo(hours.timezone)
    day = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    day = day.replace(tzinfo=None) - timedelta(days=1)
    last = end.astimezone(zone).replace(tzinfo=None)
    total = 0.0
    while day <= last:
        if not hours.closed(day.date()):
            open_at = max(_local(day, hours.start, zone), start)
            close_at = min(_local(day, hours.end, zone), end)
            if close_at > open_at:
                total += (close_at - open_at).total_seconds()
        day += timedelta(days=1)
    return int(total)


# --- per-ticket figures ------------------------------------------------------

# An event: (kind, at) or (kind, at, detail), as the store's Event rows.
EventRow = tuple[str, datetime] | tuple[str, datetime, str]


def _ordered(events: Iterable[EventRow]) -> list[tuple[datetime, int, str, str]]:
    rows = []
    for index, event in enumerate(events):
        kind, at = event[0], event[1]
        detail = event[2] if len(event) > 2 else ""
        rows.append((_utc(at), index, kind, detail))
    rows.sort()  # by time; events at the same instant keep their order
    return rows


@dataclass(frozen=True)
class Resolution:
    """How long a ticket took to resolve.

    first_seconds: created -> first close (None if never closed).
    open_seconds: all time spent open (new/open), summed over the ticket's
    open spells (created or reopened -> closed), up to `now` if still open.
    Time in `pending` counts in neither.
    """

    first_seconds: int | None
    open_seconds: int
    reopens: int
    closed: bool


def _spells(
    rows: list[tuple[datetime, int, str, str]], end: datetime | None
) -> tuple[list[tuple[datetime, datetime]], int, datetime | None, bool]:
    """Open intervals (pending paused), reopen count, first close, closed now."""
    spells: list[tuple[datetime, datetime]] = []
    state = "none"  # none | open | pending | closed
    since: datetime | None = None
    reopens = 0
    first_close: datetime | None = None
    for at, _, kind, detail in rows:
        if kind == "created" and state == "none":
            state, since = "open", at
        elif kind == "reopened" and state == "closed":
            state, since = "open", at
            reopens += 1
        elif kind == "closed" and state in ("open", "pending"):
            if state == "open" and since is not None:
                spells.append((since, at))
            state = "closed"
            if first_close is None:
                first_close = at
        elif kind == "status" and state in ("open", "pending"):
            if detail == "pending" and state == "open" and since is not None:
                spells.append((since, at))
                state = "pending"
            elif detail in ("open", "new") and state == "pending":
                state, since = "open", at
    if state == "open" and since is not None and end is not None and end > since:
        spells.append((since, end))
    return spells, reopens, first_close, state == "closed"


def resolution(
    events: Iterable[EventRow],
    hours: BusinessHours | None = None,
    now: datetime | None = None,
) -> Resolution:
    """From a ticket's events: created, closed, reopened, status pending/open.

    A ticket still open counts its running spell up to `now` (not at all when
    `now` is None).
    """
    rows = _ordered(events)
    spells, reopens, first_close, closed = _spells(
        rows, _utc(now) if now is not None else None
    )
    open_seconds = sum(business_seconds(a, b, hours) for a, b in spells)
    first_seconds = None
    if first_close is not None:
        first_seconds = sum(
            business_seconds(a, min(b, first_close), hours)
            for a, b in spells
            if a < first_close
        )
    return Resolution(first_seconds, open_seconds, reopens, closed)


def open_spells(
    events: Iterable[EventRow], now: datetime
) -> list[tuple[datetime, datetime]]:
    """The (start, end) of each spell a ticket spent open, the running one
    up to ``now`` (aware UTC): the intervals ``resolution`` sums, for
    finding when the sum reaches a goal (``rules.escalation``)."""
    return _spells(_ordered(events), _utc(now))[0]


def _login(detail: str) -> str | None:
    """The login an "assigned" event names: its first word (logins have none)."""
    words = (detail or "").split()
    return words[0] if words else None


def status_since(events: Iterable[EventRow]) -> tuple[str, datetime] | None:
    """The status the history leaves a ticket in, and since when (aware UTC).

    Replays the events that change status the way the store's operations
    do: created -> new; assigned moves new to open (a reassignment keeps the
    clock of the open spell); unassigned moves open back to new; closed;
    reopened -> open with an assignee, else new; "status" (detail: the new
    status) sets it outright. None when the history has no "created".
    """
    status: str | None = None
    since: datetime | None = None
    holder: str | None = None

    def enter(new: str, at: datetime) -> None:
        nonlocal status, since
        if new != status:
            status, since = new, at

    for at, _, kind, detail in _ordered(events):
        if kind == "created" and status is None:
            enter("new", at)
        elif status is None:
            continue
        elif kind == "assigned":
            holder = _login(detail)
            if status == "new":
                enter("open", at)
        elif kind == "unassigned":
            holder = None
            if status == "open":
                enter("new", at)
        elif kind == "closed":
            enter("closed", at)
        elif kind == "reopened":
            enter("open" if holder else "new", at)
        elif kind == "status" and detail:
            enter(detail, at)
    if status is None or since is None:
        return None
    return status, since


# --- aggregates --------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float | None:
    """Exact nearest-rank percentile: the smallest value with at least p % of
    the values at or below it (p = 0 gives the minimum). None when empty.

    Always one of the values, never an interpolation between two.
    """
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is not between 0 and 100")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    """The usual median: the middle value, or the mean of the two middle ones
    for an even count (unlike ``percentile(values, 50)``). None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def goal_breached(
    goals: Goals | None,
    priority: str | None,
    *,
    first_response: int | None = None,
    resolution: int | None = None,
    new_seconds: int | None = None,
    open_seconds: int | None = None,
    pending_seconds: int | None = None,
) -> tuple[str, ...]:
    """Names of the goals a ticket breaches, in a fixed order.

    Figures are seconds (None: not measured, never a breach); per-priority
    goals override the general ones key by key. A figure equal to its goal
    is within it. ``new_seconds``/``open_seconds``/``pending_seconds``: how
    long the ticket has been in that status (see ``status_since``).
    """
    if goals is None:
        return ()
    targets = goals.for_priority(priority)
    breached = []
    for name, value, goal in (
        ("first_response", first_response, targets.first_response),
        ("resolution", resolution, targets.resolution),
        ("new_max", new_seconds, targets.new_max),
        ("open_max", open_seconds, targets.open_max),
        ("pending_max", pending_seconds, targets.pending_max),
    ):
        if value is not None and goal is not None and value > goal.total_seconds():
            breached.append(name)
    return tuple(breached)

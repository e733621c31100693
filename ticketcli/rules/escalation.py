"""When a goal falls due, and whether to say so now: pure functions.

A goal's deadline is its start plus the goal in *business* time: a
four-hour first-response goal for mail that came on Friday at 16:00 falls
due on Monday at 12:00 (with [hours] 9-17, Monday to Friday), not on
Friday at 20:00. So the deadline is always inside opening hours (or at a
closing time), and so is every notice about it: outside opening hours
nothing is said, and a warning for a deadline at 09:15 comes at 09:00,
when the day opens, not at 3 a.m.

First response: from the customer's first mail, while no one has
answered. Resolution: the ticket's open spells summed (pending pauses the
clock, reopens continue it), as ``metrics.resolution`` counts them; a
pending ticket's clock stands still, so it has no deadline.

Datetimes in: aware or naive (naive is UTC, as the store keeps them);
out: aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ticketcli.rules.calendar import calendar_for, local_instant
from ticketcli.rules.metrics import business_seconds, open_spells

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import date

    from ticketcli.config import BusinessHours, Goals
    from ticketcli.rules.metrics import EventRow

WARNING = "warning"  # the goal will be missed within [escalation] warn_before
MISSED = "missed"  # the goal has been missed
GOALS = ("first_response", "resolution")  # the goals that have a deadline
RUNNING = ("new", "open")  # statuses whose resolution clock runs
# A goal missed longer ago than this tells nobody: an old mailbox read in,
# or escalation switched on over last month's backlog, is no news.
MISSED_MAX_AGE = timedelta(days=7)
# Days in a row without opening hours before giving up (every day closed:
# a config under which no goal can ever fall due).
_SEARCH_DAYS = 1000
_DAY = timedelta(days=1)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _instant(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def open_intervals(
    hours: BusinessHours, first: date
) -> Iterator[tuple[datetime, datetime]]:
    """The opening intervals (aware UTC) of the local days from ``first``
    on, built as ``metrics.business_seconds`` and the calendar build them
    (DST and ``BusinessHours.closed`` included)."""
    zone = ZoneInfo(hours.timezone)
    day, closed_days = first, 0
    while closed_days < _SEARCH_DAYS:
        closed_days += 1
        if not hours.closed(day):
            open_at = local_instant(day, hours.start, zone)
            close_at = local_instant(day, hours.end, zone)
            if close_at > open_at:
                closed_days = 0
                yield _instant(open_at), _instant(close_at)
        day += _DAY
    raise ValueError(f"[hours] are not open once in {_SEARCH_DAYS} days")


def _first_day(moment: datetime, hours: BusinessHours) -> date:
    # The day before: an opening that ends at 24:00 belongs to it.
    return moment.astimezone(ZoneInfo(hours.timezone)).date() - _DAY


def business_deadline(
    start: datetime, seconds: int, hours: BusinessHours | None
) -> datetime:
    """The moment ``seconds`` of business time after ``start``: then
    ``business_seconds(start, deadline, hours) == seconds`` and the
    deadline lies in an opening interval (its closing instant included).
    0 seconds from a closed moment is the next opening. Without ``hours``:
    calendar time."""
    if seconds < 0:
        raise ValueError(f"a deadline {seconds} seconds ahead")
    start = _utc(start)
    if hours is None:
        return start + timedelta(seconds=seconds)
    if not start.microsecond:  # the calendar's running totals (issue 18)
        due = calendar_for(hours).deadline(start, seconds)
        if due is not None:
            return due
    left = timedelta(seconds=seconds)
    for open_at, close_at in open_intervals(hours, _first_day(start, hours)):
        if close_at <= start:
            continue
        begin = max(open_at, start)
        if left <= close_at - begin:
            return begin + left
        left -= close_at - begin
    raise AssertionError("unreachable: open_intervals ends by raising")


def is_open(moment: datetime, hours: BusinessHours | None) -> bool:
    """Whether ``moment`` is inside opening hours (always, without [hours])."""
    if hours is None:
        return True
    moment = _utc(moment)
    for open_at, close_at in open_intervals(hours, _first_day(moment, hours)):
        if open_at > moment:
            return False
        if moment < close_at:
            return True
    return False  # pragma: no cover -- open_intervals raises first


@dataclass(frozen=True)
class GoalClock:
    """A goal of one ticket and the moment it falls due (aware UTC)."""

    goal: str  # first_response | resolution
    deadline: datetime


def resolution_deadline(
    history: Iterable[EventRow],
    seconds: int,
    hours: BusinessHours | None,
    now: datetime,
    running: bool,
) -> datetime | None:
    """When the open spells of ``history`` (with "created") reach
    ``seconds`` of business time: in the past when they already have, ahead
    when the clock is ``running``, None when it stands (pending) short of it."""
    left = seconds
    for begin, end in open_spells(history, now):
        spent = business_seconds(begin, end, hours)
        if spent >= left:
            return business_deadline(begin, left, hours)
        left -= spent
    return business_deadline(now, left, hours) if running else None


def goal_clocks(
    *,
    priority: str | None,
    status: str,
    created_at: datetime,
    first_inbound: datetime | None,
    events: Iterable[EventRow],
    goals: Goals,
    hours: BusinessHours | None,
    now: datetime,
) -> list[GoalClock]:
    """The deadlines of one active ticket's first-response and resolution
    goals (those [goals] sets for its priority).

    ``first_inbound``: when the customer first wrote, while nobody has
    answered (None once someone has: that goal is over). ``events``: the
    ticket's status events; its own ``created_at`` stands for "created",
    as in ``reports.goals.timeline``.
    """
    targets = goals.for_priority(priority)
    clocks = []
    if targets.first_response is not None and first_inbound is not None:
        goal = int(targets.first_response.total_seconds())
        clocks.append(
            GoalClock("first_response", business_deadline(first_inbound, goal, hours))
        )
    if targets.resolution is not None:
        history: list[EventRow] = [
            ("created", created_at, ""),
            *(e for e in events if e[0] != "created"),
        ]
        goal = int(targets.resolution.total_seconds())
        deadline = resolution_deadline(history, goal, hours, now, status in RUNNING)
        if deadline is not None:
            clocks.append(GoalClock("resolution", deadline))
    return clocks


def due_soon(
    deadline: datetime,
    now: datetime,
    warn_before: timedelta,
    hours: BusinessHours | None,
) -> str | None:
    """MISSED once business time has passed the deadline, WARNING when at
    most ``warn_before`` of business time is left (never with 0), else None."""
    if business_seconds(deadline, now, hours) > 0:
        return MISSED
    left = business_seconds(now, deadline, hours)
    if warn_before and left <= warn_before.total_seconds():
        return WARNING
    return None


def notice_due(
    deadline: datetime,
    now: datetime,
    warn_before: timedelta,
    hours: BusinessHours | None,
) -> str | None:
    """The notice to send about ``deadline`` now, if any: nothing outside
    opening hours, else ``notice_kind``."""
    if not is_open(now, hours):
        return None
    return notice_kind(deadline, now, warn_before, hours)


def notice_kind(
    deadline: datetime,
    now: datetime,
    warn_before: timedelta,
    hours: BusinessHours | None,
) -> str | None:
    """``due_soon``, but no "missed" for a goal missed longer ago than
    ``MISSED_MAX_AGE``; for a ``now`` known to be in opening hours (a run
    asks ``is_open`` once, not per ticket)."""
    kind = due_soon(deadline, now, warn_before, hours)
    if kind == MISSED and _utc(now) - _utc(deadline) > MISSED_MAX_AGE:
        return None
    return kind

"""Business time by binary search: [hours] laid out once as UTC intervals.

Walking the days between two instants and converting each day's opening
and closing to UTC costs a few microseconds per day; a report asks for tens
of thousands of intervals, many of them weeks long. A ``BusinessCalendar``
instead lists every open day's interval as UTC seconds (built from the
local wall times exactly as the day-by-day walk builds them, DST and
``BusinessHours.closed`` included) with a running total of the open seconds
before each one, so the business time between two instants is the
difference of two running totals, each found by bisection.

The calendar grows on demand to the days asked about and is shared per
``BusinessHours`` (``calendar_for``): its answers depend only on the hours
and the instants, never on what was asked before.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from ticketcli.config import BusinessHours

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)
# Grown this far past what was asked, so a report's many intervals build it
# once, not a day at a time.
_MARGIN = timedelta(days=366)


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds since 1970 UTC (floored); naive means UTC."""
    if moment.tzinfo is None:
        return (moment - _NAIVE_EPOCH) // _SECOND
    return (moment - _EPOCH) // _SECOND


@lru_cache(maxsize=4096)  # the same few weeks of days, asked per ticket
def local_instant(day: date, minutes: int, zone: ZoneInfo) -> int:
    """The local wall time ``minutes`` after midnight of ``day``, in UTC
    epoch seconds: built from the date (a DST change that day moves the UTC
    instant, not the wall-clock hour); a wall time in a DST gap or fold is
    read with ``fold=0``, as ``datetime`` does."""
    extra_days, minutes = divmod(minutes, 24 * 60)
    wall = datetime.combine(
        day + timedelta(days=extra_days), time(*divmod(minutes, 60))
    )
    return epoch_seconds(wall.replace(tzinfo=zone))


class BusinessCalendar:
    """The open intervals of ``hours``, in UTC seconds, with running totals."""

    def __init__(self, hours: BusinessHours) -> None:
        self.hours = hours
        self.zone = ZoneInfo(hours.timezone)
        self.first: date | None = None  # the local days laid out: first..last
        self.last: date | None = None
        # Instants whose local date is surely in first+1..last (UTC offsets
        # stay within a day): asking inside them needs no growing.
        self.low = self.high = 0
        self.opens: list[int] = []
        self.closes: list[int] = []
        self.before: list[int] = []  # open seconds of the intervals before i
        self.ends: list[int] = []
        # Opening and closing both in time order: a DST change inside the
        # opening hours could break that in some zone, and then the running
        # totals would not answer (``regular`` is False: walk the days).
        self.regular = True

    def _lay_out(self, first: date, last: date) -> None:
        hours, zone = self.hours, self.zone
        opens: list[int] = []
        closes: list[int] = []
        day = first
        while day <= last:
            if not hours.closed(day):
                open_at = local_instant(day, hours.start, zone)
                close_at = local_instant(day, hours.end, zone)
                if close_at > open_at:
                    opens.append(open_at)
                    closes.append(close_at)
            day += _DAY
        before, ends, total = [], [], 0
        for open_at, close_at in zip(opens, closes, strict=True):
            before.append(total)
            total += close_at - open_at
            ends.append(total)
        self.first, self.last = first, last
        self.low = epoch_seconds(datetime.combine(first + 2 * _DAY, time()))
        self.high = epoch_seconds(datetime.combine(last - _DAY, time()))
        self.opens, self.closes, self.before = opens, closes, before
        self.ends = ends  # open seconds up to the end of interval i
        self.regular = all(a <= b for a, b in pairwise(opens)) and all(
            a <= b for a, b in pairwise(closes)
        )

    def cover(self, start: datetime, end: datetime) -> None:
        """Lay out (at least) the local days the day-by-day walk visits for
        [start, end]: the day before ``start``'s local date through ``end``'s."""
        first = _aware(start).astimezone(self.zone).date() - _DAY
        last = _aware(end).astimezone(self.zone).date()
        if self.first is None or self.last is None:
            self._lay_out(first - _MARGIN, last + _MARGIN)
        elif first < self.first or last > self.last:
            self._lay_out(
                min(first - _MARGIN, self.first), max(last + _MARGIN, self.last)
            )

    def open_before(self, moment: int) -> int:
        """Open seconds of the laid-out days before ``moment`` (epoch
        seconds): whole intervals that closed by then, plus the part of any
        still open."""
        done = bisect_right(self.closes, moment)
        started = bisect_right(self.opens, moment)
        total = self.before[done] if done < len(self.before) else self._total()
        for index in range(done, started):
            total += moment - self.opens[index]
        return total

    def _total(self) -> int:
        if not self.before:
            return 0
        return self.before[-1] + self.closes[-1] - self.opens[-1]

    def seconds(self, start: datetime, end: datetime) -> int | None:
        """Business seconds from ``start`` to ``end`` (whole seconds, naive
        meaning UTC; 0 if ``end`` is not later), or None when this calendar
        cannot answer exactly (irregular intervals): the caller walks the
        days."""
        low, high = epoch_seconds(start), epoch_seconds(end)
        if high <= low:
            return 0
        if low < self.low or high > self.high:
            self.cover(start, end)
        if not self.regular:
            return None
        return self.open_before(high) - self.open_before(low)

    def deadline(self, start: datetime, seconds: int) -> datetime | None:
        """The instant (aware UTC) ``seconds`` of business time after
        ``start`` (whole seconds, naive meaning UTC): inside an opening
        interval, its closing instant included, so 0 seconds from a closed
        moment is the next opening. None when this calendar cannot answer
        (irregular intervals, or a year laid out without an opening)."""
        moment = epoch_seconds(start)
        if moment < self.low or moment > self.high:
            self.cover(start, start)
        while True:
            if not self.regular or self.last is None:
                return None
            target = self.open_before(moment) + seconds
            index = max(
                bisect_left(self.ends, target), bisect_right(self.closes, moment)
            )
            if index < len(self.opens):
                due = self.opens[index] + target - self.before[index]
                return _EPOCH + timedelta(seconds=due)
            assert self.first is not None
            laid_out = len(self.opens)
            self._lay_out(self.first, self.last + _MARGIN)
            if len(self.opens) == laid_out:
                return None


def calendar_for(hours: BusinessHours) -> BusinessCalendar:
    """One calendar per distinct [hours] in a run (the same object asks
    again and again: it is found without hashing it)."""
    global _last  # noqa: PLW0603 - a one-entry cache in front of the lru one
    if _last is None or _last.hours is not hours:
        _last = _calendar(hours)
    return _last


_last: BusinessCalendar | None = None


@lru_cache(maxsize=8)
def _calendar(hours: BusinessHours) -> BusinessCalendar:
    return BusinessCalendar(hours)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment

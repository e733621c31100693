"""The business calendar gives exactly what the day-by-day walk gave.

``walk_business_seconds`` below is ``metrics.business_seconds`` as it was
before the calendar (one UTC conversion per day between the two instants):
the oracle. Hypothesis draws opening hours in zones with awkward DST (a
30-minute change, changes at midnight, a negative one, a quarter-hour
offset), team and public holidays, and intervals from a second to two
years, many of them around a DST change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from ticketcli.config import BusinessHours
from ticketcli.rules.calendar import BusinessCalendar, calendar_for
from ticketcli.rules.metrics import business_seconds

ZONES = (
    "UTC",
    "Europe/Tallinn",
    "Europe/Dublin",  # DST is "winter time" here: a negative offset change
    "America/New_York",
    "America/Santiago",  # changes at midnight
    "America/Havana",  # changes at midnight too
    "Australia/Lord_Howe",  # a 30-minute change
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45 / +13:45
)
FIRST, LAST = date(2024, 1, 1), date(2028, 12, 31)


def _local(day: datetime, minutes: int, zone: ZoneInfo) -> datetime:
    extra_days, minutes = divmod(minutes, 24 * 60)
    local_date = day.date() + timedelta(days=extra_days)
    wall = datetime.combine(local_date, time(minutes // 60, minutes % 60))
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def walk_business_seconds(
    start: datetime, end: datetime, hours: BusinessHours | None
) -> int:
    """The oracle: every local day from the one before ``start`` to ``end``'s."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return 0
    if hours is None:
        return int((end - start).total_seconds())
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


@cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """UTC instants (naive) where the zone's offset changes, 2024-2028."""
    zone = ZoneInfo(zone_name)
    found = []
    moment = datetime(FIRST.year, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(zone).utcoffset()
    while moment.year <= LAST.year:
        moment += timedelta(minutes=15)
        now_offset = moment.astimezone(zone).utcoffset()
        if now_offset != offset:
            found.append(moment.replace(tzinfo=None))
            offset = now_offset
    return tuple(found) or (datetime(2026, 3, 29, 1),)


@st.composite
def opening_hours(draw: st.DrawFn) -> BusinessHours:
    start = draw(st.integers(0, 24 * 60 - 1))
    # Whole quarter hours mostly (as people write them), any minute sometimes.
    if draw(st.booleans()):
        start -= start % 15
    end = draw(st.integers(start + 1, 24 * 60))
    return BusinessHours(
        timezone=draw(st.sampled_from(ZONES)),
        days=frozenset(draw(st.sets(st.integers(0, 6), min_size=0, max_size=7))),
        start=start,
        end=end,
        holidays=frozenset(
            draw(st.sets(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=20))
        ),
        country=draw(st.sampled_from((None, None, None, "EE", "PL"))),
    )


OFFSETS = st.sampled_from(
    (
        None,
        UTC,
        timezone(timedelta(hours=3)),
        timezone(timedelta(hours=-9, minutes=-30)),
    )
)


@st.composite
def intervals(
    draw: st.DrawFn, hours: BusinessHours, whole: bool = True
) -> tuple[datetime, datetime]:
    """(start, end) whole seconds, naive (UTC) or aware in some offset;
    half of them within days of one of the zone's DST changes."""
    if draw(st.booleans()):
        change = draw(st.sampled_from(transitions(hours.timezone)))
        start = change + timedelta(seconds=draw(st.integers(-4 * 86400, 86400)))
    else:
        start = draw(
            st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31))
        ).replace(microsecond=0)
    length = draw(
        st.one_of(
            st.integers(0, 3 * 86400),
            st.integers(0, 60 * 86400),
            st.integers(0, 730 * 86400),
            st.integers(-86400, 0),
        )
    )
    end = start + timedelta(seconds=length)
    if not whole:
        start = start.replace(microsecond=draw(st.integers(0, 999_999)))
        end = end.replace(microsecond=draw(st.integers(0, 999_999)))
    out = []
    for moment in (start, end):
        offset = draw(OFFSETS)
        aware = moment.replace(tzinfo=UTC)
        out.append(moment if offset is None else aware.astimezone(offset))
    return out[0], out[1]


@settings(max_examples=600, deadline=None)
@given(st.data())
def test_whole_seconds_match_the_day_by_day_walk(data: st.DataObject) -> None:
    hours = data.draw(opening_hours())
    start, end = data.draw(intervals(hours))
    assert business_seconds(start, end, hours) == walk_business_seconds(
        start, end, hours
    )


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_fractions_of_a_second_match_too(data: st.DataObject) -> None:
    hours = data.draw(opening_hours())
    start, end = data.draw(intervals(hours, whole=False))
    assert business_seconds(start, end, hours) == walk_business_seconds(
        start, end, hours
    )


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_fresh_calendar_answers_as_a_grown_one(data: st.DataObject) -> None:
    """Whatever was asked before (the shared calendar grew to it), the
    answer is the one a calendar laid out for this interval alone gives."""
    hours = data.draw(opening_hours())
    earlier = data.draw(st.lists(intervals(hours), max_size=4))
    for a, b in earlier:
        business_seconds(a, b, hours)
    start, end = data.draw(intervals(hours))
    if _utc(end) <= _utc(start):
        return
    fresh = BusinessCalendar(hours).seconds(_utc(start), _utc(end))
    assert fresh == calendar_for(hours).seconds(_utc(start), _utc(end))
    assert fresh == walk_business_seconds(start, end, hours)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_business_time_adds_up_over_a_split(data: st.DataObject) -> None:
    hours = data.draw(opening_hours())
    start, end = data.draw(intervals(hours))
    start, end = _utc(start), _utc(end)
    if end <= start:
        return
    cut = start + (end - start) * data.draw(st.floats(0, 1))
    cut = cut.replace(microsecond=0)
    whole = business_seconds(start, end, hours)
    assert whole == business_seconds(start, cut, hours) + business_seconds(
        cut, end, hours
    )
    assert 0 <= whole <= (end - start).total_seconds()


def test_a_tallinn_week_with_a_holiday_and_the_spring_change() -> None:
    """Mon 23 Mar - Mon 30 Mar 2026, 9-17 Tallinn, the 24th a team holiday:
    Mon 8 h (from 09:00), Wed-Fri 3 x 8 h, the weekend (DST on Sunday) none,
    Monday 30th until 10:00 local (07:00 UTC, now EEST): 1 h. 33 h."""
    hours = BusinessHours(
        timezone="Europe/Tallinn",
        days=frozenset(range(5)),
        start=540,
        end=1020,
        holidays=frozenset({date(2026, 3, 24)}),
    )
    start = datetime(2026, 3, 23, 5, 0)  # 07:00 EET, before opening
    end = datetime(2026, 3, 30, 7, 0)  # 10:00 EEST
    assert business_seconds(start, end, hours) == 33 * 3600
    assert walk_business_seconds(start, end, hours) == 33 * 3600


def test_the_calendar_answers_itself_in_every_zone_here() -> None:
    """The walk is only the fallback: with office hours in each zone above,
    DST changes and all, the running totals answer (and are right)."""
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    for zone in ZONES:
        hours = BusinessHours(timezone=zone, days=frozenset(range(7)), start=0)
        calendar = BusinessCalendar(hours)
        assert calendar.seconds(start, end) == walk_business_seconds(start, end, hours)
        assert calendar.regular


def walk_deadline(start: datetime, seconds: int, hours: BusinessHours) -> datetime:
    """The oracle of ``deadline``: spend the seconds day by day."""
    start = _utc(start)
    zone = ZoneInfo(hours.timezone)
    day = datetime.combine(start.astimezone(zone).date() - timedelta(days=1), time())
    left = timedelta(seconds=seconds)
    while True:
        if not hours.closed(day.date()):
            open_at, close_at = (
                _local(day, hours.start, zone),
                _local(day, hours.end, zone),
            )
            if close_at > open_at and close_at > start:
                begin = max(open_at, start)
                if left <= close_at - begin:
                    return begin + left
                left -= close_at - begin
        day += timedelta(days=1)


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_a_deadline_is_the_day_by_day_one(data: st.DataObject) -> None:
    """Where ``seconds`` of business time after a moment run out: inside an
    opening (its close included), 0 from a closed moment the next opening."""
    hours = data.draw(opening_hours())
    if not hours.days:
        return  # never open: no deadline (the oracle would walk forever)
    start, _ = data.draw(intervals(hours))
    seconds = data.draw(
        st.one_of(st.just(0), st.integers(0, 8 * 3600), st.integers(0, 20 * 86400))
    )
    due = calendar_for(hours).deadline(start, seconds)
    assert due == walk_deadline(start, seconds, hours)
    assert due is not None
    assert business_seconds(start, due, hours) == seconds

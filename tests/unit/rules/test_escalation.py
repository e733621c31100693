"""Deadlines in business time, and when a notice about one is due.

The property: ``business_deadline(start, s)`` is the moment ``s`` business
seconds after ``start`` -- ``business_seconds`` from start to it gives
``s`` back -- and never a moment the office is closed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.rules.test_calendar import ZONES
from ticketcli.config import BusinessHours, Goals, GoalSet
from ticketcli.rules.escalation import (
    MISSED,
    WARNING,
    business_deadline,
    due_soon,
    goal_clocks,
    is_open,
    notice_due,
    open_intervals,
)
from ticketcli.rules.metrics import business_seconds

WEEKDAYS = frozenset(range(5))
# Tallinn, 9-17 Mon-Fri, Estonia's public holidays: what the team has.
OFFICE = BusinessHours(timezone="Europe/Tallinn", days=WEEKDAYS, country="EE")
MIN = timedelta(minutes=1)


def tallinn(text: str) -> datetime:
    """A Tallinn wall time (winter: UTC+2) as aware UTC."""
    return datetime.fromisoformat(f"{text}+02:00").astimezone(UTC)


def test_a_goal_started_late_on_friday_falls_due_on_monday() -> None:
    # Friday 16:00 + 4 h: one hour on Friday, three on Monday.
    deadline = business_deadline(tallinn("2026-03-06T16:00"), 4 * 3600, OFFICE)
    assert deadline == tallinn("2026-03-09T12:00")


def test_a_public_holiday_is_skipped() -> None:
    # 24 February 2026 (Tuesday) is Independence Day in Estonia.
    deadline = business_deadline(tallinn("2026-02-23T16:00"), 2 * 3600, OFFICE)
    assert deadline == tallinn("2026-02-25T10:00")


def test_mail_at_night_starts_the_clock_at_opening() -> None:
    deadline = business_deadline(tallinn("2026-03-03T03:00"), 15 * 60, OFFICE)
    assert deadline == tallinn("2026-03-03T09:15")
    assert business_deadline(tallinn("2026-03-03T03:00"), 0, OFFICE) == tallinn(
        "2026-03-03T09:00"
    )


def test_a_deadline_can_be_the_closing_time() -> None:
    assert business_deadline(tallinn("2026-03-03T09:00"), 8 * 3600, OFFICE) == (
        tallinn("2026-03-03T17:00")
    )


def test_without_hours_a_deadline_is_calendar_time() -> None:
    start = datetime(2026, 3, 7, 23, 0)  # naive: UTC
    assert business_deadline(start, 3600, None) == datetime(
        2026, 3, 8, 0, 0, tzinfo=UTC
    )


def test_a_negative_goal_is_refused() -> None:
    with pytest.raises(ValueError, match="-1 seconds"):
        business_deadline(tallinn("2026-03-03T09:00"), -1, OFFICE)


def test_open_hours() -> None:
    assert is_open(tallinn("2026-03-03T09:00"), OFFICE)
    assert is_open(tallinn("2026-03-03T16:59"), OFFICE)
    assert not is_open(tallinn("2026-03-03T17:00"), OFFICE)
    assert not is_open(tallinn("2026-03-03T03:00"), OFFICE)
    assert not is_open(tallinn("2026-03-07T12:00"), OFFICE)  # Saturday
    assert not is_open(tallinn("2026-02-24T12:00"), OFFICE)  # Independence Day
    assert is_open(datetime(2026, 3, 7, 3, 0), None)


def test_a_warning_comes_at_opening_for_a_deadline_just_after_it() -> None:
    deadline = tallinn("2026-03-03T09:15")
    warn = timedelta(minutes=15)
    # At 3 a.m. only 15 business minutes are left, but the office is closed.
    assert due_soon(deadline, tallinn("2026-03-03T03:00"), warn, OFFICE) == WARNING
    assert notice_due(deadline, tallinn("2026-03-03T03:00"), warn, OFFICE) is None
    assert notice_due(deadline, tallinn("2026-03-03T08:59"), warn, OFFICE) is None
    assert notice_due(deadline, tallinn("2026-03-03T09:00"), warn, OFFICE) == WARNING
    assert notice_due(deadline, tallinn("2026-03-03T09:15"), warn, OFFICE) == WARNING
    assert notice_due(deadline, tallinn("2026-03-03T09:16"), warn, OFFICE) == MISSED


def test_no_warning_before_its_time_and_none_with_warn_before_zero() -> None:
    deadline = tallinn("2026-03-03T12:00")
    assert notice_due(deadline, tallinn("2026-03-03T11:44"), 15 * MIN, OFFICE) is None
    assert notice_due(deadline, tallinn("2026-03-03T11:45"), 15 * MIN, OFFICE) == (
        WARNING
    )
    assert notice_due(deadline, tallinn("2026-03-03T11:59"), timedelta(0), OFFICE) is (
        None
    )
    assert notice_due(deadline, tallinn("2026-03-03T12:01"), timedelta(0), OFFICE) == (
        MISSED
    )


def test_a_goal_missed_long_ago_is_no_news() -> None:
    deadline = tallinn("2026-02-02T12:00")
    assert due_soon(deadline, tallinn("2026-03-03T12:00"), 15 * MIN, OFFICE) == MISSED
    assert notice_due(deadline, tallinn("2026-03-03T12:00"), 15 * MIN, OFFICE) is None


GOALS = Goals(
    default=GoalSet(first_response=timedelta(hours=4), resolution=timedelta(hours=16)),
    by_priority={"urgent": GoalSet(first_response=timedelta(hours=1))},
)


def test_clocks_of_an_unanswered_ticket() -> None:
    created = tallinn("2026-03-06T16:00")  # Friday
    clocks = goal_clocks(
        priority="normal",
        status="new",
        created_at=created,
        first_inbound=created,
        events=[("created", created + MIN, "")],  # sync read it a minute later
        goals=GOALS,
        hours=OFFICE,
        now=tallinn("2026-03-09T10:00"),
    )
    assert [(c.goal, c.deadline) for c in clocks] == [
        ("first_response", tallinn("2026-03-09T12:00")),
        # 16 business hours: 1 on Friday, 8 on Monday, 7 on Tuesday.
        ("resolution", tallinn("2026-03-10T16:00")),
    ]


def test_pending_stops_the_resolution_clock_and_an_answer_the_first() -> None:
    created = tallinn("2026-03-02T09:00")
    events = [
        ("created", created, ""),
        ("status", tallinn("2026-03-02T13:00"), "pending"),
    ]
    common = {
        "priority": "urgent",
        "created_at": created,
        "first_inbound": None,  # answered
        "goals": GOALS,
        "hours": OFFICE,
        "now": tallinn("2026-03-04T10:00"),
    }
    assert goal_clocks(status="pending", events=events, **common) == []
    reopened = [*events, ("status", tallinn("2026-03-04T09:00"), "open")]
    [clock] = goal_clocks(status="open", events=reopened, **common)
    # 4 h on Monday, then 12 h more from Wednesday 09:00: Thursday 13:00.
    assert (clock.goal, clock.deadline) == ("resolution", tallinn("2026-03-05T13:00"))


def test_a_resolution_goal_missed_in_an_earlier_spell_keeps_that_moment() -> None:
    created = tallinn("2026-03-02T09:00")
    events = [
        ("created", created, ""),
        ("closed", tallinn("2026-03-04T12:00"), ""),
        ("reopened", tallinn("2026-03-05T09:00"), ""),
    ]
    [clock] = goal_clocks(
        priority="low",
        status="open",
        created_at=created,
        first_inbound=None,
        events=events,
        goals=GOALS,
        hours=OFFICE,
        now=tallinn("2026-03-05T10:00"),
    )
    assert clock.deadline == tallinn("2026-03-03T17:00")  # Tuesday's closing


# -- the property -----------------------------------------------------------


@st.composite
def office_hours(draw: st.DrawFn) -> BusinessHours:
    start = draw(st.integers(0, 24 * 60 - 1))
    if draw(st.booleans()):
        start -= start % 15
    return BusinessHours(
        timezone=draw(st.sampled_from(ZONES)),
        days=frozenset(draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))),
        start=start,
        end=draw(st.integers(start + 1, 24 * 60)),
        holidays=frozenset(
            draw(st.sets(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=20))
        ),
        country=draw(st.sampled_from((None, None, "EE", "PL"))),
    )


def _inside_opening(moment: datetime, hours: BusinessHours) -> bool:
    first = moment.date() - timedelta(days=3)
    for open_at, close_at in open_intervals(hours, first):
        if open_at > moment:
            return False
        if moment <= close_at:
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(
    hours=office_hours(),
    start=st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31)),
    data=st.data(),
)
def test_the_deadline_is_that_much_business_time_later_and_never_closed(
    hours: BusinessHours, start: datetime, data: st.DataObject
) -> None:
    # Up to about ten weeks of the office's opening hours.
    week = (hours.end - hours.start) * 60 * len(hours.days)
    seconds = data.draw(
        st.one_of(st.just(0), st.integers(1, 8 * 3600), st.integers(0, 10 * week))
    )
    start = start.replace(microsecond=0, tzinfo=UTC)  # the store's whole seconds
    deadline = business_deadline(start, seconds, hours)
    assert deadline >= start
    assert business_seconds(start, deadline, hours) == seconds
    assert _inside_opening(deadline, hours)
    # And the earliest such moment: a second less is not enough.
    if seconds:
        assert business_seconds(start, deadline - timedelta(seconds=1), hours) == (
            seconds - 1
        )


def test_hours_that_never_open_are_an_error_not_a_hang() -> None:
    never = BusinessHours(timezone="UTC", days=frozenset())
    with pytest.raises(ValueError, match="not open once"):
        business_deadline(datetime(2026, 3, 2, tzinfo=UTC), 60, never)

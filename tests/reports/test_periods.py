"""Periods: their bounds as naive UTC, local days and weeks from Monday.

2026: Mar 2 is a Monday; Europe/Tallinn moves from EET (+02) to EEST (+03)
on Sunday Mar 29.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from ticketcli.errors import UsageError
from ticketcli.reports.periods import (
    WEEKDAY_NAMES,
    period_bounds,
    period_start,
    report_bounds,
    week_starts,
)

NOW = datetime(2026, 3, 6, 12, 0)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("period", "since", "until", "now", "tz", "expected"),
    [
        ("week", None, None, "2026-03-06 12:00", "UTC",
         ("2026-03-02 00:00", "2026-03-09 00:00")),
        ("day", None, None, "2026-03-06 23:30", "Europe/Tallinn",
         ("2026-03-06 22:00", "2026-03-07 22:00")),
        ("week", None, None, "2026-03-29 12:00", "Europe/Tallinn",
         ("2026-03-22 22:00", "2026-03-29 21:00")),
        ("month", None, None, "2026-03-15 12:00", "Europe/Tallinn",
         ("2026-02-28 22:00", "2026-03-31 21:00")),
        ("month", None, None, "2026-12-31 23:00", "UTC",
         ("2026-12-01 00:00", "2027-01-01 00:00")),
        ("week", "2026-03-01", None, "2026-03-06 12:00", "UTC",
         ("2026-03-01 00:00", "2026-03-06 12:00")),
        ("week", None, "2026-03-09", "2026-04-06 12:00", "UTC",
         ("2026-03-02 00:00", "2026-03-09 00:00")),
        ("month", None, "2026-04-01", "2026-04-06 12:00", "Europe/Tallinn",
         ("2026-02-28 22:00", "2026-03-31 21:00")),
        ("day", "2026-03-01", "2026-03-03", "2026-04-06 12:00", "Europe/Tallinn",
         ("2026-02-28 22:00", "2026-03-02 22:00")),
        ("week", "2026-03-01T10:00+00:00", None, "2026-03-06 12:00",
         "Europe/Tallinn", ("2026-03-01 10:00", "2026-03-06 12:00")),
    ],
    ids=["this-week", "day-local", "dst-week-167h", "month-local",
         "december", "since", "until", "until-month", "since-until", "aware"],
)  # fmt: skip
def test_period_bounds(
    period: str,
    since: str | None,
    until: str | None,
    now: str,
    tz: str,
    expected: tuple[str, str],
) -> None:
    bounds = period_bounds(
        period,
        at(since) if since else None,
        at(until) if until else None,
        at(now),
        tz,
    )
    assert bounds == (at(expected[0]), at(expected[1]))


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("year", None, None), "--period: 'year' is not one of day, week, month"),
        (("week", "2026-03-10", "2026-03-01"), "--until must be later than --since"),
        (("week", "2026-04-10", None), "--since: the period would start after now"),
    ],
    ids=["bad-period", "until-before-since", "since-in-future"],
)
def test_period_bounds_refuses(args: tuple[Any, ...], says: str) -> None:
    period, since, until = args
    with pytest.raises(UsageError, match=says):
        period_bounds(
            period,
            at(since) if since else None,
            at(until) if until else None,
            NOW,
            "UTC",
        )


@pytest.mark.parametrize(
    ("period", "now", "tz", "expected"),
    [
        ("day", "2026-03-06 05:00", "UTC", ("2026-03-05 00:00", "2026-03-06 00:00")),
        ("day", "2026-03-05 22:30", "Europe/Tallinn",
         ("2026-03-04 22:00", "2026-03-05 22:00")),
        ("week", "2026-03-06 05:00", "UTC", ("2026-03-02 00:00", "2026-03-06 00:00")),
        ("week", "2026-03-09 05:00", "UTC", ("2026-03-02 00:00", "2026-03-09 00:00")),
        ("month", "2026-03-01 05:00", "UTC",
         ("2026-02-01 00:00", "2026-03-01 00:00")),
        ("month", "2026-03-30 05:00", "Europe/Tallinn",
         ("2026-02-28 22:00", "2026-03-29 21:00")),
    ],
    ids=["yesterday", "yesterday-local", "week-so-far", "monday-last-week",
         "first-of-month", "month-over-dst"],
)  # fmt: skip
def test_report_bounds_end_at_the_last_local_midnight(
    period: str, now: str, tz: str, expected: tuple[str, str]
) -> None:
    assert report_bounds(period, at(now), tz) == (at(expected[0]), at(expected[1]))


def test_week_starts_are_local_mondays_oldest_first() -> None:
    assert week_starts(3, NOW, "UTC") == [
        date(2026, 2, 16), date(2026, 2, 23), date(2026, 3, 2),
    ]  # fmt: skip
    # Sunday 22:30 UTC is already Monday in Tallinn.
    assert week_starts(1, at("2026-03-08 22:30"), "Europe/Tallinn") == [
        date(2026, 3, 9)
    ]
    assert week_starts(1, at("2026-03-08 22:30"), "UTC") == [date(2026, 3, 2)]


def test_period_start_and_weekday_names() -> None:
    day = date(2026, 3, 6)
    assert [period_start(day, p) for p in ("day", "week", "month")] == [
        day, date(2026, 3, 2), date(2026, 3, 1),
    ]  # fmt: skip
    assert WEEKDAY_NAMES[day.weekday()] == "Fri"

"""Holidays from a calendar: [hours] country (and subdivision) closes the
public holidays of the `holidays` package; [hours] holidays adds the team's.

Estonia, 2026: Tue 24 Feb is Independence Day, Tue 23 June Victory Day and
Wed 24 June Midsummer Day. Tallinn is on EET (+02) in February and EEST
(+03) in June; the office is open Mon-Fri 09:00-17:00 local time.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketcli.config import BusinessHours, config_from_mapping
from ticketcli.errors import ConfigError
from ticketcli.rules.metrics import business_seconds

H = 3600
ESTONIA = {"timezone": "Europe/Tallinn", "country": "EE"}


def hours(**table: object) -> BusinessHours:
    found = config_from_mapping({"hours": {**ESTONIA, **table}}).hours
    assert found is not None
    return found


def utc(text: str) -> datetime:
    """Naive UTC, as the store keeps times."""
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("day", "closed"),
    [
        (date(2026, 2, 23), False),  # Monday
        (date(2026, 2, 24), True),  # Independence Day, a Tuesday
        (date(2026, 2, 25), False),
        (date(2026, 6, 22), False),
        (date(2026, 6, 23), True),  # Victory Day
        (date(2026, 6, 24), True),  # Midsummer Day
        (date(2026, 6, 25), False),
        (date(2026, 6, 27), True),  # a Saturday: not an opening weekday
        (date(2027, 2, 24), True),  # the next year's calendar too
    ],
)
def test_estonian_public_holidays_are_closed(day: date, closed: bool) -> None:
    assert hours().closed(day) is closed


def test_team_holidays_add_to_the_calendar() -> None:
    office = hours(holidays=["2026-02-25"])
    assert office.closed(date(2026, 2, 24))  # the country's
    assert office.closed(date(2026, 2, 25))  # the team's
    assert not office.closed(date(2026, 2, 26))


def test_without_a_country_only_weekdays_and_team_days_close() -> None:
    office = config_from_mapping(
        {"hours": {"timezone": "Europe/Tallinn", "holidays": ["2026-06-23"]}}
    ).hours
    assert office is not None
    assert not office.closed(date(2026, 2, 24))
    assert office.closed(date(2026, 6, 23))
    assert not office.closed(date(2026, 6, 24))
    assert office.public_holidays(2026) == {}


def test_frt_across_independence_day_is_hand_computed() -> None:
    # Mon 23 Feb 16:00 local (14:00 UTC) -> Wed 25 Feb 10:00 local (08:00 UTC):
    # Monday 16-17 (1 h), Tuesday closed, Wednesday 09-10 (1 h).
    start, end = utc("2026-02-23 14:00"), utc("2026-02-25 08:00")
    assert business_seconds(start, end, hours()) == 2 * H
    # Without the calendar Tuesday's eight hours would count.
    plain = hours(country="")
    assert business_seconds(start, end, plain) == 10 * H


def test_frt_across_midsummer_is_hand_computed() -> None:
    # Mon 22 June 15:30 local (12:30 UTC) -> Thu 25 June 09:45 (06:45 UTC):
    # Monday 15:30-17 (1 h 30), Tue and Wed closed, Thursday 09-09:45 (45 min).
    start, end = utc("2026-06-22 12:30"), utc("2026-06-25 06:45")
    assert business_seconds(start, end, hours()) == 2 * H + 15 * 60
    assert business_seconds(start, end, hours(country="")) == 18 * H + 15 * 60


def test_holidays_between_names_the_closed_weekdays() -> None:
    office = hours(holidays=["2026-06-22", "2026-06-27"])
    assert office.holidays_between(date(2026, 6, 1), date(2026, 6, 30)) == [
        (date(2026, 6, 22), ""),  # the team's, unnamed
        (date(2026, 6, 23), "Victory Day"),
        (date(2026, 6, 24), "Midsummer Day"),
    ]  # 27 June is a Saturday: closed anyway, not listed
    assert office.holidays_between(date(2026, 2, 24), date(2026, 2, 24), "et") == [
        (date(2026, 2, 24), "iseseisvuspäev")
    ]


def test_names_do_not_follow_lang_of_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANG", "et_EE.UTF-8")
    office = hours()
    assert office.public_holidays(2026)[date(2026, 2, 24)] == "Independence Day"


def test_subdivisions_are_checked_and_written_as_the_calendar_does() -> None:
    office = config_from_mapping(
        {"hours": {"country": "us", "subdivision": "ca"}}
    ).hours
    assert office is not None
    assert (office.country, office.subdivision) == ("US", "CA")
    assert office.closed(date(2026, 3, 31))  # Cesar Chavez Day: California's
    new_york = config_from_mapping({"hours": {"country": "US", "subdivision": "NY"}})
    assert new_york.hours is not None
    assert not new_york.hours.closed(date(2026, 3, 31))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"country": "XX"},
            "hours.country: 'XX' is not a country code the holiday calendar knows"
            " (ISO 3166, like EE or FI)",
        ),
        (
            {"country": "EE", "subdivision": "9"},
            "hours.subdivision: '9' is not a subdivision of EE the holiday"
            " calendar knows",
        ),
        ({"subdivision": "01"}, "hours.subdivision: needs hours.country too"),
        ({"country": 372}, "hours.country: expected a string, got 372"),
    ],
    ids=["unknown-country", "unknown-subdivision", "no-country", "not-a-string"],
)
def test_a_wrong_calendar_is_one_config_error(
    table: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping({"hours": table})
    assert caught.value.message == message
    assert "\n" not in caught.value.message


def test_the_package_is_imported_only_for_a_country() -> None:
    probe = (
        "import sys\n"
        "from ticketcli.config import config_from_mapping\n"
        "hours = config_from_mapping({'hours': {'holidays': ['2026-06-23']}}).hours\n"
        "import datetime\n"
        "hours.closed(datetime.date(2026, 6, 23))\n"
        "print('holidays' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# Mon-Fri 09-17 in Tallinn, with EE's calendar or with the same days typed in.
CALENDAR = hours()
TYPED = BusinessHours(
    timezone="Europe/Tallinn",
    holidays=frozenset(
        day for year in (2026, 2027, 2028) for day in CALENDAR.public_holidays(year)
    ),
)
MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)
).map(lambda moment: moment.replace(second=0, microsecond=0))


@settings(max_examples=200, deadline=None)
@given(MOMENTS, st.integers(min_value=0, max_value=40 * 24 * 60))
def test_the_calendar_counts_as_the_same_days_typed_in(
    start: datetime, minutes: int
) -> None:
    end = start + timedelta(minutes=minutes)
    assert business_seconds(start, end, CALENDAR) == business_seconds(start, end, TYPED)

"""render.formats: how ages, arrows, marks, durations and shares read."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ticketcli.render.formats import (
    age,
    age_seconds,
    arrow,
    business,
    duration,
    hours_minutes,
    marks,
    person,
    share,
)

H = 3600
NOW = datetime(2026, 3, 6, 12, 0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (0, "0 s"), (59, "59 s"), (60, "1 min"), (3599, "59 min"),
     (3900, "1 h 05 min"), (86399, "23 h 59 min"),
     # A business day is not 24 h: hours, however many, never days.
     (2 * 86400 + 3 * H, "51 h 00 min"), (122 * H + 30 * 60, "122 h 30 min")],
)  # fmt: skip
def test_duration_is_hours_and_minutes(seconds: int | None, text: str) -> None:
    assert duration(seconds) == text


def test_business_time_says_so() -> None:
    assert business(4 * H + 600) == "4 h 10 min business time"
    assert business(None, none="–") == "–"
    assert duration(None, none="–") == "–"


@pytest.mark.parametrize(
    ("ago", "text"),
    [(timedelta(0), "0 min"), (timedelta(minutes=59, seconds=59), "59 min"),
     (timedelta(hours=1), "1 h"), (timedelta(hours=47, minutes=59), "47 h"),
     (timedelta(days=2), "2 d"), (timedelta(days=35, hours=23), "35 d"),
     (-timedelta(hours=1), "0 min")],
    ids=["new", "under-an-hour", "an-hour", "under-two-days", "two-days",
         "weeks", "in-the-future"],
)  # fmt: skip
def test_age_is_calendar_time_in_its_largest_unit(ago: timedelta, text: str) -> None:
    assert age(NOW - ago, NOW) == text
    assert age_seconds(NOW - ago, NOW) == max(int(ago.total_seconds()), 0)


def test_arrow_says_who_wrote_last() -> None:
    assert (arrow("outbound"), arrow("inbound")) == ("→", "←")


def test_marks_in_one_column() -> None:
    assert marks(reopened=False, overdue=False, away_owner=None) == ""
    assert marks(reopened=True, overdue=False, away_owner=None) == "REOPENED"
    assert (
        marks(reopened=True, overdue=True, away_owner="kadri")
        == "REOPENED OVERDUE AWAY:kadri"
    )
    assert marks(reopened=False, overdue=True, away_owner="") == "OVERDUE"


def test_shares_and_work_time() -> None:
    assert (share(0.875), share(1.0), share(0.0), share(None)) == (
        "87.5%",
        "100.0%",
        "0.0%",
        None,
    )
    # Work time is exact, to the minute, in hours: never "5d 09h".
    assert (hours_minutes(0), hours_minutes(45), hours_minutes(7785)) == (
        "",
        "45 min",
        "129 h 45 min",
    )


def test_people_by_name_with_the_login_beside() -> None:
    assert person("anna", "Anna Tamm") == "Anna Tamm (anna)"
    assert (person("anna", None), person("anna", "anna")) == ("anna", "anna")
    assert (person(None, None), person(None, "Firma")) == ("", "Firma")

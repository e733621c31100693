"""render.formats: how ages, arrows, marks, durations and shares read."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ticketcli.render.formats import age, arrow, duration, hours_minutes, marks, share

H = 3600
NOW = datetime(2026, 3, 6, 12, 0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"),
     (3900, "1h 05m"), (86399, "23h 59m"), (2 * 86400 + 3 * H, "2d 03h")],
)  # fmt: skip
def test_duration(seconds: int | None, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("ago", "text"),
    [(timedelta(0), "0m"), (timedelta(minutes=59, seconds=59), "59m"),
     (timedelta(hours=1), "1h"), (timedelta(hours=47, minutes=59), "47h"),
     (timedelta(days=2), "2d"), (timedelta(days=35, hours=23), "35d"),
     (-timedelta(hours=1), "0m")],
    ids=["new", "under-an-hour", "an-hour", "under-two-days", "two-days",
         "weeks", "in-the-future"],
)  # fmt: skip
def test_age_in_its_largest_unit(ago: timedelta, text: str) -> None:
    assert age(NOW - ago, NOW) == text


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
    assert (hours_minutes(0), hours_minutes(45), hours_minutes(125)) == (
        "",
        "0h45m",
        "2h05m",
    )

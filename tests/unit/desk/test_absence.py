"""Absence rules that need no store: reading the dates people type."""

from __future__ import annotations

from datetime import datetime

import pytest

from ticketcli.clock import parse_moment
from ticketcli.errors import UsageError


def test_a_day_starts_at_midnight_and_an_end_day_is_included() -> None:
    assert parse_moment("2026-03-10", "--from") == datetime(2026, 3, 10)
    # "until the 10th" means through the 10th: back on the 11th at 00:00 UTC.
    assert parse_moment("2026-03-10", "--until", end=True) == datetime(2026, 3, 11)


def test_a_time_is_taken_as_given_in_utc() -> None:
    assert parse_moment("2026-03-10T14:30", "--until", end=True) == datetime(
        2026, 3, 10, 14, 30
    )
    assert parse_moment("2026-03-10T14:30+02:00", "--from") == datetime(
        2026, 3, 10, 12, 30
    )
    assert parse_moment("2026-03-10T14:30:00Z", "--from") == datetime(
        2026, 3, 10, 14, 30
    )


@pytest.mark.parametrize("text", ["next week", "10.03.2026", "2026-13-01", ""])
def test_anything_else_is_a_usage_error_naming_the_option(text: str) -> None:
    with pytest.raises(UsageError, match="--until"):
        parse_moment(text, "--until", end=True)

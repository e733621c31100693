"""metrics: business time, FRT, resolution, handling time, percentiles, goals.

Every expected value is worked out by hand from the timeline in the case.
2026: Mar 2 and Mar 9 are Mondays; Europe/Tallinn moves from EET (+02) to
EEST (+03) on Sunday Mar 29 and back on Sunday Oct 25.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ticketcli.config import (
    BusinessHours,
    Goals,
    GoalSet,
    config_from_mapping,
)
from ticketcli.errors import ConfigError
from ticketcli.rules.metrics import (
    EventRow,
    Resolution,
    business_seconds,
    first_response_seconds,
    format_duration,
    goal_breached,
    handling_seconds,
    median,
    percentile,
    reply_count,
    resolution,
    status_since,
)

H = 3600
WEEKDAYS = frozenset(range(5))
UTC_OFFICE = BusinessHours(timezone="UTC", days=WEEKDAYS, start=540, end=1020)
TALLINN_OFFICE = BusinessHours(
    timezone="Europe/Tallinn", days=WEEKDAYS, start=540, end=1020
)
# Sundays only, the whole local day: shows the 23 h and 25 h days.
TALLINN_SUNDAY = BusinessHours(
    timezone="Europe/Tallinn", days=frozenset({6}), start=0, end=1440
)
HOLIDAY_OFFICE = BusinessHours(
    timezone="UTC",
    days=WEEKDAYS,
    start=540,
    end=1020,
    holidays=frozenset({date(2026, 3, 9)}),
)


def at(text: str) -> datetime:
    """Naive UTC, as the store keeps times; or aware when an offset is given."""
    return datetime.fromisoformat(text)


def event_rows(events: list[tuple[str, ...]]) -> list[EventRow]:
    """("closed", "2026-03-02 12:00"[, detail]) -> (kind, datetime[, detail])."""
    rows: list[EventRow] = []
    for kind, when, *rest in events:
        rows.append((kind, at(when), rest[0]) if rest else (kind, at(when)))
    return rows


# --- business_seconds --------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "hours", "expected"),
    [
        ("2026-03-02 10:00", "2026-03-02 11:30", None, 5400),
        ("2026-03-02 11:30", "2026-03-02 10:00", None, 0),
        ("2026-03-02 10:00", "2026-03-02 10:00", UTC_OFFICE, 0),
        ("2026-03-02T10:00+02:00", "2026-03-02 09:00", None, H),
        ("2026-03-02 10:00", "2026-03-02 12:00", UTC_OFFICE, 2 * H),
        ("2026-03-02 07:00", "2026-03-02 20:00", UTC_OFFICE, 8 * H),
        ("2026-03-06 16:00", "2026-03-09 10:00", UTC_OFFICE, 2 * H),
        ("2026-03-07 10:00", "2026-03-09 09:30", UTC_OFFICE, 1800),
        ("2026-03-02 00:00", "2026-03-09 00:00", UTC_OFFICE, 40 * H),
        ("2026-03-06 16:00", "2026-03-10 10:00", HOLIDAY_OFFICE, 2 * H),
        ("2026-03-06 16:00", "2026-03-10 10:00", UTC_OFFICE, 10 * H),
        # 09:00-17:00 Tallinn in winter is 07:00-15:00 UTC.
        ("2026-03-02 06:00", "2026-03-02 16:00", TALLINN_OFFICE, 8 * H),
        ("2026-03-02T12:00+05:00", "2026-03-02T10:00-05:00", TALLINN_OFFICE, 8 * H),
        # Fri 16:00 EET -> Mon 10:00 EEST, across the spring change.
        ("2026-03-27 14:00", "2026-03-30 07:00", TALLINN_OFFICE, 2 * H),
        # Fri 16:00 EEST -> Mon 10:00 EET, across the autumn change.
        ("2026-10-23 13:00", "2026-10-26 08:00", TALLINN_OFFICE, 2 * H),
        ("2026-03-28 12:00", "2026-03-30 12:00", TALLINN_SUNDAY, 23 * H),
        ("2026-10-24 12:00", "2026-10-26 12:00", TALLINN_SUNDAY, 25 * H),
        ("2026-10-25 10:00", "2026-10-25 11:00", TALLINN_SUNDAY, H),
    ],
    ids=[
        "calendar",
        "end-before-start",
        "empty",
        "aware-and-naive",
        "inside-one-day",
        "clipped-to-opening-hours",
        "over-weekend",
        "from-saturday",
        "whole-week",
        "holiday-skipped",
        "same-without-holiday",
        "tallinn-winter",
        "other-offsets",
        "dst-spring",
        "dst-autumn",
        "sunday-23h",
        "sunday-25h",
        "inside-25h-day",
    ],
)
def test_business_seconds(
    start: str, end: str, hours: BusinessHours | None, expected: int
) -> None:
    assert business_seconds(at(start), at(end), hours) == expected


# --- first response ----------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "hours", "expected"),
    [
        (
            [("2026-03-02 10:00", "inbound", "ticket"),
             ("2026-03-02 10:07", "outbound", "ticket")],
            None, 420,
        ),
        (
            [("2026-03-02 10:00", "inbound", "ticket"),
             ("2026-03-02 10:00:05", "outbound", "autoreply"),
             ("2026-03-02 10:30", "outbound", "ticket")],
            None, 1800,
        ),
        (
            [("2026-03-02 09:00", "inbound", "bounce"),
             ("2026-03-02 09:30", "inbound", "bulk"),
             ("2026-03-02 10:00", "inbound", "ticket"),
             ("2026-03-02 10:01", "outbound", "note"),
             ("2026-03-02 10:10", "outbound", "ticket")],
            None, 600,
        ),
        ([("2026-03-02 10:00", "inbound", "ticket")], None, None),
        (
            [("2026-03-02 09:00", "outbound", "ticket"),
             ("2026-03-02 10:00", "inbound", "ticket"),
             ("2026-03-02 11:00", "outbound", "ticket")],
            None, H,
        ),
        ([("2026-03-02 09:00", "outbound", "ticket")], None, None),
        ([], None, None),
        (
            [("2026-03-06 16:30", "inbound", "ticket"),
             ("2026-03-09 09:15", "outbound", "ticket")],
            UTC_OFFICE, 2700,
        ),
        (
            [("2026-03-02T12:00+02:00", "inbound", "ticket"),
             ("2026-03-02 10:05", "outbound", "ticket")],
            None, 300,
        ),
    ],
    ids=[
        "simple",
        "autoreply-ignored",
        "noise-ignored",
        "unanswered",
        "staff-opened",
        "outbound-only",
        "no-messages",
        "business-hours-weekend",
        "date-header-offset",
    ],
)  # fmt: skip
def test_first_response_seconds(
    messages: list[tuple[str, str, str]],
    hours: BusinessHours | None,
    expected: int | None,
) -> None:
    rows = [(at(d), direction, kind) for d, direction, kind in messages]
    assert first_response_seconds(rows, hours) == expected
    assert first_response_seconds(iter(rows), hours) == expected


def test_reply_count_counts_staff_replies_only() -> None:
    rows = [
        (at("2026-03-02 10:00"), "inbound", "ticket"),
        (at("2026-03-02 10:01"), "outbound", "autoreply"),
        (at("2026-03-02 10:02"), "outbound", "ticket"),
        (at("2026-03-02 10:03"), "outbound", "note"),
        (at("2026-03-02 10:04"), "outbound", "ticket"),
    ]
    assert reply_count(rows) == 2


# --- resolution --------------------------------------------------------------

REOPENED = [
    ("created", "2026-03-02 10:00"),
    ("message", "2026-03-02 10:05"),
    ("closed", "2026-03-02 12:00"),
    ("reopened", "2026-03-03 10:00"),
    ("closed", "2026-03-03 10:30"),
]


@pytest.mark.parametrize(
    ("events", "hours", "now", "expected"),
    [
        (
            [("created", "2026-03-02 10:00"), ("closed", "2026-03-02 12:00")],
            None, None, Resolution(2 * H, 2 * H, 0, True),
        ),
        (REOPENED, None, None, Resolution(2 * H, 2 * H + 1800, 1, True)),
        (REOPENED[::-1], None, None, Resolution(2 * H, 2 * H + 1800, 1, True)),
        (
            [("created", "2026-03-02 10:00"), ("closed", "2026-03-02 11:00"),
             ("reopened", "2026-03-02 13:00"), ("closed", "2026-03-02 14:00"),
             ("reopened", "2026-03-02 15:00")],
            None, "2026-03-02 15:20", Resolution(H, 2 * H + 1200, 2, False),
        ),
        (
            [("created", "2026-03-02 10:00"),
             ("status", "2026-03-02 10:30", "pending"),
             ("status", "2026-03-02 11:30", "open"),
             ("closed", "2026-03-02 12:00")],
            None, None, Resolution(H, H, 0, True),
        ),
        (
            [("created", "2026-03-02 10:00"),
             ("status", "2026-03-02 10:15", "pending"),
             ("closed", "2026-03-02 13:00")],
            None, None, Resolution(900, 900, 0, True),
        ),
        (
            [("created", "2026-03-02 10:00"),
             ("status", "2026-03-02 10:15", "pending")],
            None, "2026-03-02 18:00", Resolution(None, 900, 0, False),
        ),
        (
            [("created", "2026-03-02 10:00")],
            None, None, Resolution(None, 0, 0, False),
        ),
        (
            [("created", "2026-03-02 10:00")],
            None, "2026-03-02 10:10", Resolution(None, 600, 0, False),
        ),
        (
            [("created", "2026-03-06 16:00"), ("closed", "2026-03-09 10:00"),
             ("reopened", "2026-03-09 16:30"), ("closed", "2026-03-10 09:30")],
            UTC_OFFICE, None, Resolution(2 * H, 3 * H, 1, True),
        ),
        (
            [("created", "2026-03-27 14:00"), ("closed", "2026-03-30 07:00")],
            TALLINN_OFFICE, None, Resolution(2 * H, 2 * H, 0, True),
        ),
    ],
    ids=[
        "created-closed",
        "reopened-once",
        "events-unsorted",
        "reopened-twice-still-open",
        "pending-paused",
        "closed-while-pending",
        "pending-not-counted-to-now",
        "open-without-now",
        "open-to-now",
        "business-hours-reopen",
        "business-hours-dst",
    ],
)  # fmt: skip
def test_resolution(
    events: list[tuple[str, ...]],
    hours: BusinessHours | None,
    now: str | None,
    expected: Resolution,
) -> None:
    rows = event_rows(events)
    result = resolution(rows, hours, now=at(now) if now else None)
    assert result == expected


# --- handling time -----------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "now", "hours", "expected"),
    [
        (
            [("created", "2026-03-02 09:00"),
             ("assigned", "2026-03-02 10:00", "alice"),
             ("assigned", "2026-03-02 11:00", "bob"),
             ("unassigned", "2026-03-02 11:30", "bob")],
            "2026-03-02 12:00", None, {"alice": H, "bob": 1800},
        ),
        (
            [("assigned", "2026-03-02 10:00", "alice"),
             ("closed", "2026-03-02 11:00"),
             ("reopened", "2026-03-02 13:00")],
            "2026-03-02 13:30", None, {"alice": H + 1800},
        ),
        (
            [("assigned", "2026-03-02 10:00", "alice")],
            "2026-03-02 10:45", None, {"alice": 2700},
        ),
        (
            [("assigned", "2026-03-02 10:00", "alice"),
             ("unassigned", "2026-03-02 11:00", "alice"),
             ("assigned", "2026-03-02 12:00", "alice"),
             ("closed", "2026-03-02 12:10")],
            "2026-03-03 00:00", None, {"alice": H + 600},
        ),
        (
            [("assigned", "2026-03-06 16:00", "alice")],
            "2026-03-09 10:00", UTC_OFFICE, {"alice": 2 * H},
        ),
        ([("created", "2026-03-02 09:00")], "2026-03-02 12:00", None, {}),
    ],
    ids=[
        "reassigned-then-unassigned",
        "closed-pauses",
        "running-to-now",
        "assigned-twice",
        "business-hours",
        "never-assigned",
    ],
)  # fmt: skip
def test_handling_seconds(
    events: list[tuple[str, ...]],
    now: str,
    hours: BusinessHours | None,
    expected: dict[str, int],
) -> None:
    rows = event_rows(events)
    assert handling_seconds(rows, at(now), hours) == expected


# --- percentile and median ---------------------------------------------------

FIVE = [50, 15, 40, 20, 35]


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        (FIVE, 0, 15),
        (FIVE, 5, 15),
        (FIVE, 30, 20),
        (FIVE, 40, 20),
        (FIVE, 50, 35),
        (FIVE, 90, 50),
        (FIVE, 100, 50),
        (list(range(1, 11)), 90, 9),
        (list(range(1, 11)), 91, 10),
        ([7], 50, 7),
        ([], 50, None),
    ],
    ids=[
        "p0-min",
        "p5",
        "p30",
        "p40",
        "p50",
        "p90",
        "p100-max",
        "ten-p90",
        "ten-p91",
        "single",
        "empty",
    ],
)
def test_percentile_nearest_rank(values: list[int], p: float, expected: int) -> None:
    assert percentile(values, p) == expected


@pytest.mark.parametrize("p", [-1, 100.5], ids=["negative", "over-100"])
def test_percentile_rejects_out_of_range(p: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1, 2], p)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([3, 1, 2], 2), ([4, 1, 3, 2], 2.5), ([5], 5), ([], None)],
    ids=["odd", "even", "single", "empty"],
)
def test_median(values: list[int], expected: float | None) -> None:
    assert median(values) == expected


# --- goals -------------------------------------------------------------------

GOALS = Goals(
    default=GoalSet(
        first_response=timedelta(minutes=10),
        resolution=timedelta(days=2),
        new_max=timedelta(hours=1),
    ),
    by_priority={"urgent": GoalSet(first_response=timedelta(minutes=5))},
)


@pytest.mark.parametrize(
    ("goals", "priority", "figures", "expected"),
    [
        (GOALS, "normal", {"first_response": 600}, ()),
        (GOALS, "normal", {"first_response": 601}, ("first_response",)),
        (GOALS, "urgent", {"first_response": 400}, ("first_response",)),
        (GOALS, "urgent", {"resolution": 2 * 86400 + 1}, ("resolution",)),
        (
            GOALS,
            "low",
            {"first_response": 700, "new_seconds": H + 1},
            ("first_response", "new_max"),
        ),
        (GOALS, None, {"first_response": None, "resolution": None}, ()),
        (None, "urgent", {"first_response": 10**6}, ()),
        (Goals(), "normal", {"first_response": 10**6}, ()),
    ],
    ids=[
        "at-goal",
        "one-second-over",
        "priority-override",
        "priority-inherits",
        "two-breaches",
        "not-measured",
        "no-goals",
        "empty-goals",
    ],
)
def test_goal_breached(
    goals: Goals | None,
    priority: str | None,
    figures: dict[str, int | None],
    expected: tuple[str, ...],
) -> None:
    assert goal_breached(goals, priority, **figures) == expected


# --- [hours] and [goals] in the config -----------------------------------------


def test_config_hours_and_goals_parsed() -> None:
    config = config_from_mapping(
        tomllib.loads(
            """
            [hours]
            timezone = "Europe/Tallinn"
            days = ["mon", "Tue", "wednesday", "thu", "fri", "sat"]
            start = "08:30"
            end = "24:00"
            holidays = ["2026-12-24", 2026-12-25]

            [goals]
            first_response = "10m"
            resolution = "2d"
            new_max = "1h"

            [goals.urgent]
            first_response = "30m"
            """
        )
    )
    assert config.hours == BusinessHours(
        timezone="Europe/Tallinn",
        days=frozenset(range(6)),
        start=510,
        end=1440,
        holidays=frozenset({date(2026, 12, 24), date(2026, 12, 25)}),
    )
    assert config.goals == Goals(
        default=GoalSet(timedelta(minutes=10), timedelta(days=2), timedelta(hours=1)),
        by_priority={"urgent": GoalSet(first_response=timedelta(minutes=30))},
    )
    assert config.goals.for_priority("urgent") == GoalSet(
        timedelta(minutes=30), timedelta(days=2), timedelta(hours=1)
    )


def test_config_without_hours_or_goals() -> None:
    config = config_from_mapping({})
    assert config.hours is None
    assert config.goals is None


def test_config_hours_defaults() -> None:
    assert config_from_mapping({"hours": {}}).hours == BusinessHours(
        timezone="UTC", days=WEEKDAYS, start=540, end=1020
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hours": {"timezone": "Mars/Olympus"}}, "hours.timezone: 'Mars/Olympus'"),
        ({"hours": {"days": ["funday"]}}, "hours.days: 'funday'"),
        ({"hours": {"days": "mon"}}, "hours.days: expected a list"),
        ({"hours": {"start": "9am"}}, "hours.start: '9am'"),
        ({"hours": {"end": "25:00"}}, "hours.end: '25:00'"),
        ({"hours": {"start": "24:00"}}, "hours.start: '24:00'"),
        ({"hours": {"start": "17:00", "end": "09:00"}}, "hours.end: must be later"),
        ({"hours": {"holidays": ["2026-13-01"]}}, "hours.holidays: '2026-13-01'"),
        ({"hours": {"lunch": "12:00"}}, "hours.lunch: unknown setting"),
        ({"hours": "9-17"}, "hours: expected a table"),
        ({"goals": {"first_response": "soon"}}, "goals.first_response: 'soon'"),
        ({"goals": {"resolution": 2}}, "goals.resolution: expected a string"),
        ({"goals": {"resolution": "0m"}}, "goals.resolution: a goal must be"),
        ({"goals": {"weekly": "1h"}}, "goals.weekly: unknown setting"),
        ({"goals": {"urgent": {"foo": "1h"}}}, "goals.urgent.foo: unknown setting"),
        ({"goals": {"urgent": "1h"}}, "goals.urgent: expected a table"),
        (
            {"goals": {"high": {"new_max": "x"}}},
            "goals.high.new_max: 'x' is not a duration",
        ),
    ],
    ids=[
        "unknown-timezone",
        "unknown-day",
        "days-not-list",
        "bad-start",
        "bad-end",
        "start-24",
        "end-before-start",
        "bad-holiday",
        "unknown-hours-key",
        "hours-not-table",
        "bad-duration",
        "duration-not-string",
        "zero-goal",
        "unknown-goals-key",
        "unknown-priority-key",
        "priority-not-table",
        "bad-priority-duration",
    ],
)
def test_config_hours_goals_errors_name_the_key(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping(data)
    assert caught.value.message.startswith(message)


def test_business_seconds_accepts_aware_utc_and_offsets_alike() -> None:
    naive = business_seconds(
        at("2026-03-27 14:00"), at("2026-03-30 07:00"), TALLINN_OFFICE
    )
    aware = business_seconds(
        datetime(2026, 3, 27, 17, 0, tzinfo=timezone(timedelta(hours=3))),
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
        TALLINN_OFFICE,
    )
    assert naive == aware == 2 * H


# --- status time, open/pending goals, duration text ----------------------------


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([("created", "2026-03-02 09:00")], ("new", "2026-03-02 09:00")),
        (
            [("created", "2026-03-02 09:00"),
             ("assigned", "2026-03-02 10:00", "alice"),
             ("assigned", "2026-03-02 11:00", "bob (first reply)")],
            ("open", "2026-03-02 10:00"),
        ),
        (
            [("created", "2026-03-02 09:00"),
             ("assigned", "2026-03-02 10:00", "alice"),
             ("unassigned", "2026-03-02 11:00", "alice")],
            ("new", "2026-03-02 11:00"),
        ),
        (
            [("created", "2026-03-02 09:00"),
             ("assigned", "2026-03-02 10:00", "alice"),
             ("status", "2026-03-02 12:00", "pending")],
            ("pending", "2026-03-02 12:00"),
        ),
        (
            [("created", "2026-03-02 09:00"),
             ("assigned", "2026-03-02 10:00", "alice"),
             ("closed", "2026-03-02 12:00"),
             ("reopened", "2026-03-03 08:00")],
            ("open", "2026-03-03 08:00"),
        ),
        (
            [("created", "2026-03-02 09:00"),
             ("closed", "2026-03-02 12:00"),
             ("reopened", "2026-03-03 08:00")],
            ("new", "2026-03-03 08:00"),
        ),
        ([("assigned", "2026-03-02 10:00", "alice")], None),
    ],
    ids=[
        "new", "reassigned-keeps-open-clock", "unassigned", "pending",
        "reopened-with-owner", "reopened-in-pool", "no-created",
    ],
)  # fmt: skip
def test_status_since(
    events: list[tuple[str, ...]], expected: tuple[str, str] | None
) -> None:
    result = status_since(event_rows(events))
    if expected is None:
        assert result is None
    else:
        assert result == (expected[0], at(expected[1]).replace(tzinfo=UTC))


def test_handling_seconds_reads_sync_first_reply_detail() -> None:
    rows = event_rows([("assigned", "2026-03-02 10:00", "kadri (first reply)")])
    assert handling_seconds(rows, at("2026-03-02 11:00")) == {"kadri": H}


def test_goal_breached_open_and_pending_max() -> None:
    goals = Goals(
        default=GoalSet(open_max=timedelta(hours=4), pending_max=timedelta(days=3))
    )
    assert goal_breached(goals, "normal", open_seconds=4 * H) == ()
    assert goal_breached(goals, "normal", open_seconds=4 * H + 1) == ("open_max",)
    assert goal_breached(goals, "normal", pending_seconds=3 * 86400 + 1) == (
        "pending_max",
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"),
     (3900, "1h 05m"), (86399, "23h 59m"), (2 * 86400 + 3 * H, "2d 03h")],
)  # fmt: skip
def test_format_duration(seconds: int | None, text: str) -> None:
    assert format_duration(seconds) == text

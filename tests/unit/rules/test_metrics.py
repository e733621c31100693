"""metrics: business time, FRT, resolution, status clocks, percentiles, goals.

Every expected value is worked out by hand from the timeline in the case.
2026: Mar 2 and Mar 9 are Mondays; Europe/Tallinn moves from EET (+02) to
EEST (+03) on Sunday Mar 29 and back on Sunday Oct 25.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ticketcli.clock import utc_naive
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
    goal_breached,
    median,
    percentile,
    resolution,
    status_since,
    ticket_times,
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
def test_first_response(
    messages: list[tuple[str, str, str]],
    hours: BusinessHours | None,
    expected: int | None,
) -> None:
    """FRT as the store and the reports get it: the writer hands
    ``ticket_times`` the ticket's kind-"ticket" mail only (noise never
    counts), which picks the first response; the reports measure from the
    first inbound mail to it in business time."""
    rows = [
        (utc_naive(at(d)), direction)
        for d, direction, kind in messages
        if kind == "ticket"
    ]
    times = ticket_times(rows)
    assert ticket_times(iter(rows)) == times
    if times is None or times.first_response_at is None:
        assert expected is None
        return
    first_inbound = min(d for d, direction in rows if direction == "inbound")
    assert times.first_response_at >= first_inbound
    assert business_seconds(first_inbound, times.first_response_at, hours) == expected


def test_ticket_times_from_the_messages_dates() -> None:
    rows = [
        (at("2026-03-02 11:00"), "outbound"),
        (at("2026-03-02 09:00"), "outbound"),
        (at("2026-03-02 10:00"), "inbound"),
        (at("2026-03-02 12:00"), "inbound"),
    ]
    times = ticket_times(rows)
    assert times is not None
    assert (times.created_at, times.last_message_at) == (
        at("2026-03-02 09:00"),
        at("2026-03-02 12:00"),
    )
    assert (times.last_direction, times.message_count) == ("inbound", 4)
    # Staff opened it: answered only by the reply after the customer wrote.
    assert times.first_response_at == at("2026-03-02 11:00")


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


def test_goal_breached_open_and_pending_max() -> None:
    goals = Goals(
        default=GoalSet(open_max=timedelta(hours=4), pending_max=timedelta(days=3))
    )
    assert goal_breached(goals, "normal", open_seconds=4 * H) == ()
    assert goal_breached(goals, "normal", open_seconds=4 * H + 1) == ("open_max",)
    assert goal_breached(goals, "normal", pending_seconds=3 * 86400 + 1) == (
        "pending_max",
    )

"""reports.summary and reports.goals over hand-made store rows, no database.

The rows are what ``store.stats`` hands over; the figures are worked out by
hand. 2026: Mar 2 is a Monday.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ticketcli.config import Goals, GoalSet, config_from_mapping
from ticketcli.reports.goals import goal_seconds, ticket_breaches, timeline
from ticketcli.reports.summary import (
    first_response,
    frt_figures,
    share,
    whole_seconds,
)
from ticketcli.store.stats import ActiveTicket, OpenedTicket

H = 3600
NOW = datetime(2026, 3, 6, 12, 0)
CONFIG = config_from_mapping(
    {"support_addresses": ["s@h.example"], "goals": {"first_response": "1h"}}
)
NO_GOALS = config_from_mapping({"support_addresses": ["s@h.example"]})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def opened(
    number: int,
    inbound: str | None,
    answered: str | None,
    priority: str = "normal",
) -> OpenedTicket:
    return OpenedTicket(
        number=number,
        group=None,
        priority=priority,
        created_at=at(inbound or "2026-03-02 08:00"),
        first_inbound=at(inbound) if inbound else None,
        first_response_at=at(answered) if answered else None,
        replies=1 if answered else 0,
    )


TICKETS = [
    opened(1, "2026-03-02 10:00", "2026-03-02 10:30"),  # 30 min: within
    opened(2, "2026-03-03 09:00", "2026-03-03 11:00"),  # 2 h: a breach
    opened(3, None, None),  # staff opened it: no FRT, never decided
    opened(4, "2026-03-06 11:30", None),  # waiting 30 min: undecided
    opened(5, "2026-03-06 09:00", None),  # waiting 3 h: a known breach
]


def test_first_response_needs_both_ends() -> None:
    assert [first_response(t, None) for t in TICKETS] == [1800, 7200, None, None, None]


def test_frt_figures_decide_a_breach_once_the_goal_is_past() -> None:
    figures = frt_figures(TICKETS, CONFIG, NOW)
    assert (figures.values, figures.within, figures.decided, figures.breaches) == (
        [1800, 7200],
        1,
        3,
        2,
    )
    assert figures.row() == {
        "frt_avg": 4500,
        "frt_median": 4500,
        "frt_p90": 7200,
        "frt_within_goal": 0.3333,
        "frt_breaches": 2,
    }
    plain = frt_figures(TICKETS, NO_GOALS, NOW).row()
    assert (plain["frt_within_goal"], plain["frt_breaches"]) == (None, 0)
    assert frt_figures([], CONFIG, NOW).row() == {
        "frt_avg": None,
        "frt_median": None,
        "frt_p90": None,
        "frt_within_goal": None,
        "frt_breaches": 0,
    }


def test_rounding_and_shares() -> None:
    assert (whole_seconds(1.5), whole_seconds(2.4), whole_seconds(None)) == (2, 2, None)
    assert (share(2, 3), share(0, 0)) == (0.6667, None)


def test_goal_seconds_per_priority() -> None:
    goals = Goals(
        default=GoalSet(first_response=timedelta(hours=4)),
        by_priority={"urgent": GoalSet(first_response=timedelta(minutes=30))},
    )
    assert goal_seconds(goals, "normal", "first_response") == 4 * H
    assert goal_seconds(goals, "urgent", "first_response") == 1800
    assert goal_seconds(goals, "normal", "resolution") is None
    assert goal_seconds(None, "normal", "first_response") is None


def test_timeline_keeps_one_created_at_the_first_message() -> None:
    events = [
        ("created", at("2026-03-02 10:05"), ""),
        ("closed", at("2026-03-02 11:00"), ""),
        ("created", at("2026-03-03 09:00"), "merge"),
    ]
    assert timeline(at("2026-03-02 10:00"), events) == [
        ("created", at("2026-03-02 10:00"), ""),
        ("closed", at("2026-03-02 11:00"), ""),
    ]


def test_ticket_breaches_now() -> None:
    goals = Goals(
        default=GoalSet(
            first_response=timedelta(hours=1),
            resolution=timedelta(days=1),
            new_max=timedelta(hours=2),
            open_max=timedelta(hours=12),
        )
    )
    waiting = ActiveTicket(5, None, "normal", "new", at("2026-03-06 09:00"), None, True)
    found = ticket_breaches(
        waiting, at("2026-03-06 09:00"), [("created", at("2026-03-06 09:05"), "")],
        goals, None, NOW,
    )  # fmt: skip
    assert found == ("first_response", "new_max")
    answered = ActiveTicket(
        4, "kadri", "normal", "open", at("2026-03-05 14:00"), None, False
    )
    events = [("assigned", at("2026-03-05 14:00"), "kadri")]
    # Only staff wrote (no first inbound): no first-response clock; open 22 h.
    assert ticket_breaches(answered, None, events, goals, None, NOW) == ("open_max",)
    assert ticket_breaches(answered, None, events, goals, None,
                           at("2026-03-06 01:59")) == ()  # fmt: skip

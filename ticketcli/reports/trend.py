"""The first-response trend: FRT of the tickets opened in each recent week."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ticketcli.errors import UsageError
from ticketcli.reports.periods import midnight, week_starts, zone_name
from ticketcli.reports.summary import frt_figures
from ticketcli.store import stats as aggregates

if TYPE_CHECKING:
    from datetime import datetime

    from ticketcli.config import Config
    from ticketcli.store.stats import OpenedTicket

TREND_KEYS = ("week_start", "tickets", "frt_median", "frt_p90", "frt_within_goal")


def frt_trend(*, weeks: int, config: Config, now: datetime) -> list[dict[str, Any]]:
    """FRT of the tickets opened in each of the last ``weeks`` weeks (this one
    included, oldest first): rows with the keys of ``TREND_KEYS``,
    ``week_start`` being the local Monday (a date)."""
    if weeks < 1:
        raise UsageError(f"weeks: {weeks} must be at least 1")
    tz = zone_name(config)
    zone = ZoneInfo(tz)
    mondays = week_starts(weeks, now, tz)
    starts = [midnight(day, zone) for day in mondays]
    end = midnight(mondays[-1] + timedelta(days=7), zone)
    by_week: dict[int, list[OpenedTicket]] = defaultdict(list)
    for ticket in aggregates.opened_tickets(None, starts[0], end):
        index = bisect_right(starts, ticket.created_at) - 1  # the last week begun
        by_week[index].append(ticket)
    out = []
    for index, monday in enumerate(mondays):
        tickets = by_week.get(index, [])
        figures = frt_figures(tickets, config, now).row()
        out.append(
            {
                "week_start": monday,
                "tickets": len(tickets),
                "frt_median": figures["frt_median"],
                "frt_p90": figures["frt_p90"],
                "frt_within_goal": figures["frt_within_goal"],
            }
        )
    return out

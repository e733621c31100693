"""When customers' mail arrives: by local weekday and hour, for planning who
works when."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ticketcli.reports.periods import HOUR_KEYS, WEEKDAY_NAMES, local_time
from ticketcli.store import stats as aggregates

if TYPE_CHECKING:
    from datetime import datetime

LOAD_KEYS = ("weekday", *HOUR_KEYS, "total")


def load(*, start: datetime, end: datetime, tz: str) -> dict[str, Any]:
    """Customers' mail (inbound, kind ticket) in [start, end) by weekday and
    hour in ``tz``.

    ``matrix[weekday][hour]`` (0 = Monday); ``rows``: one per weekday with
    the keys of ``LOAD_KEYS``, for a table.
    """
    zone = ZoneInfo(tz)
    matrix = [[0] * 24 for _ in WEEKDAY_NAMES]
    for quarter, count in aggregates.inbound_mail(start, end).items():
        moment = local_time(quarter, zone)
        matrix[moment.weekday()][moment.hour] += count
    rows = [
        {
            "weekday": name,
            **dict(zip(HOUR_KEYS, counts, strict=True)),
            "total": sum(counts),
        }
        for name, counts in zip(WEEKDAY_NAMES, matrix, strict=True)
    ]
    return {
        "timezone": tz,
        "start": start,
        "end": end,
        "total": sum(map(sum, matrix)),
        "matrix": matrix,
        "rows": rows,
    }

"""How `stats --by` names its groups, and in which order they come.

The store groups by raw values (a login, a customer code, the UTC quarter
hour a ticket was opened); here each becomes the label scripts read --
``"(none)"`` for no value, ``"09"`` or ``"Mon"`` in the [hours] time zone --
and groups that share a label add up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ticketcli.errors import UsageError
from ticketcli.reports.periods import HOUR_KEYS, WEEKDAY_NAMES, local_time

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

GROUPS = ("assignee", "customer", "type", "source", "tag", "hour", "weekday")
NO_VALUE = "(none)"  # the group of tickets without an assignee, customer, ...
ALL = "all"  # the one group when nothing is grouped


def name(value: Any) -> str:
    """A login, code, type or source as its group's label."""
    return str(value) if value not in (None, "") else NO_VALUE


def name_order(label: str) -> Any:
    """Names alphabetically, case aside; "(none)" last."""
    return (label == NO_VALUE, label.lower(), label)


@dataclass(frozen=True)
class Grouping:
    """What the store groups by (``key``, one of ``store.stats.GROUP_KEYS``),
    how a raw group becomes a label, and how labels sort."""

    key: str | None
    label: Callable[[Any], str]
    order: Callable[[str], Any]

    def add_up(self, counts: Mapping[Any, int]) -> dict[str, int]:
        """{raw group: n} as {label: n}."""
        totals: dict[str, int] = defaultdict(int)
        for value, count in counts.items():
            totals[self.label(value)] += count
        return dict(totals)


def grouping(by: str | None, tz: str) -> Grouping:
    """The grouping of ``stats --by``; hours and weekdays local to ``tz``."""
    if by is None:
        return Grouping(None, lambda _: ALL, name_order)
    if by not in GROUPS:
        raise UsageError(f"--by: {by!r} is not one of {', '.join(GROUPS)}")
    if by in ("hour", "weekday"):
        zone = ZoneInfo(tz)
        names = HOUR_KEYS if by == "hour" else WEEKDAY_NAMES

        def local(quarter: Any) -> str:
            moment = local_time(quarter, zone)
            return names[moment.hour if by == "hour" else moment.weekday()]

        return Grouping("opened", local, names.index)
    return Grouping(by, name, name_order)

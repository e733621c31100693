"""The `report` listing: the active tickets, each with what makes it overdue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ticketcli import lazy
from ticketcli.store.queries import report_rows

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from datetime import datetime

    from ticketcli.config import Config
    from ticketcli.reports.goals import breaches
    from ticketcli.store.queries import ReportRow
else:  # the goals' rules and aggregates: only for a desk that sets [goals]
    breaches = lazy.function("ticketcli.reports.goals:breaches")


class ListedTicket(NamedTuple):
    """A ticket of the listing: the store's row, and whether it is overdue --
    past its due date, or breaching a [goals] target (``breaches`` names
    which)."""

    row: ReportRow
    overdue: bool
    breaches: tuple[str, ...]


def is_overdue(row: ReportRow, goals: tuple[str, ...], now: datetime) -> bool:
    return (row.due_at is not None and row.due_at < now) or bool(goals)


def listed_tickets(
    *,
    now: datetime,
    config: Config | None = None,
    late: Mapping[int, list[str]] | None = None,
    overdue: bool = False,
    **filters: Any,
) -> Iterator[ListedTicket]:
    """Active tickets from the report's one query (``filters``: those of
    ``store.queries.report_query``), marked overdue against the due date and,
    with ``config``, its [goals] (``late``: the breaches, when the caller has
    them already). ``overdue`` keeps just the overdue ones."""
    rows = list(report_rows(now=now, **filters))
    if late is None:  # the goals of the tickets listed, not of all active ones
        late = {}
        if config is not None and config.goals is not None:
            only = {row.number for row in rows}
            late = breaches(config=config, now=now, only=only)
    for row in rows:
        goals = tuple(late.get(row.number, ()))
        marked = is_overdue(row, goals, now)
        if overdue and not marked:
            continue
        yield ListedTicket(row, marked, goals)

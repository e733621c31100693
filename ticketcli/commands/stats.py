"""The 'stats' command: the lead's numbers for a day, week or month."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ticketcli.clock import now as clock
from ticketcli.commands.params import LOCAL_DAY, LOCAL_DAY_END
from ticketcli.config import REPORT_LANGUAGES
from ticketcli.context import App, pass_app
from ticketcli.errors import UsageError
from ticketcli.render.output import output_options
from ticketcli.render.stats import emit_stats
from ticketcli.reports.groups import GROUPS
from ticketcli.reports.load import LOAD_KEYS, load
from ticketcli.reports.periods import PERIODS, period_bounds, zone_name
from ticketcli.reports.summary import SUMMARY_KEYS, summary
from ticketcli.reports.trend import TREND_KEYS, frt_trend
from ticketcli.reports.workload import WORK_GROUPS, WORK_TIME_KEYS, WORKLOAD_KEYS
from ticketcli.reports.workload import work_time as work_time_rows
from ticketcli.reports.workload import workload as workload_rows

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

# A terminal line has room for fewer: the period's bounds are in json and
# csv only.
SUMMARY_COLUMNS = (*SUMMARY_KEYS, "start", "end")


def _one_of(values: Iterable[str]) -> Callable[[Any, Any, str | None], str | None]:
    """A choice checked by us: a wrong value is one line and exit 2."""
    allowed = tuple(values)

    def check(ctx: Any, param: Any, value: str | None) -> str | None:
        if value is not None and value not in allowed:
            raise UsageError(
                f"--{param.name.replace('_', '-')}: {value!r} is not one of"
                f" {', '.join(allowed)}"
            )
        return value

    return check


def _weeks(ctx: Any, param: Any, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 520:
        raise UsageError(f"--trend: {value!r} is not a number of weeks (1-520)")
    return int(value)


@click.command("stats")
@click.option(
    "--period",
    default="week",
    show_default=True,
    metavar="day|week|month",
    callback=_one_of(PERIODS),
    help="The day, week (from Monday) or month now is in, in [hours] timezone.",
)
@click.option(
    "--since",
    type=LOCAL_DAY,
    metavar="DATE",
    help="From this day (to now, or --until).",
)
@click.option(
    "--until",
    type=LOCAL_DAY_END,
    metavar="DATE",
    help="Through this day (its whole day).",
)
@click.option(
    "--by",
    metavar="|".join(GROUPS),
    callback=_one_of(GROUPS),
    help="One row per assignee, customer, type, source, tag (a ticket in each "
    "of its tags), or the local hour or weekday a ticket was opened.",
)
@click.option(
    "--workload",
    is_flag=True,
    help="Open, waiting and overdue tickets per assignee (and the pool), "
    "with the work time logged in the period.",
)
@click.option(
    "--load",
    "load_",
    is_flag=True,
    help="Customers' mail in the period by weekday and hour (local time).",
)
@click.option(
    "--work-time",
    metavar="customer|assignee",
    callback=_one_of(WORK_GROUPS),
    help="Work time logged (`ticketcli time`) in the period per customer or agent.",
)
@click.option(
    "--trend",
    metavar="WEEKS",
    callback=_weeks,
    help="FRT of the tickets opened in each of the last WEEKS weeks.",
)
@click.option(
    "--lang",
    metavar="|".join(REPORT_LANGUAGES),
    callback=_one_of(REPORT_LANGUAGES),
    help="Language of the table's headings (default: [report] lang); json and "
    "csv keep their keys.",
)
@output_options
@pass_app
def stats_cmd(
    app: App,
    period: str,
    since: datetime | None,
    until: datetime | None,
    by: str | None,
    workload: bool,
    load_: bool,
    work_time: str | None,
    trend: int | None,
    lang: str | None,
    fmt: str,
) -> None:
    """Tickets created, closed, reopened and open at the period's end; first
    response time (average, median, 90th percentile, share within the goal)
    and resolution time (median, 90th percentile), goal breaches, replies per
    ticket -- overall or per group with --by. Durations count business time
    when [hours] is set; json and csv give them in seconds.

    Or, instead: --workload, --load, --work-time, --trend.
    """
    views = [
        name
        for name, on in (
            ("--workload", workload),
            ("--load", load_),
            ("--work-time", work_time),
            ("--trend", trend),
        )
        if on
    ]
    if len(views) > 1:
        raise UsageError(f"give only one of {', '.join(views)}")
    if views and by is not None:
        raise UsageError(f"--by does not go with {views[0]}")
    config = app.config
    tz = zone_name(config)
    moment = clock()
    start, end = period_bounds(period, since, until, moment, tz)
    app.open_store()
    rows: list[dict[str, Any]]
    if workload:
        rows = workload_rows(config=config, now=moment, start=start, end=end)
        columns: tuple[str, ...] = WORKLOAD_KEYS
    elif load_:
        rows = load(start=start, end=end, tz=tz)["rows"]
        columns = LOAD_KEYS
    elif work_time:
        rows = work_time_rows(start=start, end=end, by=work_time)
        columns = WORK_TIME_KEYS
    elif trend:
        rows = frt_trend(weeks=trend, config=config, now=moment)
        columns = TREND_KEYS
    else:
        bounds = {"start": start, "end": end}
        rows = [
            row | bounds
            for row in summary(start=start, end=end, by=by, config=config, now=moment)
        ]
        columns = SUMMARY_KEYS if fmt == "table" else SUMMARY_COLUMNS
    emit_stats(
        rows,
        columns,
        fmt,
        lang or config.report.lang,
        one_group=columns == SUMMARY_KEYS and by is None,
    )

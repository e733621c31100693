"""The 'stats' command: the lead's numbers for a day, week or month."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from ticketcli.clock import now as clock
from ticketcli.config import REPORT_LANGUAGES
from ticketcli.context import App, pass_app
from ticketcli.errors import UsageError
from ticketcli.render.headings import translate
from ticketcli.render.output import emit, output_options
from ticketcli.rules.metrics import format_duration
from ticketcli.store import stats

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

DURATIONS = {
    "frt_avg",
    "frt_median",
    "frt_p90",
    "resolution_median",
    "resolution_p90",
}
SHARES = {"frt_within_goal"}
# A terminal line has room for fewer: the period's bounds are in json and
# csv only.
SUMMARY_TABLE = stats.SUMMARY_KEYS
SUMMARY_COLUMNS = (*stats.SUMMARY_KEYS, "start", "end")
LOAD_COLUMNS = ("weekday", *stats.HOUR_KEYS, "total")


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


def _for_people(row: dict[str, Any]) -> dict[str, Any]:
    """Durations as "1h 05m", shares as "87.5%", times as times."""
    out = dict(row)
    for key, value in row.items():
        if key in DURATIONS:
            out[key] = format_duration(value)
        elif key in SHARES and value is not None:
            out[key] = f"{value * 100:.1f}%"
        elif key == "minutes" or key == "work_minutes":
            out[key] = format_duration(value * 60) if value else ""
        elif key.endswith("_at") and isinstance(value, str):
            out[key] = datetime.fromisoformat(value.removesuffix("Z"))
    return out


@click.command("stats")
@click.option(
    "--period",
    default="week",
    show_default=True,
    metavar="day|week|month",
    callback=_one_of(stats.PERIODS),
    help="The day, week (from Monday) or month now is in, in [hours] timezone.",
)
@click.option("--since", metavar="DATE", help="From this day (to now, or --until).")
@click.option("--until", metavar="DATE", help="Through this day (its whole day).")
@click.option(
    "--by",
    metavar="|".join(stats.GROUPS),
    callback=_one_of(stats.GROUPS),
    help="One row per assignee, customer, type, source, or the local hour or "
    "weekday a ticket was opened.",
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
    callback=_one_of(stats.WORK_GROUPS),
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
    since: str | None,
    until: str | None,
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
    tz = stats.zone_name(config)
    moment = clock()
    start, end = stats.period_bounds(
        period,
        stats.parse_day(since, "--since") if since else None,
        stats.parse_day(until, "--until", inclusive=True) if until else None,
        moment,
        tz,
    )
    app.db  # noqa: B018
    rows: list[dict[str, Any]]
    if workload:
        rows = stats.workload(config=config, now=moment, start=start, end=end)
        columns: tuple[str, ...] = stats.WORKLOAD_KEYS
    elif load_:
        rows = stats.load(start=start, end=end, tz=tz)["rows"]
        columns = LOAD_COLUMNS
    elif work_time:
        rows = stats.work_time(start=start, end=end, by=work_time)
        columns = stats.WORK_TIME_KEYS
    elif trend:
        rows = stats.frt_trend(weeks=trend, config=config, now=moment)
        columns = stats.TREND_KEYS
    else:
        bounds = {"start": start, "end": end}
        rows = [
            row | bounds
            for row in stats.summary(
                start=start, end=end, by=by, config=config, now=moment
            )
        ]
        columns = SUMMARY_TABLE if fmt == "table" else SUMMARY_COLUMNS
    if fmt != "table":
        emit(rows, columns, fmt)
        return
    lang = lang or config.report.lang
    rows = [_for_people(row) for row in rows]
    if columns == SUMMARY_TABLE and by is None:
        # One group: a figure per line reads better than one wide line.
        names = translate(columns[1:], lang)
        rows = [
            {"figure": name, "value": rows[0][c]}
            for name, c in zip(names, columns[1:], strict=True)
        ]
        columns = ("figure", "value")
    emit(rows, columns, fmt, headings=translate(columns, lang))

"""The 'stats' command: the lead's numbers for a day, week or month."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ticketcli.clock import now as clock
from ticketcli.commands.params import LOCAL_DAY, LOCAL_DAY_END, NOT_ONE_OF
from ticketcli.config import REPORT_LANGUAGES
from ticketcli.context import App, pass_app
from ticketcli.errors import UsageError
from ticketcli.i18n import N_
from ticketcli.render.language import InReadersLanguage, remember_lang, say
from ticketcli.render.output import echo_text, output_options
from ticketcli.render.stats import emit_stats
from ticketcli.render.times import holiday_text, holidays_line
from ticketcli.reports.groups import GROUPS
from ticketcli.reports.load import LOAD_KEYS, load
from ticketcli.reports.names import names as store_names
from ticketcli.reports.periods import (
    PERIODS,
    period_bounds,
    period_holidays,
    zone_name,
)
from ticketcli.reports.summary import SUMMARY_KEYS, summary
from ticketcli.reports.trend import TREND_KEYS, frt_trend
from ticketcli.reports.workload import WORK_GROUPS, WORK_TIME_KEYS, WORKLOAD_KEYS
from ticketcli.reports.workload import work_time as work_time_rows
from ticketcli.reports.workload import workload as workload_rows
from ticketcli.store.replay import as_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

# What `stats` says when it refuses, in the reader's language (``say``).
NOT_WEEKS = N_("--trend: %(value)s is not a number of weeks (1-520)")
ONLY_ONE = N_("give only one of %(options)s")
BY_NOT_WITH = N_("--by does not go with %(option)s")

# A terminal line has room for fewer: the period's bounds are in json and
# csv only.
SUMMARY_COLUMNS = (*SUMMARY_KEYS, "start", "end", "holidays")


def _one_of(values: Iterable[str]) -> Callable[[Any, Any, str | None], str | None]:
    """A choice checked by us: a wrong value is one line and exit 2."""
    allowed = tuple(values)

    def check(ctx: Any, param: Any, value: str | None) -> str | None:
        if value is not None and value not in allowed:
            raise UsageError(
                say(
                    NOT_ONE_OF,
                    option=f"--{param.name.replace('_', '-')}",
                    value=repr(value),
                    choices=", ".join(allowed),
                )
            )
        return value

    return check


def _language(ctx: Any, param: Any, value: str | None) -> str | None:
    """--lang, checked (in the config's language) and then kept, first of
    all the options: every later error is in it."""
    _one_of(REPORT_LANGUAGES)(ctx, param, value)
    return remember_lang(ctx, param, value)


def _weeks(ctx: Any, param: Any, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 520:
        raise UsageError(say(NOT_WEEKS, value=repr(value)))
    return int(value)


@click.command("stats", cls=InReadersLanguage)
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
    callback=_language,
    is_eager=True,
    help="Language of the table and of errors (default: [report] lang); json "
    "and csv keep their keys.",
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
        raise UsageError(say(ONLY_ONE, options=", ".join(views)))
    if views and by is not None:
        raise UsageError(say(BY_NOT_WITH, option=views[0]))
    config = app.config
    language = lang or config.report.lang
    holidays: list[dict[str, Any]] = []
    tz = zone_name(config)
    moment = clock()
    start, end = period_bounds(period, since, until, moment, tz)
    app.open_store()
    # TICKETCLI_NOW in the past: the store as it was then (store.replay).
    click.get_current_context().with_resource(as_of(moment))
    rows: list[dict[str, Any]]
    # The columns of logins or customer codes, which get names beside them.
    people: dict[str, str] = {}
    if workload:
        people = {"assignee": "agent"}
        rows = workload_rows(config=config, now=moment, start=start, end=end)
        columns: tuple[str, ...] = WORKLOAD_KEYS
    elif load_:
        rows = load(start=start, end=end, tz=tz)["rows"]
        columns = LOAD_KEYS
    elif work_time:
        people = {"group": "agent" if work_time == "assignee" else "customer"}
        rows = work_time_rows(start=start, end=end, by=work_time)
        columns = WORK_TIME_KEYS
    elif trend:
        rows = frt_trend(weeks=trend, config=config, now=moment)
        columns = TREND_KEYS
    else:
        if by in ("assignee", "customer"):
            people = {"group": "agent" if by == "assignee" else "customer"}
        holidays = period_holidays(config, start, end, language)
        # json: [{"date", "name"}]; csv: one cell, "date name; date name".
        listed = "; ".join(holiday_text(h, language) for h in holidays)
        bounds = {
            "start": start,
            "end": end,
            "holidays": holidays if fmt in ("json", "jsonl") else listed,
        }
        rows = [
            row | bounds
            for row in summary(start=start, end=end, by=by, config=config, now=moment)
        ]
        columns = SUMMARY_KEYS if fmt == "table" else SUMMARY_COLUMNS
    emit_stats(
        rows,
        columns,
        fmt,
        language,
        one_group=columns == SUMMARY_KEYS and by is None,
        business_hours=config.hours is not None,
        names=store_names() if people else None,
        people=people,
    )
    line = holidays_line(holidays, language) if fmt == "table" else None
    if line:
        echo_text(line)

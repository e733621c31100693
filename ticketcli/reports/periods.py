"""Periods and the calendar they are read in: days, weeks from Monday and
months in the [hours] time zone, as the store's naive UTC bounds.

Knows no store, so ``render`` may read its names too.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ticketcli.clock import utc_naive
from ticketcli.errors import UsageError
from ticketcli.i18n import N_

if TYPE_CHECKING:
    from collections.abc import Iterable
    from zoneinfo import ZoneInfo

    from ticketcli.config import Config

PERIODS = ("day", "week", "month")
# Monday first, as datetime.weekday() counts; marked for the catalogues, in
# which the report translates them.
WEEKDAY_NAMES = (
    N_("Mon"),
    N_("Tue"),
    N_("Wed"),
    N_("Thu"),
    N_("Fri"),
    N_("Sat"),
    N_("Sun"),
)
HOUR_KEYS = tuple(f"{h:02d}" for h in range(24))


def zone_name(config: Config) -> str:
    """The time zone days, weeks and hours are read in: [hours] timezone, else UTC."""
    return config.hours.timezone if config.hours is not None else "UTC"


def system_zone_name() -> str:
    """The machine's zone by name (``$TZ``, else what /etc/localtime points
    to), so DST is right on every date; "UTC" when it cannot be told."""
    candidates = [os.environ.get("TZ", "").removeprefix(":")]
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name and _known_zone(name):
            return name
    return "UTC"


def _zone(name: str) -> ZoneInfo:
    """The zone called ``name``. zoneinfo (and the sysconfig it reads) is
    imported on first use, not with this module: ``report`` on the terminal
    needs the period names here but reads no zone, and the import was ~1.5 ms
    of each of its starts (issue 18)."""
    import zoneinfo

    return zoneinfo.ZoneInfo(name)


def _known_zone(name: str) -> bool:
    import zoneinfo  # see _zone

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def display_zone_name(config: Config) -> str:
    """The zone times are shown to people in: [display] timezone, else
    [hours] timezone, else the system's. (Periods stay in ``zone_name``.)"""
    if config.display.timezone:
        return config.display.timezone
    if config.hours is not None:
        return config.hours.timezone
    return system_zone_name()


def local_to_utc(moment: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time (or an aware time) as the store's naive UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return utc_naive(moment)


def local_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """A store time (naive UTC) on the wall clock of ``zone``."""
    return moment.replace(tzinfo=UTC).astimezone(zone)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of a local day, as naive UTC."""
    return local_to_utc(datetime.combine(day, time()), zone)


def period_start(day: date, period: str) -> date:
    """The first day of the day, week (Monday) or month ``day`` is in."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _next_start(day: date, period: str) -> date:
    if period == "week":
        return day + timedelta(days=7)
    if period == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def period_bounds(
    period: str,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    tz: str,
) -> tuple[datetime, datetime]:
    """[start, end) as naive UTC for a day, week (from Monday) or month in ``tz``.

    Without ``since``/``until``: the period that contains ``now``. ``since``
    alone runs to ``now``; ``until`` alone (exclusive) ends the period that
    contains the moment before it. Naive ``since``/``until`` are local wall
    times in ``tz`` (a date is its midnight); aware ones are taken as given.
    """
    if period not in PERIODS:
        raise UsageError(
            N_("%(option)s: %(value)s is not one of %(choices)s"),
            option="--period",
            value=repr(period),
            choices=", ".join(PERIODS),
        )
    zone = _zone(tz)
    now = utc_naive(now)
    if since is None and until is None:
        first = period_start(local_time(now, zone).date(), period)
        start, end = midnight(first, zone), midnight(_next_start(first, period), zone)
    elif until is None:
        assert since is not None
        start, end = local_to_utc(since, zone), now
        if end <= start:
            raise UsageError(N_("--since: the period would start after now"))
    elif since is None:
        end = local_to_utc(until, zone)
        first = period_start(
            local_time(end - timedelta(seconds=1), zone).date(), period
        )
        start = midnight(first, zone)
    else:
        start, end = local_to_utc(since, zone), local_to_utc(until, zone)
    if end <= start:
        raise UsageError(N_("--until must be later than --since"))
    return start, end


def report_bounds(period: str, now: datetime, tz: str) -> tuple[datetime, datetime]:
    """The morning report covers whole days up to the last local midnight:
    "day" is yesterday, "week" this week through yesterday (on a Monday: all
    of last week), "month" likewise -- so a 07:00 cron mail shows finished days."""
    today = datetime.combine(local_time(utc_naive(now), _zone(tz)).date(), time())
    return period_bounds(period, None, today, now, tz)


def week_starts(weeks: int, now: datetime, tz: str) -> list[date]:
    """The Mondays of the last ``weeks`` weeks in ``tz``, this one included,
    oldest first."""
    this_week = period_start(local_time(utc_naive(now), _zone(tz)).date(), "week")
    return [this_week - timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]


def period_holidays(
    config: Config, start: datetime, end: datetime, language: str | None = None
) -> list[dict[str, Any]]:
    """The holidays that fell on opening weekdays of [start, end) (naive
    UTC), as local dates in [hours] timezone: [{"date", "name"}], oldest
    first -- what the period's business-time figures left out. A team
    holiday's name is "" (the config gives none); ``language`` names public
    ones in it where the calendar can. Empty without [hours]."""
    hours = config.hours
    if hours is None or end <= start:
        return []
    zone = _zone(hours.timezone)
    first = local_time(start, zone).date()
    last = local_time(end - timedelta(seconds=1), zone).date()
    return [
        {"date": day, "name": name}
        for day, name in hours.holidays_between(first, last, language)
    ]


def holidays_by_language(
    config: Config, start: datetime, end: datetime, languages: Iterable[str]
) -> list[dict[str, Any]]:
    """``period_holidays`` with each name in every one of ``languages``:
    [{"date", "name" (English), "names": {lang: name}}], for a model that is
    worded later in a language chosen then."""
    named = {lang: period_holidays(config, start, end, lang) for lang in languages}
    rows = period_holidays(config, start, end, "en")
    return [
        {**row, "names": {lang: days[i]["name"] for lang, days in named.items()}}
        for i, row in enumerate(rows)
    ]

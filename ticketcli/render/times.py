"""This moment, for a person: store times (naive UTC) on the wall clock of
the reader's zone, named once.

The zone is ``[display] timezone``, else ``[hours] timezone`` (the team's
clock), else the system's own zone (``reports.periods.display_zone_name``,
where the report's model reads it too). Machine output (json, csv) keeps ISO
8601 UTC (``output.iso``); only what a person reads is converted, here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ticketcli.i18n import N_, translations
from ticketcli.reports.periods import display_zone_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from ticketcli.config import Config

# How a time reads in tables and `show`: minutes are enough for a person.
TIME_FORMAT = "%Y-%m-%d %H:%M"
HOLIDAYS_LINE = N_("Holidays in the period: %(days)s")
TEAM_HOLIDAY = N_("team holiday")


def display_zone(config: Config) -> ZoneInfo:
    """The zone people read times in (``periods.display_zone_name``)."""
    return ZoneInfo(display_zone_name(config))


def local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A store time (naive means UTC; aware ones as they are) in ``zone``."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def local_text(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """ "2026-03-02 12:00" on ``zone``'s wall clock; None for no time."""
    shown = local(moment, zone)
    return None if shown is None else shown.strftime(TIME_FORMAT)


def zone_line(zone: ZoneInfo) -> str:
    """The line that names the zone once, above what shows times in it."""
    return f"times in {zone.key}"


def localised(
    rows: Iterable[Mapping[str, Any]], zone: ZoneInfo
) -> Iterator[dict[str, Any]]:
    """Rows for a table: every time in them on ``zone``'s wall clock (a
    table shows a time as ``TIME_FORMAT``); the rest as it is."""
    for row in rows:
        yield {
            key: local(value, zone) if isinstance(value, datetime) else value
            for key, value in row.items()
        }


def holiday_text(holiday: Mapping[str, Any], lang: str) -> str:
    """ "2026-02-24 Independence Day"; a team's own day is a "team holiday"."""
    name = holiday["name"] or translations(lang).gettext(TEAM_HOLIDAY)
    return f"{holiday['date'].isoformat()} {name}"


def holidays_line(holidays: Iterable[Mapping[str, Any]], lang: str) -> str | None:
    """The line under a period's figures naming the holidays it left out
    (``reports.periods.period_holidays``); None when there were none."""
    days = [holiday_text(h, lang) for h in holidays]
    if not days:
        return None
    return translations(lang).gettext(HOLIDAYS_LINE) % {"days": ", ".join(days)}

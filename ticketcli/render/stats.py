"""`stats` rows for people and for scripts.

The reports hand over rows keyed as they compute them (seconds, minutes,
logins, codes). Scripts get machine values under names that say their
unit -- business seconds, ``work_seconds`` -- with the name beside each
login or code; people get "4 h 10 min business time", "129 h 45 min",
"Anna Tamm (anna)" and every word in their language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketcli.i18n import N_, translations
from ticketcli.render.formats import business, decimal, duration, person, share
from ticketcli.render.headings import translate
from ticketcli.render.output import echo_text, emit
from ticketcli.reports.groups import NO_VALUE
from ticketcli.reports.periods import WEEKDAY_NAMES

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from ticketcli.reports.names import Names

DURATIONS = {
    "frt_avg",
    "frt_median",
    "frt_p90",
    "resolution_median",
    "resolution_p90",
}
SHARES = {"frt_within_goal"}
MINUTES = {"minutes", "work_minutes"}
# json/csv: the key a row's key is written as, when it does not say its
# unit. Durations are business time ([hours]; every hour when it is unset).
MACHINE_KEYS = {key: f"{key}_business_seconds" for key in DURATIONS} | {
    key: "work_seconds" for key in MINUTES
}
# What fills a group cell of nobody: the pool, tickets of no customer, ...
NO_VALUE_TEXT = N_("(none)")
NOTHING = N_("Nothing to measure in the period.")


def machine_columns(
    columns: Sequence[str], named: Sequence[str] = ()
) -> tuple[str, ...]:
    """The keys of json and csv for ``columns``: each renamed by
    ``MACHINE_KEYS``, and each ``named`` column followed by its
    ``<column>_name``."""
    out: list[str] = []
    for column in columns:
        out.append(MACHINE_KEYS.get(column, column))
        if column in named:
            out.append(f"{column}_name")
    return tuple(out)


def for_scripts(
    row: Mapping[str, Any],
    named: Mapping[str, Callable[[str | None], str | None]] | None = None,
) -> dict[str, Any]:
    """A row with machine keys and values: minutes as seconds, each
    ``named`` column's name beside it (``named``: column -> lookup)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in MINUTES:
            out["work_seconds"] = None if value is None else value * 60
        else:
            out[MACHINE_KEYS.get(key, key)] = value
        if named and key in named:
            out[f"{key}_name"] = None if value == NO_VALUE else named[key](value)
    return out


def for_people(
    row: Mapping[str, Any],
    lang: str = "en",
    *,
    business_hours: bool = False,
    named: Mapping[str, Callable[[str | None], str | None]] | None = None,
) -> dict[str, Any]:
    """Durations (labelled business time with ``business_hours``), shares,
    work time, names, weekdays and "(none)" as people read them."""
    gettext = translations(lang).gettext
    out = dict(row)
    for key, value in row.items():
        if key in DURATIONS:
            worded = business if business_hours else duration
            out[key] = worded(value, gettext, none="–")
        elif key in SHARES:
            out[key] = share(value, lang)
        elif isinstance(value, float):
            out[key] = decimal(value, lang)
        elif key in MINUTES:
            out[key] = duration(value * 60, gettext) if value else ""
        elif value == NO_VALUE:
            out[key] = gettext(NO_VALUE_TEXT)
        elif key in ("group", "weekday") and value in WEEKDAY_NAMES:
            out[key] = gettext(value)
        elif named and key in named:
            out[key] = person(value, named[key](value))
    return out


def lookups(
    names: Names | None, people: Mapping[str, str]
) -> dict[str, Callable[[str | None], str | None]]:
    """{column: name lookup} for the columns that hold logins ("agent") or
    customer labels ("customer")."""
    if names is None:
        return {}
    return {
        column: names.agent if kind == "agent" else names.customer
        for column, kind in people.items()
    }


def emit_stats(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    lang: str,
    *,
    one_group: bool = False,
    business_hours: bool = False,
    names: Names | None = None,
    people: Mapping[str, str] | None = None,
) -> None:
    """Write `stats` rows: with machine keys and values for scripts; for
    people formatted, with translated headings, and ``one_group`` (a
    summary of everything) as one figure per line, which reads better than
    one wide line. ``people``: {column: "agent" | "customer"}, the columns
    whose logins or codes get their names."""
    named = lookups(names, people or {})
    if fmt != "table":
        keys = machine_columns(columns, tuple(named))
        plain = (for_scripts(row, named) for row in rows)
        # jsonl writes whole rows: each has the keys of json and csv, no more.
        emit([{k: r.get(k) for k in keys} for r in plain], keys, fmt)
        return
    if not rows:
        echo_text(translations(lang).gettext(NOTHING))
        return
    table = [
        for_people(row, lang, business_hours=business_hours, named=named)
        for row in rows
    ]
    if one_group:
        names_ = translate(columns[1:], lang)
        table = [
            {"figure": name, "value": table[0][c]}
            for name, c in zip(names_, columns[1:], strict=True)
        ]
        columns = ("figure", "value")
    emit(table, columns, fmt, headings=translate(columns, lang))

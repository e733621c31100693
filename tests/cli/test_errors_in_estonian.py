"""`stats` and `report` refuse in the reader's language even where the
refusal is raised by a layer that knows no reader: the date types
(ticketcli.clock), the periods (reports.periods) and click's choices
(commands.params.Choice). Each stays one line with exit code 2."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import pytest

from tests.helpers import Desk
from ticketcli.clock import NOT_A_DATE
from ticketcli.i18n import extract_messages

if TYPE_CHECKING:
    from pathlib import Path

NOW = "2026-03-10T12:00:00Z"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return Desk(tmp_path_factory.mktemp("et"))


@pytest.mark.parametrize(
    ("args", "english", "estonian"),
    [
        (("stats", "--since", "nonsense"),
         "--since: 'nonsense' is not a date like 2026-03-31 or 2026-03-31T14:00",
         "--since: 'nonsense' ei ole kuupäev kujul 2026-03-31 või 2026-03-31T14:00"),
        (("stats", "--until", "soon"),
         "--until: 'soon' is not a date like",
         "--until: 'soon' ei ole kuupäev kujul"),
        (("stats", "--since", "2026-03-05", "--until", "2026-03-01"),
         "--until must be later than --since",
         "--until peab olema hilisem kui --since"),
        (("stats", "--since", "2026-04-01"),
         "--since: the period would start after now",
         "--since: periood algaks pärast praegust hetke"),
        (("stats", "--by", "nonsense"),
         "--by: 'nonsense' is not one of assignee",
         "--by: 'nonsense' ei ole üks järgmistest: assignee"),
        (("report", "--since", "nonsense"),
         "--since: 'nonsense' is not a date like",
         "--since: 'nonsense' ei ole kuupäev kujul"),
        (("report", "--status", "nonsense"),
         "--status: 'nonsense' is not one of new, open, pending, closed, merged",
         "--status: 'nonsense' ei ole üks järgmistest: new, open, pending"),
        (("report", "--sort", "nonsense"),
         "--sort: 'nonsense' is not one of age,",
         "--sort: 'nonsense' ei ole üks järgmistest: age,"),
        (("report", "--html", "-", "--period", "year"),
         "--period: 'year' is not one of day, week, month",
         "--period: 'year' ei ole üks järgmistest: day, week, month"),
    ],
    ids=["since", "until", "order", "future", "by", "report-since", "status",
         "sort", "period"],
)  # fmt: skip
@pytest.mark.parametrize("where", ["last", "first"])
def test_each_refusal_in_estonian_is_one_line_exit_2(
    desk: Desk,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    english: str,
    estonian: str,
    where: str,
) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)
    command, *rest = args
    lang = ["--lang", "et"]
    given = [*rest, *lang] if where == "last" else [*lang, *rest]
    result = desk.run(command, *given)
    assert (result.exit_code, result.stdout) == (2, ""), result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: ")
    assert estonian in result.stderr
    # Without --lang: the same refusal in English, as before.
    english_result = desk.run(*args)
    assert english_result.exit_code == 2
    assert english in english_result.stderr


def test_the_clocks_refusal_is_a_catalogue_key() -> None:
    """ticketcli.clock is below the catalogues and marks nothing itself:
    commands.params marks its msgid, and must keep marking the same text."""
    assert NOT_A_DATE in extract_messages()


def test_a_config_in_estonian_refuses_in_estonian(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)
    config = tmp_path / "et.toml"
    config.write_text(desk.config.read_text() + '[report]\nlang = "et"\n')
    et = copy.copy(desk)  # the module's desk keeps its own config
    et.config = config
    result = et.run("stats", "--since", "nonsense")
    assert result.exit_code == 2
    assert "ei ole kuupäev" in result.stderr
    # Other commands have no reader's language: they refuse in English.
    other = et.run("set", "1", "--due", "nonsense")
    assert other.exit_code == 2
    assert "is not a date like" in other.stderr

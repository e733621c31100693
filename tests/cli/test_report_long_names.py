"""A name of any length leaves the login (or the customer's code) readable
in the HTML and text report: the name is cut, " (login)" stays whole --
the login is what `show`, `assign` and `agents` take."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hypothesis import example, given
from hypothesis import strategies as st

from tests.helpers import Desk, assert_mail_safe, eml
from ticketcli.render.clip import cost
from ticketcli.render.html import person

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from tests.servers.smtp import SmtpServer

NAME = "Anna-Maria " + "Tamm" * 46 + " Kask"  # 200 characters
FIRM = "Kund " + "Osaühing" * 24 + " OÜ"  # 200 characters


def _units(text: str) -> int:
    return sum(map(cost, text))


def test_a_200_character_name_keeps_its_login() -> None:
    assert len(NAME) == len(FIRM) == 200
    shown = person("anna", NAME, 60)
    assert shown.endswith("… (anna)")
    assert shown.startswith("Anna-Maria Tamm")
    assert _units(shown) <= 60
    # Short ones, and a name alone or a login alone, as before.
    assert person("anna", "Anna Tamm", 60) == "Anna Tamm (anna)"
    assert person("anna", None, 60) == "anna"
    assert person("anna", " \t ", 60) == person("anna", " \t ") == "anna"
    assert person(None, None, 60) == ""
    assert person("x" * 200, None, 60).endswith("…")


@given(
    login=st.text(st.characters(codec="utf-8"), min_size=1, max_size=80).filter(
        lambda s: s.split() == [s]  # a login has no white space
    ),
    name=st.text(st.characters(codec="utf-8"), min_size=1, max_size=400),
)
@example(login="0", name=" ")  # found by Hypothesis: a blank name is no name
def test_the_login_stays_whole_and_the_whole_fits(login: str, name: str) -> None:
    shown = person(login, name, 60)
    full = person(login, name)
    if full == login:
        return
    if _units(login) <= 40:  # a login that long is cut too (LOGIN_ROOM)
        assert shown.endswith(f" ({login})")
    assert _units(shown) <= 60


def test_the_report_names_both_whole_in_html_and_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer
) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T09:00:00Z")
    desk = Desk(
        tmp_path,
        report={"recipients": ["lead@acme.example"]},
        smtp=smtp.table(**{"from": "report@acme.example"}),
    )
    for args in (
        ("agents", "add", "anna", "--name", NAME, "--email", "anna@acme-help.example"),
        ("customers", "add", FIRM, "--code", "KUND", "--domain", "kund.ee"),
    ):
        assert desk.run(*args).exit_code == 0
    desk.deliver(eml("<a@kund.ee>", date="Mon, 02 Mar 2026 10:00:00 +0000"))
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-04T08:00:00Z")
    assert desk.run("assign", "1", "anna").exit_code == 0
    result = desk.run("report", "--html", "-")
    assert result.exit_code == 0, result.stderr
    page = assert_mail_safe(result.stdout)
    mailed = desk.run("report", "--mail")
    assert mailed.exit_code == 0, mailed.stderr
    [got] = smtp.wait_for(1)
    plain = next(got.message.iter_parts()).get_content()
    for text in (page.text, plain):
        agents = re.findall(r"Anna-Maria Tamm[^()]*… \(anna\)", text)
        customers = re.findall(r"Kund Osaühing[^()]*… \(KUND\)", text)
        assert agents, text
        assert customers, text
        assert NAME not in text
        assert FIRM not in text
        assert all(_units(shown) <= 60 for shown in agents + customers)

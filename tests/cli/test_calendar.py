"""[hours] country = "EE" through the CLI: the FRT of a ticket across
Independence Day (Tue 24 Feb 2026), the holidays `stats` and the report
name, and `check` refusing a country the calendar does not know.

Tallinn is on EET (+02) in February; the office is open Mon-Fri 09-17.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from tests.conftest import write_config
from tests.helpers import Desk, Page, eml
from ticketcli.cli import cli
from ticketcli.clock import now
from ticketcli.config import load_config
from ticketcli.render.html import render_report_text
from ticketcli.reports.morning import report_model
from ticketcli.store.db import connect
from ticketcli.store.models import bind_models

if TYPE_CHECKING:
    from pathlib import Path

HOURS = {"timezone": "Europe/Tallinn", "country": "EE", "holidays": ["2026-02-26"]}


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    desk = Desk(tmp_path, hours=HOURS, goals={"first_response": "4h"})
    desk.deliver(
        # Mon 23 Feb 16:00 local; answered Wed 25 Feb 10:00 local.
        eml("<a@kund.ee>", date="Mon, 23 Feb 2026 16:00:00 +0200"),
        eml(
            "<b@acme-help.example>",
            sender="kadri@acme-help.example",
            subject="Re: Printer on katki",
            date="Wed, 25 Feb 2026 10:00:00 +0200",
            to="mari@kund.ee",
            extra="In-Reply-To: <a@kund.ee>\r\nCc: support@acme-help.example\r\n",
        ),
    )
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T07:00:00Z")  # Monday 09:00
    return desk


def stats(desk: Desk, *args: str) -> str:
    result = desk.run("stats", "--since", "2026-02-23", "--until", "2026-03-01", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_frt_across_a_public_holiday_is_the_hand_computed_business_time(
    desk: Desk,
) -> None:
    [row] = json.loads(stats(desk, "--format", "json"))
    # Monday 16-17 (1 h), Tuesday closed, Wednesday 09-10 (1 h).
    assert row["frt_median_business_seconds"] == 2 * 3600
    assert row["frt_breaches"] == 0  # 10 h of calendar time would breach 4 h
    assert row["holidays"] == [
        {"date": "2026-02-24", "name": "Independence Day"},
        {"date": "2026-02-26", "name": ""},  # the team's own day
    ]


def test_stats_names_the_holidays_for_people_and_in_csv(desk: Desk) -> None:
    table = stats(desk)
    assert table.splitlines()[-1] == (
        "Holidays in the period: 2026-02-24 Independence Day, 2026-02-26 team holiday"
    )
    estonian = stats(desk, "--lang", "et")
    assert estonian.splitlines()[-1] == (
        "Pühad perioodis: 2026-02-24 iseseisvuspäev, 2026-02-26 meeskonna puhkepäev"
    )
    [row] = list(csv.DictReader(io.StringIO(stats(desk, "--format", "csv"))))
    assert row["holidays"] == "2026-02-24 Independence Day; 2026-02-26 team holiday"


def test_a_period_without_holidays_says_nothing_of_them(desk: Desk) -> None:
    result = desk.run("stats", "--since", "2026-03-02", "--until", "2026-03-06")
    assert result.exit_code == 0, result.stderr
    assert "Holidays" not in result.stdout


def report(desk: Desk, *args: str) -> Any:
    result = desk.run("report", "--html", "-", "--period", "week", *args)
    assert result.exit_code == 0, result.stderr
    return Page(result.stdout)


def test_the_report_names_the_holidays_of_its_period(desk: Desk) -> None:
    # Monday 2 March: the report covers last week, 23 Feb - 1 March.
    page = report(desk)
    assert (
        "Holidays in the period: 2026-02-24 Independence Day,"
        " 2026-02-26 team holiday" in page.text
    )
    assert (
        "Pühad perioodis: 2026-02-24 iseseisvuspäev"
        in report(desk, "--lang", "et").text
    )


def test_the_text_part_names_them_too(desk: Desk) -> None:
    model = desk_model(desk)
    assert [h["date"].isoformat() for h in model["holidays"]] == [
        "2026-02-24",
        "2026-02-26",
    ]
    text = render_report_text(model, "en")
    assert "Holidays in the period: 2026-02-24 Independence Day," in text


def desk_model(desk: Desk) -> dict[str, Any]:
    """The report's model, read from the desk's store."""
    db = connect(desk.db)
    try:
        with bind_models(db):
            return report_model(load_config(str(desk.config)), now(), "week")
    finally:
        db.close()


def test_check_refuses_an_unknown_country_in_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", hours={"country": "XX"})
    db = f"sqlite:///{tmp_path / 'store.db'}"
    result = CliRunner().invoke(cli, ["--config", str(config), "--db", db, "check"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {config}: hours.country: 'XX' is not a country code the holiday"
        " calendar knows (ISO 3166, like EE or FI)\n"
    )

"""Times for people on the reader's clock: [display] timezone, else [hours]
timezone, else the system's zone ($TZ; the test suite sets Europe/Tallinn),
named once; json keeps ISO 8601 UTC.

Europe/Tallinn is on EET (+02) until Sun 29 March 2026 01:00 UTC and on
EEST (+03) from then until Sun 25 October 01:00 UTC.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import Desk, MailDesk, Page, eml
from ticketcli.config import config_from_mapping
from ticketcli.errors import ConfigError
from ticketcli.render.times import display_zone_name, local_text, localised

if TYPE_CHECKING:
    from pathlib import Path

TALLINN = ZoneInfo("Europe/Tallinn")


@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        ("2026-03-28 10:00", "2026-03-28 12:00"),  # EET, the day before
        ("2026-03-29 00:59", "2026-03-29 02:59"),  # the last minute of EET
        ("2026-03-29 01:00", "2026-03-29 04:00"),  # 03:00 local never happens
        ("2026-03-30 10:00", "2026-03-30 13:00"),  # EEST
        ("2026-10-25 00:30", "2026-10-25 03:30"),  # 03:30 EEST ...
        ("2026-10-25 01:30", "2026-10-25 03:30"),  # ... and again, in EET
        ("2026-10-26 10:00", "2026-10-26 12:00"),
    ],
)
def test_a_store_time_on_the_tallinn_clock_across_dst(utc: str, shown: str) -> None:
    assert local_text(datetime.fromisoformat(utc), TALLINN) == shown


def test_the_zone_is_display_then_hours_then_the_system(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    both = {"display": {"timezone": "Europe/Helsinki"}, "hours": {"timezone": "UTC"}}
    assert display_zone_name(config_from_mapping(both)) == "Europe/Helsinki"
    hours = {"hours": {"timezone": "Europe/Warsaw"}}
    assert display_zone_name(config_from_mapping(hours)) == "Europe/Warsaw"
    assert display_zone_name(config_from_mapping({})) == "Europe/Tallinn"  # $TZ
    monkeypatch.setenv("TZ", "Nowhere/Atlantis")
    assert display_zone_name(config_from_mapping({})) in ("UTC", "Etc/UTC")


def test_a_wrong_display_zone_is_one_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping({"display": {"timezone": "Mars/Olympus"}})
    assert caught.value.message == (
        "display.timezone: 'Mars/Olympus' is not a known time zone"
    )


def test_localised_rows_change_only_their_times() -> None:
    [row] = localised([{"n": 1, "at": datetime(2026, 10, 26, 10), "x": None}], TALLINN)
    assert row["n"] == 1
    assert row["x"] is None
    assert row["at"].isoformat() == "2026-10-26T12:00:00+02:00"


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    """One ticket whose two mails straddle the spring change, its reply the
    autumn one."""
    monkeypatch.setenv("TICKETCLI_NOW", "2026-10-27T08:00:00Z")
    desk = Desk(tmp_path, hours={"timezone": "Europe/Tallinn"})
    desk.deliver(
        eml("<a@kund.ee>", date="Sat, 28 Mar 2026 10:00:00 +0000"),
        eml(
            "<b@kund.ee>",
            subject="Re: Printer on katki",
            date="Mon, 30 Mar 2026 10:00:00 +0000",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        ),
        eml(
            "<c@acme-help.example>",
            sender="kadri@acme-help.example",
            subject="Re: Printer on katki",
            date="Mon, 26 Oct 2026 10:00:00 +0000",
            to="mari@kund.ee",
            extra="In-Reply-To: <b@kund.ee>\r\nCc: support@acme-help.example\r\n",
        ),
    )
    return desk


def test_show_gives_every_time_on_the_local_clock_and_names_it(desk: Desk) -> None:
    result = desk.run("show", "1")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[1] == "  (times in Europe/Tallinn)"
    assert "  created:        2026-03-28 12:00\n" in out  # EET
    assert "  first response: 2026-10-26 12:00\n" in out  # EET again
    assert "← 2026-03-28 12:00  Mari Maasikas <mari@kund.ee>" in out
    assert "← 2026-03-30 13:00  Mari Maasikas <mari@kund.ee>" in out  # EEST
    assert "→ 2026-10-26 12:00" in out
    assert "Z " not in out
    assert "T10:00" not in out


def test_show_json_keeps_utc(desk: Desk) -> None:
    result = desk.run("show", "1", "--format", "json")
    ticket = json.loads(result.stdout)
    assert ticket["created_at"] == "2026-03-28T10:00:00Z"
    assert [m["date"] for m in ticket["messages"]] == [
        "2026-03-28T10:00:00Z",
        "2026-03-30T10:00:00Z",
        "2026-10-26T10:00:00Z",
    ]


def test_display_timezone_wins_over_hours(tmp_path: Path) -> None:
    desk = Desk(
        tmp_path,
        hours={"timezone": "Europe/Tallinn"},
        display={"timezone": "America/New_York"},
    )
    desk.deliver(eml("<a@kund.ee>", date="Mon, 30 Mar 2026 10:00:00 +0000"))
    out = desk.run("show", "1").stdout
    assert "  (times in America/New_York)\n" in out
    assert "  created:        2026-03-30 06:00\n" in out  # EDT, -04


def test_agents_list_shows_absences_on_the_local_clock(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # kadri is known from her reply. The days are read on the Tallinn clock
    # too: 28 Oct 00:00 there (EET) is 27 Oct 22:00 UTC; 1 Nov likewise.
    away = desk.run(
        "agents", "away", "kadri", "--from", "2026-10-28", "--until", "2026-10-31"
    )
    assert away.exit_code == 0, away.stderr
    assert away.stdout == (
        "kadri will be away from 2026-10-28 00:00 Europe/Tallinn,"
        " back 2026-11-01 00:00 Europe/Tallinn\n"
    )
    table = desk.run("agents", "list").stdout
    assert table.splitlines()[0] == "times in Europe/Tallinn"
    assert "2026-10-28 00:00" in table
    assert "2026-11-01 00:00" in table
    [row] = json.loads(desk.run("agents", "list", "--format", "json").stdout)
    assert (row["away_from"], row["away_until"]) == (
        "2026-10-27T22:00:00Z",
        "2026-10-31T22:00:00Z",
    )


def test_outbox_list_shows_local_times_in_the_table_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Acknowledgements queue without [smtp]: they wait in the outbox.
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-30T10:00:00Z")
    desk = MailDesk(tmp_path, None, hours={"timezone": "Europe/Tallinn"})
    desk.deliver(eml("<a@kund.ee>", date="Mon, 30 Mar 2026 09:00:00 +0000"))
    table = desk.run("outbox", "list").stdout
    rows = desk.outbox()
    assert rows, "the acknowledgement waits"
    assert rows[0]["created_at"] == "2026-03-30T10:00:00Z"
    assert table.splitlines()[0] == "times in Europe/Tallinn"
    assert "2026-03-30 13:00" in table  # EEST
    assert "2026-03-30 10:00" not in table


def test_the_html_report_is_on_the_display_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = Desk(
        tmp_path,
        hours={"timezone": "Europe/Tallinn"},
        display={"timezone": "America/New_York"},
    )
    desk.deliver(eml("<a@kund.ee>", date="Mon, 30 Mar 2026 10:00:00 +0000"))
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-31T05:00:00Z")  # Tue 08:00 Tallinn
    html = desk.run("report", "--html", "-", "--period", "day").stdout
    text = " ".join(Page(html).text.replace("\u00a0", " ").split())
    # 05:00 UTC is 01:00 in New York (EDT); the period is still Tallinn's Monday.
    assert "Generated 2026-03-31 01:00 (America/New_York)" in text
    assert "Support report for 2026-03-30" in text

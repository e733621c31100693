"""`agents away --from/--until` read what is typed on the clock the reply
shows ([display] timezone, else [hours] timezone, else the system's), so
the dates come back as typed; the store keeps UTC.

Europe/Tallinn is on EET (+02) until Sun 29 March 2026 01:00 UTC and on
EEST (+03) from then on.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.helpers import Desk, eml

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-20T08:00:00Z")
    desk = Desk(tmp_path, hours={"timezone": "Europe/Tallinn"})
    assert desk.run("agents", "add", "anna", "--name", "Anna Tamm").exit_code == 0
    return desk


def _stored(desk: Desk) -> tuple[str, str]:
    [row] = json.loads(desk.run("agents", "list", "--format", "json").stdout)
    return row["away_from"], row["away_until"]


@pytest.mark.parametrize(
    ("since", "until", "stored", "shown"),
    [
        # Both midnights on summer time (+03).
        ("2026-03-30", "2026-04-01",
         ("2026-03-29T21:00:00Z", "2026-04-01T21:00:00Z"),
         ("2026-03-30 00:00", "2026-04-02 00:00")),
        # Across the change: from a winter midnight (+02) to a summer one.
        ("2026-03-28", "2026-03-30",
         ("2026-03-27T22:00:00Z", "2026-03-30T21:00:00Z"),
         ("2026-03-28 00:00", "2026-03-31 00:00")),
        # A time of day is local too; an offset typed wins.
        ("2026-03-28T09:00", "2026-03-30T17:00+00:00",
         ("2026-03-28T07:00:00Z", "2026-03-30T17:00:00Z"),
         ("2026-03-28 09:00", "2026-03-30 20:00")),
    ],
    ids=["summer", "across-dst", "times"],
)  # fmt: skip
def test_away_reads_local_time_and_shows_it_back(
    desk: Desk,
    since: str,
    until: str,
    stored: tuple[str, str],
    shown: tuple[str, str],
) -> None:
    result = desk.run("agents", "away", "anna", "--from", since, "--until", until)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"anna will be away from {shown[0]} Europe/Tallinn,"
        f" back {shown[1]} Europe/Tallinn\n"
    )
    assert _stored(desk) == stored
    table = desk.run("agents", "list").stdout
    assert table.splitlines()[0] == "times in Europe/Tallinn"
    assert shown[0] in table
    assert shown[1] in table


def test_display_timezone_is_the_clock_typed_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-20T08:00:00Z")
    desk = Desk(
        tmp_path,
        hours={"timezone": "Europe/Tallinn"},
        display={"timezone": "America/New_York"},
    )
    desk.deliver(eml("<a@acme-help.example>", sender="anna@acme-help.example"))
    result = desk.run("agents", "away", "anna", "--from", "2026-03-30")
    assert result.exit_code == 0, result.stderr
    assert "from 2026-03-30 00:00 America/New_York" in result.stdout
    [row] = json.loads(desk.run("agents", "list", "--format", "json").stdout)
    assert row["away_from"] == "2026-03-30T04:00:00Z"  # EDT, -04

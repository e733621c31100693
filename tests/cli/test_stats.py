"""`ticketcli stats` through the CLI: views, formats, the clock, bad arguments.

Two tickets in the week of Mon 2026-03-02 (UTC): #1 from mari@kund.ee at
10:00, answered by kadri at 10:30 and closed; #2 from jaan@firma.ee on
Tuesday 09:00, unanswered. "Now" is Wednesday 12:00.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import Desk, eml
from ticketcli.clock import parse_day
from ticketcli.errors import UsageError
from ticketcli.reports.summary import SUMMARY_KEYS

if TYPE_CHECKING:
    from pathlib import Path

NOW = "2026-03-04T12:00:00Z"


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    desk = Desk(tmp_path, goals={"first_response": "1h"})
    desk.deliver(
        eml("<a@kund.ee>", date="Mon, 02 Mar 2026 10:00:00 +0000"),
        eml(
            "<b@acme-help.example>",
            sender="kadri@acme-help.example",
            subject="Re: Printer on katki",
            date="Mon, 02 Mar 2026 10:30:00 +0000",
            to="mari@kund.ee",
            extra="In-Reply-To: <a@kund.ee>\r\nCc: support@acme-help.example\r\n",
        ),
        eml(
            "<c@firma.ee>",
            sender="jaan@firma.ee",
            subject="Arve",
            date="Tue, 03 Mar 2026 09:00:00 +0000",
        ),
    )
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T12:00:00Z")
    assert desk.run("close", "1", "--as", "lead").exit_code == 0
    assert desk.run("time", "1", "45m", "--as", "kadri").exit_code == 0
    monkeypatch.setenv("TICKETCLI_NOW", NOW)
    return desk


def ok(desk: Desk, *args: str) -> str:
    result = desk.run("stats", *args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    return result.stdout


def as_json(desk: Desk, *args: str) -> Any:
    return json.loads(ok(desk, *args, "--format", "json"))


def test_stats_json_is_the_week_now_is_in(desk: Desk) -> None:
    [row] = as_json(desk)
    assert row == {
        "group": "all",
        "created": 2,
        "closed": 1,
        "reopened": 0,
        "backlog": 1,
        "frt_avg_business_seconds": 1800,
        "frt_median_business_seconds": 1800,
        "frt_p90_business_seconds": 1800,
        "frt_within_goal": 0.5,  # #2 has waited 27 h for a first reply
        "frt_breaches": 1,
        "resolution_median_business_seconds": 7200,
        "resolution_p90_business_seconds": 7200,
        "resolution_breaches": 0,
        "replies_per_ticket": 0.5,
        "at_risk": 0,
        "start": "2026-03-02T00:00:00Z",
        "end": "2026-03-09T00:00:00Z",
        "holidays": [],
    }


def test_stats_table_shows_durations_for_people(desk: Desk) -> None:
    out = ok(desk, "--by", "assignee")
    header, _, *lines = out.splitlines()
    assert header.split() == list(SUMMARY_KEYS)
    # An agent by name, the login beside it; the pool last.
    kadri, pool = lines
    assert kadri.startswith("Mari Maasikas (kadri) ")
    # created closed reopened backlog frt_avg median p90 share ...
    assert kadri.split()[3:11] == ["1", "1", "0", "0", "30", "min", "30", "min"]
    assert "100.0%" in kadri
    assert "2 h 00 min" in out  # resolution of #1
    assert pool.split()[:5] == ["(none)", "1", "0", "0", "1"]


def test_stats_csv_has_the_json_keys(desk: Desk) -> None:
    rows = list(csv.reader(io.StringIO(ok(desk, "--format", "csv"))))
    assert rows[0] == list(as_json(desk)[0])
    assert rows[1][:3] == ["all", "2", "1"]


def test_stats_period_since_until(desk: Desk) -> None:
    [tuesday] = as_json(desk, "--period", "day", "--until", "2026-03-03")
    assert (tuesday["start"], tuesday["end"]) == (
        "2026-03-03T00:00:00Z",
        "2026-03-04T00:00:00Z",
    )
    assert (tuesday["created"], tuesday["backlog"]) == (1, 1)
    [span] = as_json(desk, "--since", "2026-03-01", "--until", "2026-03-02")
    assert (span["created"], span["closed"], span["end"]) == (
        1,
        1,
        "2026-03-03T00:00:00Z",
    )


def test_stats_workload(desk: Desk) -> None:
    rows = {r["assignee"]: r for r in as_json(desk, "--workload")}
    assert rows["(none)"] == {
        "assignee": "(none)",
        "open": 1,
        "waiting": 1,
        "oldest_waiting_at": "2026-03-03T09:00:00Z",
        "oldest_waiting_number": 2,
        "assignee_name": None,
        "overdue": 1,
        "work_seconds": 0,
    }
    assert (rows["kadri"]["open"], rows["kadri"]["work_seconds"]) == (0, 45 * 60)
    table = ok(desk, "--workload")
    assert "45 min" in table
    assert "2026-03-03 09:00" in table


def test_stats_load_work_time_trend(desk: Desk) -> None:
    load = as_json(desk, "--load")
    assert [r["weekday"] for r in load] == ["Mon", "Tue", "Wed", "Thu", "Fri",
                                            "Sat", "Sun"]  # fmt: skip
    assert (load[0]["10"], load[1]["09"], sum(r["total"] for r in load)) == (1, 1, 2)
    assert as_json(desk, "--work-time", "customer") == [
        {"group": "(none)", "group_name": None, "work_seconds": 2700, "tickets": 1}
    ]
    assert as_json(desk, "--work-time", "assignee") == [
        {
            "group": "kadri",
            "group_name": "Mari Maasikas",
            "work_seconds": 2700,
            "tickets": 1,
        }
    ]
    trend = as_json(desk, "--trend", "2")
    assert trend == [
        {"week_start": "2026-02-23", "tickets": 0,
         "frt_median_business_seconds": None, "frt_p90_business_seconds": None,
         "frt_within_goal": None},
        {"week_start": "2026-03-02", "tickets": 2,
         "frt_median_business_seconds": 1800, "frt_p90_business_seconds": 1800,
         "frt_within_goal": 0.5},
    ]  # fmt: skip


def test_stats_weeks_start_monday_in_the_hours_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)
    desk = Desk(tmp_path, hours={"timezone": "Europe/Tallinn"})
    desk.deliver(eml("<a@kund.ee>", date="Sun, 01 Mar 2026 23:30:00 +0000"))
    result = desk.run("stats", "--format", "json")
    [row] = json.loads(result.stdout)
    # 23:30 UTC on Sunday is 01:30 on Monday in Tallinn.
    assert (row["start"], row["created"]) == ("2026-03-01T22:00:00Z", 1)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--period", "year"], "--period: 'year' is not one of day, week, month"),
        (["--by", "colour"], "--by: 'colour' is not one of assignee"),
        (["--since", "last week"], "--since: 'last week' is not a date"),
        (["--since", "2026-03-05", "--until", "2026-03-01"], "--until must be later"),
        (["--workload", "--load"], "give only one of --workload, --load"),
        (["--work-time", "type"], "--work-time: 'type' is not one of customer"),
        (["--trend", "0"], "--trend: '0' is not a number of weeks"),
        (["--load", "--by", "hour"], "--by does not go with --load"),
    ],
    ids=["period", "by", "since", "order", "two-views", "work-time", "trend",
         "by-with-load"],
)  # fmt: skip
def test_stats_refuses_bad_arguments(desk: Desk, args: list[str], says: str) -> None:
    result = desk.run("stats", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert says in result.stderr


def test_stats_bad_clock_is_one_line(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", "soon")
    result = desk.run("stats")
    assert (result.exit_code, result.stderr.count("\n")) == (2, 1)
    assert "TICKETCLI_NOW" in result.stderr


def test_stats_on_an_empty_store(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    assert ok(desk, "--by", "customer") == "Nothing to measure in the period.\n"
    assert ok(desk, "--by", "customer", "--lang", "et") == (
        "Perioodil pole midagi mõõta.\n"
    )
    [row] = as_json(desk)
    assert (
        row["created"],
        row["frt_median_business_seconds"],
        row["replies_per_ticket"],
    ) == (
        0,
        None,
        None,
    )


def test_stats_table_overall_is_a_figure_per_line(desk: Desk) -> None:
    header, _, *lines = ok(desk).splitlines()
    assert header.split() == ["figure", "value"]
    figures = {line.split()[0]: " ".join(line.split()[1:]) for line in lines}
    assert list(figures) == list(SUMMARY_KEYS[1:])
    assert figures["frt_median"] == "30 min"
    assert figures["resolution_median"] == "2 h 00 min"
    assert figures["frt_within_goal"] == "50.0%"
    assert figures["created"] == "2"


def test_table_headings_in_estonian_json_and_csv_keep_their_keys(
    desk: Desk, tmp_path: Path
) -> None:
    header, _, *lines = ok(desk, "--lang", "et").splitlines()
    assert header.split() == ["näitaja", "väärtus"]
    assert lines[0].split() == ["loodud", "2"]
    assert any(line.startswith("esmavastus mediaan ") for line in lines)
    by = ok(desk, "--by", "assignee", "--lang", "et").splitlines()[0]
    assert by.split()[:3] == ["rühm", "loodud", "suletud"]
    # The config's [report] lang is the default; --lang en overrides it.
    config = tmp_path / "et.toml"
    config.write_text(desk.config.read_text() + '[report]\nlang = "et"\n')
    desk.config = config
    assert ok(desk).splitlines()[0].split() == ["näitaja", "väärtus"]
    assert ok(desk, "--lang", "en").splitlines()[0].split() == ["figure", "value"]
    assert list(as_json(desk, "--lang", "et")[0])[:2] == ["group", "created"]
    assert ok(desk, "--format", "csv", "--lang", "et").startswith("group,created,")


def test_since_and_until_read_days_and_times() -> None:
    """What --since and --until take: a day (--until: through it) or a time."""
    assert parse_day("2026-03-08", "--until", inclusive=True) == datetime(2026, 3, 9)
    assert parse_day("2026-03-08", "--since") == datetime(2026, 3, 8)
    assert parse_day("2026-03-08T10:00Z", "--since") == datetime.fromisoformat(
        "2026-03-08T10:00+00:00"
    )
    with pytest.raises(UsageError, match="--since: 'yesterday' is not a date"):
        parse_day("yesterday", "--since")

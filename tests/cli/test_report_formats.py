"""Numbers a lead reads at a glance (issue 20): `report` and `stats` in every
format -- the same keys in json, jsonl and csv, machine values there,
durations labelled business or calendar time for people, people and
customers by name, one way of saying "nothing to measure", and Estonian
all the way.

The desk: [hours] Mon-Fri 09-17 UTC. #1 from mari@kund.ee (customer
"Kund OÜ", KUND) on Mon 2026-03-02 10:00, answered by Anna Tamm at 14:10
(4 h 10 min of business time); #2 from a stranger on Fri 16:00, answered
Mon 09:30 (1 h 30 min of business time, 65 h 30 min of calendar time),
due Mon 2026-03-09. Anna logged 129 h 45 min on #1. "Now" is Tue
2026-03-10 12:00.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.helpers import Desk, eml
from ticketcli.reports.periods import WEEKDAY_NAMES

NOW = "2026-03-10T12:00:00Z"
WEEK = ("--since", "2026-03-02", "--until", "2026-03-08")
STAFF = "anna@acme-help.example"


def _reply(mid: str, to: str, parent: str, date: str) -> bytes:
    return eml(
        mid,
        sender=STAFF,
        subject="Re: x",
        date=date,
        to=to,
        extra=f"In-Reply-To: {parent}\r\nCc: support@acme-help.example\r\n",
    )


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TICKETCLI_NOW", "2026-03-01T08:00:00Z")
        desk = Desk(
            tmp_path_factory.mktemp("formats"),
            hours={"timezone": "UTC", "start": "09:00", "end": "17:00"},
            goals={"first_response": "1h"},
        )
        for args in (
            ("agents", "add", "anna", "--name", "Anna Tamm", "--email", STAFF),
            ("customers", "add", "Kund OÜ", "--code", "KUND", "--domain", "kund.ee"),
        ):
            assert desk.run(*args).exit_code == 0
        patch.setenv("TICKETCLI_NOW", "2026-03-09T10:00:00Z")
        desk.deliver(
            eml("<a@kund.ee>", date="Mon, 02 Mar 2026 10:00:00 +0000"),
            _reply("<r1@acme>", "mari@kund.ee", "<a@kund.ee>",
                   "Mon, 02 Mar 2026 14:10:00 +0000"),
            eml("<b@gmail.com>", sender="jaan@gmail.com", subject="Arve",
                date="Fri, 06 Mar 2026 16:00:00 +0000"),
            _reply("<r2@acme>", "jaan@gmail.com", "<b@gmail.com>",
                   "Mon, 09 Mar 2026 09:30:00 +0000"),
        )  # fmt: skip
        for args in (
            ("assign", "1", "anna"),
            ("assign", "2", "anna"),
            ("set", "2", "--due", "2026-03-09"),
        ):
            done = desk.run(*args)
            assert done.exit_code == 0, done.stderr
        patch.setenv("TICKETCLI_NOW", "2026-03-04T12:00:00Z")  # in the week
        done = desk.run("time", "1", "129h45m", "--as", "anna", "--yes")
        assert done.exit_code == 0, done.stderr
    return desk


@pytest.fixture(autouse=True)
def _now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)


def ok(desk: Desk, *args: str) -> str:
    result = desk.run(*args)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return result.stdout


# Every listing of `report` and `stats`.
LISTINGS = [
    ("report", "--assignee", "*"),
    ("report", "--assignee", "*", "--overdue"),
    ("stats", *WEEK),
    ("stats", *WEEK, "--by", "assignee"),
    ("stats", *WEEK, "--by", "customer"),
    ("stats", *WEEK, "--by", "type"),
    ("stats", *WEEK, "--by", "source"),
    ("stats", *WEEK, "--by", "tag"),
    ("stats", *WEEK, "--by", "hour"),
    ("stats", *WEEK, "--by", "weekday"),
    ("stats", *WEEK, "--workload"),
    ("stats", *WEEK, "--load"),
    ("stats", *WEEK, "--work-time", "customer"),
    ("stats", *WEEK, "--work-time", "assignee"),
    ("stats", "--trend", "3"),
]
# A key that holds a duration says its unit.
DURATION = re.compile(r"^(frt_(avg|median|p90)|resolution_(median|p90)|work|age)(_|$)")


@pytest.mark.parametrize(
    "args", LISTINGS, ids=[" ".join(a[:1] + a[-2:]) for a in LISTINGS]
)
def test_json_jsonl_and_csv_have_the_same_keys(
    desk: Desk, args: tuple[str, ...]
) -> None:
    as_json = json.loads(ok(desk, *args, "--format", "json"))
    lines = [
        json.loads(line) for line in ok(desk, *args, "--format", "jsonl").splitlines()
    ]
    header, *rows = list(csv.reader(io.StringIO(ok(desk, *args, "--format", "csv"))))
    assert as_json, "a listing with rows"
    keys = list(as_json[0])
    assert all(list(row) == keys for row in as_json)
    assert [list(line) for line in lines] == [keys] * len(as_json)
    assert header == keys
    assert len(rows) == len(as_json)
    assert lines == as_json  # the same values, too
    for key in keys:
        if DURATION.search(key):
            assert key.endswith("_seconds"), key
            assert all(isinstance(r[key], int | None) for r in as_json), key
        # No formatted text for people: no arrow, no mark, no "3 d".
        assert all(r[key] not in ("→", "←") for r in as_json), key
    assert "marks" not in keys


def test_report_json_carries_machine_values(desk: Desk) -> None:
    rows = {r["number"]: r for r in json.loads(ok(desk, "report", "--assignee", "*",
                                                  "--format", "json"))}  # fmt: skip
    first, second = rows[1], rows[2]
    assert first["age_seconds"] == 8 * 86400 + 2 * 3600  # calendar time
    assert first["created_at"] == "2026-03-02T10:00:00Z"
    assert (first["customer"], first["customer_name"]) == ("KUND", "Kund OÜ")
    assert (first["assignee"], first["assignee_name"]) == ("anna", "Anna Tamm")
    assert (first["last_direction"], first["vs"]) == ("outbound", 2)
    assert (second["customer"], second["customer_name"]) == (None, None)
    assert (second["overdue"], second["due_at"]) == (True, "2026-03-09T23:59:59Z")


def test_stats_json_says_business_seconds_and_work_seconds(desk: Desk) -> None:
    [week] = json.loads(ok(desk, "stats", *WEEK, "--format", "json"))
    # FRTs 4 h 10 min and 1 h 30 min of business time (65 h 30 min calendar).
    assert week["frt_avg_business_seconds"] == (15000 + 5400) // 2
    assert week["frt_p90_business_seconds"] == 15000
    assert (week["start"], week["end"]) == (
        "2026-03-02T00:00:00Z",
        "2026-03-09T00:00:00Z",
    )
    [work] = json.loads(ok(desk, "stats", *WEEK, "--work-time", "assignee",
                           "--format", "json"))  # fmt: skip
    assert work == {"group": "anna", "group_name": "Anna Tamm",
                    "work_seconds": (129 * 60 + 45) * 60, "tickets": 1}  # fmt: skip


def _figures(out: str) -> dict[str, str]:
    return {
        line.split()[0]: " ".join(line.split()[1:]) for line in out.splitlines()[2:]
    }


def test_durations_say_business_or_calendar_time(desk: Desk) -> None:
    figures = _figures(ok(desk, "stats", *WEEK))
    assert figures["frt_p90"] == "4 h 10 min business time"
    assert figures["frt_avg"] == "2 h 50 min business time"
    # A business duration never in days, which read as 24 h.
    week = ok(desk, "stats", *WEEK, "--by", "customer")
    assert not re.search(r"\d ?d\b", week)
    # The report's age is calendar time, in days.
    report = ok(desk, "report", "--assignee", "*")
    assert re.search(r"^1\s+8 d\s", report.splitlines()[2])
    # Work time exact, never under a heading "minutes".
    work = ok(desk, "stats", *WEEK, "--work-time", "assignee")
    assert work.splitlines()[0].split() == ["group", "work", "time", "tickets"]
    assert "129 h 45 min" in work
    load = ok(desk, "stats", *WEEK, "--workload")
    assert "129 h 45 min" in load
    assert "minutes" not in load + work


def test_people_and_customers_by_name(desk: Desk) -> None:
    report = ok(desk, "report", "--assignee", "*")
    assert "Anna Tamm (anna)" in report
    assert "Kund OÜ (KUND)" in report
    by_customer = ok(desk, "stats", *WEEK, "--by", "customer").splitlines()[2:]
    # "No customer" last, apart from the customers.
    assert by_customer[0].startswith("Kund OÜ (KUND) ")
    assert by_customer[-1].startswith("(none) ")
    workload = ok(desk, "stats", *WEEK, "--workload")
    assert "Anna Tamm (anna)" in workload


def test_estonian_all_the_way(desk: Desk) -> None:
    english = [*WEEKDAY_NAMES, "(none)", "business time", " h ", "work time"]
    for args in (
        ("--by", "weekday"),
        ("--by", "customer"),
        ("--load",),
        ("--workload",),
        ("--work-time", "customer"),
        (),
    ):
        out = ok(desk, "stats", *WEEK, *args, "--lang", "et")
        found = [
            word
            for word in english
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", out)
        ]
        assert found == [], (args, out)
    weekdays = ok(desk, "stats", *WEEK, "--by", "weekday", "--lang", "et")
    assert [line.split()[0] for line in weekdays.splitlines()[2:]] == ["E", "R"]
    assert "4 t 10 min tööaega" in ok(desk, "stats", *WEEK, "--lang", "et")
    empty = ok(desk, "stats", "--since", "2025-01-01", "--until", "2025-01-02",
               "--by", "assignee", "--lang", "et")  # fmt: skip
    assert empty == "Perioodil pole midagi mõõta.\n"


def test_the_goals_box_says_nothing_to_measure_without_counts(desk: Desk) -> None:
    # A day with no ticket: nothing to measure, and no "0 tickets over".
    html = ok(desk, "report", "--html", "-", "--period", "day")
    assert "nothing to measure in the period" in html
    assert "over the goal" not in html
    assert "no data yet" not in html
    text = ok(desk, "report", "--html", "-", "--period", "day", "--lang", "et")
    assert "perioodil pole midagi mõõta" in text


def test_the_week_report_names_people_and_puts_no_customer_last(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-09T12:00:00Z")  # Monday: last week
    html = ok(desk, "report", "--html", "-")
    top = html[html.index("Top customers") :]
    assert top.index("Kund OÜ (KUND)") < top.index("no customer")
    assert "Anna Tamm (anna)" in html
    # A number keeps its unit on one line.
    assert "4\u00a0h 10\u00a0min business time" in html
    assert "missed" in html  # a goal with data: met or missed, with counts
    assert "tickets over the goal" in html or "ticket over the goal" in html


def test_help_and_readme_say_what_overdue_and_vs_are(desk: Desk) -> None:
    helped = " ".join(ok(desk, "report", "--help").split())
    assert "past their due date, or over a [goals] target" in helped
    vs = "vs (the messages on the ticket, both ways)"
    assert vs in helped
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text().split())
    assert "`vs` counts the messages on the ticket, both ways" in readme
    assert (
        "`--overdue` only the overdue: past their due date, or over a `[goals]` target"
        in readme
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("stats", "--lang", "et", "--by", "colour"),
         "--by: 'colour' ei ole üks järgmistest: assignee"),
        (("stats", "--workload", "--load", "--lang", "et"),
         "anna ainult üks järgmistest: --workload, --load"),
        (("stats", "--lang", "et", "--trend", "0"),
         "--trend: '0' ei ole nädalate arv"),
        (("report", "--html", "-", "--to", "x@y.ee", "--lang", "et"),
         "--to: ainult koos --mail"),
        (("report", "--lang", "et", "--html", "-", "--waiting"),
         "--waiting: mitte koos --html/--mail"),
    ],
    ids=["choice", "two-views", "weeks", "to", "listing-option"],
)  # fmt: skip
def test_errors_speak_the_readers_language(
    desk: Desk, args: tuple[str, ...], says: str
) -> None:
    """--lang is read before anything else, wherever it stands."""
    result = desk.run(*args)
    assert result.exit_code == 2
    assert says in result.stderr
    assert result.stderr.count("\n") == 1

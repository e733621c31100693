"""render's views over raw rows: the report listing, `stats` tables for
people, and the morning report's bars and heat map."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ticketcli.i18n import translations
from ticketcli.render.html import BLUE, GREEN, RED, Formats, view
from ticketcli.render.listing import COLUMNS, TABLE_COLUMNS, listing_rows, table_row
from ticketcli.render.stats import emit_stats, for_people
from ticketcli.reports.listing import ListedTicket
from ticketcli.reports.names import Names
from ticketcli.store.queries import ReportRow

if TYPE_CHECKING:
    import pytest

NOW = datetime(2026, 3, 6, 12, 0)


def row(**fields: object) -> ReportRow:
    values: dict[str, object] = {
        "number": 7,
        "subject": "Printer",
        "status": "open",
        "priority": "high",
        "type": "question",
        "customer": "KUND",
        "assignee": None,
        "created_at": NOW - timedelta(days=3, hours=1),
        "last_message_at": NOW - timedelta(hours=1),
        "last_direction": "inbound",
        "message_count": 3,
        "reopened": True,
        "due_at": None,
        "away_owner": "kadri",
    }
    return ReportRow(**(values | fields))  # type: ignore[arg-type]


def test_listing_rows_word_the_raw_values() -> None:
    names = Names({"kadri": "Kadri Kask"}, {"KUND": "Kund OÜ"})
    [out] = listing_rows(
        [ListedTicket(row(assignee="kadri"), True, ("first_response",))], NOW, names
    )
    # Machine values only, every key of COLUMNS and no other (jsonl writes
    # the whole row).
    assert out == {
        "number": 7, "created_at": NOW - timedelta(days=3, hours=1),
        "age_seconds": 3 * 86400 + 3600, "customer": "KUND",
        "customer_name": "Kund OÜ", "subject": "Printer", "assignee": "kadri",
        "assignee_name": "Kadri Kask", "status": "open", "vs": 3,
        "last_direction": "inbound", "last_message_at": NOW - timedelta(hours=1),
        "reopened": True, "overdue": True, "breaches": ["first_response"],
        "priority": "high", "type": "question", "due_at": None,
        "away_owner": "kadri", "tags": [],
    }  # fmt: skip
    assert tuple(out) == COLUMNS
    shown = table_row(out)
    assert tuple(shown) == TABLE_COLUMNS
    assert (shown["age"], shown["customer"], shown["assignee"]) == (
        "3 d",
        "Kund OÜ (KUND)",
        "Kadri Kask (kadri)",
    )
    assert (shown["last"], shown["marks"]) == ("←", "REOPENED OVERDUE AWAY:kadri")
    [answered] = listing_rows(
        [ListedTicket(row(last_direction="outbound", reopened=False,
                          away_owner=None, customer=None), False, ())],
        NOW,
    )  # fmt: skip
    shown = table_row(answered)
    assert (shown["last"], shown["marks"], shown["customer"]) == ("→", "", "")
    assert answered["customer_name"] is None


def test_stats_rows_for_people() -> None:
    raw = {"group": "all", "frt_median": 3900, "frt_p90": None,
           "frt_within_goal": 0.875, "work_minutes": 7785, "minutes": 0,
           "oldest_waiting_at": NOW, "created": 2}  # fmt: skip
    assert for_people(raw) == {
        "group": "all", "frt_median": "1 h 05 min", "frt_p90": "–",
        "frt_within_goal": "87.5%", "work_minutes": "129 h 45 min", "minutes": "",
        "oldest_waiting_at": NOW, "created": 2,
    }  # fmt: skip
    # With [hours], a figure says it is business time; work time is work.
    labelled = for_people(raw, business_hours=True)
    assert labelled["frt_median"] == "1 h 05 min business time"
    assert labelled["work_minutes"] == "129 h 45 min"
    et = for_people(raw | {"group": "(none)"}, "et", business_hours=True)
    assert (et["frt_median"], et["group"]) == ("1 t 05 min tööaega", "(puudub)")
    assert for_people({"weekday": "Tue"}, "et") == {"weekday": "T"}
    assert for_people({"frt_within_goal": 0.875, "replies_per_ticket": 1.5}, "et") == {
        "frt_within_goal": "87,5 %",
        "replies_per_ticket": "1,5",
    }


def test_emit_stats(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"group": "all", "created": 2, "frt_median": 1800,
             "oldest_waiting_at": NOW, "week_start": date(2026, 3, 2)}]  # fmt: skip
    columns = ("group", "created", "frt_median", "oldest_waiting_at", "week_start")
    emit_stats(rows, columns, "json", "en")
    assert json.loads(capsys.readouterr().out) == [
        {"group": "all", "created": 2, "frt_median_business_seconds": 1800,
         "oldest_waiting_at": "2026-03-06T12:00:00Z", "week_start": "2026-03-02"}
    ]  # fmt: skip
    emit_stats(rows, columns, "table", "en", one_group=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["figure", "value"]
    assert [line.split(maxsplit=1) for line in lines[2:]] == [
        ["created", "2"],
        ["frt_median", "30 min"],
        ["oldest_waiting_at", "2026-03-06 12:00"],
        ["week_start", "2026-03-02"],
    ]
    # Names beside logins for scripts and people; minutes as seconds.
    names = Names({"anna": "Anna Tamm"})
    work = [{"group": "anna", "minutes": 90, "tickets": 1},
            {"group": "(none)", "minutes": 5, "tickets": 1}]  # fmt: skip
    people = {"group": "agent"}
    emit_stats(work, ("group", "minutes", "tickets"), "csv", "en", names=names,
               people=people)  # fmt: skip
    assert capsys.readouterr().out.splitlines() == [
        "group,group_name,work_seconds,tickets",
        "anna,Anna Tamm,5400,1",
        "(none),,300,1",
    ]
    emit_stats(work, ("group", "minutes", "tickets"), "table", "en", names=names,
               people=people)  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["group", "work", "time", "tickets"]
    assert out[2].split() == ["Anna", "Tamm", "(anna)", "1", "h", "30", "min", "1"]
    emit_stats([], ("group",), "table", "et")
    assert capsys.readouterr().out == "Perioodil pole midagi mõõta.\n"


def model(**fields: object) -> dict[str, object]:
    matrix = [[0] * 24 for _ in range(7)]
    matrix[0][9], matrix[0][11], matrix[4][10] = 4, 1, 2
    return {
        "goals": [{"name": "first_response", "goal": 3600, "median": 1800}],
        "trend": [
            {"week_start": date(2026, 2, 23), "frt_median": None, "tickets": 0},
            {"week_start": date(2026, 3, 2), "frt_median": 1800, "tickets": 3},
            {"week_start": date(2026, 3, 9), "frt_median": 7200, "tickets": 1},
        ],
        "frt_goal": 3600,
        "load": matrix,
        **fields,
    }


def test_view_draws_bars_and_heat() -> None:
    drawn = view(model())
    assert drawn["goals"][0]["label"] == "First response"
    assert [(w["bar"], w["color"]) for w in drawn["trend"]] == [
        (0, BLUE),
        (25, GREEN),
        (100, RED),
    ]
    load = drawn["load"]
    assert (load["max"], load["total"]) == (4, 7)
    assert [r["hour"] for r in load["rows"]] == [9, 10, 11]  # the busy span
    monday_nine = load["rows"][0]["cells"][0]
    assert (monday_nine["count"], monday_nine["bg"], monday_nine["fg"]) == (
        4,
        "#1d4ed8",
        "#ffffff",
    )
    assert load["rows"][1]["cells"][0] == {"count": 0, "bg": "#ffffff", "fg": ""}
    # The goal is longer than every week: it sets the scale; no goal, blue.
    slow_goal = view(model(frt_goal=14400))["trend"]
    assert [w["bar"] for w in slow_goal] == [0, 12, 50]  # 12.5 rounds to even
    assert {w["color"] for w in view(model(frt_goal=None))["trend"]} == {BLUE}
    empty = view(model(load=[[0] * 24 for _ in range(7)]))["load"]
    assert (empty["rows"], empty["max"], empty["total"]) == ([], 0, 0)


def test_dates_of_the_model() -> None:
    en = Formats("en", translations("en"), ZoneInfo("Europe/Tallinn"))
    assert en.as_date(date(2026, 3, 2)) == "2026-03-02"  # a local Monday stays
    assert en.as_date(datetime(2026, 3, 1, 22, 30)) == "2026-03-02"
    assert en.as_date(None) == "–"

"""`report --html`: mail-safe HTML whose figures are those of `stats`, in
English or Estonian, from the package's templates or the user's copy."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import customers_csv
from tests.helpers import PAYLOADS, Desk, Page, assert_mail_safe, hostile_desk
from ticketcli.i18n import extract_messages, translations
from ticketcli.render.formats import person
from ticketcli.render.html import Formats

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import GenMailbox

NOW = "2026-03-04T08:00:00Z"  # Wednesday: the week so far is Mon 2 - Tue 3 March


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)


def as_json(desk: Desk, *args: str) -> Any:
    result = desk.run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def report_html(desk: Desk, *args: str) -> str:
    result = desk.run("report", "--html", "-", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return str(result.stdout)


# --- escaping -------------------------------------------------------------------


def test_mail_content_is_escaped_everywhere(tmp_path: Path) -> None:
    desk = hostile_desk(tmp_path)
    html = report_html(desk)
    page = assert_mail_safe(html)
    # The attacks are there, as text: escaped, not dropped.
    for payload in PAYLOADS:
        assert f"Printer {payload} #" in page.text
    # The customer's name, cut to the report's length (render.clip).
    assert " ".join(PAYLOADS)[:50] in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    pool = page.table("The pool: tickets without an owner")
    assert len(pool) == len(PAYLOADS)


def test_file_is_written_whole_and_stdout_stays_quiet(tmp_path: Path) -> None:
    desk = hostile_desk(tmp_path)
    out = tmp_path / "report.html"
    result = desk.run("report", "--html", str(out))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert_mail_safe(out.read_text(encoding="utf-8"))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    missing = desk.run("report", "--html", str(tmp_path / "no" / "such.html"))
    assert missing.exit_code == 1
    assert missing.stderr.count("\n") == 1
    assert "--html: cannot write" in missing.stderr


def test_phone_and_mail_client_layout(tmp_path: Path) -> None:
    """One column no wider than 640 px, table layout, sizes in px, no
    stylesheet: what Gmail and Outlook keep, readable at 380 px."""
    html = report_html(hostile_desk(tmp_path))
    assert (
        '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    )
    assert "max-width:640px;width:100%" in html
    assert "position:" not in html
    assert "float:" not in html
    assert not re.search(r"width:\s*[0-9]{3,}px", html.replace("max-width:640px", ""))
    assert "font-size:" in html


# --- options and errors -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--html", "-", "--assignee", "*"), "--assignee"),
        (("--html", "-", "--format", "json"), "--format"),
        (("--html", "-", "--to", "a@b.example"), "--to: only with --mail"),
        # Refused in the language asked for.
        (("--lang", "et"), "--lang: ainult koos --html või --mail"),
        (("--period", "day"), "--period: only with --html or --mail"),
        (("--html", "-", "--lang", "xx"), "--lang"),
        (("--mail",), "no recipients"),
    ],
)
def test_wrong_combinations_are_one_line_exit_2(
    tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    desk = Desk(tmp_path)
    result = desk.run("report", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert says in result.stderr
    assert result.stderr.strip().count("\n") == 0 or "Usage:" in result.stderr


def test_mail_without_smtp_host_is_a_config_error(tmp_path: Path) -> None:
    desk = Desk(tmp_path, report={"recipients": ["lead@acme.example"]})
    result = desk.run("report", "--mail")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "smtp.host" in result.stderr


def test_periods_name_their_days_in_the_title(tmp_path: Path) -> None:
    desk = hostile_desk(tmp_path)
    titles = {
        period: Page(report_html(desk, "--period", period)).text.strip().splitlines()[0]
        for period in ("day", "week", "month")
    }
    assert titles == {
        "day": "Support report for 2026-03-03",
        "week": "Support report for the week 2026-03-02 – 2026-03-03",
        "month": "Support report for 2026-03",
    }


# --- languages and templates --------------------------------------------------------


def test_estonian_report_is_translated_through_and_through(tmp_path: Path) -> None:
    desk = hostile_desk(tmp_path, goals={"first_response": "1h"})
    page = assert_mail_safe(report_html(desk, "--lang", "et"))
    for heading in (
        "Kokkuvõte",
        "Eesmärgid",
        "Esmase vastuse trend",
        "Millal kirjad saabuvad",
        "Konsultandid",
        "Aktiivseimad kliendid",
        "Jaotamata: vastutajata pöördumised",
        "UUESTI AVATUD",
    ):
        assert heading in page.sections, heading
    assert "Klienditoe aruanne, nädal 2026-03-02 – 2026-03-03" in page.text
    et = translations("et")
    english = {
        m
        for m in extract_messages()
        if "%(" not in m and "\0" not in m and et.gettext(m) != m
    }
    texts = {t.strip() for t in page.texts} | {
        part.strip() for t in page.texts for part in t.split("·")
    }
    assert texts & english == set()
    # The load table's weekdays and the units of durations, too.
    assert page.table("Millal kirjad saabuvad")[0][:3] == ["Tund", "E", "T"]


def test_config_chooses_the_language(tmp_path: Path) -> None:
    desk = hostile_desk(tmp_path, report={"lang": "et"})
    assert "Kokkuvõte" in Page(report_html(desk)).sections
    assert "Summary" in Page(report_html(desk, "--lang", "en")).sections


def test_user_templates_dir_wins_and_still_escapes(tmp_path: Path) -> None:
    mine = tmp_path / "templates"
    mine.mkdir()
    (mine / "report.html").write_text(
        '{% import "_macros.html" as m with context %}'
        "<p>OUR OWN {{ _('Summary') }} {{ summary.created }}</p>"
        "{{ m.tickets(pool, pool_total, 'none') }}",
        encoding="utf-8",
    )
    desk = hostile_desk(tmp_path, report={"templates_dir": str(mine)})
    html = report_html(desk, "--lang", "et")
    assert html.startswith(f"<p>OUR OWN Kokkuvõte {len(PAYLOADS)}</p>")
    assert_mail_safe(html)
    assert "&lt;script&gt;" in html
    (mine / "report.html").write_text("{{ no_such_thing }}", encoding="utf-8")
    broken = desk.run("report", "--html", "-")
    assert broken.exit_code == 2
    assert "no_such_thing" in broken.stderr


# --- the report's numbers are stats' numbers ---------------------------------------


def _cells(row: list[str]) -> list[str]:
    return [c.split("\n")[0].strip() for c in row]


def test_report_numbers_equal_stats_json(
    tmp_path: Path, gen_mailbox: GenMailbox
) -> None:
    """A store synced from a generated mailbox: every figure of the report,
    summary to heat map, is what `stats --format json` says."""
    mailbox, truth = gen_mailbox(conversations=150, seed=23)
    desk = Desk(
        tmp_path,
        support_addresses=[truth["support_address"]],
        staff_domains=truth["staff_domains"],
        goals={"first_response": "2h", "resolution": "3d"},
        hours={"timezone": "Europe/Tallinn"},
    )
    customers = customers_csv(tmp_path / "customers.csv", truth)
    assert desk.run("customers", "import", str(customers)).exit_code == 0
    # The mail that has arrived by "now", two thirds into the mailbox.
    dated = sorted((m["date"], m["file"]) for m in truth["messages"] if m["date"])
    now = datetime.fromisoformat(dated[len(dated) * 2 // 3][0].replace("Z", "+00:00"))
    for date, name in dated:
        if date < now.isoformat().replace("+00:00", "Z"):
            shutil.copy(mailbox / name, desk.inbox / name)
    assert desk.run("sync", "--source", str(desk.inbox)).exit_code == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TICKETCLI_NOW", now.isoformat())
        answered = [
            str(t["number"])
            for t in as_json(desk, "report", "--assignee", "*")
            if t["last_direction"] == "outbound"
        ]
        patch.setenv("TICKETCLI_NOW", (now - timedelta(hours=20)).isoformat())
        closed = desk.run("close", *answered[::2], "--as", "lead")
        assert closed.exit_code == 0, closed.stderr
        patch.setenv("TICKETCLI_NOW", now.isoformat())
        yesterday = now.astimezone(ZoneInfo("Europe/Tallinn")) - timedelta(days=1)
        until = ("--period", "month", "--until", yesterday.date().isoformat())
        overall = as_json(desk, "stats", *until)[0]
        agents = {
            r["group"]: r for r in as_json(desk, "stats", *until, "--by", "assignee")
        }
        workload = as_json(desk, "stats", *until, "--workload")
        customers = as_json(desk, "stats", *until, "--by", "customer")
        trend = as_json(desk, "stats", "--trend", "8")
        load = as_json(desk, "stats", *until, "--load")
        page = Page(report_html(desk, "--period", "month"))
    assert overall["created"] > 10
    assert overall["closed"] > 3
    # [hours] is set: the report's durations say they are business time.
    en = Formats(
        "en", translations("en"), ZoneInfo("Europe/Tallinn"), business_hours=True
    )
    d = en.duration
    summary = dict(_cells(row) for row in page.table("Summary"))
    assert summary == {
        "Tickets created": str(overall["created"]),
        "Tickets closed": str(overall["closed"]),
        "Tickets reopened": str(overall["reopened"]),
        "Open at the end of the period": str(overall["backlog"]),
        "First response, average": d(overall["frt_avg_business_seconds"]),
        "First response, median": d(overall["frt_median_business_seconds"]),
        "First response, 90th percentile": d(overall["frt_p90_business_seconds"]),
        "Resolution, median": d(overall["resolution_median_business_seconds"]),
        "Resolution, 90th percentile": d(overall["resolution_p90_business_seconds"]),
        "Replies per ticket": en.number(overall["replies_per_ticket"]),
        "Open tickets over a goal now": summary["Open tickets over a goal now"],
    }
    over_goal = sum(r["overdue"] for r in workload)
    assert summary["Open tickets over a goal now"] == str(over_goal)
    goals = page.table("Goals")
    assert (
        f"First response: median {d(overall['frt_median_business_seconds'])},"
        " goal 2 h 00 min business time" in goals[0][0]
    )
    assert f"{en.percent(overall['frt_within_goal'])} within the goal" in goals[0][0]
    assert f"{overall['frt_breaches']} ticket" in goals[0][0]

    # Agents: workload now, closed and FRT in the period.
    def busy(r: dict[str, Any]) -> bool:
        closed = agents.get(r["assignee"], {}).get("closed")
        return bool(r["open"] or closed or r["work_seconds"])

    expected_agents = [
        [
            person(r["assignee"], r["assignee_name"]),
            f"closed: {agents.get(r['assignee'], {}).get('closed', 0)} · "
            "first response: "
            f"{d(agents.get(r['assignee'], {}).get('frt_median_business_seconds'))}",
            str(r["open"]),
            str(r["waiting"]),
            str(r["overdue"]),
        ]
        for r in workload
        if r["assignee"] != "(none)"
        and (
            r["open"]
            or agents.get(r["assignee"], {}).get("closed")
            or r["work_seconds"]
        )
    ]
    agent_rows = [
        [*row[0].split("\n")[:2], *_cells(row[1:])] for row in page.table("Agents")[1:]
    ]
    assert agent_rows == expected_agents
    assert page.table("Agents")[0] == ["Agent", "Open", "Waiting", "Over goal"]
    pool = next(r for r in workload if r["assignee"] == "(none)")
    assert len(page.table("The pool: tickets without an owner")) == min(
        pool["open"], 10
    )
    # Top customers: the busiest of `stats --by customer` by name, and the
    # tickets of no customer last, apart, whatever their number.
    top = sorted(
        (c for c in customers if c["created"] and c["group"] != "(none)"),
        key=lambda c: (-c["created"], -c["backlog"], c["group"]),
    )[:10]
    top += [c for c in customers if c["created"] and c["group"] == "(none)"]
    assert top[-1]["group"] == "(none)"  # the generated mail has strangers
    assert [_cells(r)[:4] for r in page.table("Top customers")[1:]] == [
        [
            "no customer"
            if c["group"] == "(none)"
            else person(c["group"], c["group_name"]),
            str(c["created"]),
            str(c["backlog"]),
            d(c["frt_median_business_seconds"]),
        ]
        for c in top
    ]
    # The trend: one row per week, the median beside its bar.
    assert [_cells(r) for r in page.table("First response trend")[1:]] == [
        [w["week_start"], d(w["frt_median_business_seconds"]), str(w["tickets"])]
        for w in trend
    ]
    # The heat map: mail per hour and weekday.
    heat = page.table("When mail arrives")
    shown = {
        (day, int(row[0])): int(cell or 0)
        for row in heat[1:]
        for day, cell in enumerate(row[1:])
    }
    counted = {
        (day, int(hour)): count
        for day, r in enumerate(load)
        for hour, count in r.items()
        if hour.isdigit() and count
    }
    assert {k: v for k, v in shown.items() if v} == counted
    assert sum(shown.values()) == sum(r["total"] for r in load)

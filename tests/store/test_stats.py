"""`stats`' figures (ticketcli.reports over store.stats) on hand-made
timelines built through ticketcli's own ingest and tickets.

Every expected figure is worked out by hand from the timeline in the case.
2026: Mar 2 is a Monday; Europe/Tallinn moves from EET (+02) to EEST (+03)
on Sunday Mar 29; Apr 3 is declared a holiday below.

The week (UTC, calendar time), "now" Friday Mar 6 12:00:

  #1 mari@kund.ee     Mon 10:00  kadri replies 10:30 (FRT 30m)   closed Mon 12:00
  #2 jaan@firma.ee    Tue 09:00  kadri replies 11:00 (FRT 2h)    closed Wed 09:00,
                      reopened by jaan's mail Wed 15:00, closed Thu 15:00 (open 2d)
  #3 liis@x.ee        Wed 08:00  kadri replies 08:20 (FRT 20m)   pending Wed 09:00,
                      liis writes Thu 09:00 (open again), closed Thu 10:00 (open 2h)
  #4 kadri -> kalle@z.ee (support in Cc) Thu 14:00: staff opened, no customer mail
  #5 ott@y.ee         Fri 09:00  unanswered, in the pool

Goals: first_response 1h, resolution 1d, new_max 2h, open_max 12h.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import eml
from tests.store.conftest import store_url  # noqa: F401 - the fixture
from ticketcli.config import config_from_mapping
from ticketcli.desk import people, tickets
from ticketcli.errors import UsageError
from ticketcli.ingest.pipeline import Ingester
from ticketcli.mail.model import RawMail
from ticketcli.render.listing import listing_rows, table_row
from ticketcli.reports.goals import breaches
from ticketcli.reports.listing import listed_tickets
from ticketcli.reports.load import load
from ticketcli.reports.periods import period_bounds
from ticketcli.reports.summary import period_tickets, summary
from ticketcli.reports.trend import frt_trend
from ticketcli.reports.workload import work_time, workload
from ticketcli.store import stats as aggregates
from ticketcli.store.db import connect
from ticketcli.store.models import Ticket, bind_models
from ticketcli.store.writer import Writer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from peewee import Database

    from ticketcli.config import Config

SUPPORT = "support@acme-help.example"
KADRI = "Kadri Kask <kadri@acme-help.example>"
H = 3600
D = 86400
GOALS = {
    "first_response": "1h",
    "resolution": "1d",
    "new_max": "2h",
    "open_max": "12h",
}
NOW = datetime(2026, 3, 6, 12, 0)
WEEK = (datetime(2026, 3, 2), datetime(2026, 3, 9))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass
class Desk:
    """A store plus the config it was synced with, changed in time order."""

    db: Database
    config: Config
    count: int = 0

    def mail(self, data: bytes) -> None:
        self.count += 1
        Ingester(self.config, self.db, clock=lambda: NOW).ingest(
            RawMail("support", f"{self.count}.eml", data)
        )

    def close(self, number: int, when: str) -> None:
        tickets.close(Ticket.get_by_id(number), at(when), "lead")

    def pending(self, number: int, when: str) -> None:
        Writer(self.db).set_status(number, "pending", at(when), "kadri")


def customer(
    mid: str, sender: str, date: str, subject: str, reply_to: str = ""
) -> bytes:
    extra = f"In-Reply-To: {reply_to}\r\n" if reply_to else ""
    return eml(mid, sender, subject, "Tere.", date, SUPPORT, extra)


def staff(mid: str, to: str, date: str, subject: str, reply_to: str = "") -> bytes:
    data = customer(mid, "kadri@acme-help.example", date, subject, reply_to)
    return data.replace(
        b"From: Mari Maasikas <kadri@acme-help.example>", f"From: {KADRI}".encode()
    ).replace(f"To: {SUPPORT}".encode(), f"To: {to}\r\nCc: {SUPPORT}".encode())


def make_config(**extra: Any) -> Config:
    return config_from_mapping(
        {
            "support_addresses": [SUPPORT],
            "staff_domains": ["acme-help.example"],
            **extra,
        }
    )


def build_week(db: Database, config: Config) -> Desk:
    desk = Desk(db, config)
    people.add_customer("Kund OÜ", "KUND", [], ["kund.ee"], at=at("2026-01-01"))
    people.add_customer("Firma AS", "FIRMA", [], ["firma.ee"], at=at("2026-01-01"))
    mon = "Mon, 02 Mar 2026"
    desk.mail(
        customer("<t1a@kund.ee>", "mari@kund.ee", f"{mon} 10:00 +0000", "Printer")
    )
    desk.mail(staff("<t1b@h>", "mari@kund.ee", f"{mon} 10:30 +0000", "Re: Printer",
                    "<t1a@kund.ee>"))  # fmt: skip
    desk.close(1, "2026-03-02 12:00")
    tickets.log_time(1, timedelta(minutes=45), "kadri", at=at("2026-03-02 13:00"))
    tue = "Tue, 03 Mar 2026"
    desk.mail(customer("<t2a@firma.ee>", "jaan@firma.ee", f"{tue} 09:00 +0000", "Arve"))
    desk.mail(staff("<t2b@h>", "jaan@firma.ee", f"{tue} 11:00 +0000", "Re: Arve",
                    "<t2a@firma.ee>"))  # fmt: skip
    wed = "Wed, 04 Mar 2026"
    desk.mail(customer("<t3a@x.ee>", "liis@x.ee", f"{wed} 08:00 +0000", "Parool"))
    desk.mail(staff("<t3b@h>", "liis@x.ee", f"{wed} 08:20 +0000", "Re: Parool",
                    "<t3a@x.ee>"))  # fmt: skip
    desk.close(2, "2026-03-04 09:00")
    desk.pending(3, "2026-03-04 09:00")
    desk.mail(customer("<t2c@firma.ee>", "jaan@firma.ee", f"{wed} 15:00 +0000",
                       "Re: Arve", "<t2b@h>"))  # fmt: skip
    thu = "Thu, 05 Mar 2026"
    desk.mail(customer("<t3c@x.ee>", "liis@x.ee", f"{thu} 09:00 +0000",
                       "Re: Parool", "<t3b@h>"))  # fmt: skip
    desk.close(3, "2026-03-05 10:00")
    desk.mail(staff("<t4a@h>", "kalle@z.ee", f"{thu} 14:00 +0000", "Hinnakiri"))
    desk.close(2, "2026-03-05 15:00")
    tickets.log_time(
        2, timedelta(hours=1, minutes=30), "lead", at=at("2026-03-05 16:00")
    )
    desk.mail(
        customer("<t5a@y.ee>", "ott@y.ee", "Fri, 06 Mar 2026 09:00 +0000", "Maas")
    )
    return desk


def open_store(url: str) -> Iterator[Database]:
    db = connect(url)
    try:
        with bind_models(db):
            yield db
    finally:
        db.close()


@pytest.fixture
def week(tmp_path: Path) -> Iterator[Desk]:
    for db in open_store(f"sqlite:///{tmp_path / 'store.db'}"):
        yield build_week(db, make_config(goals=GOALS))


def by_group(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["group"]: row for row in rows}


WEEK_ALL = {
    "group": "all",
    "created": 5,
    "closed": 3,
    "reopened": 1,
    "backlog": 2,
    "frt_avg": 3400,  # (1800 + 7200 + 1200) / 3
    "frt_median": 1800,
    "frt_p90": 7200,
    # decided: #1, #3 within; #2 answered late; #5 waiting 3h > 1h
    "frt_within_goal": 0.5,
    "frt_breaches": 2,
    "resolution_median": 7200,  # #1 2h, #3 2h (pending paused), #2 2d
    "resolution_p90": 2 * D,
    "resolution_breaches": 1,
    "replies_per_ticket": 0.8,  # 4 staff replies on 5 tickets
    "at_risk": 0,
}


# --- the sample week, on both backends ------------------------------------------


def test_summary_of_the_week(store_url: str) -> None:  # noqa: F811
    for db in open_store(store_url):
        desk = build_week(db, make_config(goals=GOALS))
        rows = summary(start=WEEK[0], end=WEEK[1], by=None, config=desk.config, now=NOW)
        assert rows == [WEEK_ALL]
        mail = load(start=WEEK[0], end=WEEK[1], tz="Europe/Tallinn")
        # Customers' mail, +2 h in Tallinn: Mon 12, Tue 11, Wed 10 and 17,
        # Thu 11, Fri 11.
        assert mail["total"] == 6
        cells = {
            (day, hour): n
            for day, hours in enumerate(mail["matrix"])
            for hour, n in enumerate(hours)
            if n
        }
        assert cells == {(0, 12): 1, (1, 11): 1, (2, 10): 1, (2, 17): 1,
                         (3, 11): 1, (4, 11): 1}  # fmt: skip
        assert breaches(config=desk.config, now=NOW) == {
            4: ["open_max"],
            5: ["first_response", "new_max"],
        }
        by_day = summary(
            start=at("2026-03-05"), end=at("2026-03-06"), by=None,
            config=desk.config, now=NOW,
        )  # fmt: skip
        assert [(r["created"], r["closed"], r["reopened"], r["backlog"])
                for r in by_day] == [(1, 2, 0, 1)]  # fmt: skip


def test_summary_by_assignee(week: Desk) -> None:
    rows = by_group(
        summary(start=WEEK[0], end=WEEK[1], by="assignee", config=week.config,
                      now=NOW)
    )  # fmt: skip
    assert list(rows) == ["kadri", "(none)"]
    assert rows["kadri"] | {} == {
        **WEEK_ALL,
        "group": "kadri",
        "created": 4,
        "backlog": 1,
        "frt_within_goal": 0.6667,
        "frt_breaches": 1,
        "replies_per_ticket": 1.0,
    }
    assert rows["(none)"] == {
        **dict.fromkeys(WEEK_ALL, 0),
        "group": "(none)",
        "created": 1,
        "backlog": 1,
        "frt_avg": None,
        "frt_median": None,
        "frt_p90": None,
        "frt_within_goal": 0.0,
        "frt_breaches": 1,
        "resolution_median": None,
        "resolution_p90": None,
        "replies_per_ticket": 0.0,
    }


def test_summary_by_customer(week: Desk) -> None:
    rows = by_group(
        summary(start=WEEK[0], end=WEEK[1], by="customer", config=week.config,
                      now=NOW)
    )  # fmt: skip
    assert list(rows) == ["FIRMA", "KUND", "(none)"]
    firma = rows["FIRMA"]
    assert (firma["created"], firma["closed"], firma["reopened"]) == (1, 1, 1)
    assert (firma["frt_median"], firma["resolution_median"]) == (7200, 2 * D)
    assert (firma["frt_breaches"], firma["resolution_breaches"]) == (1, 1)
    none = rows["(none)"]
    assert (none["created"], none["closed"], none["backlog"]) == (3, 1, 2)
    assert none["replies_per_ticket"] == 0.67


def test_one_read_of_a_period_serves_every_grouping(week: Desk) -> None:
    """The morning report works each ticket's durations out once and groups
    them three ways: the same rows as reading them for each; the durations
    of another period are not taken for this one."""
    span = {"start": WEEK[0], "end": WEEK[1], "config": week.config, "now": NOW}
    once = period_tickets(**span)
    for by in (None, "assignee", "customer", "type"):
        assert summary(**span, by=by, tickets=once) == summary(**span, by=by)
    thursday = period_tickets(
        **{**span, "start": at("2026-03-05"), "end": at("2026-03-06")}
    )
    assert summary(**span, by=None, tickets=thursday) == [WEEK_ALL]


def test_shared_reads_read_the_active_tickets_once(week: Desk) -> None:
    """Within ``shared_reads`` the parts of a report see one moment: a read
    of the active tickets is handed out again, not repeated; after it, the
    next read sees what was written meanwhile."""
    with aggregates.shared_reads():
        first = aggregates.active_tickets()
        waiting = aggregates.waiting_since()
        week.mail(
            customer(
                "<late@uus.ee>", "uus@uus.ee", "Fri, 06 Mar 2026 11:00 +0000", "Uus"
            )
        )
        assert aggregates.active_tickets() is first
        assert aggregates.waiting_since() is waiting
    assert len(aggregates.active_tickets()) == len(first) + 1
    assert len(aggregates.waiting_since()) == len(waiting) + 1


def test_summary_past_day_backlog_from_history(week: Desk) -> None:
    """Wednesday, read on Friday: #2 closed at 09:00 and reopened at 15:00,
    #3 pending -- both still open at midnight."""
    [wed] = summary(
        start=at("2026-03-04"), end=at("2026-03-05"), by=None, config=week.config,
        now=NOW,
    )  # fmt: skip
    assert (wed["created"], wed["closed"], wed["reopened"], wed["backlog"]) == (
        1, 1, 1, 2,
    )  # fmt: skip
    assert (wed["frt_median"], wed["resolution_median"]) == (1200, None)
    [thu] = summary(
        start=at("2026-03-05"), end=at("2026-03-06"), by=None, config=week.config,
        now=NOW,
    )  # fmt: skip
    # Last closed on Thursday: #3 (2h) and #2 (2d); median of two, p90 the larger.
    assert (thu["resolution_median"], thu["resolution_p90"]) == (D + H, 2 * D)


def test_summary_without_goals_has_no_share(tmp_path: Path) -> None:
    for db in open_store(f"sqlite:///{tmp_path / 'store.db'}"):
        desk = build_week(db, make_config())
        [row] = summary(
            start=WEEK[0], end=WEEK[1], by=None, config=desk.config, now=NOW
        )
        assert row["frt_within_goal"] is None
        assert (row["frt_breaches"], row["resolution_breaches"]) == (0, 0)
        assert breaches(config=desk.config, now=NOW) == {}


def test_summary_of_an_empty_period(week: Desk) -> None:
    assert summary(
        start=at("2026-01-01"), end=at("2026-01-02"), by=None, config=week.config,
        now=NOW,
    ) == [{**dict.fromkeys(WEEK_ALL), "group": "all", "created": 0, "closed": 0,
           "reopened": 0, "backlog": 0, "frt_breaches": 0, "resolution_breaches": 0,
           "at_risk": 0}]  # fmt: skip
    assert summary(
        start=at("2026-01-01"), end=at("2026-01-02"), by="assignee",
        config=week.config, now=NOW,
    ) == []  # fmt: skip


def test_summary_by_weekday_and_hour_in_local_time(week: Desk) -> None:
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    tallinn = make_config(
        goals=GOALS,
        hours={"timezone": "Europe/Tallinn", "days": every_day, "end": "24:00",
               "start": "00:00"},
    )  # fmt: skip
    days = by_group(summary(start=WEEK[0], end=WEEK[1], by="weekday",
                                  config=tallinn, now=NOW))  # fmt: skip
    assert {k: v["created"] for k, v in days.items()} == {
        "Mon": 1, "Tue": 1, "Wed": 1, "Thu": 1, "Fri": 1,
    }  # fmt: skip
    hours = by_group(summary(start=WEEK[0], end=WEEK[1], by="hour",
                                   config=tallinn, now=NOW))  # fmt: skip
    # Opened 10:00, 09:00, 08:00, 14:00, 09:00 UTC = +2 h local.
    assert {k: v["created"] for k, v in hours.items()} == {
        "10": 1, "11": 2, "12": 1, "16": 1,
    }  # fmt: skip
    assert list(hours) == ["10", "11", "12", "16"]


def report_rows(**filters: Any) -> list[dict[str, Any]]:
    """The `report` listing's rows, as `report --format json` gives them."""
    return list(listing_rows(listed_tickets(now=NOW, **filters), NOW))


def test_breaches_mark_report_rows(week: Desk) -> None:
    rows = {r["number"]: r for r in report_rows(config=week.config, assignee="*")}
    assert rows[5]["breaches"] == ["first_response", "new_max"]
    assert rows[5]["overdue"] is True
    assert "OVERDUE" in table_row(rows[5])["marks"]
    assert rows[4]["breaches"] == ["open_max"]
    overdue = report_rows(config=week.config, assignee="*", overdue=True)
    assert [r["number"] for r in overdue] == [4, 5]
    # Without the config (no goals known) only due dates make a ticket overdue.
    plain = report_rows(assignee="*")
    assert [r["overdue"] for r in plain] == [False, False]


def test_breaches_before_the_goals_run_out(week: Desk) -> None:
    """At 10:00 #5 has waited 1 h (= the goal: within it) and been new 1 h."""
    assert 5 not in breaches(config=week.config, now=at("2026-03-06 10:00"))
    assert breaches(config=week.config, now=at("2026-03-06 10:01"))[5] == [
        "first_response"
    ]


def test_workload(week: Desk) -> None:
    rows = {
        r["assignee"]: r
        for r in workload(config=week.config, now=NOW, start=WEEK[0],
                                end=WEEK[1])
    }  # fmt: skip
    assert rows == {
        "kadri": {
            "assignee": "kadri", "open": 1, "waiting": 0, "oldest_waiting_at": None,
            "oldest_waiting_number": None, "overdue": 1, "work_minutes": 45,
        },
        "lead": {
            "assignee": "lead", "open": 0, "waiting": 0, "oldest_waiting_at": None,
            "oldest_waiting_number": None, "overdue": 0, "work_minutes": 90,
        },
        "(none)": {
            "assignee": "(none)", "open": 1, "waiting": 1,
            "oldest_waiting_at": at("2026-03-06 09:00"), "oldest_waiting_number": 5,
            "overdue": 1, "work_minutes": 0,
        },
    }  # fmt: skip


def test_waiting_since_the_first_unanswered_mail(week: Desk) -> None:
    """Two customer mails after our last reply: waiting since the first."""
    week.mail(customer("<t5b@y.ee>", "ott@y.ee", "Fri, 06 Mar 2026 11:00 +0000",
                       "Re: Maas", "<t5a@y.ee>"))  # fmt: skip
    week.mail(staff("<t4b@h>", "kalle@z.ee", "Fri, 06 Mar 2026 10:00 +0000",
                    "Re: Hinnakiri", "<t4a@h>"))  # fmt: skip
    week.mail(customer("<t4c@z.ee>", "kalle@z.ee", "Fri, 06 Mar 2026 10:30 +0000",
                       "Re: Hinnakiri", "<t4b@h>"))  # fmt: skip
    week.mail(customer("<t4d@z.ee>", "kalle@z.ee", "Fri, 06 Mar 2026 11:30 +0000",
                       "Re: Hinnakiri", "<t4c@z.ee>"))  # fmt: skip
    rows = {r["assignee"]: r for r in workload(config=week.config, now=NOW)}
    assert rows["kadri"]["waiting"] == 1
    assert rows["kadri"]["oldest_waiting_at"] == at("2026-03-06 10:30")
    assert rows["(none)"]["oldest_waiting_at"] == at("2026-03-06 09:00")


def test_work_time(week: Desk) -> None:
    assert work_time(start=WEEK[0], end=WEEK[1], by="customer") == [
        {"group": "FIRMA", "minutes": 90, "tickets": 1},
        {"group": "KUND", "minutes": 45, "tickets": 1},
    ]
    assert work_time(start=WEEK[0], end=WEEK[1], by="assignee") == [
        {"group": "lead", "minutes": 90, "tickets": 1},
        {"group": "kadri", "minutes": 45, "tickets": 1},
    ]
    assert work_time(start=at("2026-03-03"), end=None, by="assignee") == [
        {"group": "lead", "minutes": 90, "tickets": 1}
    ]
    with pytest.raises(UsageError, match="--work-time"):
        work_time(start=None, end=None, by="type")


def test_frt_trend(week: Desk) -> None:
    assert frt_trend(weeks=3, config=week.config, now=NOW) == [
        {"week_start": date(2026, 2, 16), "tickets": 0, "frt_median": None,
         "frt_p90": None, "frt_within_goal": None},
        {"week_start": date(2026, 2, 23), "tickets": 0, "frt_median": None,
         "frt_p90": None, "frt_within_goal": None},
        {"week_start": date(2026, 3, 2), "tickets": 5, "frt_median": 1800,
         "frt_p90": 7200, "frt_within_goal": 0.5},
    ]  # fmt: skip


# --- business hours: weekend, DST change, holiday ------------------------------

OFFICE = {
    "timezone": "Europe/Tallinn",
    "start": "09:00",
    "end": "17:00",
    "holidays": ["2026-04-03"],
}


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Desk]:
    """#1 Fri Mar 27 16:00 EET, answered Mon Mar 30 10:00 EEST (over the
    weekend and the DST change: 1 h + 1 h), closed Mon 12:00 EEST (4 h open).
    #2 Thu Apr 2 16:30 EEST, answered Mon Apr 6 09:30 (Fri Apr 3 a holiday:
    30 m + 30 m)."""
    for db in open_store(f"sqlite:///{tmp_path / 'store.db'}"):
        desk = Desk(db, make_config(hours=OFFICE, goals={"first_response": "1h"}))
        desk.mail(customer("<h1a@kund.ee>", "mari@kund.ee",
                           "Fri, 27 Mar 2026 16:00 +0200", "Printer"))  # fmt: skip
        desk.mail(staff("<h1b@h>", "mari@kund.ee", "Mon, 30 Mar 2026 10:00 +0300",
                        "Re: Printer", "<h1a@kund.ee>"))  # fmt: skip
        desk.close(1, "2026-03-30 09:00")
        desk.mail(customer("<h2a@firma.ee>", "jaan@firma.ee",
                           "Thu, 02 Apr 2026 16:30 +0300", "Arve"))  # fmt: skip
        desk.mail(staff("<h2b@h>", "jaan@firma.ee", "Mon, 06 Apr 2026 09:30 +0300",
                        "Re: Arve", "<h2a@firma.ee>"))  # fmt: skip
        yield desk


def test_business_hours_summary(office: Desk) -> None:
    now = at("2026-04-06 12:00")
    start, end = period_bounds("month", at("2026-03-01"), at("2026-04-30"),
                                     now, "Europe/Tallinn")  # fmt: skip
    [row] = summary(start=start, end=end, by=None, config=office.config, now=now)
    assert (row["frt_avg"], row["frt_median"], row["frt_p90"]) == (5400, 5400, 7200)
    assert (row["frt_within_goal"], row["frt_breaches"]) == (0.5, 1)
    assert (row["resolution_median"], row["resolution_p90"]) == (4 * H, 4 * H)
    hours = by_group(summary(start=start, end=end, by="hour",
                                   config=office.config, now=now))  # fmt: skip
    assert {k: v["created"] for k, v in hours.items()} == {"16": 2}
    days = by_group(summary(start=start, end=end, by="weekday",
                                  config=office.config, now=now))  # fmt: skip
    assert {k: v["frt_median"] for k, v in days.items()} == {
        "Thu": 1800 * 2, "Fri": 7200,
    }  # fmt: skip


def test_load_follows_dst(office: Desk) -> None:
    mail = load(start=at("2026-03-01"), end=at("2026-05-01"), tz="Europe/Tallinn")
    # 16:00 EET on a Friday and 16:30 EEST on a Thursday: both 16 local.
    rows = {r["weekday"]: r for r in mail["rows"]}
    assert (rows["Fri"]["16"], rows["Thu"]["16"], mail["total"]) == (1, 1, 2)
    assert rows["Thu"]["total"] == 1
    utc = load(start=at("2026-03-01"), end=at("2026-05-01"), tz="UTC")
    assert (utc["matrix"][4][14], utc["matrix"][3][13]) == (1, 1)


def test_summary_refuses_unknown_group(week: Desk) -> None:
    with pytest.raises(UsageError, match="--by: 'color' is not one of"):
        summary(start=WEEK[0], end=WEEK[1], by="color", config=week.config,
                      now=NOW)  # fmt: skip

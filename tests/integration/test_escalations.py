"""[escalation] as cron runs it: `sync` every few minutes, fixed clocks, and
the notices as a real SMTP server (aiosmtpd) receives them.

The desk: Tallinn, open 09:00-17:00 Monday to Friday (winter time: UTC+2),
a one-hour first-response goal, warnings 15 minutes before. Mail from
eml() is dated Monday 2 March 2026 10:00 local, so its goal falls due at
11:00 local (09:00 UTC).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import MailDesk, eml

if TYPE_CHECKING:
    from pathlib import Path

    from tests.servers.smtp import Received, SmtpServer

pytestmark = pytest.mark.smtp

ANNA = "anna@acme-help.example"
LEAD = "lead@acme-help.example"
HOURS = {"timezone": "Europe/Tallinn", "start": "09:00", "end": "17:00"}


def make_desk(tmp: Path, smtp: SmtpServer, **escalation: Any) -> MailDesk:
    escalation.setdefault("warn_before", "15m")
    desk = MailDesk(
        tmp,
        smtp,
        acknowledgement={"enabled": False},  # only the notices reach the server
        hours=HOURS,
        goals={"first_response": "1h"},
        escalation=escalation,
    )
    for login, address in (("anna", ANNA), ("lead", LEAD)):
        added = desk.run("agents", "add", login, "--email", address)
        assert added.exit_code == 0, added.stderr
    return desk


def sync_at(desk: MailDesk, moment: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TICKETCLI_NOW", moment)
    result = desk.sync()
    assert result.exit_code == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")  # cron manners
    return result


def notices(smtp: SmtpServer, expected: int) -> list[Received]:
    got = smtp.wait_for(expected, timeout=2)
    # Nothing more arrives than expected (a short wait for a stray one).
    return smtp.wait_for(expected + 1, timeout=0.3) if len(got) == expected else got


def test_each_notice_is_sent_once_over_many_syncs(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = make_desk(tmp_path, smtp, to=LEAD)
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T08:10:00Z")
    desk.deliver(eml("<q1@kund.ee>", subject="Printer on katki"))
    assert desk.run("assign", "1", "anna").exit_code == 0
    sync_at(desk, "2026-03-02T08:30:00Z", monkeypatch)  # 30 minutes left
    assert notices(smtp, 0) == []
    for moment in ("08:46", "08:50", "08:55"):  # three syncs in the last 15 min
        sync_at(desk, f"2026-03-02T{moment}:00Z", monkeypatch)
    [warning] = notices(smtp, 1)
    for moment in ("09:05", "09:10", "09:15"):  # and three after the deadline
        sync_at(desk, f"2026-03-02T{moment}:00Z", monkeypatch)
    got = notices(smtp, 2)
    assert len(got) == 2
    missed = got[1]
    assert [g.rcpt_tos for g in got] == [(ANNA,), (ANNA,)]
    assert str(warning.message["Subject"]) == (
        "Goal due soon, first response: Printer on katki [ACME #1]"
    )
    assert str(missed.message["Subject"]) == (
        "Goal missed, first response: Printer on katki [ACME #1]"
    )
    body = warning.message.get_content()
    assert "misses its first response goal at 2026-03-02 11:00 Europe/Tallinn" in body
    assert "(in 14 min of business time)" in body
    assert "ticketcli show 1" in body
    assert "missed its first response goal at 2026-03-02 11:00" in (
        missed.message.get_content()
    )
    for mail in got:  # the loop guard of every notice
        assert mail.message["Auto-Submitted"] == "auto-generated"
        assert mail.message["X-Loop"] == "support@acme-help.example"
    rows = desk.outbox("--all")
    assert [(r["kind"], r["status"], r["ticket"]) for r in rows] == [
        ("escalation", "sent", 1),
        ("escalation", "sent", 1),
    ]
    # A notice is not a message of the ticket: the customer never sees it.
    assert all(m["direction"] == "inbound" for m in desk.ticket(1)["messages"])


def test_nothing_at_night_and_the_warning_at_opening(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = make_desk(tmp_path, smtp, to="lead")
    # Monday 16:15 local: 45 minutes of the goal on Monday, 15 on Tuesday --
    # due Tuesday 09:15, and from 16:45 on Monday less than 15 business
    # minutes are left. The ticket is in the pool: the lead hears of it.
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T14:20:00Z")
    desk.deliver(
        eml("<late@kund.ee>", subject="Öösel", date="Mon, 02 Mar 2026 16:15:00 +0200")
    )
    for moment in (
        "2026-03-02T14:50",  # 16:50 local: 25 business minutes left
        "2026-03-02T15:05",  # 17:05 local: 15 left, but the office is closed
        "2026-03-02T21:55",  # 23:55
        "2026-03-03T01:00",  # 03:00
        "2026-03-03T06:59",  # 08:59
    ):
        sync_at(desk, f"{moment}:00Z", monkeypatch)
    assert notices(smtp, 0) == []
    sync_at(desk, "2026-03-03T07:00:00Z", monkeypatch)  # 09:00 local: opening
    sync_at(desk, "2026-03-03T07:05:00Z", monkeypatch)
    [warning] = notices(smtp, 1)
    assert str(warning.message["Subject"]).startswith("Goal due soon")
    assert "at 2026-03-03 09:15 Europe/Tallinn" in warning.message.get_content()
    sync_at(desk, "2026-03-03T07:16:00Z", monkeypatch)  # 09:16: missed
    got = notices(smtp, 2)
    assert str(got[1].message["Subject"]).startswith("Goal missed")
    # Pool tickets: to [escalation] to (here a login: the lead's address).
    assert {g.rcpt_tos for g in got} == {(LEAD,)}
    assert all("It is in the pool" in g.message.get_content() for g in got)


def test_escalate_alone_dry_run_then_for_real(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = make_desk(tmp_path, smtp, to=LEAD)
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T08:10:00Z")
    desk.deliver(eml("<q1@kund.ee>"), eml("<q2@kund.ee>", subject="Teine"))
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T09:30:00Z")  # both missed
    listed = desk.run("escalate", "--dry-run", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["ticket"], r["goal"], r["kind"], r["to"]) for r in rows] == [
        (1, "first response", "missed", LEAD),
        (2, "first response", "missed", LEAD),
    ]
    assert rows[0]["due_at"].startswith("2026-03-02T09:00:00")
    assert notices(smtp, 0) == []
    sent = desk.run("-v", "escalate")
    assert sent.exit_code == 0
    assert sent.stdout == ""
    assert "#1 first response missed" in sent.stderr
    assert len(notices(smtp, 2)) == 2
    again = desk.run("escalate")
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")
    assert desk.run("escalate", "--dry-run", "--format", "json").stdout.strip() == "[]"
    assert len(notices(smtp, 2)) == 2


def test_escalate_says_when_it_is_off(tmp_path: Path, smtp: SmtpServer) -> None:
    desk = MailDesk(tmp_path, smtp, goals={"first_response": "1h"})
    result = desk.run("escalate")
    assert result.exit_code == 2
    assert "escalation: off" in result.stderr


def test_the_report_lists_what_falls_due_within_the_hour(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = make_desk(tmp_path, smtp, to=LEAD)
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-03T04:00:00Z")  # Tue 06:00 local
    desk.deliver(
        # missed on Monday at 11:00: overdue, not "due"
        eml("<m@kund.ee>", subject="Vana"),
        # 30 minutes on Monday, 30 on Tuesday: due 09:30
        eml("<a@kund.ee>", subject="Arve", date="Mon, 02 Mar 2026 16:30:00 +0200"),
        # at night: due at 10:00, the first business hour's end
        eml("<b@kund.ee>", subject="Öine", date="Tue, 03 Mar 2026 05:00:00 +0200"),
    )
    # The morning report, made at 08:00 before opening: the first hour's goals.
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-03T06:00:00Z")
    page = desk.run("report", "--html", "-")
    assert page.exit_code == 0, page.stderr
    assert "Due within the hour (2)" in page.stdout
    assert "#2</b> Arve" in page.stdout
    assert "#3</b> Öine" in page.stdout
    assert page.stdout.index("#2</b> Arve") < page.stdout.index("#3</b> Öine")
    mailed = desk.run("report", "--mail", "--to", LEAD)
    assert mailed.exit_code == 0, mailed.stderr
    [got] = smtp.wait_for(1)
    plain = got.message.get_body(preferencelist=("plain",)).get_content()
    due = plain.split("Due within the hour (2)")[1].split("The pool")[0]
    assert "#2  first response due 2026-03-03 09:30" in due
    assert "#3  first response due 2026-03-03 10:00" in due
    assert "Vana" not in due
    estonian = desk.run("report", "--html", "-", "--lang", "et")
    assert "Tähtaeg saabub tunni jooksul (2)" in estonian.stdout
    assert "esmane vastus hiljemalt" in estonian.stdout


def test_an_assignee_without_an_address_is_escalated_to_the_lead(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = make_desk(tmp_path, smtp, to="lead")
    assert desk.run("agents", "add", "mati").exit_code == 0  # no address
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T08:10:00Z")
    desk.deliver(eml("<q1@kund.ee>"), eml("<q2@kund.ee>", subject="Teine"))
    assert desk.run("assign", "1", "mati").exit_code == 0
    assert desk.run("assign", "2", "anna").exit_code == 0
    sync_at(desk, "2026-03-02T08:50:00Z", monkeypatch)
    got = notices(smtp, 2)
    assert sorted(g.rcpt_tos for g in got) == [(ANNA,), (LEAD,)]


def test_nobody_to_tell_is_silent(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = make_desk(tmp_path, smtp, to="nosuchlogin")
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T08:10:00Z")
    desk.deliver(eml("<q1@kund.ee>"))
    sync_at(desk, "2026-03-02T09:30:00Z", monkeypatch)  # missed, in the pool
    assert notices(smtp, 0) == []
    assert desk.outbox("--all") == []


def test_an_answer_before_the_deadline_ends_the_first_response_clock(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = make_desk(tmp_path, smtp, to=LEAD)
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T08:10:00Z")
    desk.deliver(eml("<q1@kund.ee>"))
    assert desk.run("assign", "1", "anna").exit_code == 0
    sync_at(desk, "2026-03-02T08:50:00Z", monkeypatch)
    [warning] = notices(smtp, 1)
    assert warning.rcpt_tos == (ANNA,)
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T08:55:00Z")
    answered = desk.run("reply", "1", "--message", "Vaatame üle.", "--as", "anna")
    assert answered.exit_code == 0, answered.stderr
    for moment in ("09:05", "09:30", "12:00"):
        sync_at(desk, f"2026-03-02T{moment}:00Z", monkeypatch)
    got = notices(smtp, 2)
    assert [g.rcpt_tos for g in got] == [(ANNA,), ("mari@kund.ee",)]  # the reply

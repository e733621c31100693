"""Replaying a morning means that morning: `stats`, `report` and the HTML
report with ``TICKETCLI_NOW`` at a past moment T equal what they said at T,
on the store that then held only that past -- though mail, closes and
assignments came after.

The desk (Tallinn, Estonian holidays, goals): mail of Mon 2 - Wed 4 March
2026 is synced at T = Wed 4 March 09:00 UTC and the report saved. Then,
later: new mail (a new ticket, a customer reopening a closed ticket, a
reply), a close, an assignment, a due date, work logged, an absence.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import Desk, eml
from ticketcli.clock import now
from ticketcli.config import load_config
from ticketcli.reports.morning import report_model
from ticketcli.store.db import connect
from ticketcli.store.models import Ticket, bind_models
from ticketcli.store.replay import as_of

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import GenMailbox

T = "2026-03-04T09:00:00Z"
STAFF = "acme-help.example"


def mail(mid: str, date: str, **fields: str) -> bytes:
    return eml(f"<{mid}>", date=date, **fields)


def reply(mid: str, to_mid: str, date: str, sender: str = f"kadri@{STAFF}") -> bytes:
    return eml(
        f"<{mid}>",
        sender=sender,
        subject="Re: Printer on katki",
        date=date,
        to="mari@kund.ee",
        extra=f"In-Reply-To: <{to_mid}>\r\nCc: support@{STAFF}\r\n",
    )


class Replayed(Desk):
    def at(self, moment: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TICKETCLI_NOW", moment)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == 0, (args, result.stderr)
        return result.stdout

    def outputs(self) -> dict[str, Any]:
        """Everything the lead reads in a morning, as text or json."""
        out: dict[str, Any] = {
            "report": json.loads(
                self.ok("report", "--assignee", "*", "--format", "json")
            ),
            "pool": json.loads(
                self.ok("report", "--assignee", "none", "--format", "json")
            ),
            "overdue": self.ok("report", "--overdue"),
            "html": self.ok("report", "--html", "-", "--period", "week"),
            "model": self.model(),
        }
        for view in (
            (),
            ("--by", "assignee"),
            ("--by", "customer"),
            ("--workload",),
            ("--work-time", "customer"),
            ("--load",),
            ("--trend", "2"),
        ):
            out[" ".join(("stats", *view))] = json.loads(
                self.ok("stats", *view, "--format", "json")
            )
        return out

    def model(self) -> dict[str, Any]:
        """The HTML report's model, as `report --html` builds it."""
        db = connect(self.db)
        try:
            with bind_models(db), as_of(now()):
                return report_model(load_config(str(self.config)), now(), "week")
        finally:
            db.close()


@pytest.fixture
def desk(tmp_path: Path) -> Replayed:
    return Replayed(
        tmp_path,
        hours={"timezone": "Europe/Tallinn", "country": "EE"},
        goals={"first_response": "4h", "resolution": "1d"},
        assign_on_reply=True,
    )


def test_a_replay_at_t_equals_the_report_made_at_t(
    desk: Replayed, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.at("2026-03-03T08:00:00Z", monkeypatch)
    desk.deliver(
        mail("a@kund.ee", "Mon, 02 Mar 2026 09:00:00 +0200"),
        reply("r1@acme", "a@kund.ee", "Mon, 02 Mar 2026 11:00:00 +0200"),
        mail(
            "b@firma.ee",
            "Mon, 02 Mar 2026 13:00:00 +0200",
            sender="jaan@firma.ee",
            subject="Arve",
        ),
        mail(
            "c@firma.ee",
            "Tue, 03 Mar 2026 09:30:00 +0200",
            sender="liis@firma.ee",
            subject="Tellimus",
        ),
    )
    desk.ok("agents", "add", "anna", "--email", f"anna@{STAFF}")
    desk.at("2026-03-03T12:00:00Z", monkeypatch)
    desk.ok("close", "1", "--as", "kadri")
    desk.ok("time", "1", "1h30m", "--as", "kadri")
    desk.at(T, monkeypatch)
    desk.deliver(mail("d@kund.ee", "Wed, 04 Mar 2026 10:30:00 +0200", subject="Uus"))
    then = desk.outputs()
    assert then["report"], "the morning lists tickets"

    # --- later -------------------------------------------------------------
    desk.at("2026-03-04T14:00:00Z", monkeypatch)
    desk.deliver(
        # a new ticket, the customer reopening #1, kadri answering #2
        mail("e@kund.ee", "Wed, 04 Mar 2026 12:00:00 +0200", subject="Teine"),
        eml(
            "<a2@kund.ee>",
            subject="Re: Printer on katki",
            date="Wed, 04 Mar 2026 12:30:00 +0200",
            extra="In-Reply-To: <r1@acme>\r\n",
            body="Printer on jälle katki.",
        ),
        reply("r2@acme", "b@firma.ee", "Wed, 04 Mar 2026 13:00:00 +0200"),
    )
    desk.at("2026-03-05T08:00:00Z", monkeypatch)
    desk.ok("assign", "3", "anna", "--as", "lead")
    desk.ok("close", "2", "--as", "kadri")
    desk.ok("set", "4", "--due", "2026-03-04", "--as", "lead")
    desk.ok("time", "3", "45m", "--as", "anna")
    desk.ok("agents", "away", "anna", "--from", "2026-03-06")
    later = desk.outputs()
    # Every view changed since T (else the replay would prove nothing) ...
    for name in ("report", "pool", "html", "model", "stats", "stats --workload"):
        assert later[name] != then[name], name
    assert {t["number"] for t in later["report"]} == {1, 3, 4, 5}
    assert {t["number"] for t in then["report"]} == {2, 3, 4}

    # --- the replay ----------------------------------------------------------
    desk.at(T, monkeypatch)
    again = desk.outputs()
    for name, value in then.items():  # ... and the replay is T's, every one
        assert again[name] == value, name


@pytest.mark.slow
def test_a_replay_of_a_generated_mailbox_equals_its_morning(
    gen_mailbox: GenMailbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, truth = gen_mailbox(conversations=60, seed=11)
    desk = Replayed(
        tmp_path,
        support_addresses=[truth["support_address"]],
        staff_domains=truth["staff_domains"],
        hours={"timezone": "Europe/Tallinn", "country": "EE"},
        goals={"first_response": "2h", "resolution": "3d"},
    )
    dated = sorted((m["date"], m["file"]) for m in truth["messages"] if m["date"])
    moment = dated[len(dated) * 2 // 3][0]  # T: two thirds into the mailbox
    # What had arrived by T: mail dated up to T, T included.
    early = [name for date, name in dated if date <= moment]
    rest = [name for date, name in dated if date > moment]
    undated = [m["file"] for m in truth["messages"] if not m["date"]]

    def sync(names: list[str]) -> None:
        for name in names:
            shutil.copy(folder / name, desk.inbox / name)
        desk.ok("sync", "--source", str(desk.inbox))

    desk.at(moment, monkeypatch)
    sync(early)
    active = [
        t["number"]
        for t in json.loads(desk.ok("report", "--assignee", "*", "--format", "json"))
    ]
    desk.ok("close", *map(str, active[:3]), "--as", "lead")
    then = desk.outputs()

    desk.at(dated[-1][0], monkeypatch)
    sync(rest + undated)
    logins = [
        a["login"] for a in json.loads(desk.ok("agents", "list", "--format", "json"))
    ]
    still = [
        t["number"]
        for t in json.loads(desk.ok("report", "--assignee", "*", "--format", "json"))
    ]
    desk.ok("close", *map(str, still[:5]), "--as", "lead")
    desk.ok("assign", *map(str, still[5:10]), logins[0], "--as", "lead")
    later = desk.outputs()
    assert later["report"] != then["report"]
    assert later["stats"] != then["stats"]

    desk.at(moment, monkeypatch)
    again = desk.outputs()
    for name, value in then.items():
        assert again[name] == value, name


def test_as_of_leaves_the_store_alone_unless_it_holds_a_later_past(
    desk: Replayed, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.deliver(mail("a@kund.ee", "Mon, 02 Mar 2026 09:00:00 +0200"))
    db = connect(desk.db)
    try:
        with bind_models(db):
            monkeypatch.delenv("TICKETCLI_NOW", raising=False)
            with as_of(datetime(2026, 3, 1)) as replaying:  # the clock runs free
                assert not replaying
            monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T08:00:00Z")
            with as_of(datetime(2026, 3, 2, 8)) as replaying:  # nothing later
                assert not replaying
            monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T06:00:00Z")
            with as_of(datetime(2026, 3, 2, 6)) as replaying:
                assert replaying
                assert Ticket.select().count() == 0  # the mail came at 07:00 UTC
            assert Ticket.select().count() == 1  # and the real store is back
    finally:
        db.close()

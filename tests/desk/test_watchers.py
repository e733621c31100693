"""Watchers: `watch N LOGIN` makes LOGIN get the notice the assignee gets
when the customer writes ([notifications] agent_on_customer_mail), with the
same rules: once each, never to the sender, never for staff mail, and an
agent's answer to the notice notifies nobody (no loop)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.cli.test_tags import refused
from tests.helpers import SUPPORT, MailDesk, eml

if TYPE_CHECKING:
    from pathlib import Path

    from tests.servers.smtp import SmtpServer

KADRI, JAAN, ANU = (f"{x}@acme-help.example" for x in ("kadri", "jaan", "anu"))
NOW = "2026-03-02T10:30:00Z"


@pytest.fixture
def desk(tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> MailDesk:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)
    desk = MailDesk(
        tmp_path,
        smtp,
        acknowledgement={"enabled": False},
        notifications={"agent_on_customer_mail": True},
    )
    for login, address in (("kadri", KADRI), ("jaan", JAAN), ("anu", ANU)):
        assert desk.run("agents", "add", login, "--email", address).exit_code == 0
    desk.deliver(eml("<q1@kund.ee>"))
    assert desk.run("assign", "1", "kadri").exit_code == 0
    return desk


def customer_again(desk: MailDesk, n: int) -> None:
    desk.deliver(
        eml(
            f"<q{n}@kund.ee>",
            subject="Re: Printer on katki",
            date=f"Mon, 02 Mar 2026 1{n}:00:00 +0200",
            extra="In-Reply-To: <q1@kund.ee>\r\n",
        )
    )


def test_assignee_and_watchers_are_told_once_each(
    desk: MailDesk, smtp: SmtpServer
) -> None:
    assert desk.run("watch", "1", "jaan").exit_code == 0
    assert desk.run("watch", "1", "kadri").exit_code == 0  # the assignee: once
    assert json.loads(desk.run("show", "1", "--format", "json").stdout)["watchers"] == [
        "jaan",
        "kadri",
    ]
    customer_again(desk, 2)
    received = smtp.wait_for(2)
    assert sorted(r.rcpt_tos for r in received) == [(JAAN,), (KADRI,)]
    for mail in received:
        message = mail.message
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Subject"].startswith("Customer wrote:")
        assert "[ACME #1]" in message["Subject"]
    # Staff mail notifies nobody; nor does the watcher's answer to a notice.
    smtp.reset()
    desk.deliver(
        eml(
            "<s1@acme-help.example>",
            sender=JAAN,
            to=SUPPORT,
            subject="Re: Customer wrote: Printer on katki [ACME #1]",
            date="Mon, 02 Mar 2026 12:30:00 +0200",
        )
    )
    assert smtp.wait_for(1, timeout=0.5) == []
    assert desk.run("unwatch", "1", "jaan").exit_code == 0
    customer_again(desk, 3)
    assert [r.rcpt_tos for r in smtp.wait_for(1)] == [(KADRI,)]


def test_watch_no_ops_and_refusals(desk: MailDesk) -> None:
    desk.run("watch", "1", "anu")
    again = desk.run("watch", "1", "anu")
    assert (again.exit_code, again.stderr) == (0, "anu is already watching #1\n")
    gone = desk.run("unwatch", "1", "jaan")
    assert (gone.exit_code, gone.stderr) == (0, "jaan is not watching #1\n")
    refused(desk, "watch", "1", "ghost", says="agent 'ghost' does not exist")
    refused(desk, "watch", "99", "anu", says="ticket #99 does not exist")
    refused(desk, "unwatch", "99", "anu", says="ticket #99 does not exist")
    refused(desk, "watch", "x", "anu", says="not a valid integer")
    desk.run("agents", "deactivate", "jaan")
    refused(desk, "watch", "1", "jaan", says="agent jaan is inactive")

"""Queues and auto-assignment through the CLI: new tickets from a source join
its queue and go to an agent by the queue's mode, never to one who is away."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import SUPPORT, Desk, eml

if TYPE_CHECKING:
    from pathlib import Path

NOW = "2026-03-02T12:00:00Z"
TEAM = ("anu", "jaan", "kati")


class QueueDesk(Desk):
    """A desk whose one configured source ("inbox") feeds a queue."""

    def __init__(
        self,
        tmp: Path,
        monkeypatch: pytest.MonkeyPatch,
        queues: list[dict[str, Any]],
        source_queue: str | None = "support",
        team: tuple[str, ...] = TEAM,
        mailbox: Path | None = None,
        now: str = NOW,
        db: str | None = None,
        **config: Any,
    ) -> None:
        """``mailbox``: a second source, read first (a generated mailbox);
        ``db``: another store than an SQLite file (PostgreSQL)."""
        paths = {"mailbox": mailbox, "inbox": tmp / "inbox"}
        sources = [
            {"type": "emldir", "name": name, "path": str(path)}
            | ({"queue": source_queue} if source_queue else {})
            for name, path in paths.items()
            if path is not None
        ]
        super().__init__(tmp, queues=queues, sources=sources, **config)
        self.db = db or self.db
        self.monkeypatch = monkeypatch
        self.clock(now)
        for login in team:
            self.ok("agents", "add", login, "--email", f"{login}@acme-help.example")

    def clock(self, moment: str) -> None:
        self.monkeypatch.setenv("TICKETCLI_NOW", moment)

    def ok(self, *args: str) -> Any:
        result = self.run(*args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--format", "json").stdout)

    def mail(self, *mails: bytes) -> None:
        """Deliver into the configured source and run sync as cron does."""
        for data in mails:
            self.count += 1
            (self.inbox / f"{self.count:05d}.eml").write_bytes(data)
        result = self.run("sync")
        assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")

    def new_tickets(self, count: int) -> list[int]:
        before = {t["number"] for t in self.export()}
        self.mail(
            *(
                eml(
                    f"<n{self.count + i}@kund.ee>",
                    sender=f"klient{self.count + i}@kund{self.count + i}.ee",
                    subject=f"Probleem {self.count + i}",
                )
                for i in range(count)
            )
        )
        return sorted({t["number"] for t in self.export()} - before)

    def assignees(self, numbers: list[int]) -> list[str | None]:
        by_number = {t["number"]: t for t in self.export()}
        return [by_number[n]["assignee"] for n in numbers]

    def events(self, number: int) -> list[tuple[str, str, str]]:
        return [
            (e["kind"], e["actor"], e["detail"])
            for e in self.json("show", str(number))["events"]
            if e["kind"] in ("assigned", "unassigned")
        ]


def queue(mode: str, **keys: Any) -> list[dict[str, Any]]:
    return [{"name": "support", "assign_mode": mode, **keys}]


def test_round_robin_goes_around_the_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = QueueDesk(tmp_path, monkeypatch, queue("round-robin", agents=list(TEAM)))
    numbers = desk.new_tickets(4)
    assert desk.assignees(numbers) == ["anu", "jaan", "kati", "anu"]
    # The rotation is remembered between runs.
    assert desk.assignees(desk.new_tickets(1)) == ["jaan"]
    ticket = desk.json("show", str(numbers[0]))
    assert ticket["queue"] == "support"
    assert ticket["status"] == "open"
    assert desk.events(numbers[0]) == [
        ("assigned", "ticketcli", "anu (round-robin, queue support)")
    ]


def test_round_robin_skips_the_absent_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = QueueDesk(tmp_path, monkeypatch, queue("round-robin", agents=list(TEAM)))
    desk.ok("agents", "away", "jaan", "--until", "2026-03-05")
    assert desk.assignees(desk.new_tickets(4)) == ["anu", "kati", "anu", "kati"]
    # Back (the absence ended by the clock): jaan is in the rotation again.
    desk.clock("2026-03-06T08:00:00Z")
    assert desk.assignees(desk.new_tickets(3)) == ["anu", "jaan", "kati"]


def test_least_open_fills_the_lightest_load_and_skips_the_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = QueueDesk(tmp_path, monkeypatch, queue("least-open"))
    # Every active agent is in a queue that names none; loads 0, 0, 0.
    first = desk.new_tickets(3)
    assert desk.assignees(first) == ["anu", "jaan", "kati"]
    desk.ok("close", str(first[1]))  # jaan carries 0 now, the others 1
    assert desk.assignees(desk.new_tickets(1)) == ["jaan"]
    # kati has the lightest load after closing two, but is away.
    desk.ok("close", str(first[2]))
    desk.ok("agents", "away", "kati", "--note", "ill")
    assert desk.assignees(desk.new_tickets(2)) == ["anu", "jaan"]
    assert {a["login"]: a["open_tickets"] for a in desk.json("agents", "list")} == {
        "anu": 2,
        "jaan": 2,
        "kati": 0,
    }


def test_inactive_agents_and_agents_outside_the_queue_get_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = QueueDesk(
        tmp_path, monkeypatch, queue("round-robin", agents=["anu", "kati"])
    )
    desk.ok("agents", "deactivate", "kati")
    assert desk.assignees(desk.new_tickets(3)) == ["anu", "anu", "anu"]


def test_nobody_present_leaves_the_ticket_in_the_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = QueueDesk(tmp_path, monkeypatch, queue("least-open", agents=["anu"]))
    desk.ok("agents", "away", "anu")
    [number] = desk.new_tickets(1)
    assert desk.assignees([number]) == [None]
    assert desk.json("show", str(number))["status"] == "new"


def test_mode_none_and_first_responder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queues = [
        {"name": "support", "assign_mode": "first-responder"},
        {"name": "sales", "assign_mode": "none"},
    ]
    desk = QueueDesk(tmp_path, monkeypatch, queues, assign_on_reply=False)
    [number] = desk.new_tickets(1)
    assert desk.assignees([number]) == [None]  # first-responder: nobody yet
    reply = eml(
        "<r1@acme-help.example>",
        sender="kati@acme-help.example",
        subject=f"Re: [Ticket #{number}] Probleem",
        to=f"klient0@kund0.ee, {SUPPORT}",
        date="Mon, 02 Mar 2026 11:00:00 +0000",
    )
    desk.mail(reply)
    # assign_on_reply is off, but this queue's mode is first-responder.
    assert desk.assignees([number]) == ["kati"]
    assert desk.events(number) == [("assigned", "kati", "kati (first reply)")]


def test_first_reply_never_assigns_an_agent_who_is_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = QueueDesk(tmp_path, monkeypatch, queue("first-responder"))
    [number] = desk.new_tickets(1)
    desk.ok("agents", "away", "kati")
    desk.mail(
        eml(
            "<r2@acme-help.example>",
            sender="kati@acme-help.example",
            subject=f"Re: [Ticket #{number}] Probleem",
            to=f"klient0@kund0.ee, {SUPPORT}",
        )
    )
    assert desk.assignees([number]) == [None]


def test_staff_opened_tickets_belong_to_their_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = QueueDesk(tmp_path, monkeypatch, queue("round-robin"))
    desk.mail(
        eml(
            "<s1@acme-help.example>",
            sender="kati@acme-help.example",
            to="mari@kund.ee",
            extra=f"Cc: {SUPPORT}\r\n",
        )
    )
    [ticket] = desk.export()
    assert ticket["assignee"] == "kati"
    assert desk.json("show", str(ticket["number"]))["queue"] == "support"


@pytest.mark.parametrize(
    ("queues", "expected"),
    [
        ([{"name": "default", "assign_mode": "round-robin"}], ("default", "anu")),
        ([{"name": "other", "assign_mode": "round-robin"}], (None, None)),
    ],
)
def test_a_source_without_a_queue_joins_the_default_queue(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    queues: list[dict[str, Any]],
    expected: tuple[str | None, str | None],
) -> None:
    desk = QueueDesk(tmp_path, monkeypatch, queues, source_queue=None)
    [number] = desk.new_tickets(1)
    ticket = desk.json("show", str(number))
    assert (ticket["queue"], ticket["assignee"]) == expected


def test_without_queues_nothing_is_assigned_at_creation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = QueueDesk(tmp_path, monkeypatch, [], source_queue=None)
    [number] = desk.new_tickets(1)
    ticket = desk.json("show", str(number))
    assert (ticket["queue"], ticket["assignee"], ticket["status"]) == (
        None,
        None,
        "new",
    )


@pytest.mark.smtp
def test_auto_assignment_and_reassignment_notify_the_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: Any
) -> None:
    desk = QueueDesk(
        tmp_path,
        monkeypatch,
        queue("round-robin", agents=["anu", "jaan"], on_absence="reassign"),
        smtp=smtp.table(**{"from": SUPPORT}),
        notifications={"agent_on_assign": True},
    )
    [number] = desk.new_tickets(1)
    [notice] = smtp.wait_for(1)
    assert notice.rcpt_tos == ("anu@acme-help.example",)
    assert str(notice.message["Subject"]).startswith("Assigned to you: Probleem")
    assert f"[Ticket #{number}]" in notice.message.get_content()
    desk.ok("agents", "away", "anu", "--as", "lead")
    _, moved = smtp.wait_for(2)
    assert moved.rcpt_tos == ("jaan@acme-help.example",)
    assert desk.assignees([number]) == ["jaan"]


def test_an_agent_auto_assignment_cannot_tell_is_a_line_from_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notices are on but cannot go (no [smtp] host): the ticket is still
    given out, and sync says once who was not told, as `assign` would."""
    desk = QueueDesk(
        tmp_path,
        monkeypatch,
        queue("round-robin", agents=["anu"]),
        notifications={"agent_on_assign": True},
    )
    for n in range(2):
        desk.count += 1
        (desk.inbox / f"{desk.count:05d}.eml").write_bytes(
            eml(f"<w{n}@kund.ee>", subject=f"Probleem {n}")
        )
    result = desk.run("sync")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "ticketcli: no [smtp] host configured; anu not notified\n"
    assert desk.assignees([1, 2]) == ["anu", "anu"]


def test_set_queue_moves_a_ticket_between_queues_not_owners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queues = [*queue("round-robin", agents=["anu"]), {"name": "billing"}]
    desk = QueueDesk(tmp_path, monkeypatch, queues)
    [number] = desk.new_tickets(1)
    desk.ok("set", str(number), "--queue", "billing", "--as", "anu")
    ticket = desk.json("show", str(number))
    assert (ticket["queue"], ticket["assignee"]) == ("billing", "anu")
    kinds = [(e["kind"], e["detail"]) for e in ticket["events"]]
    assert ("queue", "billing") in kinds
    desk.ok("set", str(number), "--queue", "none", "--as", "anu")
    assert desk.json("show", str(number))["queue"] is None

    wrong = desk.run("set", str(number), "--queue", "sales", "--as", "anu")
    assert wrong.exit_code == 2
    assert wrong.stderr.strip().splitlines() == [
        "Error: --queue: 'sales' is not one of support, billing ([[queues]]), or none"
    ]

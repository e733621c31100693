"""Agents away, through the CLI on a store synced from a generated mailbox:
under each queue policy an absent agent's open and reopened tickets end up
where the policy says, new mail during the absence follows it, and the
absence ends by the clock."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from tests.cli.test_autoassign import QueueDesk, queue
from tests.helpers import eml
from ticketcli.desk.absence import absence_rows
from ticketcli.store.absences import at_risk_tickets

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import GenMailbox

NOW = "2026-03-01T09:00:00Z"  # the generated mailbox ends in February


class AbsenceDesk(QueueDesk):
    """A generated mailbox synced into one queue with an ``on_absence`` policy;
    ``owner`` is the agent with the most open tickets, two of them closed and
    one of those reopened by its customer before anyone goes away."""

    def __init__(
        self,
        tmp: Path,
        monkeypatch: pytest.MonkeyPatch,
        gen_mailbox: GenMailbox,
        on_absence: str,
        assign_mode: str = "none",
    ) -> None:
        mailbox, truth = gen_mailbox(conversations=30, seed=5)
        super().__init__(
            tmp,
            monkeypatch,
            queue(assign_mode, on_absence=on_absence),
            team=(),
            mailbox=mailbox,
            now=NOW,
            support_addresses=[truth["support_address"]],
            staff_domains=truth["staff_domains"],
        )
        self.mail()
        agents = self.json("agents", "list")
        self.emails = {a["login"]: a["emails"][0] for a in agents}
        self.owner = max(agents, key=lambda a: (a["open_tickets"], a["login"]))["login"]
        mine = self.numbers("--assignee", self.owner)
        assert len(mine) >= 5
        # reopened: closed, then the customer wrote again (REOPENED, same owner).
        self.reopened, self.closed = mine[0], mine[1]
        self.ok("close", str(self.reopened), str(self.closed), "--as", "lead")
        self.mail(self.follow_up(self.reopened, "Sun, 01 Mar 2026 08:30:00 +0000"))
        row = self.row(self.reopened)
        assert (row["assignee"], row["reopened"]) == (self.owner, True)
        self.open = [n for n in mine if n != self.closed]  # reopened included

    # -- reading ---------------------------------------------------------

    def rows(self, *args: str) -> list[dict[str, Any]]:
        """The report's rows, each with ``away_owner``: the login its
        AWAY:login mark names in the table people read, or None."""
        rows = self.json("report", *args)
        marks = {}
        for line in self.ok("report", *args).stdout.splitlines()[2:]:
            mark = re.search(r"\bAWAY:(\S+)", line)
            marks[int(line.split()[0])] = mark.group(1) if mark else None
        assert sorted(marks) == sorted(r["number"] for r in rows)
        return [{**r, "away_owner": marks[r["number"]]} for r in rows]

    def numbers(self, *args: str) -> list[int]:
        return sorted(r["number"] for r in self.rows(*args))

    def row(self, number: int) -> dict[str, Any]:
        [row] = [r for r in self.rows("--assignee", "*") if r["number"] == number]
        return row

    def away(self) -> set[str]:
        return {a["login"] for a in self.json("agents", "list") if a.get("away")}

    def loads(self) -> dict[str, int]:
        return {a["login"]: a["open_tickets"] for a in self.json("agents", "list")}

    # -- mail ------------------------------------------------------------

    def follow_up(self, number: int, date: str, body: str = "Ikka ei tööta.") -> bytes:
        """The ticket's customer writes again, naming the ticket."""
        ticket = self.json("show", str(number))
        self.count += 1
        return eml(
            f"<followup{self.count}@customer.example>",
            sender=ticket["requester"],
            subject=f"Re: [Ticket #{number}] {ticket['subject']}",
            body=body,
            date=date,
        )

    def answer(self, number: int, login: str, date: str) -> bytes:
        """Staff answer from their own mail client, support in Cc."""
        ticket = self.json("show", str(number))
        self.count += 1
        return eml(
            f"<answer{self.count}@helpdesk.example>",
            sender=self.emails[login],
            to=ticket["requester"],
            subject=f"Re: [Ticket #{number}] {ticket['subject']}",
            body="Vaatame üle.",
            date=date,
            extra="Cc: support@helpdesk.example\r\n",
        )

    def check_invariant(self) -> None:
        """Under pool/reassign: no active ticket is left with an absent
        owner, and every ticket held for someone is marked with their name
        (and they are away)."""
        away = self.away()
        for row in self.rows("--assignee", "*"):
            assert row["assignee"] not in away, row
            owner = row["away_owner"]
            if owner is not None:
                assert row["assignee"] is None, row
                assert owner in away, row


# --- pool -----------------------------------------------------------------


def test_pool_holds_the_tickets_for_the_owner_until_they_are_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gen_mailbox: GenMailbox
) -> None:
    desk = AbsenceDesk(tmp_path, monkeypatch, gen_mailbox, "pool")
    owner = desk.owner
    said = desk.ok(
        "agents",
        "away",
        owner,
        "--until",
        "2026-03-05",
        "--note",
        "puhkus",
        "--as",
        "lead",
    )
    assert said.stdout == (
        f"{owner} is away, back 2026-03-06 00:00 Europe/Tallinn:"
        f" {len(desk.open)} ticket(s) to the pool, 0 reassigned, 0 kept\n"
    )
    pool = {r["number"]: r for r in desk.rows("--assignee", "none")}
    for number in desk.open:
        assert pool[number]["away_owner"] == owner
    assert pool[desk.reopened]["reopened"]  # the mark waits for whoever takes it
    assert desk.numbers("--assignee", owner) == []
    assert desk.events(desk.open[-1])[-1] == (
        "unassigned",
        "lead",
        f"{owner} away until 2026-03-05T22:00Z; held for {owner} (queue support: pool)",
    )
    shown = desk.ok("show", str(desk.open[-1])).stdout
    assert f"held in the pool for {owner}" in shown
    [me] = [a for a in desk.json("agents", "list") if a["login"] == owner]
    assert (me["away"], me["away_until"], me["away_note"]) == (
        True,
        "2026-03-05T22:00:00Z",  # --until is read on the Tallinn clock
        "puhkus",
    )
    desk.check_invariant()

    # During the absence the customer of a closed ticket writes: at this
    # sync it reopens, and goes to the pool held for the owner.
    desk.clock("2026-03-02T09:00:00Z")
    desk.mail(desk.follow_up(desk.closed, "Mon, 02 Mar 2026 08:00:00 +0000"))
    row = desk.row(desk.closed)
    assert (row["assignee"], row["away_owner"], row["reopened"]) == (None, owner, True)
    desk.check_invariant()

    # A colleague takes one of them meanwhile: it stays theirs.
    colleague = sorted(set(desk.emails) - {owner})[0]
    taken = desk.open[-1]
    assert taken != desk.reopened
    desk.ok("take", str(taken), "--as", colleague)
    assert desk.row(taken)["away_owner"] is None

    # The absence ends at --until with nobody acting: the clock alone says
    # they are back, and the next cron sync returns what was held for them.
    desk.clock("2026-03-05T22:00:00Z")
    assert owner not in desk.away()
    desk.mail()
    returned = sorted({*desk.open, desk.closed} - {taken})
    assert desk.numbers("--assignee", owner) == returned
    assert desk.row(taken)["assignee"] == colleague
    assert all(r["away_owner"] is None for r in desk.rows("--assignee", "*"))
    assert desk.events(returned[0])[-1] == (
        "assigned",
        "ticketcli",
        f"{owner} (back; held in the pool for them)",
    )
    assert desk.row(desk.reopened)["reopened"]  # nobody has acted on it yet


# --- reassign -------------------------------------------------------------


def _least_open(loads: dict[str, int], numbers: list[int]) -> dict[int, str]:
    """What least-open gives each ticket, in number order (ties: login)."""
    loads = dict(loads)
    chosen = {}
    for number in numbers:
        login = min(loads, key=lambda x: (loads[x], x))
        chosen[number] = login
        loads[login] += 1
    return chosen


def test_reassign_spreads_the_tickets_among_present_colleagues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gen_mailbox: GenMailbox
) -> None:
    desk = AbsenceDesk(tmp_path, monkeypatch, gen_mailbox, "reassign")
    owner = desk.owner
    # Someone else is away too: they get nothing (and their own tickets
    # went to the others when they left).
    other = sorted(set(desk.emails) - {owner})[-1]
    desk.ok("agents", "away", other)
    loads = desk.loads()
    present = {k: v for k, v in loads.items() if k not in (owner, other)}
    expected = _least_open(present, desk.open)
    said = desk.ok("agents", "away", owner, "--until", "2026-03-05", "--as", "lead")
    assert f"0 ticket(s) to the pool, {len(desk.open)} reassigned" in said.stdout
    for number in desk.open:
        assert desk.row(number)["assignee"] == expected[number]
        assert desk.events(number)[-1] == (
            "assigned",
            "lead",
            f"{expected[number]} ({owner} away until 2026-03-05T22:00Z;"
            " queue support: reassign, least-open)",
        )
    assert desk.row(desk.reopened)["reopened"]
    desk.check_invariant()

    # New mail during the absence: the reopened ticket goes to someone present.
    desk.clock("2026-03-02T09:00:00Z")
    desk.mail(desk.follow_up(desk.closed, "Mon, 02 Mar 2026 08:00:00 +0000"))
    row = desk.row(desk.closed)
    assert row["assignee"] in present
    assert row["reopened"]
    desk.check_invariant()

    # A colleague answers one of them; then the owner is back.
    answered = desk.open[0]
    helper = expected[answered]
    desk.mail(desk.answer(answered, helper, "Mon, 02 Mar 2026 10:00:00 +0000"))
    desk.clock("2026-03-03T09:00:00Z")
    back = desk.json("agents", "back", owner, "--as", owner)
    outcome = {r["number"]: (r["outcome"], r["assignee"]) for r in back}
    assert outcome[answered] == ("stays", helper)
    [listed] = [r for r in back if r["number"] == answered]
    assert listed["why"] == f"answered by {desk.emails[helper]} on 2026-03-02"
    for number in {*desk.open, desk.closed} - {answered}:
        assert outcome[number] == ("returned", owner)
        assert desk.row(number)["assignee"] == owner
    assert desk.row(answered)["assignee"] == helper
    assert owner not in desk.away()
    desk.check_invariant()


def test_reassign_with_nobody_present_falls_back_to_the_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gen_mailbox: GenMailbox
) -> None:
    desk = AbsenceDesk(tmp_path, monkeypatch, gen_mailbox, "reassign")
    # The others leave first (their tickets go round), the owner last.
    for login in [*sorted(set(desk.emails) - {desk.owner}), desk.owner]:
        desk.ok("agents", "away", login)
    rows = desk.rows("--assignee", "*")
    assert rows
    assert all(r["assignee"] is None for r in rows)
    assert desk.row(desk.open[0])["away_owner"] == desk.owner
    assert "reassign, nobody present" in desk.events(desk.open[0])[-1][2]
    desk.check_invariant()


def test_a_ticket_whose_colleague_left_too_still_returns_to_its_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gen_mailbox: GenMailbox
) -> None:
    desk = AbsenceDesk(tmp_path, monkeypatch, gen_mailbox, "reassign")
    owner = desk.owner
    desk.ok("agents", "away", owner)
    number = desk.open[0]
    assert desk.row(number)["assignee"] != owner
    # Everyone else leaves one by one: the ticket is passed on from one to
    # the next, and waits in the pool for the last one.
    others = sorted(set(desk.emails) - {owner})
    for login in others:
        desk.ok("agents", "away", login)
    assert desk.row(number)["away_owner"] == others[-1]
    assert [e[0] for e in desk.events(number)[-3:]] == [
        "assigned",
        "assigned",
        "unassigned",
    ]
    back = desk.json("agents", "back", owner)
    assert {"number": number, "outcome": "returned", "assignee": owner}.items() <= {
        r["number"]: r for r in back
    }[number].items()
    assert desk.row(number)["assignee"] == owner
    desk.check_invariant()


def _in_store(desk: AbsenceDesk, read: Callable[[datetime], Any]) -> Any:
    """What ``read(now)`` finds in the desk's store (for stats, the report)."""
    from ticketcli.clock import now
    from ticketcli.store.db import connect
    from ticketcli.store.models import bind_models

    db = connect(desk.db)
    try:
        with bind_models(db):
            return read(now())
    finally:
        db.close()


def _absence_rows(desk: AbsenceDesk) -> list[dict[str, Any]]:
    """What the morning report is given about absences, now."""
    return _in_store(desk, absence_rows)


# --- keep -----------------------------------------------------------------


def test_keep_moves_nothing_but_marks_the_tickets_at_risk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gen_mailbox: GenMailbox
) -> None:
    desk = AbsenceDesk(tmp_path, monkeypatch, gen_mailbox, "keep")
    owner = desk.owner
    said = desk.ok("agents", "away", owner, "--until", "2026-03-05")
    assert said.stdout.endswith(f"0 reassigned, {len(desk.open)} kept\n")
    desk.clock("2026-03-02T09:00:00Z")
    desk.mail(desk.follow_up(desk.closed, "Mon, 02 Mar 2026 08:00:00 +0000"))
    mine = {r["number"]: r for r in desk.rows("--assignee", owner)}
    assert sorted(mine) == sorted([*desk.open, desk.closed])
    for row in mine.values():
        assert row["away_owner"] == owner
    assert mine[desk.closed]["reopened"]
    assert f"{owner} is away" in desk.ok("show", str(desk.closed)).stdout

    assert _in_store(desk, at_risk_tickets) == set(mine)
    [row] = _absence_rows(desk)
    assert (row["login"], row["state"], row["kept"], row["pooled"]) == (
        owner,
        "away",
        len(mine),
        0,
    )
    # stats counts them at risk, in the owner's group too; the morning
    # report says who is away and what happened to their tickets.
    [overall] = desk.json("stats", "--period", "week")
    assert overall["at_risk"] == len(mine)
    by_owner = {r["group"]: r for r in desk.json("stats", "--by", "assignee")}
    assert by_owner[owner]["at_risk"] == len(mine)
    assert {r["away_owner"] for r in desk.json("report", "--assignee", owner)} == {
        owner
    }
    html = desk.ok("report", "--html", "-").stdout
    away_section = html[html.index("Who is away") : html.index("The pool")]
    assert f"kept {len(mine)}" in away_section

    desk.clock("2026-03-06T00:00:00Z")
    assert all(r["away_owner"] is None for r in desk.rows("--assignee", owner))


# --- planned absences, and the clock ---------------------------------------


def test_a_planned_absence_starts_and_ends_by_the_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gen_mailbox: GenMailbox
) -> None:
    desk = AbsenceDesk(tmp_path, monkeypatch, gen_mailbox, "pool")
    owner = desk.owner
    said = desk.ok(
        "agents", "away", owner, "--from", "2026-03-03", "--until", "2026-03-04"
    )
    assert said.stdout == (
        f"{owner} will be away from 2026-03-03 00:00 Europe/Tallinn,"
        " back 2026-03-05 00:00 Europe/Tallinn\n"
    )
    assert desk.numbers("--assignee", owner) == desk.open
    [me] = [a for a in desk.json("agents", "list") if a["login"] == owner]
    assert (me["away"], me["away_from"]) == (False, "2026-03-02T22:00:00Z")
    [planned] = _absence_rows(desk)
    # Midnight of the 5th in Tallinn (EET, +02), as the store's naive UTC.
    until = datetime(2026, 3, 4, 22)
    assert (planned["state"], planned["until"]) == ("planned", until)

    # It starts: before any sync the report already names the absent owner;
    # the next cron sync puts their tickets in the pool.
    desk.clock("2026-03-03T07:00:00Z")
    assert owner in desk.away()
    assert all(r["away_owner"] == owner for r in desk.rows("--assignee", owner))
    desk.mail()
    assert desk.numbers("--assignee", owner) == []
    desk.check_invariant()
    assert [
        (r["login"], r["state"], r["pooled"], r["in_pool"], r["kept"])
        for r in _absence_rows(desk)
    ] == [(owner, "away", len(desk.open), len(desk.open), 0)]

    desk.clock("2026-03-05T00:00:00Z")
    assert owner not in desk.away()
    desk.mail()
    assert desk.numbers("--assignee", owner) == desk.open
    desk.check_invariant()


def test_an_absence_nobody_synced_through_moves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gen_mailbox: GenMailbox
) -> None:
    desk = AbsenceDesk(tmp_path, monkeypatch, gen_mailbox, "pool")
    desk.ok(
        "agents", "away", desk.owner, "--from", "2026-03-03", "--until", "2026-03-04"
    )
    desk.clock("2026-03-10T00:00:00Z")
    desk.mail()
    assert desk.numbers("--assignee", desk.owner) == desk.open
    assert desk.owner not in desk.away()


@pytest.mark.parametrize("policy", ["pool", "reassign"])
def test_invariant_holds_after_every_sync(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    gen_mailbox: GenMailbox,
    policy: str,
) -> None:
    """Absences starting and ending at different times, mail arriving in
    between, a colleague taking a ticket: after each sync under pool and
    reassign no active ticket has an absent owner without a pool mark."""
    desk = AbsenceDesk(tmp_path, monkeypatch, gen_mailbox, policy)
    first = desk.owner
    second = next(x for x in sorted(desk.emails) if x != first)
    desk.ok("agents", "away", first, "--until", "2026-03-03T12:00")
    desk.ok("agents", "away", second, "--from", "2026-03-02", "--until", "2026-03-04")
    steps = [
        ("2026-03-01T12:00:00Z", desk.closed, "Sun, 01 Mar 2026 11:00:00 +0000"),
        ("2026-03-02T06:00:00Z", desk.open[1], "Mon, 02 Mar 2026 05:00:00 +0000"),
        ("2026-03-03T13:00:00Z", desk.open[2], "Tue, 03 Mar 2026 12:30:00 +0000"),
        ("2026-03-04T01:00:00Z", None, ""),
        ("2026-03-05T01:00:00Z", None, ""),
    ]
    for moment, number, date in steps:
        desk.clock(moment)
        desk.mail(*([desk.follow_up(number, date)] if number else []))
        desk.check_invariant()
        if moment.startswith("2026-03-02"):
            [held, *_] = desk.numbers("--assignee", "none")
            taker = max(set(desk.emails) - {first, second})
            desk.ok("take", str(held), "--as", taker)
            desk.check_invariant()
    assert desk.away() == set()


# --- the commands' edges ----------------------------------------------------


def test_away_again_changes_the_dates_and_back_cancels_a_planned_absence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gen_mailbox: GenMailbox
) -> None:
    desk = AbsenceDesk(tmp_path, monkeypatch, gen_mailbox, "keep")
    owner = desk.owner
    desk.ok("agents", "away", owner, "--until", "2026-03-05")
    desk.ok("agents", "away", owner, "--until", "2026-03-09")  # extended
    [me] = [a for a in desk.json("agents", "list") if a["login"] == owner]
    assert (me["away_from"], me["away_until"]) == (NOW, "2026-03-09T22:00:00Z")
    back = desk.run("agents", "back", owner)
    assert (back.exit_code, back.stdout) == (
        0,
        "",
    )  # keep: nothing moved, nothing to list
    assert owner not in desk.away()
    again = desk.run("agents", "back", owner)
    assert (again.exit_code, again.stderr) == (0, f"{owner} is not away\n")

    desk.ok("agents", "away", owner, "--from", "2026-04-01", "--until", "2026-04-10")
    cancel = desk.run("agents", "back", owner)
    assert cancel.stderr == (
        f"{owner} was not away; cancelled the absence planned from"
        " 2026-04-01 00:00 Europe/Tallinn\n"
    )
    assert all(a.get("away_from") is None for a in desk.json("agents", "list"))


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("agents", "away", "ghost"), "agent 'ghost' does not exist"),
        (("agents", "away", "{owner}", "--until", "next week"), "--until: 'next week'"),
        (
            ("agents", "away", "{owner}", "--until", "2026-02-01"),
            "--until must be later",
        ),
        (
            (
                "agents",
                "away",
                "{owner}",
                "--from",
                "2026-03-09",
                "--until",
                "2026-03-08",
            ),
            "--until must be later",
        ),
        (("agents", "back", "ghost"), "agent 'ghost' does not exist"),
        (("assign", "{ticket}", "{away}"), "is away until 2026-03-05T22:00Z"),
    ],
)
def test_wrong_arguments_are_one_line_and_change_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    gen_mailbox: GenMailbox,
    args: tuple[str, ...],
    says: str,
) -> None:
    desk = AbsenceDesk(tmp_path, monkeypatch, gen_mailbox, "pool")
    away = sorted(set(desk.emails) - {desk.owner})[0]
    desk.ok("agents", "away", away, "--until", "2026-03-05")
    before = (desk.export(), desk.json("agents", "list"))
    values = {"owner": desk.owner, "ticket": str(desk.open[0]), "away": away}
    result = desk.run(*(a.format(**values) for a in args))
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1
    assert says in result.stderr
    assert (desk.export(), desk.json("agents", "list")) == before

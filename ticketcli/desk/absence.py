"""Agents away: their tickets follow their queue's ``on_absence`` policy.

An absence is a row with the times that were asked for; whether someone is
away is a question about the clock (``starts_at <= now < ends_at``, not
ended by `agents back`), so an absence starts and ends by itself at the
times given, whoever looks. What that does to tickets is applied by
``apply_absences``, which sync (every cron run) and the `agents` commands
call: it is idempotent, and each ticket it moves gets an event with the
actor, the time and the reason.

Policies, per ticket by its queue (see ``queues.ticket_queue``; a ticket in
no queue keeps its owner):

* pool: the ticket goes to the pool, held for its owner (``held_for``), and
  returns to them when they are back, unless someone took it meanwhile;
* reassign: it goes to another present agent of the queue by the queue's
  mode (least-open unless the queue picks round-robin); with nobody
  present, to the pool as above;
* keep: nothing moves; `report` marks the ticket and `stats` counts it at
  risk.

While someone is away every sync applies the policy again, so a ticket a
customer reopens, or one given to them, does not wait either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ticketcli import lazy
from ticketcli.config import ABSENCE_POLICIES
from ticketcli.desk.people import absence_until, find_agent
from ticketcli.desk.queues import QueuePicker, queue_picker, ticket_queue
from ticketcli.errors import UsageError
from ticketcli.rules.assignment import redistribution_mode
from ticketcli.store.absences import current_absence, is_current
from ticketcli.store.models import (
    ACTIVE_STATUSES,
    SYSTEM,
    Absence,
    AbsenceMove,
    Agent,
    AgentAddress,
    Message,
    Ticket,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ticketcli.config import Config
    from ticketcli.desk.tickets import OnAssign, assign
    from ticketcli.store.queries import agent_rows as stored_agent_rows
else:  # to hand a ticket on, and for `agents list`: every sync applies
    # absences, and one that finds no new mail need not load the rest
    assign = lazy.function("ticketcli.desk.tickets:assign")
    stored_agent_rows = lazy.function("ticketcli.store.queries:agent_rows")

# The queue's ``on_absence`` policies, as the config names them.
POOL, REASSIGN, KEEP = ABSENCE_POLICIES
# What an absence did to a ticket (``AbsenceMove.action``).
POOLED = "pooled"
REASSIGNED = "reassigned"


# --- applying ------------------------------------------------------------


def _locked(query: Any) -> Any:
    """``SELECT ... FOR UPDATE`` where the database has row locks (as
    ``tickets.get_ticket``); SQLite's write lock already serialises writers."""
    return query.for_update() if Ticket._meta.database.for_update else query


@dataclass
class Applied:
    """What one run moved, per absent login."""

    pooled: dict[str, int] = field(default_factory=dict)
    reassigned: dict[str, int] = field(default_factory=dict)


def apply_absences(
    now: datetime,
    config: Config,
    actor: str = SYSTEM,
    on_assign: OnAssign | None = None,
) -> Applied:
    """Bring tickets in line with who is away at ``now``; idempotent.

    Absences whose end has come are ended first (their tickets return),
    then every current absence's policy is applied to its owner's active
    tickets. The caller holds the transaction.
    """
    applied = Applied()
    # Locked on PostgreSQL: a sync and `agents back` at the same moment
    # take turns, and the second finds the absence already ended.
    unended = list(_locked(Absence.select().where(Absence.ended_at.is_null())))
    if not unended:
        return applied
    for absence in unended:
        if absence.ends_at is not None and absence.ends_at <= now:
            # Its end came (perhaps with no run during it: nothing moved then).
            end_absence(absence, absence.ends_at, SYSTEM, now, on_assign)
    current = [a for a in unended if is_current(a, now)]
    away = {a.agent_id for a in current}
    for absence in current:
        _sweep(absence, now, config, actor, away, applied, on_assign)
    return applied


def _move(
    ticket: Ticket,
    assignee: int | None,
    held_for: int | None,
    at: datetime,
    actor: str,
    detail: str,
) -> None:
    """Give the ticket to ``assignee`` or the pool, held for ``held_for``.
    Unlike `assign` this is not someone acting on it: a REOPENED mark stays
    for the next one."""
    assign(ticket, assignee, at, actor, detail, acted=False)
    ticket.held_for = held_for
    ticket.save(only=[Ticket.held_for])


def _sweep(
    absence: Absence,
    now: datetime,
    config: Config,
    actor: str,
    away: set[int],
    applied: Applied,
    on_assign: OnAssign | None,
) -> None:
    owner = absence.agent
    tickets = list(
        _locked(
            Ticket.select()
            .where((Ticket.assignee == owner.id) & Ticket.status.in_(ACTIVE_STATUSES))
            .order_by(Ticket.id)
        )
    )
    pickers: dict[str, QueuePicker] = {}
    reason = f"{owner.login} away {absence_until(absence)}"
    for ticket in tickets:
        queue = ticket_queue(config, ticket.queue)
        policy = queue.on_absence if queue is not None else KEEP
        if queue is None or policy == KEEP:
            continue
        chosen = None
        if policy == REASSIGN:
            if queue.name not in pickers:
                mode = redistribution_mode(queue.assign_mode)
                pickers[queue.name] = queue_picker(queue, mode, away)
            chosen = pickers[queue.name].pick()
        if chosen is not None:
            agent_id, login = chosen
            how = pickers[queue.name].mode
            detail = f"{login} ({reason}; queue {queue.name}: reassign, {how})"
            _move(ticket, agent_id, None, now, actor, detail)
            AbsenceMove.create(
                absence=absence,
                ticket=ticket,
                action=REASSIGNED,
                to_agent=agent_id,
                at=now,
            )
            _count(applied.reassigned, owner.login)
            if on_assign is not None:
                on_assign(ticket, Agent.get_by_id(agent_id), actor, now)
            continue
        why = "pool" if policy == POOL else "reassign, nobody present"
        detail = f"{reason}; held for {owner.login} (queue {queue.name}: {why})"
        _move(ticket, None, owner.id, now, actor, detail)
        AbsenceMove.create(absence=absence, ticket=ticket, action=POOLED, at=now)
        _count(applied.pooled, owner.login)


def _count(counts: dict[str, int], login: str) -> None:
    counts[login] = counts.get(login, 0) + 1


def end_absence(
    absence: Absence,
    ended_at: datetime,
    actor: str,
    now: datetime,
    on_assign: OnAssign | None = None,
) -> list[dict[str, Any]]:
    """End it and return what waits for the owner; rows say, per ticket the
    absence moved, whether it came back or stays (and why).

    Back come tickets held in the pool for them, and tickets reassigned to a
    colleague who has not answered since. A ticket someone took from the
    pool, or a colleague answered, stays where it is: it is listed instead.
    """
    absence.ended_at = ended_at
    absence.ended_by = actor
    absence.save()
    owner = absence.agent
    own = {a.address for a in AgentAddress.select().where(AgentAddress.agent == owner)}
    latest: dict[int, AbsenceMove] = {}
    for move in (
        AbsenceMove.select()
        .where(AbsenceMove.absence == absence)
        .order_by(AbsenceMove.id)
    ):
        latest[move.ticket_id] = move
    rows = []
    for number, move in latest.items():
        ticket = Ticket.get_or_none(Ticket.id == number)
        if ticket is None or ticket.status not in ACTIVE_STATUSES:
            continue
        if ticket.assignee_id != owner.id:
            row = _return_or_list(ticket, move, owner, own, now, actor, on_assign)
            rows += [row] if row else []
    Ticket.update(held_for=None).where(Ticket.held_for == owner.id).execute()
    return rows


def _answer(ticket: Ticket, since: datetime, not_from: set[str]) -> Message | None:
    """The first staff answer on the ticket since then by someone else."""
    return (
        Message.select(Message.from_address, Message.date)
        .where(
            (Message.ticket == ticket.id)
            & (Message.direction == "outbound")
            & (Message.kind == "ticket")
            & (Message.date >= since)
            & Message.from_address.not_in(list(not_from) or [""])
        )
        .order_by(Message.date)
        .first()
    )


def _return_or_list(
    ticket: Ticket,
    move: AbsenceMove,
    owner: Agent,
    own: set[str],
    now: datetime,
    actor: str,
    on_assign: OnAssign | None,
) -> dict[str, Any] | None:
    """A ticket the absence moved: back to ``owner``, or a row saying why not."""
    holder = ticket.assignee_id
    answer = None
    if move.action == POOLED:
        back = holder is None and ticket.held_for_id == owner.id
        why = "held in the pool for them"
    else:
        answer = _answer(ticket, move.at, own)
        back = answer is None and _moved_by_absences_only(ticket)
        why = "nobody had answered it"
    if back and owner.active:
        _move(ticket, owner.id, None, now, actor, f"{owner.login} (back; {why})")
        if on_assign is not None:
            on_assign(ticket, owner, actor, now)
        return _row(ticket, owner.login, "returned", why)
    if holder is None:
        return None  # in the pool, not for them: nobody took it from them
    answer = answer or _answer(ticket, move.at, own)
    why = (
        f"answered by {answer.from_address} on {answer.date.date().isoformat()}"
        if answer is not None
        else f"taken by {_login(holder)}"
    )
    return _row(ticket, _login(holder), "stays", why)


def _moved_by_absences_only(ticket: Ticket) -> bool:
    """Whether the ticket is where the last absence move left it (passed on
    from colleague to colleague as they left, say), not where a person put it."""
    last = (
        AbsenceMove.select(AbsenceMove, Absence.agent)
        .join(Absence)
        .where(AbsenceMove.ticket == ticket.id)
        .order_by(AbsenceMove.id.desc())
        .first()
    )
    if last is None:
        return False
    if last.action == REASSIGNED:
        return ticket.assignee_id == last.to_agent_id
    return ticket.assignee_id is None and ticket.held_for_id == last.absence.agent_id


def _login(agent_id: int | None) -> str:
    agent = Agent.get_or_none(Agent.id == agent_id) if agent_id else None
    return agent.login if agent else "?"


def _row(ticket: Ticket, assignee: str, outcome: str, why: str) -> dict[str, Any]:
    return {
        "number": ticket.id,
        "subject": ticket.subject,
        "assignee": assignee,
        "outcome": outcome,
        "why": why,
    }


# --- the commands ---------------------------------------------------------


def set_away(
    login: str,
    *,
    starts: datetime | None,
    ends: datetime | None,
    note: str,
    actor: str,
    now: datetime,
    config: Config,
    on_assign: OnAssign | None = None,
) -> dict[str, Any]:
    """`agents away`: a new absence, or new times for one it overlaps (the
    last word wins: `away` again with another --until extends or shortens
    it). Returns what happened, for the command's one line."""
    agent = find_agent(login)
    if not agent.active:
        raise UsageError(f"agent {login} is inactive")
    starts = starts or now
    if ends is not None and ends <= max(starts, now):
        raise UsageError("--until must be later than --from and than now")
    apply_absences(now, config, actor, on_assign)  # ends what is over first
    later = datetime.max
    overlapping = [
        a
        for a in Absence.select().where(
            (Absence.agent == agent) & Absence.ended_at.is_null()
        )
        if a.starts_at < (ends or later) and starts < (a.ends_at or later)
    ]
    if len(overlapping) > 1:
        raise UsageError(
            f"{login} has {len(overlapping)} absences in that time;"
            f" `agents back {login}` ends the current one"
        )
    if overlapping:
        absence = overlapping[0]
        if absence.starts_at > now:  # not begun: its start may move too
            absence.starts_at = starts
        absence.ends_at = ends
        absence.note = note or absence.note
        absence.save()
    else:
        absence = Absence.create(
            agent=agent,
            starts_at=starts,
            ends_at=ends,
            note=note,
            created_at=now,
            created_by=actor,
        )
    applied = apply_absences(now, config, actor, on_assign)
    return {
        "login": login,
        "from": absence.starts_at,
        "until": absence.ends_at,
        "pooled": applied.pooled.get(login, 0),
        "reassigned": applied.reassigned.get(login, 0),
        "kept": _kept(absence, now),
    }


def _kept(absence: Absence, now: datetime) -> int:
    """The absent agent's active tickets still with them: at risk. 0 while
    the absence is only planned: nothing is at risk yet."""
    if absence.starts_at > now:
        return 0
    return (
        Ticket.select()
        .where(
            (Ticket.assignee == absence.agent_id) & Ticket.status.in_(ACTIVE_STATUSES)
        )
        .count()
    )


def set_back(
    login: str,
    *,
    actor: str,
    now: datetime,
    config: Config,
    on_assign: OnAssign | None = None,
    shown: Callable[[datetime], str] | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """`agents back`: end the current absence now; (rows, notes).

    Someone not away with a planned absence has that one cancelled (it is
    how a planned holiday is called off); the notes say so, with its start
    as ``shown`` writes a time for people (default: ISO 8601 UTC).
    """
    agent = find_agent(login)
    apply_absences(now, config, actor, on_assign)
    current = current_absence(agent, now)
    if current is not None:
        return end_absence(current, now, actor, now, on_assign), []
    planned = (
        Absence.select()
        .where((Absence.agent == agent) & Absence.ended_at.is_null())
        .order_by(Absence.starts_at)
        .first()
    )
    if planned is None:
        return [], [f"{login} is not away"]
    planned.ended_at = now
    planned.ended_by = actor
    planned.save()
    when = (shown or _utc_text)(planned.starts_at)
    return [], [f"{login} was not away; cancelled the absence planned from {when}"]


def _utc_text(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes") + "Z"


def _absences_by_agent(now: datetime) -> dict[int, Absence]:
    """Each agent's current absence, else their next planned one."""
    chosen: dict[int, Absence] = {}
    for a in (
        Absence.select()
        .where(
            Absence.ended_at.is_null()
            & (Absence.ends_at.is_null() | (Absence.ends_at > now))
        )
        .order_by(Absence.starts_at)
    ):
        chosen.setdefault(a.agent_id, a)
    return chosen


def agent_rows(now: datetime) -> list[dict[str, Any]]:
    """`agents list`: the store's agent rows with who is away, and until when
    (or when a planned absence starts)."""
    absences = _absences_by_agent(now)
    ids = dict(Agent.select(Agent.login, Agent.id).tuples())
    rows = []
    for row in stored_agent_rows():
        absence = absences.get(ids[row["login"]])
        rows.append(
            {
                **row,
                "away": absence is not None and absence.starts_at <= now,
                "away_from": absence.starts_at if absence else None,
                "away_until": absence.ends_at if absence else None,
                "away_note": absence.note if absence else None,
            }
        )
    return rows


def absence_rows(now: datetime) -> list[dict[str, Any]]:
    """Who is away (or will be) and what happened to their tickets, for the
    daily report: pooled / reassigned (moved by this absence), in_pool (still
    held for them), kept (still theirs: at risk)."""
    absences = _absences_by_agent(now)
    if not absences:
        return []
    rows = []
    for agent_id, absence in sorted(absences.items(), key=lambda x: x[1].starts_at):
        moves: dict[str, int] = {}
        for move in AbsenceMove.select(AbsenceMove.action).where(
            AbsenceMove.absence == absence
        ):
            moves[move.action] = moves.get(move.action, 0) + 1
        agent = absence.agent
        rows.append(
            {
                "login": agent.login,
                "name": agent.name,
                "state": "away" if absence.starts_at <= now else "planned",
                "from": absence.starts_at,
                "until": absence.ends_at,
                "note": absence.note,
                "pooled": moves.get(POOLED, 0),
                "reassigned": moves.get(REASSIGNED, 0),
                "in_pool": Ticket.select()
                .where(
                    (Ticket.held_for == agent_id)
                    & Ticket.assignee.is_null()
                    & Ticket.status.in_(ACTIVE_STATUSES)
                )
                .count(),
                "kept": _kept(absence, now),
            }
        )
    return rows

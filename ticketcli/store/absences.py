"""Who is away at a time: the one definition, for policy, reports and stats.

An absence covers ``starts_at <= t < ends_at`` (no end: until someone says
`agents back`, which sets ``ended_at``). Everything that asks "is this
agent away now" -- moving tickets, refusing an assignment, the report's
AWAY mark, `stats`' at-risk count -- reads it from here, as a Peewee
condition, as raw SQL for the aggregates, or over a loaded row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from peewee import Case, fn

from ticketcli.store.models import ACTIVE_STATUSES, Absence, Agent, Ticket

if TYPE_CHECKING:
    from datetime import datetime


def current(query: Any, now: datetime) -> Any:
    """``query`` over absences narrowed to those in force at ``now``."""
    return query.where(
        (Absence.starts_at <= now)
        & Absence.ended_at.is_null()
        & (Absence.ends_at.is_null() | (Absence.ends_at > now))
    )


def any_unended() -> bool:
    """Whether any absence is not yet ended: the only ones ``apply_absences``
    acts on. Most stores have none, and a sync that sees so in one read
    takes no write lock for them (issue 18)."""
    return bool(Absence.select(Absence.id).where(Absence.ended_at.is_null()).exists())


def away_agent_ids(now: datetime) -> set[int]:
    """Agents away at ``now`` (one query; empty when nobody ever was)."""
    return {a.agent_id for a in current(Absence.select(Absence.agent), now)}


def away_owner_column(now: datetime) -> Any:
    """The absent owner of a row, as one SQL expression the report's single
    query selects: whom a pooled ticket is held for, or the assignee when
    they are away at ``now`` (else NULL). Correlated on the outer ticket and
    its assignee (joined as ``Agent``)."""
    holder = Agent.alias("held_for_agent")
    held_login = holder.select(holder.login).where(holder.id == Ticket.held_for)

    def away(agent: Any) -> Any:
        query = Absence.select(Absence.id).where(Absence.agent == agent)
        return fn.EXISTS(current(query, now))

    return Case(
        None,
        (
            (Ticket.assignee.is_null() & away(Ticket.held_for), held_login),
            (Ticket.assignee.is_null(False) & away(Ticket.assignee), Agent.login),
        ),
        None,
    )


def owner_away_sql(alias: str = "t") -> str:
    """A condition for raw-SQL aggregates (``stats``): the ticket row
    ``alias`` has an assignee who is away. Takes two parameters: now, now."""
    return (
        f"EXISTS (SELECT 1 FROM absence a WHERE a.agent_id = {alias}.assignee_id"
        " AND a.starts_at <= ? AND a.ended_at IS NULL"
        " AND (a.ends_at IS NULL OR a.ends_at > ?))"
    )


def is_current(absence: Absence, now: datetime) -> bool:
    """The same test as ``current``, over a row already loaded."""
    return (
        absence.starts_at <= now
        and absence.ended_at is None
        and (absence.ends_at is None or absence.ends_at > now)
    )


def at_risk_tickets(now: datetime) -> set[int]:
    """Active tickets whose owner is away now: under `keep` all of theirs,
    under pool/reassign those a sync has not moved yet. For `stats`."""
    away = away_agent_ids(now)
    if not away:
        return set()
    return {
        t.id
        for t in Ticket.select(Ticket.id).where(
            Ticket.status.in_(ACTIVE_STATUSES) & Ticket.assignee.in_(list(away))
        )
    }


def current_absence(agent: Agent | int, now: datetime) -> Absence | None:
    """The absence ``agent`` is on at ``now``, if any."""
    return current(Absence.select(), now).where(Absence.agent == agent).first()

"""Queues in the store: which queue a ticket is in, who may get it, and the
round-robin's memory. The choice itself is ``rules/assignment.py``'s pure rule.

A ticket joins its source's queue when it is created; a source without one
(or a ticket from before queues were configured) follows the queue named
``default`` when there is one, and no queue's rules otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from peewee import fn

from ticketcli.rules.assignment import (
    CHOOSING_MODES,
    LEAST_OPEN,
    ROUND_ROBIN,
    AgentLoad,
    Picker,
)
from ticketcli.store.models import ACTIVE_STATUSES, Agent, Checkpoint, Ticket

if TYPE_CHECKING:
    from collections.abc import Collection

    from ticketcli.config import Config, QueueConfig

DEFAULT_QUEUE = "default"
LAST_ASSIGNED = "last_assigned"


def ticket_queue(config: Config, name: str | None) -> QueueConfig | None:
    """The queue whose rules apply to a ticket in queue ``name``."""
    return (name and config.queue(name)) or config.queue(DEFAULT_QUEUE)


def source_queue(config: Config, source: str) -> QueueConfig | None:
    """The queue a new ticket from ``source`` joins."""
    spec = config.source(source)
    return ticket_queue(config, spec.queue if spec else None)


def _state_key(queue: str) -> str:
    # Kept beside the sources' checkpoints; no source is named "queue:...".
    return f"queue:{queue}"


def last_assigned(queue: str) -> str | None:
    row = Checkpoint.get_or_none(
        (Checkpoint.source == _state_key(queue)) & (Checkpoint.name == LAST_ASSIGNED)
    )
    return row.value if row else None


def remember_assigned(queue: str, login: str) -> None:
    Checkpoint.insert(
        source=_state_key(queue), name=LAST_ASSIGNED, value=login
    ).on_conflict(
        conflict_target=[Checkpoint.source, Checkpoint.name],
        update={Checkpoint.value: login},
    ).execute()


def open_counts(agent_ids: Collection[int]) -> dict[int, int]:
    """Active tickets per agent, for least-open (one grouped query)."""
    if not agent_ids:
        return {}
    return dict(
        Ticket.select(Ticket.assignee, fn.COUNT(Ticket.id))
        .where(
            Ticket.status.in_(ACTIVE_STATUSES) & Ticket.assignee.in_(list(agent_ids))
        )
        .group_by(Ticket.assignee)
        .tuples()
    )


@dataclass
class QueuePicker:
    """The agents of one queue who may get tickets now, handing them out."""

    queue: str
    mode: str
    picker: Picker
    ids: dict[str, int]

    def pick(self) -> tuple[int, str] | None:
        """(agent id, login) of the next one, remembered for round-robin."""
        login = self.picker.pick()
        if login is None:
            return None
        if self.mode == ROUND_ROBIN:
            remember_assigned(self.queue, login)
        return self.ids[login], login


def queue_picker(
    queue: QueueConfig,
    mode: str,
    away: Collection[int],
) -> QueuePicker:
    """Candidates: the queue's agents (every agent when it names none) who
    are active and not away."""
    query = Agent.select(Agent.id, Agent.login).where(Agent.active == True)  # noqa: E712
    if queue.agents:
        query = query.where(Agent.login.in_(list(queue.agents)))
    ids = {a.login: a.id for a in query if a.id not in away}
    loads = open_counts(ids.values()) if mode == LEAST_OPEN else {}
    candidates = [AgentLoad(login, loads.get(i, 0)) for login, i in ids.items()]
    last = last_assigned(queue.name) if mode == ROUND_ROBIN else None
    return QueuePicker(queue.name, mode, Picker(mode, candidates, last), ids)


class Router:
    """Puts new tickets in their queue and, by its mode, gives them to
    someone who is not away; for one sync run.

    Each queue's candidates and loads are read once per run (the hot path
    reads no more per new ticket): least-open then counts the loads as the
    run began plus what it handed out itself. ``forget`` makes the next
    ticket read them again (a new agent was learned from mail).
    """

    def __init__(self, config: Config, away: Collection[int]) -> None:
        self.config = config
        self.away = away
        self.pickers: dict[str, QueuePicker] = {}

    def forget(self) -> None:
        self.pickers.clear()

    def route(
        self, source: str, *, assign: bool = True
    ) -> tuple[QueueConfig | None, tuple[int, str] | None]:
        """The queue a new ticket from ``source`` joins, and (agent id,
        login) of who gets it, if anyone; the caller writes both.

        ``assign`` False (a ticket staff opened: its writer owns it, as the
        first-reply rule makes them) only names the queue.
        """
        queue = source_queue(self.config, source)
        if queue is None or not assign or queue.assign_mode not in CHOOSING_MODES:
            return queue, None
        if queue.name not in self.pickers:
            self.pickers[queue.name] = queue_picker(queue, queue.assign_mode, self.away)
        return queue, self.pickers[queue.name].pick()

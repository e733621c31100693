"""Who gets a ticket: the queue's assign mode as a pure rule.

The store gathers the candidates (active agents of the queue who are not
away at that moment) with their loads; this module only decides, so every
mode is tested without a database. Every choice is deterministic: the same
loads and the same last assignee give the same agent, on any backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ticketcli.config import ASSIGN_MODES

if TYPE_CHECKING:
    from collections.abc import Sequence

# The modes are the config's choice (``[[queues]] assign_mode``, checked
# when the file is read); the rules name them.
NONE, ROUND_ROBIN, LEAST_OPEN, FIRST_RESPONDER = ASSIGN_MODES
# Modes that pick someone when a ticket is created (or redistributed).
CHOOSING_MODES = (ROUND_ROBIN, LEAST_OPEN)


@dataclass(frozen=True)
class AgentLoad:
    """A candidate: their login and how many active tickets they carry."""

    login: str
    open_tickets: int = 0


def choose_agent(
    mode: str, candidates: Sequence[AgentLoad], last_assigned: str | None = None
) -> str | None:
    """The login that gets the next ticket, or None (nobody, or not this mode).

    * round-robin: logins in alphabetical order, the one after
      ``last_assigned`` (wrapping); when that one is no candidate now (away,
      left the queue), the next login after it alphabetically still wins,
      so an absence does not restart the rotation.
    * least-open: fewest active tickets; a tie goes to the login first in
      alphabetical order, so equal loads fill in a predictable order.
    * none, first-responder: nobody at creation (first-responder assigns
      whoever answers first, in ingest).
    """
    if not candidates or mode not in CHOOSING_MODES:
        return None
    if mode == LEAST_OPEN:
        return min(candidates, key=lambda c: (c.open_tickets, c.login)).login
    logins = sorted({c.login for c in candidates})
    if last_assigned is None:
        return logins[0]
    return next((login for login in logins if login > last_assigned), logins[0])


def redistribution_mode(assign_mode: str) -> str:
    """How an absent agent's tickets are handed out: the queue's own mode
    when it picks someone, else least-open (the issue's default)."""
    return assign_mode if assign_mode in CHOOSING_MODES else LEAST_OPEN


class Picker:
    """Hands out tickets one after another as separate assignments would:
    each pick adds one to that agent's load (least-open) and moves the
    rotation on (round-robin)."""

    def __init__(
        self, mode: str, candidates: Sequence[AgentLoad], last: str | None = None
    ) -> None:
        self.mode = mode
        self.loads = {c.login: c.open_tickets for c in candidates}
        self.last = last

    def pick(self) -> str | None:
        candidates = [AgentLoad(login, n) for login, n in self.loads.items()]
        chosen = choose_agent(self.mode, candidates, self.last)
        if chosen is not None:
            self.loads[chosen] += 1
            self.last = chosen
        return chosen

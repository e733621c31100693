"""Who works the desk and whom it serves: agents (and whether they may get
tickets now) and customer records.

The ticket operations ask here who an agent is; this module changes no
ticket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ticketcli.clock import now
from ticketcli.errors import NotFoundError, UsageError
from ticketcli.store.absences import current_absence
from ticketcli.store.lookup import customer_by_ref
from ticketcli.store.models import (
    Absence,
    Agent,
    AgentAddress,
    Customer,
    CustomerAddress,
    CustomerDomain,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime


# --- agents ----------------------------------------------------------------


def add_agent(
    login: str, name: str, addresses: Iterable[str], at: datetime | None = None
) -> Agent:
    """A staff member; their addresses make mail outbound from the next sync.

    An agent learned from mail (first reply) under the same login is adopted:
    it gets the name and addresses, so its tickets keep their assignee.
    """
    login = login.strip()
    if not login or any(c.isspace() for c in login):
        raise UsageError(f"login {login!r} must be one word")
    agent = Agent.get_or_none(Agent.login == login)
    for address in addresses:
        owner = AgentAddress.get_or_none(AgentAddress.address == address)
        if owner is not None and (agent is None or owner.agent_id != agent.id):
            raise UsageError(
                f"address {address} is already on agent {owner.agent.login}"
            )
    if agent is not None and (
        agent.active
        and AgentAddress.select().where(AgentAddress.agent == agent).exists()
        and not addresses
    ):
        raise UsageError(f"agent {login} exists already")
    if agent is None:
        agent = Agent.create(login=login, name=name, created_at=at or now())
    else:
        agent.name = name or agent.name
        agent.active = True
        agent.save()
    for address in dict.fromkeys(addresses):
        AgentAddress.get_or_create(agent=agent, address=address)
    return agent


def learn_agent(address: str, name: str, at: datetime) -> Agent:
    """An agent for a staff address seen in mail, so first replies can assign.

    The login is the address's local part, made unique with a number.
    """
    base = address.partition("@")[0] or "agent"
    login, n = base, 1
    while Agent.select().where(Agent.login == login).exists():
        n += 1
        login = f"{base}{n}"
    agent = Agent.create(login=login, name=name, created_at=at)
    AgentAddress.create(agent=agent, address=address)
    return agent


def find_agent(login: str) -> Agent:
    agent = Agent.get_or_none(Agent.login == login)
    if agent is None:
        raise NotFoundError(f"agent {login!r} does not exist (see `agents list`)")
    return agent


def deactivate_agent(login: str) -> list[str]:
    """An agent who left: no new assignments, their tickets stay as they are."""
    agent = find_agent(login)
    if not agent.active:
        return [f"agent {login} is already inactive"]
    agent.active = False
    agent.save()
    return []


def known_filters(assignee: str | None, customer: str | None, actor: str) -> str | None:
    """Check a listing's filters name someone who exists, so a typo is an
    error and not an empty queue; returns the customer as the query matches
    it (its code, else its name). ``assignee`` None is "the pool plus mine":
    an actor who is no agent has no "mine", and is told so."""
    if assignee is not None and assignee not in ("*", "none"):
        find_agent(assignee)
    if assignee is None and Agent.get_or_none(Agent.login == actor) is None:
        raise NotFoundError(
            f"{actor!r} is not an agent, so there is no queue of yours: use"
            " --as LOGIN, set $TICKETCLI_USER, or --assignee none for the pool"
        )
    if not customer:
        return customer
    found = customer_by_ref(customer)
    return found.code or found.name


def agent_for_actor(actor: str) -> Agent:
    """The agent who acts, for `take`: the actor must be an active agent's login."""
    agent = Agent.get_or_none(Agent.login == actor)
    if agent is None:
        raise NotFoundError(
            f"{actor!r} is not an agent: use --as LOGIN or set $TICKETCLI_USER"
        )
    if not agent.active:
        raise UsageError(f"agent {actor} is inactive")
    return agent


def absence_until(absence: Absence) -> str:
    """How long an absence lasts, as refusals and history say it."""
    if absence.ends_at is None:
        return "until back"
    return f"until {absence.ends_at.isoformat(timespec='minutes')}Z"


def away_message(agent: Agent, now: datetime) -> str | None:
    """Why nothing new may go to ``agent`` now, or None when they are here."""
    absence = current_absence(agent, now)
    if absence is None:
        return None
    return (
        f"agent {agent.login} is away {absence_until(absence)}"
        f" (`agents back {agent.login}` ends it)"
    )


def assignable_agent(login: str) -> Agent:
    """The agent ``login``, who may be given a ticket by hand now: active,
    and not away (their tickets would only move on at the next sync)."""
    agent = find_agent(login)
    if not agent.active:
        raise UsageError(f"agent {login} is inactive")
    away = away_message(agent, now())
    if away:
        raise UsageError(away)
    return agent


# --- customers -------------------------------------------------------------


def add_customer(
    name: str,
    code: str | None,
    addresses: Iterable[str],
    domains: Iterable[str],
    at: datetime | None = None,
) -> Customer:
    """A customer record; an address or domain already on a record is an error."""
    for address in addresses:
        if CustomerAddress.select().where(CustomerAddress.address == address).exists():
            raise UsageError(f"address {address} is already on a customer")
    for domain in domains:
        if CustomerDomain.select().where(CustomerDomain.domain == domain).exists():
            raise UsageError(f"domain {domain} is already on a customer")
    if code and Customer.select().where(Customer.code == code).exists():
        raise UsageError(f"customer code {code!r} exists already")
    customer = Customer.create(name=name, code=code, created_at=at or now())
    for address in dict.fromkeys(addresses):
        CustomerAddress.create(customer=customer, address=address)
    for domain in dict.fromkeys(domains):
        CustomerDomain.create(customer=customer, domain=domain)
    return customer

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
from ticketcli.store.customers import customer_by_ref
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

    A login that exists (added, or learned from a first reply) is refused:
    `agents edit` changes an agent, so a second `add` never renames one by
    accident.
    """
    login = login.strip()
    if not login or any(c.isspace() for c in login):
        raise UsageError(f"login {login!r} must be one word")
    if Agent.select().where(Agent.login == login).exists():
        raise UsageError(
            f"agent {login} exists already: use `agents edit {login}` to change it"
        )
    for address in addresses:
        owner = AgentAddress.get_or_none(AgentAddress.address == address)
        if owner is not None:
            raise UsageError(
                f"address {address} is already on agent {owner.agent.login}"
            )
    agent = Agent.create(login=login, name=name, created_at=at or now())
    for address in dict.fromkeys(addresses):
        AgentAddress.get_or_create(agent=agent, address=address)
    return agent


def edit_agent(
    login: str,
    *,
    name: str | None = None,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    activate: bool = False,
) -> list[str]:
    """`agents edit`: rename, add or remove addresses (checked, lower case),
    take back an agent who left. Everything is checked before anything
    changes; returns a line for each change that was no change."""
    agent = find_agent(login)
    adding, removing = list(dict.fromkeys(add)), list(dict.fromkeys(remove))
    if not (name is not None or adding or removing or activate):
        raise UsageError(
            "nothing to change: give --name, --add-email, --remove-email or --activate"
        )
    if name is not None and not name.strip():
        raise UsageError("--name is empty")
    both = set(adding) & set(removing)
    if both:
        raise UsageError(f"{sorted(both)[0]} is both added and removed")
    own = {
        a for (a,) in AgentAddress.select(AgentAddress.address)
        .where(AgentAddress.agent == agent)
        .tuples()
    }  # fmt: skip
    notes = []
    for address in adding:
        owner = AgentAddress.get_or_none(AgentAddress.address == address)
        if owner is not None and owner.agent_id != agent.id:
            raise UsageError(
                f"address {address} is already on agent {owner.agent.login}"
            )
        if address in own:
            notes.append(f"{address} is already on agent {login}")
    for address in removing:
        if address not in own:
            raise NotFoundError(f"address {address} is not on agent {login}")
    if name is not None:
        agent.name = name.strip()
    if activate:
        if agent.active:
            notes.append(f"agent {login} is already active")
        agent.active = True
    agent.save()
    for address in adding:
        AgentAddress.get_or_create(agent=agent, address=address)
    if removing:
        AgentAddress.delete().where(
            (AgentAddress.agent == agent) & AgentAddress.address.in_(removing)
        ).execute()
    return notes


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


def edit_customer(
    ref: str,
    *,
    name: str | None = None,
    add_addresses: Iterable[str] = (),
    remove_addresses: Iterable[str] = (),
    add_domains: Iterable[str] = (),
    remove_domains: Iterable[str] = (),
) -> list[str]:
    """`customers edit`: rename, add or remove addresses and domains (checked,
    lower case). Everything is checked before anything changes; an address
    or domain on another customer is refused. Returns lines for no-ops."""
    customer = customer_by_ref(ref)
    label = customer.code or customer.name
    add_a, rm_a = (
        list(dict.fromkeys(add_addresses)),
        list(dict.fromkeys(remove_addresses)),
    )
    add_d, rm_d = list(dict.fromkeys(add_domains)), list(dict.fromkeys(remove_domains))
    if name is None and not (add_a or rm_a or add_d or rm_d):
        raise UsageError(
            "nothing to change: give --name, --add-address, --remove-address,"
            " --add-domain or --remove-domain"
        )
    if name is not None and not name.strip():
        raise UsageError("--name is empty")
    notes = []
    for model, column, adding, removing, what in (
        (CustomerAddress, CustomerAddress.address, add_a, rm_a, "address"),
        (CustomerDomain, CustomerDomain.domain, add_d, rm_d, "domain"),
    ):
        both = set(adding) & set(removing)
        if both:
            raise UsageError(f"{what} {sorted(both)[0]} is both added and removed")
        for value in adding:
            row = model.get_or_none(column == value)
            if row is not None and row.customer_id != customer.id:
                owner = row.customer.code or row.customer.name
                raise UsageError(f"{what} {value} is already on customer {owner}")
            if row is not None:
                notes.append(f"{what} {value} is already on customer {label}")
        for value in removing:
            row = model.get_or_none(column == value)
            if row is None or row.customer_id != customer.id:
                raise NotFoundError(f"{what} {value} is not on customer {label}")
    if name is not None:
        customer.name = name.strip()
        customer.save()
    for value in add_a:
        CustomerAddress.get_or_create(customer=customer, address=value)
    for value in add_d:
        CustomerDomain.get_or_create(customer=customer, domain=value)
    if rm_a:
        CustomerAddress.delete().where(CustomerAddress.address.in_(rm_a)).execute()
    if rm_d:
        CustomerDomain.delete().where(CustomerDomain.domain.in_(rm_d)).execute()
    return notes


def merge_customers(source_ref: str, target_ref: str) -> Customer:
    """`customers merge A into B`: A's addresses, domains and tickets become
    B's and A's record goes; B keeps its name and code. Returns A as it was
    (the caller records the tickets' change)."""
    source, target = customer_by_ref(source_ref), customer_by_ref(target_ref)
    if source.id == target.id:
        raise UsageError(f"customer {source.code or source.name} is the same as itself")
    CustomerAddress.update(customer=target).where(
        CustomerAddress.customer == source
    ).execute()
    CustomerDomain.update(customer=target).where(
        CustomerDomain.customer == source
    ).execute()
    source.delete_instance()
    return source


def first_address(customer: Customer) -> str | None:
    """The address a ticket opened by hand for ``customer`` goes to: its
    first recorded one (not one learned from a ticket), else a learned one."""
    row = (
        CustomerAddress.select(CustomerAddress.address)
        .where(CustomerAddress.customer == customer)
        .order_by(CustomerAddress.learned, CustomerAddress.id)
        .first()
    )
    return row.address if row is not None else None

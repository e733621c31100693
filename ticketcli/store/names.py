"""Who a login or a customer's group label is, by name: what `stats`,
`report` and the morning report print beside the login or code."""

from __future__ import annotations

from peewee import fn

from ticketcli.store.models import Agent, Customer


def agent_names() -> dict[str, str]:
    """{login: name} of every agent with a name."""
    return {
        login: name
        for login, name in Agent.select(Agent.login, Agent.name).tuples()
        if name
    }


def customer_names() -> dict[str, str]:
    """{label: name}, the label being what tickets are grouped and listed
    by: the customer's code, else its name."""
    label = fn.COALESCE(Customer.code, Customer.name)
    return dict(Customer.select(label, Customer.name).tuples())

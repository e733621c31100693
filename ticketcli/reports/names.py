"""People and customers by name, for everything a person reads."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from ticketcli.store.names import agent_names, customer_names

if TYPE_CHECKING:
    from collections.abc import Mapping


class Names(NamedTuple):
    """Logins and customer labels (code, else name) to names: two small
    dicts, read once per command, so that no row costs a query. (The
    defaults are shared, so read-only.)"""

    agents: Mapping[str, str] = MappingProxyType({})
    customers: Mapping[str, str] = MappingProxyType({})

    def agent(self, login: str | None) -> str | None:
        return None if login is None else self.agents.get(login)

    def customer(self, label: str | None) -> str | None:
        return None if label is None else self.customers.get(label)


def names() -> Names:
    """Every agent's and customer's name in the open store."""
    return Names(agent_names(), customer_names())

"""ticketcli: an email helpdesk for small support teams, run from the shell and cron.

The Python API (``ticketcli.api``), for scripts::

    from ticketcli import Store, load_config

    with Store.open("sqlite:///tickets.db", load_config("config.toml")) as store:
        store.sync("inbox.mbox")
        for ticket in store.tickets(status="new"):
            print(ticket["number"], ticket["subject"])

``Store`` and ``load_config`` are loaded when first asked for (PEP 562), so
that importing one layer -- ``ticketcli.mail.parse`` in a script, a worker
process -- does not load the store, the desk and the whole pipeline with it.
No module inside the package imports this one (the version is in
``ticketcli.version``), so these exports cannot close a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketcli import lazy
from ticketcli.store import driver_probe  # noqa: F401 - before anything imports peewee
from ticketcli.version import __version__

if TYPE_CHECKING:
    from ticketcli.api import Store
    from ticketcli.config import load_config

_EXPORTS = {
    "Store": "ticketcli.api:Store",
    "load_config": "ticketcli.config:load_config",
}

__all__ = ["Store", "__version__", "load_config"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return lazy.load(_EXPORTS[name])
    raise AttributeError(f"module 'ticketcli' has no attribute {name!r}")

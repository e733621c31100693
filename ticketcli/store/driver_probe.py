"""Keep peewee's import-time driver probe from loading psycopg for an SQLite store.

peewee's module body tries ``import psycopg2`` and ``import psycopg`` (with
``psycopg.pq`` and ``psycopg.types.json``) and keeps what it found in module
globals; ``playhouse.postgres_ext`` (which ``playhouse.migrate`` imports)
does the same for its hstore support, which ticketcli does not use. With
psycopg installed -- in every test environment and for every PostgreSQL
user -- that costs about 100 ms on every start, also for an SQLite store that
never talks to a server.

The least magic way found that works with peewee as published: while, and
only while, the module body of peewee or ``playhouse.postgres_ext`` runs, a
finder on ``sys.meta_path`` answers "not installed" for the PostgreSQL
drivers, so they record them as absent, exactly as on a machine without
them. Outside that window the finder answers nothing, so a script, a test or
``ticketcli.store.db`` imports psycopg as usual. When a PostgreSQL URL is
opened, ``db.complete_driver_probe`` sets the names peewee's probe would
have set, after which peewee cannot tell the difference.

``ticketcli/__init__.py`` installs it, the one place that runs before any
module of ticketcli imports peewee. If peewee was imported before ticketcli
(a script that imports it first), the probe ran already and nothing changes.
"""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder
from typing import Any

_DRIVERS = ("psycopg", "psycopg2", "psycopg2cffi")
_PROBERS = ("peewee", "playhouse.postgres_ext")


def _peewee_importing() -> bool:
    """Whether a probing module's body is running now (importlib marks a
    module whose body runs as ``__spec__._initializing``)."""
    for name in _PROBERS:
        spec = getattr(sys.modules.get(name), "__spec__", None)
        if getattr(spec, "_initializing", False):
            return True
    return False


class _HideDriversFromPeewee(MetaPathFinder):
    """Answers ``ModuleNotFoundError`` for the drivers during the probes."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.partition(".")[0] in _DRIVERS and _peewee_importing():
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once), unless peewee is loaded."""
    if "peewee" in sys.modules:
        return
    if not any(isinstance(f, _HideDriversFromPeewee) for f in sys.meta_path):
        sys.meta_path.insert(0, _HideDriversFromPeewee())


install()

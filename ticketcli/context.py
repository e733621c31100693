"""What every command gets: the settings, the store (opened on first use), who acts.

Its own module so that commands depend on it and not on ``cli.py``, which
depends on them. The store is an ``api.Store``: once a command opens it, the
models are bound to it until the command ends (``App.close``, which the
command group calls), so the command's queries and operations need no
database argument.

Every run makes an ``App``, ``--help`` and a mistyped option too, so what it
needs only when asked -- the config's parser, the secrets, the store with
peewee and its queries -- is loaded then (``ticketcli.lazy``).
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import TYPE_CHECKING

import click

from ticketcli import lazy
from ticketcli.errors import UsageError

if TYPE_CHECKING:
    from ticketcli.api import Store
    from ticketcli.config import Config, load_config
    from ticketcli.secrets import read_secret
    from ticketcli.store.db import sqlite_path
else:
    load_config = lazy.function("ticketcli.config:load_config")
    read_secret = lazy.function("ticketcli.secrets:read_secret")
    sqlite_path = lazy.function("ticketcli.store.db:sqlite_path")

_STORE = "ticketcli.api:Store"


class App:
    """What every command gets: the settings and (opened on first use) the store.

    A plain class: every run makes one, ``--help`` too, and a dataclass
    costs ~0.5 ms to define (issue 18)."""

    __slots__ = ("config_path", "db_url", "verbose", "_config", "_store", "_resources")

    def __init__(
        self, config_path: str | None, db_url: str | None, verbose: int
    ) -> None:
        self.config_path = config_path
        self.db_url = db_url
        self.verbose = verbose
        self._config: Config | None = None
        self._store: Store | None = None
        self._resources = ExitStack()

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def database_url(self) -> str:
        return self.db_url or self.config.database_url

    def password_for(self, url: str) -> str | None:
        """The config's [database] password belongs to the store this run
        works on (the configured one, or --db, which replaces it); other URLs
        bring their own or use PGPASSWORD / ~/.pgpass."""
        ref = self.config.database_password
        if url.startswith("sqlite:") or not ref.configured or url != self.database_url:
            return None
        return read_secret(ref, "database")

    def open_store(self, *, create: bool = False, upgrade: bool = True) -> Store:
        """The store (--db or [database] url), opened and migrated on the first
        call; from then on the models are bound to it until the command ends.

        A command that reads through the store's queries calls it once its
        arguments are checked (a bad argument opens nothing). Only the
        commands that bring mail or a whole store in (``create``: init, sync,
        import, copy --to, restore) may make a new SQLite file; for the rest
        a missing one is a typo in --db, not an empty desk. ``upgrade=False``
        leaves an older schema as it is (`check` changes nothing).
        """
        if self._store is None:
            config = self.config  # a wrong setting is the news, not the store
            url = self.database_url
            if not create:
                require_store(url)
            store: Store = lazy.load(_STORE).open(
                url, config, password=self.password_for(url), upgrade=upgrade
            )
            self._resources.callback(store.disconnect)
            self._resources.enter_context(store.bound())
            self._store = store
        return self._store

    @property
    def store(self) -> Store:
        """``open_store()``, for use in an expression: ``app.store.atomic()``."""
        return self.open_store()

    def actor(self, as_login: str | None = None) -> str:
        """Who acts: --as, then $TICKETCLI_USER, then the OS user."""
        if as_login:
            return as_login
        login = os.environ.get("TICKETCLI_USER")
        if login:
            return login
        import getpass  # and termios: most runs never ask (issue 18)

        return getpass.getuser()

    def close(self) -> None:
        """The models back to what they were bound to before; the store closed."""
        self._store = None
        self._resources.close()


def require_store(url: str) -> None:
    """Refuse an SQLite URL whose file does not exist (PostgreSQL: the
    server says so itself)."""
    if not url.startswith("sqlite:"):
        return
    path = sqlite_path(url)
    if path is not None and not os.path.isfile(path):
        raise UsageError(f"no store at {path} (run `ticketcli init` or check --db)")


pass_app = click.make_pass_decorator(App)

# Who acts, on every command that records it in a ticket's history.
as_option = click.option(
    "--as",
    "as_login",
    metavar="LOGIN",
    help="Who acts (default: $TICKETCLI_USER, then the OS user).",
)

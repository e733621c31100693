"""What every command gets: the settings, the store (opened on first use), who acts.

Its own module so that commands depend on it and not on ``cli.py``, which
depends on them.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

from ticketcli.config import Config, load_config
from ticketcli.secrets import read_secret
from ticketcli.store.db import connect

if TYPE_CHECKING:
    from peewee import Database


@dataclass
class App:
    """What every command gets: the settings and (opened on first use) the store."""

    config_path: str | None
    db_url: str | None
    verbose: int
    _config: Config | None = None
    _db: Database | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def database_url(self) -> str:
        return self.db_url or self.config.database_url

    @property
    def db(self) -> Database:
        if self._db is None:
            password = None
            if self.config.database_password.configured:
                password = read_secret(self.config.database_password, "database")
            self._db = connect(self.database_url, password)
        return self._db

    def actor(self, as_login: str | None = None) -> str:
        """Who acts: --as, then $TICKETCLI_USER, then the OS user."""
        if as_login:
            return as_login
        return os.environ.get("TICKETCLI_USER") or getpass.getuser()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


pass_app = click.make_pass_decorator(App)

# Who acts, on every command that records it in a ticket's history.
as_option = click.option(
    "--as",
    "as_login",
    metavar="LOGIN",
    help="Who acts (default: $TICKETCLI_USER, then the OS user).",
)

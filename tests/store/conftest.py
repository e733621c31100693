"""The store tests run on both backends: ``store_url`` is SQLite, then PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from tests.conftest import customers_csv
from ticketcli.cli import cli
from ticketcli.store.db import sqlite_path

if TYPE_CHECKING:
    from click.testing import Result


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for a new, empty store (an SQLite file, or a PostgreSQL database)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("postgres_db"))


_CREATORS = ("init", "sync", "import", "copy", "restore", "migrate")


class StoreCli:
    """One store (by URL) and one config, driven through the CLI in-process."""

    def __init__(self, url: str | None, config: Path) -> None:
        self.url = url  # None: the config's [database] url
        self.config = config
        self.runner = CliRunner()

    def run(self, *args: str) -> Result:
        db = ["--db", self.url] if self.url else []
        # Only init, sync, import, copy and restore create an SQLite store
        # (issue 19): a test that starts with another command gets it made.
        path = (
            sqlite_path(self.url)
            if self.url and self.url.startswith("sqlite:")
            else None
        )
        if path is not None and not Path(path).exists() and args[0] not in _CREATORS:
            self.runner.invoke(cli, ["--config", str(self.config), *db, "init"])
        return self.runner.invoke(
            cli, ["--config", str(self.config), *db, *args], catch_exceptions=False
        )

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--format", "json").stdout)

    def export(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.ok("export").stdout.splitlines()]

    def sync(self, folder: Path) -> Result:
        return self.ok("sync", "--source", str(folder))


JUNK = b"\x00\x01 this is not mail at all \xff\xfe" * 3


def fill(
    desk: StoreCli,
    folder: Path,
    truth: dict[str, Any],
    tmp: Path,
    junk: Path | None = None,
) -> None:
    """What a team's store holds after a while: customers, mail, a quarantined
    message (from the folder ``junk``), closed and reopened tickets."""
    desk.ok("customers", "import", str(customers_csv(tmp / "customers.csv", truth)))
    result = desk.sync(folder)
    assert (result.stdout, result.stderr) == ("", "")
    junk = junk or tmp / "junk"
    junk.mkdir(exist_ok=True)
    (junk / "junk.eml").write_bytes(JUNK)
    assert "1 message(s) quarantined" in desk.sync(junk).stderr
    desk.ok("close", "1", "2", "3", "--as", "lead", "--note", "done")
    desk.ok("reopen", "2", "--as", "lead")

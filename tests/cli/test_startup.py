"""Start-up stays cheap (issue 18): commands load lazily, yet ``--help`` lists
every one; an SQLite command never loads a PostgreSQL driver, and a
PostgreSQL store still opens after peewee's probe was kept from finding it.

Not timed (``bench/startup.py`` measures); these pin what the figures rest on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.conftest import write_config
from tests.helpers import SUPPORT
from ticketcli.commands import COMMANDS

if TYPE_CHECKING:
    from pathlib import Path

# Runs the CLI, then names the modules loaded (``main`` always ends in SystemExit).
_RUN_AND_LIST = """
import sys
from ticketcli.cli import main
try:
    main(sys.argv[1:])
finally:
    drivers = sorted(m for m in sys.modules if m.split(".")[0] in (
        "psycopg", "psycopg2", "psycopg_binary"))
    commands = sorted(m for m in sys.modules if m.startswith("ticketcli.commands."))
    print("DRIVERS", drivers, file=sys.stderr)
    print("COMMANDS", commands, file=sys.stderr)
"""


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = write_config(tmp_path / "config.toml", support_addresses=[SUPPORT])
    return subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST, "--config", str(config), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "TICKETCLI_USER": "kadri"},
    )


def _line(result: subprocess.CompletedProcess[str], label: str) -> str:
    return next(x for x in result.stderr.splitlines() if x.startswith(label))


def test_help_lists_every_command_of_the_table(tmp_path: Path) -> None:
    result = _run(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split("\nCommands:\n", 1)[1].splitlines()
    names = {line.split()[0] for line in listed if line.startswith("  ")}
    assert names == set(COMMANDS)


def test_a_command_loads_its_own_module_only(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    assert _run(tmp_path, "--db", db, "init").returncode == 0
    result = _run(tmp_path, "--db", db, "report", "--assignee", "*")
    assert result.returncode == 0, result.stderr
    assert _line(result, "COMMANDS").count("ticketcli.commands.") <= 2  # + params
    assert "ticketcli.commands.sync" not in _line(result, "COMMANDS")


def test_an_sqlite_command_loads_no_postgresql_driver(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    for args in (["init"], ["report", "--assignee", "*"], ["export"], ["stats"]):
        result = _run(tmp_path, "--db", db, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert _line(result, "DRIVERS") == "DRIVERS []", args


_OPEN_POSTGRES = """
import sys
from ticketcli.store.db import connect
import peewee
assert peewee.psycopg is None and "psycopg" not in sys.modules  # the probe was kept out
db = connect(sys.argv[1])
print(db.execute_sql("SELECT count(*) FROM ticket").fetchone()[0])
assert db.is_connection_usable()
with db.atomic():
    db.execute_sql("SELECT 1")
db.close()
"""


@pytest.mark.postgres
def test_a_postgresql_store_opens_after_the_probe_was_kept_out(
    postgres_db: str,
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _OPEN_POSTGRES, postgres_db],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"

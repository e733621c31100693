"""Start-up stays cheap (issue 18): commands load lazily, yet ``--help`` lists
every one with its own help line; ``--help`` loads no command, no config
parser and no peewee; a read command loads neither the mail pipeline nor the
outbox nor a PostgreSQL driver; a sync that finds no new mail loads no
pipeline; and a PostgreSQL store still opens after
peewee's probe was kept from finding it.

Not timed (``bench/startup.py`` measures); these pin what the figures rest on.
"""

from __future__ import annotations

import inspect
import json
import os
import socket
import sqlite3
import subprocess
import sys
from typing import TYPE_CHECKING

import click
import pytest

from tests.conftest import write_config
from tests.helpers import SUPPORT, eml
from ticketcli.cli import cli
from ticketcli.commands import COMMANDS

if TYPE_CHECKING:
    from pathlib import Path

# Runs the CLI (after loading every command, with --all-loaded), then names
# the modules it loaded on stderr (``main`` always ends in SystemExit).
_RUN_AND_LIST = """
import json, sys
from ticketcli.cli import cli, main
args = sys.argv[1:]
if args[:1] == ["--all-loaded"]:
    args = args[1:]
    ctx = cli.make_context("ticketcli", ["--help"], resilient_parsing=True)
    for name in cli.list_commands(ctx):
        cli.get_command(ctx, name)
try:
    main(args)
finally:
    print("MODULES", json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

DRIVERS = ("psycopg", "psycopg2", "psycopg_binary")

# What a command that only reads must not load: the write side of the API
# and the mail pipeline, parser, outbox and backup behind it, the template
# engine (text output), the PostgreSQL drivers, the schema migrator (the
# store is up to date), and the address validator (the config's addresses
# are plain ASCII: config.py checks those itself).
NOT_FOR_READING = (
    "ticketcli.api.write",
    "ticketcli.ingest",
    "ticketcli.mail.parse",
    "ticketcli.desk.outbox",
    "ticketcli.desk.acknowledgements",
    "ticketcli.store.backup",
    "jinja2",
    "playhouse.migrate",
    "email_validator",
    "idna",
    *DRIVERS,
)

# ...and what ``--help`` need not load besides: any command, the config's
# parser, the store (only its tiny driver_probe) and peewee, the address
# validator, tables.
NOT_FOR_HELP = (
    *NOT_FOR_READING,
    "ticketcli.commands.",
    "ticketcli.config",
    "ticketcli.api",
    "ticketcli.store.db",
    "ticketcli.store.models",
    "ticketcli.store.queries",
    "peewee",
    "email_validator",
    "tabulate",
)


def _run(
    tmp_path: Path,
    *args: str,
    all_loaded: bool = False,
    config: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess with ``config`` (default: just the support
    address) and ``env`` added to the environment."""
    if config is None:
        config = write_config(tmp_path / "config.toml", support_addresses=[SUPPORT])
    first = ["--all-loaded"] if all_loaded else []
    return subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST, *first, "--config", str(config), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "TICKETCLI_USER": "kadri", "COLUMNS": "80", **(env or {})},
    )


def _modules(result: subprocess.CompletedProcess[str]) -> list[str]:
    line = next(x for x in result.stderr.splitlines() if x.startswith("MODULES "))
    return json.loads(line.removeprefix("MODULES "))


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    """Those of ``modules`` that are one of ``names`` or inside one
    (a name ending in "." is a prefix: every module below it)."""
    return [
        m
        for m in modules
        if any(
            m.startswith(n) if n.endswith(".") else m == n or m.startswith(f"{n}.")
            for n in names
        )
    ]


def _store_with_a_ticket(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    (tmp_path / "in.eml").write_bytes(eml("<a@kund.ee>", subject="Printer on katki"))
    result = _run(tmp_path, "--db", db, "import", str(tmp_path / "in.eml"))
    assert result.returncode == 0, result.stderr
    return db


def test_help_lists_every_command_of_the_table(tmp_path: Path) -> None:
    result = _run(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split("\nCommands:\n", 1)[1].splitlines()
    names = {line.split()[0] for line in listed if line.startswith("  ")}
    assert names == set(COMMANDS)


def test_help_loads_no_command_no_config_and_no_peewee(tmp_path: Path) -> None:
    result = _run(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert _loaded(_modules(result), NOT_FOR_HELP) == []


def test_help_reads_as_it_does_with_every_command_loaded(tmp_path: Path) -> None:
    """The table's lines, shortened to the width, are what click prints from
    the commands themselves."""
    lazy = _run(tmp_path, "--help")
    loaded = _run(tmp_path, "--help", all_loaded=True)
    assert loaded.returncode == lazy.returncode == 0, loaded.stderr + lazy.stderr
    assert "ticketcli.commands.sync" in _modules(loaded)  # it did load them
    assert lazy.stdout == loaded.stdout


def _help_line(command: click.Command) -> str:
    """What click lists for a command, before it shortens it to the width."""
    if command.short_help:
        return inspect.cleandoc(command.short_help)
    return click.Command("x", help=command.help).get_short_help_str(10**6)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_table_gives_each_command_its_own_help_line(name: str) -> None:
    ctx = click.Context(cli)
    command = cli.get_command(ctx, name)
    assert command is not None
    assert not command.hidden  # a hidden command is not in the table
    assert COMMANDS[name][1] == _help_line(command), (
        f"commands/__init__.py: the line of {name!r} is not its help's first "
        "sentence; copy it from there"
    )


def test_the_help_line_is_the_first_sentence_not_the_whole_help() -> None:
    """The rule the table is held to, on a help of more than one sentence."""
    command = click.Command("x", help="Close the tickets.\n\nMore detail here.")
    assert _help_line(command) == "Close the tickets."


def test_a_command_loads_its_own_module_only(tmp_path: Path) -> None:
    db = _store_with_a_ticket(tmp_path)
    result = _run(tmp_path, "--db", db, "report", "--assignee", "*")
    assert result.returncode == 0, result.stderr
    commands = _loaded(_modules(result), ("ticketcli.commands.",))
    assert set(commands) <= {"ticketcli.commands.report", "ticketcli.commands.params"}


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--assignee", "*"],
        ["report", "--assignee", "*", "--format", "json"],
        ["stats"],
        ["show", "1"],
        ["export"],
        ["search", "printer"],
    ],
    ids=" ".join,
)
def test_a_read_command_loads_no_pipeline_outbox_or_driver(
    tmp_path: Path, args: list[str]
) -> None:
    db = _store_with_a_ticket(tmp_path)
    result = _run(tmp_path, "--db", db, *args)
    assert result.returncode == 0, result.stderr
    assert "Printer on katki" in result.stdout or args == ["stats"], result.stdout
    assert _loaded(_modules(result), NOT_FOR_READING) == [], args


# What a sync that finds no new mail need not load: the pipeline behind the
# first new mail (parser, classifier, threading, acknowledgements, outbox,
# SMTP), the lead's actions and backup -- and, while nobody is away, the
# absence policies; nor dataclasses (~0.5 ms to define each).
NOT_FOR_A_NOOP_SYNC = (
    "dataclasses",
    "ticketcli.ingest.pipeline",
    "ticketcli.desk.absence",
    "ticketcli.mail.parse",
    "ticketcli.mail.classify",
    "ticketcli.desk.tickets",
    "ticketcli.desk.acknowledgements",
    "ticketcli.desk.outbox",
    "ticketcli.mail.smtp",
    "ticketcli.api.write",
    "ticketcli.store.backup",
    "jinja2",
    *DRIVERS,
)


def test_a_sync_with_nothing_new_loads_no_pipeline(tmp_path: Path) -> None:
    """Most syncs from cron find nothing: the mail read before, an empty
    folder. The same sync with a new mail does load the pipeline (so the
    list above names what a sync really uses)."""
    db = _store_with_a_ticket(tmp_path)
    (tmp_path / "empty").mkdir()
    for source in ("in.eml", "empty"):
        result = _run(tmp_path, "--db", db, "sync", "--source", source)
        assert (result.returncode, result.stdout) == (0, ""), result.stderr
        assert _loaded(_modules(result), NOT_FOR_A_NOOP_SYNC) == [], source
    (tmp_path / "empty" / "new.eml").write_bytes(eml("<b@kund.ee>", subject="Uus"))
    result = _run(tmp_path, "--db", db, "sync", "--source", "empty")
    assert result.returncode == 0, result.stderr
    loaded = _loaded(_modules(result), NOT_FOR_A_NOOP_SYNC)
    assert {"ticketcli.ingest.pipeline", "ticketcli.mail.parse"} <= set(loaded)
    with sqlite3.connect(tmp_path / "store.db") as raw:
        assert raw.execute("SELECT count(*) FROM ticket").fetchone()[0] == 2


def test_the_report_on_the_terminal_defines_no_dataclass_and_reads_no_zone(
    tmp_path: Path,
) -> None:
    """What its start-up figure rests on: defining a dataclass costs ~0.5 ms
    and zoneinfo ~1.5 ms, csv is for --format csv; the listing needs none.
    (``--format csv`` does load csv, so the name is the right one.)"""
    db = _store_with_a_ticket(tmp_path)
    unneeded = ("dataclasses", "zoneinfo", "csv", "getpass")
    result = _run(tmp_path, "--db", db, "report", "--assignee", "*")
    assert result.returncode == 0, result.stderr
    assert "Printer on katki" in result.stdout
    assert _loaded(_modules(result), unneeded) == []
    as_csv = _run(tmp_path, "--db", db, "report", "--assignee", "*", "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    assert "Printer on katki" in as_csv.stdout
    assert _loaded(_modules(as_csv), unneeded) == ["csv"]


# main() itself, as tests and the old entry point call it.
_MAIN = "import sys; from ticketcli.cli import main; sys.argv[0] = 'ticketcli'; main()"


def test_the_entry_point_ends_every_run_as_main_does(tmp_path: Path) -> None:
    """``run`` (the console script and ``python -m``) only adds the frozen
    collector at exit: what it writes is kept (the store, all the output)
    and its exit codes and error lines are ``main``'s."""
    config = write_config(tmp_path / "config.toml", support_addresses=[SUPPORT])
    db = f"sqlite:///{tmp_path / 'store.db'}"
    env = {**os.environ, "TICKETCLI_USER": "kadri", "TICKETCLI_CONFIG": str(config)}

    def both(*args: str) -> list[tuple[int, str, str]]:
        return [
            (r.returncode, r.stdout, r.stderr)
            for r in (
                subprocess.run(
                    [sys.executable, *how, *args],
                    capture_output=True,
                    text=True,
                    check=False,
                    env=env,
                )
                for how in (["-m", "ticketcli"], ["-c", _MAIN])
            )
        ]

    for args in (["--help"], ["report", "--bogus"], ["--db", db, "report"]):
        entry, direct = both(*args)
        assert entry == direct, args
        assert entry[0] == (0 if args == ["--help"] else 2), entry
    for n in range(3):  # written through run, read back through both
        written = subprocess.run(
            [sys.executable, "-m", "ticketcli", "--db", db]
            + (
                ["new", "--from", "mari@kund.ee", "--subject", f"P{n}"]
                if n
                else ["init"]
            ),
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        assert written.returncode == 0, written.stderr
    entry, direct = both("--db", db, "export")
    assert entry == direct
    assert [json.loads(line)["subject"] for line in entry[1].splitlines()] == [
        "P1",
        "P2",
    ]


def test_no_output_loads_tabulate(tmp_path: Path) -> None:
    """render/table.py prints the table; tabulate (with wcwidth and
    importlib.metadata, ~35 ms) is only the tests' oracle for it."""
    db = _store_with_a_ticket(tmp_path)
    args = ("report", "--assignee", "*")
    for fmt in (("--format", "json"), ()):
        result = _run(tmp_path, "--db", db, *args, *fmt)
        assert result.returncode == 0, result.stderr
        assert "Printer on katki" in result.stdout, fmt
        assert _loaded(_modules(result), ("tabulate", "wcwidth")) == [], fmt


def test_a_store_to_migrate_loads_the_migrator_and_is_migrated(
    tmp_path: Path,
) -> None:
    """The migrator is imported when a migration has to run, and it runs:
    a store from before 0008 gets its column."""
    db = _store_with_a_ticket(tmp_path)
    name = "0008_message_unverified_from"
    with sqlite3.connect(tmp_path / "store.db") as raw:
        raw.execute("ALTER TABLE message DROP COLUMN unverified_from")
        raw.execute("DELETE FROM schema_migration WHERE name = ?", (name,))
    result = _run(tmp_path, "--db", db, "report", "--assignee", "*")
    assert result.returncode == 0, result.stderr
    assert "playhouse.migrate" in _modules(result)
    with sqlite3.connect(tmp_path / "store.db") as raw:
        names = {row[0] for row in raw.execute("SELECT name FROM schema_migration")}
        columns = {row[1] for row in raw.execute("PRAGMA table_info(message)")}
    assert name in names
    assert "unverified_from" in columns


def test_an_address_past_the_fast_path_is_still_checked(tmp_path: Path) -> None:
    """A non-ASCII address goes to email_validator, which reads it, and a
    bad one is still refused by name."""
    db = _store_with_a_ticket(tmp_path)
    for address, ok in (("müük@kund.ee", True), ("support@kund..ee", False)):
        config = write_config(tmp_path / "odd.toml", support_addresses=[address])
        result = subprocess.run(
            [sys.executable, "-c", _RUN_AND_LIST, "--config", str(config)]
            + ["--db", db, "report", "--assignee", "*"],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
            env={**os.environ, "TICKETCLI_USER": "kadri"},
        )
        assert (result.returncode == 0) is ok, result.stderr
        assert "email_validator" in _modules(result)
        if not ok:
            assert "support_addresses" in result.stderr
            assert "is not a valid address" in result.stderr


def test_a_store_failure_is_still_one_line_though_cli_imports_no_peewee(
    tmp_path: Path,
) -> None:
    """``main`` knows peewee's errors only once peewee is loaded (which it is
    when a store could fail): a store that fails under a command is still
    the store's one line and exit 1, not an internal error."""
    db = _store_with_a_ticket(tmp_path)
    with sqlite3.connect(tmp_path / "store.db") as raw:
        raw.execute("ALTER TABLE ticket RENAME TO ticket_gone")
    result = _run(tmp_path, "--db", db, "report", "--assignee", "*")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "Error: the store failed: no such table: ticket"
    )


def test_an_sqlite_command_loads_no_postgresql_driver(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    for args in (["init"], ["report", "--assignee", "*"], ["export"], ["stats"]):
        result = _run(tmp_path, "--db", db, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert _loaded(_modules(result), DRIVERS) == [], args


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


def test_an_imap_sync_with_a_password_loads_no_oauth2_sign_in(tmp_path: Path) -> None:
    """Every IMAP sync imports the OAuth2 token code (a source may use it);
    the grants, and http.server for the sign-in redirect, load only when a
    provider is asked for a token. The server here refuses the connection:
    what was loaded until then is what any password login loads."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_config(
        tmp_path / "config.toml",
        support_addresses=[SUPPORT],
        database={"url": f"sqlite:///{tmp_path / 'store.db'}"},
        sources=[
            {
                "type": "imap",
                "name": "support",
                "host": "127.0.0.1",
                "port": port,
                "tls": "none",
                "username": "support",
                "password_env": "TEST_IMAP_PASSWORD",
            }
        ],
    )
    result = _run(tmp_path, "sync", config=config, env={"TEST_IMAP_PASSWORD": "x"})
    assert result.returncode != 0
    assert "support" in result.stderr
    loaded = _modules(result)
    assert "ticketcli.oauth2.tokens" in loaded  # the test reached the source
    assert _loaded(loaded, ("ticketcli.oauth2.flows", "http.server", "authlib")) == []

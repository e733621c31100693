"""Opening a store: URL forms, where the PostgreSQL password comes from, and
what a user sees when the server, the password or the driver is wrong."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

from tests.conftest import write_config
from tests.helpers import eml
from tests.servers.postgres import PASSWORD
from tests.store.conftest import StoreCli
from ticketcli.mail.parse import parse_message
from ticketcli.store.db import connect, redact
from ticketcli.store.lookup import StoreLookup
from ticketcli.store.migrations import MIGRATIONS

if TYPE_CHECKING:
    from pathlib import Path

    from tests.servers.postgres import PostgresServer


def _without_password(url: str) -> str:
    return url.replace(f":{PASSWORD}@", "@")


def _init(url: str | None, tmp: Path, **config: object) -> StoreCli:
    return StoreCli(url, write_config(tmp / "config.toml", **config))


def _assert_created(desk: StoreCli) -> None:
    result = desk.run("init")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(f" created (schema {MIGRATIONS[-1].name})\n")
    assert PASSWORD not in result.stdout


@pytest.mark.postgres
def test_password_from_password_env(
    postgres_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETCLI_DB_PASSWORD", PASSWORD)
    url = _without_password(postgres_db)
    _assert_created(
        _init(url, tmp_path, database={"password_env": "TICKETCLI_DB_PASSWORD"})
    )


@pytest.mark.postgres
def test_password_from_password_file_with_url_in_config(
    postgres_db: str, tmp_path: Path
) -> None:
    secret = tmp_path / "db-password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    url = _without_password(postgres_db)
    database = {"url": url, "password_file": str(secret)}
    _assert_created(_init(None, tmp_path, database=database))


@pytest.mark.postgres
def test_password_from_password_command(postgres_db: str, tmp_path: Path) -> None:
    url = _without_password(postgres_db)
    command = f"{sys.executable} -c \"print('{PASSWORD}')\""
    _assert_created(_init(url, tmp_path, database={"password_command": command}))


@pytest.mark.postgres
def test_password_from_pgpass_like_psql(
    postgres_db: str, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """No password anywhere in ticketcli's hands: libpq reads ~/.pgpass."""
    home = tmp_path / "home"  # the isolated HOME of every test
    pgpass = home / ".pgpass"
    pgpass.write_text(
        f"127.0.0.1:{postgres_server.port}:*:postgres:{PASSWORD}\n", encoding="utf-8"
    )
    pgpass.chmod(0o600)
    _assert_created(_init(_without_password(postgres_db), tmp_path))


@pytest.mark.postgres
def test_wrong_password_is_one_line_without_the_password(
    postgres_db: str, tmp_path: Path
) -> None:
    url = postgres_db.replace(PASSWORD, "not-the-password")
    result = _init(url, tmp_path).run("init")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "Error: cannot open the store postgresql://postgres:***@127.0.0.1:"
    )
    assert "password authentication failed" in result.stderr
    assert "not-the-password" not in result.stderr


@pytest.mark.postgres
def test_missing_password_names_the_server_not_a_traceback(
    postgres_db: str, tmp_path: Path
) -> None:
    result = _init(_without_password(postgres_db), tmp_path).run("init")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: cannot open the store postgresql://")


@pytest.mark.postgres
def test_server_down_is_one_line(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/ticketcli"
    result = _init(url, tmp_path).run("export")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "Connection refused" in result.stderr
    assert PASSWORD not in result.stderr


@pytest.mark.postgres
def test_missing_database_is_one_line(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.url("no_such_db")
    result = _init(url, tmp_path).run("init")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert 'database "no_such_db" does not exist' in result.stderr


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:s3cr%40t@h:5432/db", "postgresql://u:***@h:5432/db"),
        (
            "postgresql://u@h/db?password=s3cret&sslmode=require",
            "postgresql://u@h/db?password=***&sslmode=require",
        ),
        ("postgres://h/db", "postgres://h/db"),
        ("sqlite:////var/lib/t.db", "sqlite:////var/lib/t.db"),
    ],
    ids=["in-userinfo", "in-query", "none", "sqlite"],
)
def test_redact_hides_every_form_of_password(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_missing_driver_is_one_line_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "psycopg.conninfo", None)
    result = _init("postgresql://ticketcli@db.example/ticketcli", tmp_path).run(
        "export"
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: PostgreSQL support is not installed: "
        "pip install 'ticketcli[postgres]'\n"
    )


def test_sqlite_asks_nothing_ahead_and_reserves_no_id(tmp_path: Path) -> None:
    """Read-ahead and reserved message ids are PostgreSQL's (a round trip
    saved); on SQLite a mail's INSERT gives it its id."""
    db = connect(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        lookup = StoreLookup(db)
        lookup.expect(parse_message(eml("<m@kund.ee>")))
        lookup.customers_of("mari@kund.ee", "kund.ee")
        assert lookup.reserved_message_id() is None
    finally:
        db.close()

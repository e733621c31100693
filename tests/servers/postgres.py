"""A throwaway PostgreSQL cluster on 127.0.0.1 for the backend tests.

``PostgresServer`` makes a cluster with ``initdb`` in a temp dir and starts it
on a free port; it is a plain class so ``bench/`` and a developer's shell can
use it too::

    python -m tests.servers.postgres      # prints a URL, Ctrl-C stops it

The pytest fixtures below start one server per session and give each test a
database of its own. Outside CI a machine without PostgreSQL skips those
tests with the reason; in CI (``CI=true``) it fails them, because there the
PostgreSQL run is required.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

IN_CI = os.environ.get("CI", "").lower() == "true"
SUPERUSER = "postgres"
PASSWORD = "pg-test-Secret-7"  # the throwaway cluster's superuser password
# Durability buys nothing in a cluster that is deleted after the run.
FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL binaries, driver or user to run them as on this machine."""


def find_bindir() -> Path:
    """The newest /usr/lib/postgresql/*/bin (Debian), else pg_ctl on PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresUnavailableError(
        "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin "
        "or on PATH; Debian: apt-get install postgresql)"
    )


def _run_as_user() -> str | None:
    """PostgreSQL refuses to run as root: who runs it instead (None: ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise PostgresUnavailableError(
        "running as root and there is no 'postgres' or 'nobody' user to run "
        "PostgreSQL as"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One throwaway cluster: ``start()``, ``create_database()``, ``stop()``."""

    def __init__(self, *, fast: bool = True) -> None:
        self.bindir = find_bindir()
        self.user = _run_as_user()
        self.fast = fast
        self.port = 0
        self.base: Path | None = None
        self._names = itertools.count(1)

    # -- lifecycle -------------------------------------------------------------

    def _cmd(self, *args: str) -> list[str]:
        argv = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            return ["runuser", "-u", self.user, "--", *argv]
        return argv

    def _check(self, argv: list[str], what: str) -> None:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self._log_tail()
            raise PostgresUnavailableError(
                f"{what} failed ({done.returncode}): {done.stderr.strip()} {log}"
            )

    def _log_tail(self) -> str:
        if self.base is None or not (self.base / "log").exists():
            return ""
        return (self.base / "log").read_text(errors="replace")[-2000:]

    def start(self) -> PostgresServer:
        try:
            import psycopg  # noqa: F401 - needed to create the databases
        except ImportError:
            raise PostgresUnavailableError(
                "the psycopg driver is not installed: pip install -e '.[postgres]'"
            ) from None
        # Not under pytest's tmp dir: its parents are private to root, and
        # the server runs as another user.
        self.base = Path(tempfile.mkdtemp(prefix="ticketcli-pg-"))
        self.base.chmod(0o755)
        (self.base / "pwfile").write_text(PASSWORD + "\n", encoding="utf-8")
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            for path in (self.base, self.base / "pwfile"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._check(
            self._cmd(
                "initdb",
                "-D",
                str(self.base / "data"),
                "-U",
                SUPERUSER,
                "--pwfile",
                str(self.base / "pwfile"),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ),
            "initdb",
        )
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.base),
            "max_connections": "60",
            "shared_buffers": "32MB",
            **(FAST_SETTINGS if self.fast else {}),
        }
        options = " ".join(f"-c {k}={v}" for k, v in settings.items())
        for attempt in range(3):  # a free port can be taken before we bind it
            self.port = _free_port()
            done = subprocess.run(
                self._cmd(
                    "pg_ctl",
                    "-D",
                    str(self.base / "data"),
                    "-l",
                    str(self.base / "log"),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {self.port} {options}",
                    "start",
                ),
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode == 0:
                return self
            if attempt == 2:
                tail = self._log_tail()
                self.stop()
                raise PostgresUnavailableError(
                    f"pg_ctl start failed: {done.stderr.strip()} {tail}"
                )
        return self  # pragma: no cover - the loop returns or raises

    def stop(self) -> None:
        if self.base is None:
            return
        if (self.base / "data" / "postmaster.pid").exists():
            subprocess.run(
                self._cmd(
                    "pg_ctl", "-D", str(self.base / "data"), "-m", "immediate", "stop"
                ),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases -------------------------------------------------------------

    def url(self, dbname: str = "postgres", *, password: bool = True) -> str:
        """A ticketcli --db URL; without the password for the password tests."""
        secret = f":{PASSWORD}" if password else ""
        return f"postgresql://{SUPERUSER}{secret}@127.0.0.1:{self.port}/{dbname}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(sql)

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its name."""
        name = name or f"t{os.getpid()}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- pytest ---------------------------------------------------------------------


def _unavailable(reason: str) -> NoReturn:
    """Outside CI a machine without PostgreSQL skips; CI must run these tests."""
    if IN_CI:
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One cluster for the whole session (initdb costs a second or two)."""
    try:
        server = PostgresServer().start()
    except PostgresUnavailableError as exc:
        _unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_db(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The URL of a fresh database, dropped after the test.

    libpq's PG* variables are cleared so that nothing from the developer's
    shell (PGHOST, PGPASSWORD, ...) decides where a test connects.
    """
    for name in list(os.environ):
        if name.startswith("PG"):
            monkeypatch.delenv(name)
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        # A failed drop (a process still connected) must not fail the test.
        with contextlib.suppress(Exception):
            postgres_server.drop_database(name)


def wait_for(check: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll a callable until it is true (for tests that race processes)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    # Ctrl-C or kill: either way the cluster is stopped and its files removed
    # (a background job ignores SIGINT, so SIGTERM must do the same).
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    with PostgresServer(fast=False) as pg:
        print(pg.url(pg.create_database("ticketcli")), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)

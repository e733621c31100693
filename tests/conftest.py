"""Shared fixtures: an isolated home, a CLI runner, stores, generated mailboxes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

# Fixtures that start real servers, one module per server.
pytest_plugins = [
    "tests.servers.postgres",
    "tests.servers.dovecot",
    "tests.servers.smtp",
]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
GEN_MAILBOX = SHARED / "tools" / "gen_mailbox.py"
CORPUS = SHARED / "corpus" / "realworld"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need_corpus() -> None:
    """The real-world corpus in shared/; outside CI a missing one may skip."""
    if not CORPUS.is_dir():
        if IN_CI:
            pytest.fail(f"{CORPUS} is missing: CI must have shared/ beside the repo")
        pytest.skip(f"{CORPUS} is missing")


def need_shared() -> None:
    """shared/ sits beside the repo; outside CI a missing one may skip."""
    if not GEN_MAILBOX.exists():
        if IN_CI:
            pytest.fail(f"{SHARED} is missing: CI must have shared/ beside the repo")
        pytest.skip(f"{SHARED} is missing")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real config, data dir or user leaks into a test (beets' setup_beets)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("TICKETCLI_CONFIG", raising=False)
    monkeypatch.delenv("TICKETCLI_USER", raising=False)
    monkeypatch.setenv("TZ", "Europe/Tallinn")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture
def db() -> Iterator[Any]:
    """An in-memory store with the models bound to it."""
    from ticketcli.store.db import connect
    from ticketcli.store.models import bind_models

    database = connect("sqlite:///:memory:")
    with bind_models(database):
        yield database
    database.close()


def write_config(path: Path, truth: dict[str, Any] | None = None, **extra: Any) -> Path:
    """A config for a generated mailbox: its support address and staff domain."""
    lines = []
    if truth is not None:
        lines.append(f'support_addresses = ["{truth["support_address"]}"]')
        domains = ", ".join(f'"{d}"' for d in truth["staff_domains"])
        lines.append(f"staff_domains = [{domains}]")

    def is_table_list(value: Any) -> bool:
        return bool(value) and isinstance(value, list) and isinstance(value[0], dict)

    tables = {k: v for k, v in extra.items() if isinstance(v, dict) or is_table_list(v)}
    for key, value in extra.items():
        if key not in tables:
            lines.append(f"{key} = {json.dumps(value)}")
    for name, value in tables.items():
        # A dict is [name]; a list of dicts is [[name]] once per item.
        for table in value if isinstance(value, list) else [value]:
            lines.append(f"[[{name}]]" if isinstance(value, list) else f"[{name}]")
            lines.extend(f"{k} = {json.dumps(v)}" for k, v in table.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def customers_csv(path: Path, truth: dict[str, Any]) -> Path:
    """The generated mailbox's customer records as a `customers import` file."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "code", "emails", "domains"])
        for c in truth["customers"]:
            writer.writerow(
                [c["name"], c["id"], " ".join(c["addresses"]), " ".join(c["domains"])]
            )
    return path


GenMailbox = Callable[..., tuple[Path, dict[str, Any]]]


@pytest.fixture(scope="session")
def gen_mailbox(tmp_path_factory: pytest.TempPathFactory) -> GenMailbox:
    """Generate (once per arguments) a mailbox and its ground truth."""
    cache: dict[tuple[Any, ...], tuple[Path, dict[str, Any]]] = {}

    def make(
        conversations: int = 40, seed: int = 7, fmt: str = "eml-dir", noise: float = 0.1
    ) -> tuple[Path, dict[str, Any]]:
        need_shared()
        key = (conversations, seed, fmt, noise)
        if key not in cache:
            base = tmp_path_factory.mktemp(f"gen-{conversations}-{seed}-{fmt}")
            out = base / ("mailbox.mbox" if fmt == "mbox" else "mailbox")
            truth_path = base / "truth.json"
            subprocess.run(
                [
                    sys.executable,
                    str(GEN_MAILBOX),
                    "--conversations",
                    str(conversations),
                    "--seed",
                    str(seed),
                    "--format",
                    fmt,
                    "--out",
                    str(out),
                    "--truth",
                    str(truth_path),
                    "--noise",
                    str(noise),
                    "--quiet",
                ],
                check=True,
            )
            cache[key] = (out, json.loads(truth_path.read_text(encoding="utf-8")))
        return cache[key]

    return make

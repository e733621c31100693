"""Every command explains itself (--help) and is named in the README, and
the README's Python API example runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import TYPE_CHECKING

import click
import pytest
from click.testing import CliRunner

from tests.conftest import REPO, write_config
from tests.helpers import SUPPORT, eml
from ticketcli import Store, load_config
from ticketcli.cli import cli

if TYPE_CHECKING:
    from pathlib import Path

README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, click.Command]]:
    """Every command the group lists (loading each), subcommands as 'a b'."""
    found = []
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None, f"{name} is listed but does not load"
        found.append((name, command))
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
    return found


@pytest.mark.parametrize(("name", "command"), _commands(), ids=lambda v: str(v))
def test_command_has_help_and_is_documented(name: str, command: click.Command) -> None:
    assert (command.help or "").strip(), f"{name} has no help text"
    top = name.split()[0]
    assert f"`{top}" in README, f"{top} is not in README.md"
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")


def _python_api_example() -> str:
    """The first ```python block of the README's "Python API" section."""
    section = README.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, "the Python API section has no python example"
    return found.group(1)


def test_the_python_api_example_runs_as_written(tmp_path: Path) -> None:
    """In a directory with the config.toml and inbox.mbox it names, in a
    Python of its own: what it prints, and what it left in the store."""
    write_config(tmp_path / "config.toml", support_addresses=[SUPPORT])
    mail = eml("<a@kund.ee>", subject="Printer on katki", body="Tere, printer?")
    (tmp_path / "inbox.mbox").write_bytes(
        b"From mari@kund.ee Mon Mar  2 08:00:00 2026\n" + mail.replace(b"\r\n", b"\n")
    )
    result = subprocess.run(
        [sys.executable, "-c", _python_api_example()],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        "1 stored, 1 new tickets\n#1 mari@kund.ee: Printer on katki\nTere, printer?\n\n"
    )
    config = load_config(str(tmp_path / "config.toml"))
    with Store.open(f"sqlite:///{tmp_path / 'tickets.db'}", config) as store:
        ticket = store.ticket(1)
    assert ticket["status"] == "closed"
    assert (ticket["events"][-1]["kind"], ticket["events"][-1]["actor"]) == (
        "closed",
        "lead",
    )
    assert ticket["events"][-1]["detail"] == "answered by phone"

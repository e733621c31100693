"""Every command explains itself (--help) and is named in the README."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from tests.conftest import REPO
from ticketcli.cli import cli

README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, click.Command]]:
    found = []
    for name, command in cli.commands.items():
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

"""The layering in DESIGN.md, held by import-linter and by a scan for the
function-level imports that would hide a cycle from it."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "ticketcli"


def _lint_imports(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.fail(
            "lint-imports is missing: install the test extras (tests/install.sh)"
        )
    return subprocess.run(
        [exe, "--no-cache", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_the_import_contracts_hold() -> None:
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_breaks_the_contracts(tmp_path: Path) -> None:
    """The contracts are not vacuous: a store module that imports the desk
    (policy above it) fails them, in a copy of the tree."""
    shutil.copytree(PACKAGE, tmp_path / "ticketcli")
    shutil.copy(REPO / "setup.cfg", tmp_path / "setup.cfg")
    rogue = tmp_path / "ticketcli" / "store" / "rogue.py"
    rogue.write_text("from ticketcli.desk import tickets  # noqa\n")
    result = subprocess.run(
        [shutil.which("lint-imports") or "lint-imports", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(tmp_path), "PATH": str(Path(sys.executable).parent)},
    )
    assert result.returncode != 0
    assert "ticketcli.store is not allowed to import ticketcli.desk" in result.stdout


def _function_level_imports(path: Path) -> list[str]:
    """Imports of ticketcli inside a function: the way a cycle is dodged."""
    tree = ast.parse(path.read_text("utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith(
                "ticketcli"
            ):
                found.append(f"{path.relative_to(REPO)}:{inner.lineno} {inner.module}")
            elif isinstance(inner, ast.Import):
                found += [
                    f"{path.relative_to(REPO)}:{inner.lineno} {alias.name}"
                    for alias in inner.names
                    if alias.name.startswith("ticketcli")
                ]
    return found


def test_no_function_level_imports_of_ticketcli() -> None:
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        for hit in _function_level_imports(path)
    ]
    assert found == []

"""The layering in DESIGN.md, held by import-linter and by a scan for the
function-level imports that would hide a cycle from it."""

from __future__ import annotations

import ast
import configparser
import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ticketcli.commands import COMMANDS

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


# A module named in a string, loaded on first use (``ticketcli.lazy``, the
# command table): "ticketcli.x.y:attribute", or a module's bare name.
_LAZY_TARGET = re.compile(r"ticketcli(?:\.\w+)+(?::\w+)?")


def _layers() -> list[list[str]]:
    """The layers contract of setup.cfg, top first; each a list of siblings."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    text = config["importlinter:contract:layers"]["layers"]
    return [
        [name.strip() for name in line.split("|")]
        for line in text.splitlines()
        if line.strip()
    ]


def _layer_of(module: str, layers: list[list[str]]) -> tuple[int, str] | None:
    for index, siblings in enumerate(layers):
        for name in siblings:
            if module == name or module.startswith(f"{name}."):
                return index, name
    return None


def _upward(importer: str, module: str, layers: list[list[str]]) -> str | None:
    """Why ``importer`` may not load ``module``, or None if it may."""
    here, there = _layer_of(importer, layers), _layer_of(module, layers)
    if here is None or there is None:
        return None  # ticketcli/__init__.py, ticketcli.lazy: outside the layers
    if there[0] < here[0] or (there[0] == here[0] and there[1] != here[1]):
        return f"{here[1]} may not load {there[1]}"
    return None


def test_the_layer_check_of_lazy_names_refuses_upward_and_sideways() -> None:
    layers = _layers()
    assert _upward("ticketcli.cli", "ticketcli.store.db", layers) is None
    assert _upward("ticketcli.api", "ticketcli.api.write", layers) is None
    assert _upward("ticketcli.store.db", "ticketcli.desk.tickets", layers)
    assert _upward("ticketcli.reports.listing", "ticketcli.ingest", layers)


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _lazy_targets(path: Path) -> list[tuple[int, str]]:
    """(line, target) of every string in ``path`` that names a ticketcli
    module (with ``:attribute``, or one that exists), docstrings aside."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and _LAZY_TARGET.fullmatch(node.value)
            and (":" in node.value or importlib.util.find_spec(node.value))
        ):
            found.append((node.lineno, node.value))
    return found


def test_what_is_loaded_on_first_use_exists_and_lies_below() -> None:
    """import-linter cannot see a module named in a string: each such name
    resolves, and points down the layers (or into the importer's own
    sibling), never up -- the contract a real import would be held to."""
    layers = _layers()
    checked = 0
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, target in _lazy_targets(path):
            module, _sep, attribute = target.partition(":")
            where = f"{path.relative_to(REPO)}:{line} {target}"
            try:
                loaded = importlib.import_module(module)
            except ImportError as exc:
                problems.append(f"{where}: {exc}")
                continue
            if attribute and not hasattr(loaded, attribute):
                problems.append(f"{where}: no attribute {attribute!r}")
            checked += 1
            upward = _upward(_module_name(path), module, layers)
            if upward:
                problems.append(f"{where}: {upward}")
    assert problems == []
    assert checked > len(COMMANDS)  # the scan finds the command table at least

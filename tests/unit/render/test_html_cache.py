"""The report's templates are compiled once and kept in the user's cache
(issue 18: compiling them cost 60-90 ms a run). A template changed since
is compiled anew; a cache that cannot be written is no error."""

from __future__ import annotations

import gettext
from typing import TYPE_CHECKING

import jinja2
import pytest

from ticketcli.render.html import environment

if TYPE_CHECKING:
    from pathlib import Path


def _render(templates: Path, name: str = "hello.html") -> str:
    env = environment(templates, gettext.NullTranslations())
    return env.get_template(name).render(who="<Mari>")


def _cache_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("ticketcli/templates/*/*.cache"))


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "hello.html").write_text("Tere, {{ who }}!\n")
    return folder


def test_a_compiled_template_is_kept_and_used(
    tmp_path: Path, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "home" / ".cache"  # conftest's XDG_CACHE_HOME
    assert _render(templates) == "Tere, &lt;Mari&gt;!\n"
    assert len(_cache_files(cache)) == 1
    with monkeypatch.context() as patch:  # the next run compiles nothing
        patch.setattr(jinja2.Environment, "compile", _no_compiling)
        assert _render(templates) == "Tere, &lt;Mari&gt;!\n"


def _no_compiling(*args: object, **kwargs: object) -> None:
    raise AssertionError("compiled again")


def test_a_changed_template_is_compiled_anew(tmp_path: Path, templates: Path) -> None:
    _render(templates)
    (templates / "hello.html").write_text("Head aega, {{ who }}!\n")
    assert _render(templates) == "Head aega, &lt;Mari&gt;!\n"
    assert len(_cache_files(tmp_path / "home" / ".cache")) == 1  # rewritten


def test_a_damaged_cache_file_is_compiled_anew(tmp_path: Path, templates: Path) -> None:
    _render(templates)
    (kept,) = _cache_files(tmp_path / "home" / ".cache")
    kept.write_bytes(b"not bytecode")
    assert _render(templates) == "Tere, &lt;Mari&gt;!\n"


def test_an_unusable_cache_dir_is_no_error(
    tmp_path: Path, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # cannot be a folder
    assert _render(templates) == "Tere, &lt;Mari&gt;!\n"


def test_an_unwritable_cache_dir_is_no_error(
    tmp_path: Path, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a full disk or a read-only folder (which root, running the tests
    here, could still write) answers jinja's attempt to write."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(jinja2.bccache.tempfile, "NamedTemporaryFile", refuse)
    assert _render(templates) == "Tere, &lt;Mari&gt;!\n"
    assert _cache_files(tmp_path / "home" / ".cache") == []

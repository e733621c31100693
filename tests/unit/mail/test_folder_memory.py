"""What a local folder held, remembered so that a no-op sync lists nothing
(``sources.folders``), and the ways that memory must never lose a mail."""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketcli.mail.sources import folders
from ticketcli.mail.sources.eml import EmlDirSource
from ticketcli.mail.sources.maildir import MaildirSource

if TYPE_CHECKING:
    from pathlib import Path

    from ticketcli.mail.sources.base import Source

# Longer than any file system's clock tick: a test waits this long (and a
# little more) before a sync whose stamps it wants trusted.
SETTLE = 0.03
OLD = 978_307_200  # 2001-01-01: a file saved long ago, copied in now


class Store:
    """A store's memory of one source, with the methods a real one has."""

    def __init__(self) -> None:
        self.checkpoints: dict[str, str] = {}
        self.keys: list[str] = []
        self.queries = 0

    def get(self, name: str) -> str | None:
        return self.checkpoints.get(name)

    def seen(self, key: str) -> bool:
        self.queries += 1
        return key in self.keys

    def seen_keys(self) -> set[str]:
        self.queries += 1
        return set(self.keys)

    def remember(self, name: str, value: str) -> None:
        self.checkpoints[name] = value


def drain(source: Source, store: Store, stop_after: int | None = None) -> list[str]:
    """Run a source as the pipeline does; ``stop_after`` mails, a crash."""
    read: list[str] = []
    try:
        for mail in source.fetch(store):
            store.keys.append(mail.key)
            source.acknowledge(mail)
            read.append(mail.key)
            if stop_after is not None and len(read) >= stop_after:
                break
    finally:
        source.close()
    return read


@pytest.fixture(autouse=True)
def _short_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folders, "SETTLE_NS", int(SETTLE * 1e9))


def settle() -> None:
    time.sleep(SETTLE + 0.02)


def mail(mid: str) -> bytes:
    return f"From: a@kund.ee\r\nMessage-ID: <{mid}@kund.ee>\r\n\r\nhi\r\n".encode()


def eml_folder(tmp_path: Path, names: list[str]) -> Path:
    root = tmp_path / "eml"
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(mail(name.replace("/", "-")))
    return root


def maildir(tmp_path: Path, names: list[str], sub: str = "cur") -> Path:
    root = tmp_path / "Maildir"
    for s in ("cur", "new", "tmp"):
        (root / s).mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / sub / name).write_bytes(mail(name))
    return root


def test_an_unchanged_folder_is_not_listed_nor_asked_about(tmp_path: Path) -> None:
    root = eml_folder(tmp_path, [f"{i}.eml" for i in range(50)] + ["sub/1.eml"])
    store = Store()
    settle()
    assert len(drain(EmlDirSource("s", root), store)) == 51
    assert folders.MEMORY in store.checkpoints
    store.queries = 0

    def no_listing(*_args: object) -> None:
        raise AssertionError("listed an unchanged folder")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "scandir", no_listing)
        assert drain(EmlDirSource("s", root), store) == []
    assert store.queries == 0


@pytest.mark.parametrize("where", ["", "sub/", "sub/deeper/", "new-sub/"])
def test_a_file_added_with_an_old_name_and_mtime_is_found(
    tmp_path: Path, where: str
) -> None:
    """The mail a high-water mark would lose: it sorts before everything
    read, and its mtime is years old (copied with ``cp -p``)."""
    root = eml_folder(tmp_path, ["5.eml", "7.eml", "sub/3.eml", "sub/deeper/4.eml"])
    store = Store()
    settle()
    drain(EmlDirSource("s", root), store)
    assert drain(EmlDirSource("s", root), store) == []  # remembered
    late = root / where / "0.eml"
    late.parent.mkdir(parents=True, exist_ok=True)
    late.write_bytes(mail("late"))
    os.utime(late, (OLD, OLD))
    assert drain(EmlDirSource("s", root), store) == [f"{where}0.eml"]


def test_a_maildir_file_with_an_old_name_is_found(tmp_path: Path) -> None:
    root = maildir(tmp_path, ["1767600000.M5P1.h:2,S", "1767600001.M6P1.h:2,S"])
    store = Store()
    settle()
    drain(MaildirSource("m", root), store)
    assert drain(MaildirSource("m", root), store) == []
    for sub, name in (("cur", "978307200.M1P1.h:2,S"), ("new", "978307201.M1P1.h")):
        (root / sub / name).write_bytes(mail(name))
        os.utime(root / sub / name, (OLD, OLD))
    assert drain(MaildirSource("m", root), store) == [
        "978307200.M1P1.h",
        "978307201.M1P1.h",
    ]


def test_a_folder_changed_just_before_it_was_read_is_not_trusted(
    tmp_path: Path,
) -> None:
    """Racy: a name added in the same clock tick as the last change would
    leave the times equal, so those stamps are not kept."""
    root = eml_folder(tmp_path, ["1.eml"])
    store = Store()
    drain(EmlDirSource("s", root), store)  # at once: the folder just changed
    assert folders.MEMORY not in store.checkpoints
    settle()
    drain(EmlDirSource("s", root), store)
    assert folders.MEMORY in store.checkpoints


def test_a_read_that_stopped_early_remembers_nothing(tmp_path: Path) -> None:
    root = eml_folder(tmp_path, [f"{i}.eml" for i in range(5)])
    store = Store()
    settle()
    assert drain(EmlDirSource("s", root), store, stop_after=2) == ["0.eml", "1.eml"]
    assert folders.MEMORY not in store.checkpoints
    assert drain(EmlDirSource("s", root), store) == ["2.eml", "3.eml", "4.eml"]


def read_ahead(source: Source, store: Store, stored: int) -> int:
    """Read the whole listing, then store only its first ``stored`` mails:
    a sync that parses ahead reaches a folder's end before it has stored
    the last mails of it, and may die then."""
    try:
        mails = list(source.fetch(store))
        for mail in mails[:stored]:
            store.keys.append(mail.key)
            source.acknowledge(mail)
    finally:
        source.close()
    return len(mails)


@pytest.mark.parametrize("kind", ["eml", "maildir"])
def test_the_end_of_a_listing_is_remembered_only_once_all_of_it_is_stored(
    tmp_path: Path, kind: str
) -> None:
    names = [f"{i}.eml" for i in range(12)]
    root = eml_folder(tmp_path, names) if kind == "eml" else maildir(tmp_path, names)

    def source() -> Source:
        return EmlDirSource("s", root) if kind == "eml" else MaildirSource("s", root)

    store = Store()
    settle()
    assert read_ahead(source(), store, stored=9) == 12
    assert folders.MEMORY not in store.checkpoints  # three wait: a crash now
    # The next run lists the folder and finds the three.
    assert read_ahead(source(), store, stored=3) == 3
    assert folders.MEMORY in store.checkpoints
    assert sorted(store.keys) == sorted(names)
    assert read_ahead(source(), store, stored=0) == 0


def test_a_folder_changed_while_read_is_not_remembered(tmp_path: Path) -> None:
    root = eml_folder(tmp_path, ["1.eml", "2.eml"])
    store = Store()
    settle()
    source = EmlDirSource("s", root)
    read = []
    for m in source.fetch(store):
        store.keys.append(m.key)
        read.append(m.key)
        if m.key == "1.eml":
            (root / "0.eml").write_bytes(mail("during"))  # listed already
    assert read == ["1.eml", "2.eml"]
    assert folders.MEMORY not in store.checkpoints
    settle()
    assert drain(EmlDirSource("s", root), store) == ["0.eml"]


def test_marking_seen_moves_files_so_the_next_run_remembers(tmp_path: Path) -> None:
    root = maildir(tmp_path, ["1767600000.M1P1.h", "1767600000.M2P1.h"], sub="new")
    store = Store()
    settle()
    assert len(drain(MaildirSource("m", root, after="seen"), store)) == 2
    assert folders.MEMORY not in store.checkpoints  # we moved them
    assert os.listdir(root / "new") == []
    settle()
    assert drain(MaildirSource("m", root, after="seen"), store) == []
    assert folders.MEMORY in store.checkpoints
    (root / "new" / "1767600001.M3P1.h").write_bytes(mail("3"))
    assert drain(MaildirSource("m", root, after="seen"), store) == ["1767600001.M3P1.h"]


def test_stamps_are_trusted_for_an_hour_at_most(tmp_path: Path) -> None:
    root = eml_folder(tmp_path, ["1.eml"])
    store = Store()
    settle()
    drain(EmlDirSource("s", root), store)
    saved = json.loads(store.checkpoints[folders.MEMORY])
    path_of = EmlDirSource("s", root)._dir
    assert folders.unchanged(json.dumps(saved), str(root), path_of)
    saved["at"] -= folders.RECHECK_NS
    assert not folders.unchanged(json.dumps(saved), str(root), path_of)
    assert not folders.unchanged(
        store.checkpoints[folders.MEMORY], str(tmp_path / "elsewhere"), path_of
    )
    for broken in ("", "{", "[]", '{"v": 1}', "null"):
        assert not folders.unchanged(broken, str(root), path_of)


def test_a_store_without_the_set_is_asked_key_by_key(tmp_path: Path) -> None:
    """Stand-ins for the store (check's, the tests') give neither
    ``seen_keys`` nor ``remember``: every run lists, nothing is lost."""

    class Plain:
        def __init__(self) -> None:
            self.keys: set[str] = set()

        def get(self, name: str) -> str | None:
            return None

        def seen(self, key: str) -> bool:
            return key in self.keys

    root = eml_folder(tmp_path, ["2.eml", "10.eml"])
    plain = Plain()
    source = EmlDirSource("s", root)
    first = [m.key for m in source.fetch(plain)]
    assert first == ["2.eml", "10.eml"]
    plain.keys.update(first)
    assert list(EmlDirSource("s", root).fetch(plain)) == []


_STEP = st.one_of(
    st.tuples(
        st.just("add"),
        st.sampled_from(["", "a/", "a/b/", "c/"]),
        st.integers(0, 40),
        st.booleans(),  # an old mtime
    ),
    st.tuples(st.just("sync")),
    st.tuples(st.just("wait")),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(_STEP, max_size=14))
def test_every_file_is_read_exactly_once(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[object, ...]]
) -> None:
    """Whatever order files arrive in, with whatever names and mtimes, and
    whenever syncs run: each is read once, and none is left unread."""
    root = tmp_path_factory.mktemp("prop") / "eml"
    root.mkdir()
    store = Store()
    added: set[str] = set()
    for step in steps:
        if step[0] == "add":
            _, where, number, old = step
            key = f"{where}{number}.eml"
            if key in added:
                continue
            path = root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(mail(key.replace("/", "-")))
            if old:
                os.utime(path, (OLD, OLD))
            added.add(key)
        elif step[0] == "sync":
            drain(EmlDirSource("s", root), store)
        else:
            settle()
    settle()
    drain(EmlDirSource("s", root), store)
    drain(EmlDirSource("s", root), store)
    assert sorted(store.keys) == sorted(added)

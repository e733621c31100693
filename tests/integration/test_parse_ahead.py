"""Parsing in a second process (``ticketcli.ingest.parse_ahead``) changes
nothing but the time a sync takes: the same tickets, the same quarantine,
every mail once, whatever happens to the worker or to the sync itself."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from peewee import PostgresqlDatabase

from tests.conftest import CORPUS, GenMailbox, need_corpus, write_config
from tests.helpers import parse_ahead_at_once
from ticketcli.config import load_config
from ticketcli.errors import SourceError
from ticketcli.ingest import read_sources
from ticketcli.ingest.parse_ahead import ParseAhead
from ticketcli.mail.raw import RawMail
from ticketcli.mail.sources.eml import EmlDirSource
from ticketcli.store.db import connect
from ticketcli.store.models import bind_models
from ticketcli.store.search import rebuild

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from tests.servers.postgres import PostgresServer
    from ticketcli.config import Config
    from ticketcli.mail.sources.base import SourceState

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the worker is forked")


def in_process(size: int) -> ParseAhead:
    return ParseAhead(size, enabled=False)


def _mailbox(gen: GenMailbox, tmp: Path) -> tuple[Path, Config]:
    """A generated mailbox with real-world mail that broke other software
    (quarantined or not) mixed in, and its config."""
    need_corpus()
    folder, truth = gen(conversations=40, seed=31, fmt="eml-dir", noise=0.2)
    mixed = tmp / "mixed"
    shutil.copytree(folder, mixed)
    for n, path in enumerate(sorted(CORPUS.rglob("*.eml"))[::10]):
        shutil.copy(path, mixed / f"zz-corpus-{n}.eml")
    (mixed / "zz-empty.eml").write_bytes(b"")
    (mixed / "zz-huge.eml").write_bytes(b"Subject: big\r\n\r\n" + b"x" * 300_000)
    config = write_config(tmp / "config.toml", truth, max_message_size=262_144)
    return mixed, load_config(str(config))


def _store_rows(db: Any) -> dict[str, list[tuple[Any, ...]]]:
    """What a sync leaves behind, in the store's own order."""
    queries = {
        "messages": "SELECT message_id, ticket_id, kind, direction, rule, source,"
        " raw_sha256 FROM message ORDER BY id",
        "tickets": "SELECT id, subject, customer_id, requester, status, assignee_id"
        " FROM ticket ORDER BY id",
        "quarantine": "SELECT source, key, reason FROM quarantine ORDER BY id",
        "deliveries": "SELECT source, key, message_id, quarantine_id FROM delivery"
        " ORDER BY source, key",
        "events": "SELECT ticket_id, kind, actor, detail FROM event ORDER BY id",
    }
    rows = {name: list(db.execute_sql(sql).fetchall()) for name, sql in queries.items()}
    return {**rows, "index": _index_words(db)}


def _index_words(db: Any) -> list[tuple[Any, ...]]:
    """Every message's words as the search index holds them (the worker
    folds them): FTS5's own view of its contentless table; on PostgreSQL
    the tsvector as text."""
    if isinstance(db, PostgresqlDatabase):
        sql = "SELECT message_id, terms::text FROM search_message ORDER BY message_id"
    else:
        db.execute_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_words"
            " USING fts5vocab(main, search_message, instance)"
        )
        sql = 'SELECT doc, "offset", term FROM temp.search_words ORDER BY doc, "offset"'
    return list(db.execute_sql(sql).fetchall())


MEMORY = "sqlite:///:memory:"
# What a sync reports, and the rows it leaves (``_store_rows``).
Synced = tuple[Any, dict[str, list[tuple[Any, ...]]]]


def _sync(
    folder: Path,
    config: Config,
    parse_ahead: Callable[[int], ParseAhead],
    sources: Callable[[Path], list[Any]] | None = None,
    url: str = MEMORY,
) -> Synced:
    db = connect(url)
    with bind_models(db):
        made = sources(folder) if sources else [EmlDirSource("support", folder)]
        report = read_sources(config, db, made, parse_ahead=parse_ahead)
        rows = _store_rows(db)
    db.close()
    return report, rows


def _alone_and_ahead(
    folder: Path, config: Config, urls: Sequence[str] = (MEMORY, MEMORY)
) -> tuple[Synced, Synced, ParseAhead]:
    """The folder synced into ``urls[0]`` parsing in this process, and into
    ``urls[1]`` with the worker from the first mail; and that worker's
    ``ParseAhead``."""
    made: list[ParseAhead] = []
    alone = _sync(folder, config, in_process, url=urls[0])
    ahead = _sync(folder, config, parse_ahead_at_once(made), url=urls[1])
    return alone, ahead, made[0]


def test_the_worker_stores_exactly_what_this_process_would(
    gen_mailbox: GenMailbox, tmp_path: Path
) -> None:
    folder, config = _mailbox(gen_mailbox, tmp_path)
    (alone_report, alone), (ahead_report, ahead), worker = _alone_and_ahead(
        folder, config
    )
    # Every mail went through the worker (the refused ones too: it says why).
    assert worker.parsed_by_worker == len(os.listdir(folder))
    assert ahead == alone
    assert ahead_report == alone_report
    reasons = {reason for _, key, reason in ahead["quarantine"]}
    assert any("empty" in r for r in reasons)
    assert any("max_message_size" in r for r in reasons)
    assert len(ahead["deliveries"]) == len(os.listdir(folder))


def test_the_index_the_worker_folds_is_the_one_rebuild_writes(
    gen_mailbox: GenMailbox, tmp_path: Path
) -> None:
    """One definition of a message's words (``message_terms``): what a sync
    indexes with the words folded in the worker is what ``rebuild`` writes
    from the stored rows (``search reindex``, the migration, copy, restore)."""
    folder, config = _mailbox(gen_mailbox, tmp_path)
    made: list[ParseAhead] = []
    db = connect(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with bind_models(db):
            source = EmlDirSource("support", folder)
            read_sources(config, db, [source], parse_ahead=parse_ahead_at_once(made))
        assert made[0].parsed_by_worker == len(os.listdir(folder))
        synced = _index_words(db)
        with db.atomic():
            rebuild(db)
        rebuilt = _index_words(db)
    finally:
        db.close()
    assert len({doc for doc, _offset, _term in synced}) > 100
    assert synced == rebuilt


@pytest.mark.postgres
def test_on_postgresql_the_worker_stores_exactly_what_this_process_would(
    gen_mailbox: GenMailbox, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """The worker is forked with the store's connection open: on PostgreSQL
    that is a socket to the server, which the worker never touches and does
    not close (it leaves by os._exit), so the sync goes on over it."""
    folder, config = _mailbox(gen_mailbox, tmp_path)
    stores = [postgres_server.create_database() for _ in range(2)]
    try:
        (alone_report, alone), (ahead_report, ahead), worker = _alone_and_ahead(
            folder, config, [postgres_server.url(name) for name in stores]
        )
    finally:
        for name in stores:
            postgres_server.drop_database(name)
    assert worker.parsed_by_worker == len(os.listdir(folder))
    assert ahead == alone
    assert ahead_report == alone_report
    assert len(ahead["messages"]) > 100


class _Wrapped:
    """A real folder source, read through a test's ``fetch``."""

    def __init__(self, inner: EmlDirSource) -> None:
        self.inner = inner
        self.name = inner.name

    def acknowledge(self, mail: RawMail) -> None:
        self.inner.acknowledge(mail)

    def close(self) -> None:
        self.inner.close()


class _Killing(_Wrapped):
    """A source that kills the parsing worker while it is being read."""

    def __init__(self, inner: EmlDirSource, ahead: list[ParseAhead], at: int) -> None:
        super().__init__(inner)
        self.ahead = ahead
        self.at = at

    def fetch(self, state: SourceState) -> Iterator[RawMail]:
        for n, raw in enumerate(self.inner.fetch(state)):
            if n == self.at:
                worker = self.ahead[0]._worker
                assert worker is not None, "the worker should be running by now"
                os.kill(worker.process.pid, signal.SIGKILL)
                worker.process.join()
            yield raw


def test_a_worker_that_dies_leaves_this_process_to_parse_the_rest(
    gen_mailbox: GenMailbox, tmp_path: Path
) -> None:
    folder, config = _mailbox(gen_mailbox, tmp_path)
    _, alone = _sync(folder, config, in_process)
    made: list[ParseAhead] = []
    report, rows = _sync(
        folder,
        config,
        parse_ahead_at_once(made),
        lambda f: [_Killing(EmlDirSource("support", f), made, at=25)],
    )
    assert rows == alone
    assert report.failed_sources == []
    assert made[0]._worker is None  # closed, and never started again
    assert 0 < made[0].parsed_by_worker <= 25


class _Failing(_Wrapped):
    """A source whose connection breaks after ``good`` mails."""

    def __init__(self, inner: EmlDirSource, good: int) -> None:
        super().__init__(inner)
        self.good = good
        self.acknowledged: list[str] = []

    def fetch(self, state: SourceState) -> Iterator[RawMail]:
        for n, raw in enumerate(self.inner.fetch(state)):
            if n == self.good:
                raise SourceError("connection reset")
            yield raw

    def acknowledge(self, mail: RawMail) -> None:
        self.acknowledged.append(mail.key)


def test_a_source_that_fails_has_what_it_read_before_stored(
    gen_mailbox: GenMailbox, tmp_path: Path
) -> None:
    folder, config = _mailbox(gen_mailbox, tmp_path)
    failing: list[_Failing] = []

    def sources(f: Path) -> list[Any]:
        failing.append(_Failing(EmlDirSource("support", f), good=30))
        return failing

    report, rows = _sync(folder, config, parse_ahead_at_once([]), sources)
    assert report.failed_sources == ["support: connection reset"]
    # The mails in flight when it broke were stored, not dropped.
    assert len(rows["deliveries"]) == 30
    assert len(failing[0].acknowledged) == 30


def test_a_run_that_stops_early_stops_the_worker_and_stores_the_rest_next_time(
    gen_mailbox: GenMailbox, tmp_path: Path
) -> None:
    """A store failure (here: a bug in the driver's caller) stops the run
    with mails parsed ahead and not stored; none of them is lost."""
    folder, config = _mailbox(gen_mailbox, tmp_path)
    _, alone = _sync(folder, config, in_process)
    db = connect("sqlite:///:memory:")
    made: list[ParseAhead] = []
    remembered = parse_ahead_at_once(made)
    calls = 0

    def progress(raw: RawMail) -> None:
        nonlocal calls
        calls += 1
        if calls == 20:
            raise RuntimeError("the progress bar broke")

    with bind_models(db):
        with pytest.raises(RuntimeError, match="progress bar"):
            read_sources(
                config,
                db,
                [EmlDirSource("support", folder)],
                progress,
                parse_ahead=remembered,
            )
        assert made[0]._worker is None
        assert len(_store_rows(db)["deliveries"]) == 20
        again = read_sources(
            config, db, [EmlDirSource("support", folder)], parse_ahead=remembered
        )
        rows = _store_rows(db)
    db.close()
    assert again.stored + again.quarantined + again.duplicates == (
        len(alone["deliveries"]) - 20
    )
    assert rows["deliveries"] == alone["deliveries"]
    assert [m[6] for m in rows["messages"]] == [m[6] for m in alone["messages"]]


def test_a_small_sync_starts_no_process(tmp_path: Path) -> None:
    raws = [RawMail("s", str(n), b"Subject: hi\r\n\r\nhi\r\n") for n in range(16)]
    ahead = ParseAhead(1 << 20, enabled=True)
    handed = list(ahead.over(raws))
    assert [raw for raw, _ in handed] == raws
    assert all(read is None for _, read in handed)  # parsed by the caller
    assert ahead._worker is None


def test_parsed_ahead_mails_come_back_in_order_with_their_parse(
    tmp_path: Path,
) -> None:
    raws = [
        RawMail("s", str(n), f"Subject: n{n}\r\nMessage-ID: <{n}@x>\r\n\r\n".encode())
        for n in range(40)
    ]
    ahead = ParseAhead(1 << 20, start_after=5, depth=3, enabled=True)
    try:
        handed = list(ahead.over(raws))
    finally:
        ahead.close()
    assert [raw for raw, _ in handed] == raws
    assert all(read is None for _, read in handed[:5])
    # Each with its parse and the words its index row will hold.
    assert [(read.mail.subject, read.terms) for _, read in handed[5:]] == [
        (f"n{n}", f"n{n}") for n in range(5, 40)
    ]


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(p) for p in text.split()}


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")
def test_a_killed_sync_leaves_no_worker_behind(
    gen_mailbox: GenMailbox, tmp_path: Path
) -> None:
    folder, truth = gen_mailbox(conversations=400, seed=5, fmt="eml-dir", noise=0.1)
    config = write_config(tmp_path / "config.toml", truth)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ticketcli",
            "--config",
            str(config),
            "--db",
            f"sqlite:///{tmp_path / 'store.db'}",
            "sync",
            "--source",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while not workers and proc.poll() is None and time.monotonic() < deadline:
        workers = _children(proc.pid)
        time.sleep(0.01)
    assert workers, "the sync never started a worker"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        Path(f"/proc/{pid}").exists() and _alive(pid) for pid in workers
    ):
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() and _alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for the init process to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"

"""IMAP sources against a real Dovecot: the same tickets as local mail, exactly once.

Each test gets scratch folders on the session's Dovecot (``imap_folder``),
APPENDs mail from ``shared/tools/gen_mailbox.py`` and ``shared/corpus/realworld``,
and runs the real CLI -- in-process through CliRunner, or as subprocesses
where processes must race or die (two syncs at once, SIGKILL).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from tests.conftest import CORPUS, IN_CI, REPO, GenMailbox
from tests.servers.dovecot import PASSWORD, DovecotServer, epoch_utc
from ticketcli.cli import cli
from ticketcli.errors import ConfigError
from ticketcli.ingest import read_sources

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result

SUPPORT = "support@helpdesk.example"


# -- helpers --------------------------------------------------------------------


def _toml(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, bool) else str(value).lower()


def write_config(
    tmp: Path, *sources: dict[str, Any], db: str = "store.db", **top: Any
) -> Path:
    """A config with the generated mailbox's support side and these sources."""
    lines = [
        f'support_addresses = ["{SUPPORT}"]',
        'staff_domains = ["helpdesk.example"]',
        *(f"{k} = {_toml(v)}" for k, v in top.items() if not isinstance(v, dict)),
        f'[database]\nurl = "sqlite:///{tmp / db}"',
    ]
    for name, table in top.items():
        if isinstance(table, dict):
            lines.append(f"[{name}]")
            lines.extend(f"{k} = {_toml(v)}" for k, v in table.items())
    for table in sources:
        lines.append("[[sources]]")
        lines.extend(f"{k} = {_toml(v)}" for k, v in table.items())
    path = tmp / f"config-{db}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--config", str(config), *args], catch_exceptions=False
    )


def popen_sync(config: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ticketcli", "--config", str(config), *extra, "sync"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def store_counts(db: Path) -> tuple[int, int, int]:
    """(messages, distinct Message-ID+content, quarantined)."""
    if not db.exists():
        return 0, 0, 0
    con = sqlite3.connect(db)
    try:
        stored, distinct = con.execute(
            "SELECT count(*), count(DISTINCT dedupe_key) FROM message"
        ).fetchone()
        (kept,) = con.execute("SELECT count(*) FROM quarantine").fetchone()
    finally:
        con.close()
    return stored, distinct, kept


def delivered_uids(db: Path) -> set[int]:
    """UIDs (from keys uidvalidity/folder/uid) the store has committed."""
    if not db.exists():
        return set()
    con = sqlite3.connect(db)
    try:
        return {int(k.rsplit("/", 1)[1]) for (k,) in con.execute(
            "SELECT key FROM delivery"
        )}  # fmt: skip
    finally:
        con.close()


def expected_distinct(truth: dict[str, Any]) -> int:
    """Every generated mail except second deliveries of the same mail."""
    return sum(1 for m in truth["messages"] if m["kind"] != "duplicate")


def corpus_sample(count: int, seed: int = 5) -> list[Path]:
    """Every message other parsers choked on, plus a seeded random sample."""
    index = CORPUS / "index.tsv"
    if not index.exists():
        if IN_CI:
            pytest.fail(f"{CORPUS} is missing: CI must have shared/ beside the repo")
        pytest.skip(f"{CORPUS} is missing")
    rows = [
        line.split("\t")
        for line in index.read_text(encoding="utf-8").splitlines()[1:]
        if line.strip()
    ]
    broken = [r[0] for r in rows if r[5] != "ok"]
    rest = sorted(r[0] for r in rows if r[5] == "ok" and int(r[2]) < 200_000)
    chosen = broken + random.Random(seed).sample(rest, max(0, count - len(broken)))
    return [CORPUS / name for name in chosen]


def build_mailbox(
    gen: GenMailbox, tmp: Path, conversations: int, corpus: int = 0, seed: int = 11
) -> tuple[Path, list[Path], dict[str, Any]]:
    """One eml folder (generated mail, then corpus files) with whole-second mtimes.

    The mtimes become the APPENDed INTERNALDATEs, so mail without a usable
    Date header gets the same time from IMAP as from the local folder.
    """
    folder, truth = gen(conversations=conversations, seed=seed, fmt="eml-dir")
    sources = sorted(folder.iterdir()) + (corpus_sample(corpus) if corpus else [])
    out = tmp / "mail"
    out.mkdir()
    paths = []
    for i, src in enumerate(sources, 1):
        dst = out / f"{i:05d}.eml"
        shutil.copyfile(src, dst)
        stamp = 1_767_000_000 + 60 * i
        os.utime(dst, (stamp, stamp))
        paths.append(dst)
    return out, paths, truth


def append_files(dovecot: DovecotServer, folder: str, paths: list[Path]) -> None:
    dovecot.append(
        folder, [(p.read_bytes(), epoch_utc(p.stat().st_mtime)) for p in paths]
    )


@pytest.fixture
def imap_mailbox(
    dovecot: DovecotServer,
    imap_folder: Callable[..., str],
    gen_mailbox: GenMailbox,
    tmp_path: Path,
) -> Callable[..., tuple[str, list[Path], dict[str, Any]]]:
    """``imap_mailbox(conversations, seed=11)``: a generated mailbox APPENDed to
    a new scratch folder -> (folder, eml paths, truth)."""

    def load(
        conversations: int, seed: int = 11
    ) -> tuple[str, list[Path], dict[str, Any]]:
        _, paths, truth = build_mailbox(gen_mailbox, tmp_path, conversations, seed=seed)
        folder = imap_folder()
        append_files(dovecot, folder, paths)
        return folder, paths, truth

    return load


def assert_one_clean_line(result: Result, code: int, *needles: str) -> str:
    """Exit ``code``, nothing on stdout, one ``Error:`` line, no secret, no trace."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines
    assert "Traceback" not in result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# -- syncing --------------------------------------------------------------------


@pytest.mark.imap
@pytest.mark.parametrize("tls", ["ssl", "starttls"])
def test_imap_sync_gives_what_a_local_sync_gives(
    tls: str,
    dovecot: DovecotServer,
    imap_folder: Callable[..., str],
    gen_mailbox: GenMailbox,
    tmp_path: Path,
) -> None:
    mail, paths, truth = build_mailbox(gen_mailbox, tmp_path, 30, corpus=40)
    folder = imap_folder()
    append_files(dovecot, folder, paths)

    imap = write_config(tmp_path, dovecot.source_table("support", folder, tls=tls))
    first = run(imap, "sync")
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ""
    assert first.stderr in ("", *(f"ticketcli: {n} message(s) quarantined; "
                                  "see 'ticketcli quarantine list'\n"
                                  for n in range(1, 41)))  # fmt: skip

    local = write_config(tmp_path, db="local.db")
    assert run(local, "sync", "--source", str(mail), "--name", "support").exit_code == 0

    assert run(imap, "export").stdout == run(local, "export").stdout
    stored, distinct, kept = store_counts(tmp_path / "store.db")
    assert (stored, distinct, kept) == store_counts(tmp_path / "local.db")
    assert stored == distinct
    assert stored + kept >= expected_distinct(truth) + 40 - 5  # a few corpus dups
    assert delivered_uids(tmp_path / "store.db") == set(dovecot.uids(folder))

    # Nothing new: silent, nothing stored, and the folder is untouched (keep).
    again = run(imap, "sync")
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")
    assert store_counts(tmp_path / "store.db") == (stored, distinct, kept)
    assert dovecot.uids(folder, "SEEN") == []


@pytest.mark.imap
def test_imap_plain_is_allowed_on_localhost(
    dovecot: DovecotServer,
    imap_mailbox: Callable[..., tuple[str, list[Path], dict[str, Any]]],
    tmp_path: Path,
) -> None:
    folder, paths, _ = imap_mailbox(3)
    config = write_config(
        tmp_path, dovecot.source_table("support", folder, tls="none", ca_file="")
    )
    result = run(config, "sync")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert delivered_uids(tmp_path / "store.db") == set(dovecot.uids(folder))


def test_imap_plain_is_refused_for_another_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW_PLAIN", PASSWORD)
    table = {
        "type": "imap", "name": "support", "host": "imap.example.com",
        "tls": "none", "username": "u", "password_env": "PW_PLAIN",
    }  # fmt: skip
    result = run(write_config(tmp_path, table), "sync")
    assert_one_clean_line(result, 2, 'tls = "none"', "imap.example.com", "127.0.0.1")


def test_imap_bad_ca_file_is_a_config_error() -> None:
    from ticketcli.mail.sources.imap import ImapSource

    with pytest.raises(ConfigError, match="ca_file /nonexistent/ca.pem not found"):
        ImapSource(
            "support", host="h", port=1, username="u", password="p",
            ca_file="/nonexistent/ca.pem",
        )  # fmt: skip


def test_imap_password_a_server_echoes_is_scrubbed(
    monkeypatch: pytest.MonkeyPatch, db: Any
) -> None:
    from imapclient.exceptions import LoginError  # type: ignore[import-untyped]

    from ticketcli.config import Config
    from ticketcli.mail.sources import imap

    class Echoing(_FakeClient):
        def login(self, *args: str) -> None:
            raise LoginError(f"LOGIN {' '.join(args)} rejected")

    monkeypatch.setattr(imap, "IMAPClient", lambda *a, **k: Echoing(1, {}))
    source = imap.ImapSource(
        "support", host="127.0.0.1", port=1, username="u", password=PASSWORD
    )
    assert PASSWORD not in repr(source)
    report = read_sources(Config(), db, [source])
    (line,) = report.failed_sources
    assert line.startswith("support: login refused for 'u'")
    assert "***" in line
    assert PASSWORD not in line


@pytest.mark.imap
@pytest.mark.parametrize(
    "after", ["seen", "move", "delete"], ids=["seen", "move", "delete"]
)
def test_imap_after_applies_to_stored_mail_only(
    after: str,
    dovecot: DovecotServer,
    imap_folder: Callable[..., str],
    gen_mailbox: GenMailbox,
    tmp_path: Path,
) -> None:
    _, paths, truth = build_mailbox(gen_mailbox, tmp_path, 8, seed=3)
    folder = imap_folder()
    done = imap_folder("_done") if after == "move" else None
    setting = f"move:{done}" if done else after
    first, later = paths[:-4], paths[-4:]
    append_files(dovecot, folder, first)
    bodies = {u: v[b"BODY[]"] for u, v in dovecot.fetch_all(folder).items()}
    config = write_config(
        tmp_path, dovecot.source_table("support", folder, after=setting, batch_size=3)
    )

    result = run(config, "sync")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert delivered_uids(tmp_path / "store.db") == set(bodies)
    left = dovecot.fetch_all(folder)
    if after == "seen":
        assert set(left) == set(bodies)
        assert all(b"\\Seen" in v[b"FLAGS"] for v in left.values())
    else:
        assert left == {}
    if done:
        moved = sorted(v[b"BODY[]"] for v in dovecot.fetch_all(done).values())
        assert moved == sorted(bodies.values())

    # Mail arriving later is read, and only it is acted on.
    append_files(dovecot, folder, later)
    result = run(config, "sync")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    stored, distinct, _ = store_counts(tmp_path / "store.db")
    assert stored == distinct == expected_distinct(truth)
    left = dovecot.fetch_all(folder)
    assert len(left) == (len(paths) if after == "seen" else 0)


@pytest.mark.imap
def test_imap_uidvalidity_reset_stores_nothing_twice(
    dovecot: DovecotServer,
    imap_folder: Callable[..., str],
    gen_mailbox: GenMailbox,
    tmp_path: Path,
) -> None:
    _, paths, truth = build_mailbox(gen_mailbox, tmp_path, 10, seed=4)
    folder = imap_folder()
    append_files(dovecot, folder, paths[:-3])
    config = write_config(tmp_path, dovecot.source_table("support", folder))
    assert run(config, "sync").exit_code == 0
    before = store_counts(tmp_path / "store.db")
    client = dovecot.client()
    old = int(client.select_folder(folder)[b"UIDVALIDITY"])
    client.logout()

    # The server loses its UIDs: same folder name, new UIDVALIDITY, same mail.
    dovecot.delete_folder(folder)
    dovecot.create_folder(folder)
    append_files(dovecot, folder, paths)
    client = dovecot.client()
    new = int(client.select_folder(folder)[b"UIDVALIDITY"])
    client.logout()
    assert new != old

    result = run(config, "-v", "sync")
    assert result.exit_code == 0, result.stderr
    assert "UIDVALIDITY" in result.stderr
    stored, distinct, _ = store_counts(tmp_path / "store.db")
    assert stored == distinct == expected_distinct(truth)
    assert stored > before[0]
    # Every message was read again under the new UIDVALIDITY (most as duplicates).
    con = sqlite3.connect(tmp_path / "store.db")
    keys = {k for (k,) in con.execute("SELECT key FROM delivery")}
    con.close()
    assert {f"{new}/{folder}/{uid}" for uid in dovecot.uids(folder)} <= keys
    again = run(config, "sync")
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")
    assert store_counts(tmp_path / "store.db")[0] == stored


# -- failures: one line, a documented exit code, no secret ---------------------


class _SilentServer:
    """Accepts connections and never says a word (for timeouts)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


FAILURES: dict[str, tuple[Callable[[DovecotServer, str], dict[str, Any]], str]] = {
    "wrong-password": (
        lambda d, f: d.source_table("support", f, password_env="WRONG_PASSWORD"),
        "login refused",
    ),
    "refused": (
        lambda d, f: d.source_table("support", f, port=_unused_port()),
        "connection refused",
    ),
    "unknown-folder": (
        lambda d, f: d.source_table("support", f + "_missing"),
        "cannot open folder",
    ),
    "ssl-to-plain-port": (
        lambda d, f: d.source_table("support", f, port=d.port),
        "TLS handshake",
    ),
    "untrusted-certificate": (
        lambda d, f: d.source_table("support", f, ca_file=""),
        "not trusted",
    ),
    "starttls-untrusted": (
        lambda d, f: d.source_table("support", f, tls="starttls", ca_file=""),
        "not trusted",
    ),
    "dns": (
        lambda d, f: d.source_table("support", f, host="imap.nonexistent.invalid"),
        "cannot resolve host",
    ),
    "move-target-missing": (
        lambda d, f: d.source_table("support", f, after="move:NoSuchFolder"),
        "NoSuchFolder",
    ),
}


@pytest.mark.imap
@pytest.mark.parametrize("case", list(FAILURES))
def test_imap_failure_is_one_line_and_exit_1(
    case: str,
    dovecot: DovecotServer,
    imap_folder: Callable[..., str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WRONG_PASSWORD", PASSWORD + "x")
    folder = imap_folder()
    dovecot.append(folder, [b"Subject: x\r\nMessage-ID: <x@t>\r\n\r\nx\r\n"])
    make, needle = FAILURES[case]
    config = write_config(tmp_path, make(dovecot, folder))
    result = run(config, "sync")
    assert_one_clean_line(result, 1, "support: ", needle)
    assert store_counts(tmp_path / "store.db")[0] == 0
    assert len(dovecot.uids(folder)) == 1
    # -vv adds log lines, never the password.
    noisy = run(config, "-vv", "sync")
    assert PASSWORD not in noisy.stderr + noisy.stdout


def test_imap_timeout_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW_T", PASSWORD)
    server = _SilentServer()
    try:
        table = {
            "type": "imap", "name": "support", "host": "127.0.0.1",
            "port": server.port, "username": "u", "password_env": "PW_T",
            "timeout": 1,
        }  # fmt: skip
        started = time.monotonic()
        result = run(write_config(tmp_path, table), "sync")
        assert time.monotonic() - started < 10
    finally:
        server.close()
    assert_one_clean_line(result, 1, "no answer", "within 1s")


@pytest.mark.imap
def test_imap_one_failing_source_is_partial_and_the_other_runs(
    dovecot: DovecotServer,
    imap_mailbox: Callable[..., tuple[str, list[Path], dict[str, Any]]],
    tmp_path: Path,
) -> None:
    folder, paths, _ = imap_mailbox(3)
    config = write_config(
        tmp_path,
        dovecot.source_table("broken", folder + "_missing"),
        dovecot.source_table("support", folder),
    )
    result = run(config, "sync")
    assert_one_clean_line(result, 3, "broken: cannot open folder")
    assert delivered_uids(tmp_path / "store.db") == set(dovecot.uids(folder))


class _CuttingProxy:
    """A TCP relay to Dovecot that drops both sides after ``limit`` bytes to us.

    It stands for a server (or a NAT box) that drops the connection in the
    middle of a FETCH response.
    """

    def __init__(self, port: int, limit: int | None) -> None:
        self.target = port
        self.limit = limit
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.cut = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(
                target=self._pipe, args=(client, upstream, None), daemon=True
            ).start()
            threading.Thread(
                target=self._pipe, args=(upstream, client, self.limit), daemon=True
            ).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while chunk := src.recv(65536):
                if limit is not None and sent + len(chunk) > limit:
                    dst.sendall(chunk[: limit - sent])
                    self.cut = True
                    break
                dst.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.sock.close()


@pytest.mark.imap
def test_imap_dropped_connection_keeps_what_was_committed(
    dovecot: DovecotServer,
    imap_mailbox: Callable[..., tuple[str, list[Path], dict[str, Any]]],
    tmp_path: Path,
) -> None:
    folder, paths, truth = imap_mailbox(20, seed=8)
    original = set(dovecot.uids(folder))
    size = sum(p.stat().st_size for p in paths)
    proxy = _CuttingProxy(dovecot.ssl_port, limit=size // 2)
    try:
        config = write_config(
            tmp_path,
            dovecot.source_table(
                "support", folder, port=proxy.port, after="delete", batch_size=7
            ),
        )
        result = run(config, "sync")
        assert proxy.cut
        assert_one_clean_line(result, 1, "support: ", "while reading messages")
    finally:
        proxy.close()
    stored, distinct, _ = store_counts(tmp_path / "store.db")
    assert 0 < stored == distinct
    # Deleted from the server only what is stored.
    assert original - set(dovecot.uids(folder)) <= delivered_uids(tmp_path / "store.db")

    config = write_config(
        tmp_path, dovecot.source_table("support", folder, after="delete")
    )
    result = run(config, "sync")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    stored, distinct, _ = store_counts(tmp_path / "store.db")
    assert stored == distinct == expected_distinct(truth)
    assert delivered_uids(tmp_path / "store.db") == original
    assert dovecot.uids(folder) == []


# -- processes: overlap and SIGKILL --------------------------------------------


@pytest.mark.imap
def test_imap_two_syncs_at_once_store_everything_once(
    dovecot: DovecotServer,
    imap_mailbox: Callable[..., tuple[str, list[Path], dict[str, Any]]],
    tmp_path: Path,
) -> None:
    folder, paths, truth = imap_mailbox(40, seed=9)
    config = write_config(
        tmp_path,
        dovecot.source_table("support", folder, after="seen"),
        lock_timeout=120,
    )
    first, second = popen_sync(config), popen_sync(config)
    results = [p.communicate(timeout=120) for p in (first, second)]
    assert first.returncode == second.returncode == 0, results
    assert results == [(b"", b""), (b"", b"")]
    stored, distinct, _ = store_counts(tmp_path / "store.db")
    assert stored == distinct == expected_distinct(truth)
    assert dovecot.uids(folder, "UNSEEN") == []


def _wait_for_progress(proc: subprocess.Popen[bytes], db: Path, target: int) -> None:
    """Until ``target`` messages are committed, or the sync ends."""
    while proc.poll() is None:
        try:
            if len(delivered_uids(db)) >= target:
                return
        except sqlite3.Error:
            pass  # the database is being created
        time.sleep(0.005)


@pytest.mark.imap
@pytest.mark.parametrize("after", ["delete", "move"])
def test_imap_sigkill_anywhere_loses_nothing_and_duplicates_nothing(
    after: str,
    dovecot: DovecotServer,
    imap_folder: Callable[..., str],
    gen_mailbox: GenMailbox,
    tmp_path: Path,
) -> None:
    _, paths, truth = build_mailbox(gen_mailbox, tmp_path, 150, seed=23)
    folder = imap_folder()
    done = imap_folder("_done") if after == "move" else None
    append_files(dovecot, folder, paths)
    original = set(dovecot.uids(folder))
    assert len(original) == len(paths) >= 400
    db = tmp_path / "store.db"
    config = write_config(
        tmp_path,
        dovecot.source_table(
            "support", folder, after=f"move:{done}" if done else "delete", batch_size=25
        ),
    )
    rng = random.Random(f"sigkill-{after}")
    kills = 0
    for _ in range(6):
        proc = popen_sync(config)
        target = len(delivered_uids(db)) + rng.randint(1, 60)
        _wait_for_progress(proc, db, target)
        time.sleep(rng.uniform(0, 0.03))  # land anywhere: mid-commit, mid-MOVE ...
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate()
        # No message left the folder unstored.
        gone = original - set(dovecot.uids(folder))
        assert gone <= delivered_uids(db), sorted(gone - delivered_uids(db))
        if done:
            assert len(dovecot.uids(done)) == len(gone)
    assert kills >= 4, "the sync finished too fast to be killed; use a larger mailbox"

    final = popen_sync(config)
    out, err = final.communicate(timeout=120)
    assert (final.returncode, out, err) == (0, b"", b"")
    stored, distinct, _ = store_counts(db)
    assert stored == distinct == expected_distinct(truth)
    assert delivered_uids(db) == original
    assert dovecot.uids(folder) == []
    if done:
        assert len(dovecot.uids(done)) == len(original)


# -- check and the progress bar -------------------------------------------------


class _FakeSmtp:
    """Greets, answers EHLO and QUIT: enough for ``check``'s SMTP line (no TLS)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as lines:
                conn.sendall(b"220 fake ESMTP\r\n")
                for line in lines:
                    verb = line[:4].upper()
                    if verb == b"EHLO":
                        conn.sendall(b"250-fake\r\n250 8BITMIME\r\n")
                    elif verb == b"QUIT":
                        conn.sendall(b"221 bye\r\n")
                        break
                    else:
                        conn.sendall(b"502 no\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.mark.imap
def test_check_reports_counts_and_what_sync_would_fetch(
    dovecot: DovecotServer,
    imap_mailbox: Callable[..., tuple[str, list[Path], dict[str, Any]]],
    tmp_path: Path,
) -> None:
    folder, paths, _ = imap_mailbox(4)
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1.eml").write_bytes(paths[0].read_bytes())
    smtp = _FakeSmtp()
    config = write_config(
        tmp_path,
        dovecot.source_table("support", folder),
        {"type": "maildir", "name": "local", "path": str(maildir)},
        smtp={"host": "127.0.0.1", "port": smtp.port, "tls": "none"},
    )

    def check() -> dict[str, dict[str, Any]]:
        result = run(config, "check", "--format", "json")
        assert (result.exit_code, result.stderr) == (0, "")
        return {row["source"]: row for row in json.loads(result.stdout)}

    try:
        rows = check()
        assert [r["status"] for r in rows.values()] == ["ok", "ok", "ok"]
        imap = rows["support"]
        assert imap["messages"] == imap["next_sync"] == imap["unseen"] == len(paths)
        assert rows["local"]["messages"] == 1
        assert rows["smtp"]["detail"] == f"none 127.0.0.1:{smtp.port}"
        table = run(config, "check")
        assert table.stdout.splitlines()[0].split()[:3] == ["source", "type", "status"]

        assert run(config, "sync").exit_code == 0
        assert check()["support"]["next_sync"] == 0
        dovecot.append(folder, [paths[0].read_bytes()])
        assert check()["support"]["next_sync"] == 1
        assert dovecot.uids(folder, "SEEN") == []  # check changes nothing
    finally:
        smtp.close()


@pytest.mark.imap
def test_check_failures_one_line_each_and_exit_code(
    dovecot: DovecotServer,
    imap_folder: Callable[..., str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WRONG_PASSWORD", "not-" + PASSWORD)
    folder = imap_folder()
    good = dovecot.source_table("support", folder)
    bad_login = dovecot.source_table("sales", folder, password_env="WRONG_PASSWORD")
    bad_folder = dovecot.source_table("billing", folder + "_missing")
    smtp = {"host": "127.0.0.1", "port": _unused_port(), "tls": "none"}

    some = run(write_config(tmp_path, good, bad_login, smtp=smtp), "check")
    assert some.exit_code == 3
    assert "support" in some.stdout
    assert "failed" in some.stdout
    errors = some.stderr.splitlines()
    assert len(errors) == 2, some.stderr
    assert errors[0].startswith("Error: sales: login refused")
    assert errors[1].startswith("Error: smtp: connection refused")
    assert PASSWORD not in some.stdout + some.stderr
    assert "Traceback" not in some.stderr

    none = run(write_config(tmp_path, bad_login, bad_folder, db="x.db"), "check")
    assert none.exit_code == 1
    assert [line.split(":")[1] for line in none.stderr.splitlines()] == [
        " sales",
        " billing",
    ]


@pytest.mark.imap
def test_sync_progress_bar_only_on_a_terminal(
    dovecot: DovecotServer,
    imap_mailbox: Callable[..., tuple[str, list[Path], dict[str, Any]]],
    tmp_path: Path,
) -> None:
    import pty

    folder, paths, _ = imap_mailbox(6)
    config = write_config(tmp_path, dovecot.source_table("support", folder))
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ticketcli", "--config", str(config), "sync"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    assert proc.stdout is not None
    assert proc.stdout.read() == b""
    assert f"{len(paths)}/{len(paths)}".encode() in shown


# -- a boundary fake for what Dovecot will not do on demand ---------------------


class _FakeClient:
    """Just enough of IMAPClient for UIDVALIDITY edge cases (no network)."""

    def __init__(self, uidvalidity: int, messages: dict[int, bytes]) -> None:
        self.uidvalidity = uidvalidity
        self.messages = messages
        self.normalise_times = True

    def login(self, *_: str) -> None: ...
    def logout(self) -> None: ...
    def shutdown(self) -> None: ...
    def folder_exists(self, _: str) -> bool:
        return True

    def select_folder(self, _: str, readonly: bool = False) -> dict[bytes, Any]:
        return {b"UIDVALIDITY": self.uidvalidity, b"EXISTS": len(self.messages)}

    def search(self, criteria: list[str]) -> list[int]:
        low, high = criteria[1].split(":")
        top = max(self.messages, default=0)
        hi = top if high == "*" else int(high)
        found = [u for u in self.messages if int(low) <= u <= hi]
        # RFC 3501: "n:*" includes the highest UID even when it is below n.
        return found or ([top] if high == "*" and top else [])

    def fetch(self, uids: list[int], items: list[bytes]) -> dict[int, Any]:
        return {
            u: {b"BODY[]": self.messages[u], b"RFC822.SIZE": len(self.messages[u])}
            for u in uids
            if u in self.messages
        }


def test_imap_uidvalidity_change_between_runs_rereads_from_the_start(
    monkeypatch: pytest.MonkeyPatch, db: Any
) -> None:
    from ticketcli.config import Config
    from ticketcli.mail.sources import imap

    def mail(n: int) -> bytes:
        return (
            f"From: c{n}@example.ee\r\nTo: {SUPPORT}\r\nSubject: q{n}\r\n"
            f"Message-ID: <m{n}@example.ee>\r\nDate: Mon, 5 Jan 2026 10:0{n}:00 +0000"
            f"\r\n\r\nbody {n}\r\n"
        ).encode()

    server = _FakeClient(7, {3: mail(1), 9: mail(2)})
    monkeypatch.setattr(imap, "IMAPClient", lambda *a, **k: server)
    source = imap.ImapSource(
        "support", host="127.0.0.1", port=1, username="u", password="p", tls="none"
    )
    config = Config(support_addresses=frozenset({SUPPORT}))
    report = read_sources(config, db, [source])
    assert (report.stored, report.failed_sources) == (2, [])
    # Nothing new: "10:*" answers UID 9, which must not be read again.
    again = read_sources(config, db, [source])
    assert (again.stored, again.duplicates) == (0, 0)
    # The server renumbers everything, with one message more.
    server.uidvalidity = 8
    server.messages = {1: mail(1), 2: mail(2), 3: mail(3)}
    report = read_sources(config, db, [source])
    assert (report.stored, report.duplicates) == (1, 2)

"""How fast `ticketcli sync` stores mail, next to bare baselines in the same run.

Floors, in this process: ``email.message_from_bytes`` (compat32) of every
message and nothing else (the target: ticketcli >= 0.5x that); and the
stdlib parse with ``policy.default``, reading the headers a helpdesk needs
and the body, one row per message inserted in one SQLite transaction.
ticketcli: the real CLI (``ticketcli --db ... sync --source MBOX``) in a
subprocess, fresh store, through ``_counted_sync.py``, which counts the
statements (and on PostgreSQL the round trips) it sends.

    python bench/ingest.py [--conversations 5000] [--runs 3] [--postgres]
        [--db postgresql://...] [--analyze] [--before TREE]

Prints messages/s by wall clock and per CPU second, and ticketcli's ratio
to both floors. The machine is shared: compare the CPU figures. With
``--postgres`` (a throwaway server) or ``--db`` (a server's URL; a fresh
database is made there) the same mailbox goes into PostgreSQL too, with the
PostgreSQL/SQLite ratio and round trips per message. ``--analyze`` syncs
half the mailbox, runs ANALYZE and PRAGMA optimize, syncs the other half,
and compares that half's CPU time with the same sync without ANALYZE.
``--before TREE`` runs another checkout's ticketcli through every sync
as well, so before and after are measured side by side.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GEN = REPO.parent / "shared" / "tools" / "gen_mailbox.py"
COUNTED = Path(__file__).resolve().parent / "_counted_sync.py"
sys.path.insert(0, str(REPO))

from timing import as_installed, children_cpu  # noqa: E402

from ticketcli.mail.sources.local import open_local_source  # noqa: E402


class _NoState:
    def get(self, name: str) -> None:
        return None

    def seen(self, key: str) -> bool:
        return False


def baseline(mbox: Path, db_path: Path) -> tuple[int, float, float]:
    """Parse with policy.default, read headers and body, one insert per
    message; the count, wall and CPU seconds."""
    started, cpu = time.perf_counter(), time.process_time()
    con = sqlite3.connect(db_path)
    con.execute(
        "CREATE TABLE m (mid TEXT, sender TEXT, subject TEXT, date TEXT,"
        " irt TEXT, refs TEXT, body TEXT, raw BLOB)"
    )
    count = 0
    source = open_local_source(str(mbox))
    with con:
        for raw in source.fetch(_NoState()):
            msg = email.message_from_bytes(raw.data, policy=email.policy.default)
            try:
                headers = [
                    str(msg.get(h, ""))
                    for h in (
                        "From",
                        "To",
                        "Cc",
                        "Subject",
                        "Date",
                        "Message-ID",
                        "In-Reply-To",
                        "References",
                    )
                ]
            except Exception:  # noqa: BLE001 - the baseline only counts
                headers = [""] * 8
            try:
                part = msg.get_body(("plain", "html"))
                body = part.get_content() if part is not None else ""
            except Exception:  # noqa: BLE001
                body = ""
            con.execute(
                "INSERT INTO m VALUES (?,?,?,?,?,?,?,?)",
                (
                    headers[5],
                    headers[0],
                    headers[3],
                    headers[4],
                    headers[6],
                    headers[7],
                    body,
                    raw.data,
                ),
            )
            count += 1
    source.close()
    con.close()
    return count, time.perf_counter() - started, time.process_time() - cpu


def compat32_parse(raws: list[bytes]) -> tuple[float, float]:
    """The floor of the target: ``email.message_from_bytes`` (compat32)
    of every message, nothing else; wall and CPU seconds."""
    started, cpu = time.perf_counter(), time.process_time()
    for data in raws:
        email.message_from_bytes(data)
    return time.perf_counter() - started, time.process_time() - cpu


@dataclass
class Run:
    """One ticketcli sync: wall and CPU seconds, what it sent to the store."""

    wall: float
    cpu: float
    statements: int = 0
    round_trips: int = 0
    peak_kib: int = 0
    server_cpu: float = 0.0  # PostgreSQL's backend for the sync, when known


CPU: list[float] = []  # CPU seconds of each ticketcli run, for a busy machine


def ticketcli_sync(
    mbox: Path, db_url: str, config: Path, tree: Path = REPO
) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of the real CLI; its CPU time goes to
    ``CPU``, the figure to compare when the machine is shared and wall time
    swings with the neighbours' load."""
    run = counted_sync(mbox, db_url, config, tree)
    return run.wall, run.peak_kib


def counted_sync(
    mbox: Path,
    db_url: str,
    config: Path,
    tree: Path = REPO,
    server: BackendWatch | None = None,
) -> Run:
    """``ticketcli sync --source MBOX`` in a subprocess, the ticketcli of
    ``tree`` (this checkout, or ``--before``'s), through _counted_sync.py;
    ``server`` watches the PostgreSQL backends' CPU meanwhile."""
    with tempfile.NamedTemporaryFile(suffix=".json") as counts:
        cpu_before = children_cpu()
        started = time.perf_counter()
        child = subprocess.Popen(
            [
                sys.executable, str(COUNTED), counts.name,
                "--config", str(config), "--db", db_url,
                "sync", "--source", str(mbox),
            ],
            cwd=tree,
            env=as_installed(tree.name, PYTHONPATH=str(tree)),
        )  # fmt: skip
        server_cpu = server.follow(child) if server is not None else 0.0
        if child.wait() != 0:
            raise SystemExit(f"sync failed ({child.returncode}): {tree}")
        elapsed = time.perf_counter() - started
        cpu = children_cpu() - cpu_before
        found = json.loads(Path(counts.name).read_text(encoding="utf-8") or "{}")
    CPU.append(cpu)
    return Run(
        elapsed,
        cpu,
        found.get("statements", 0),
        found.get("round_trips", 0),
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        server_cpu,
    )


class BackendWatch:
    """The CPU seconds of a local PostgreSQL's backends while a sync runs,
    read from /proc every 50 ms (a backend's last 50 ms may be missed):
    the server's half of the work, next to the client's."""

    def __init__(self, postmaster: int) -> None:
        self.postmaster = postmaster
        self.tick = os.sysconf("SC_CLK_TCK")

    def _backends(self) -> dict[int, float]:
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.postmaster:
                found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / self.tick
        return found

    def follow(self, child: subprocess.Popen[bytes]) -> float:
        before = self._backends()
        last: dict[int, float] = {}
        while child.poll() is None:
            last.update(self._backends())
            time.sleep(0.05)
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in last.items())


def median_run(runs: list[Run]) -> Run:
    """The run of median CPU time (its wall time and counts with it)."""
    return sorted(runs, key=lambda r: r.cpu)[len(runs) // 2]


def _sync_with_acks(mbox: Path, tmp: Path, config: Path) -> tuple[float, int]:
    """The same sync with [acknowledgement] on and a real SMTP server on
    127.0.0.1; returns the wall time (ingest + outbox flush) and how many
    acknowledgements the server received."""
    sys.path.insert(0, str(REPO))
    from tests.servers.smtp import SmtpServer

    server = SmtpServer().start()
    try:
        acks = tmp / "acks.toml"
        acks.write_text(
            config.read_text(encoding="utf-8")
            + '[acknowledgement]\nenabled = true\nmax_age = "3650d"\n'
            + "[smtp]\n"
            + "".join(
                f"{key} = {json.dumps(value)}\n"
                for key, value in server.table().items()
            ),
            encoding="utf-8",
        )
        seconds, _ = ticketcli_sync(mbox, f"sqlite:///{tmp / 'acks.db'}", acks)
        return seconds, len(server.received)
    finally:
        server.stop()


def _generate(out: Path, conversations: int, seed: int, truth: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            str(GEN),
            "--conversations",
            str(conversations),
            "--seed",
            str(seed),
            "--format",
            "mbox",
            "--out",
            str(out),
            "--truth",
            str(truth),
            "--quiet",
        ],
        check=True,
    )


def generated_mailbox(tmp: Path, conversations: int, seed: int) -> tuple[Path, Path]:
    """The bench's mailbox (an mbox in ``tmp``) and a config for it."""
    mbox = tmp / "mailbox.mbox"
    _generate(mbox, conversations, seed, tmp / "truth.json")
    config = tmp / "config.toml"
    config.write_text(
        'support_addresses = ["support@helpdesk.example"]\n'
        'staff_domains = ["helpdesk.example"]\n',
        encoding="utf-8",
    )
    return mbox, config


def _count(mbox: Path) -> int:
    source = open_local_source(str(mbox))
    count = sum(1 for _ in source.fetch(_NoState()))
    source.close()
    return count


def _raws(mbox: Path) -> list[bytes]:
    source = open_local_source(str(mbox))
    raws = [raw.data for raw in source.fetch(_NoState())]
    source.close()
    return raws


def split_mbox(mbox: Path, first: Path, second: Path) -> None:
    """The mailbox in two, at the message separator nearest its middle."""
    data = mbox.read_bytes()
    cut = data.find(b"\n\nFrom ", len(data) // 2)
    cut = len(data) if cut < 0 else cut + 2
    first.write_bytes(data[:cut])
    second.write_bytes(data[cut:])


def analyzed(db: Path) -> None:
    """What SQLite recommends now and then: ANALYZE, and PRAGMA optimize."""
    con = sqlite3.connect(db)
    con.execute("ANALYZE")
    con.execute("PRAGMA optimize")
    con.close()


def after_analyze(mbox: Path, tmp: Path, config: Path, tree: Path) -> tuple[Run, Run]:
    """The second half of the mailbox synced into a store holding the first
    half: as it is, and after ``analyzed``."""
    first, second = tmp / "first.mbox", tmp / "second.mbox"
    split_mbox(mbox, first, second)
    runs = []
    for analyze in (False, True):
        db = tmp / f"half-{analyze}-{tree.name}.db"
        counted_sync(first, f"sqlite:///{db}", config, tree)
        if analyze:
            analyzed(db)
        runs.append(counted_sync(second, f"sqlite:///{db}", config, tree))
    return runs[0], runs[1]


class _Postgres:
    """Fresh databases on a throwaway server (the tests' fixture class), or
    on the server of ``--db``."""

    def __init__(self, url: str | None) -> None:
        self.server = None
        self.watch: BackendWatch | None = None
        if url is None:
            from tests.servers.postgres import PostgresServer

            self.server = PostgresServer().start()
            url = self.server.url()
            assert self.server.base is not None
            pid = (self.server.base / "data" / "postmaster.pid").read_text()
            self.watch = BackendWatch(int(pid.split()[0]))
        self.url = url
        self.names = 0

    def fresh(self) -> str:
        import psycopg

        self.names += 1
        name = f"bench_ingest_{os.getpid()}_{self.names}"
        with psycopg.connect(self.url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}"')
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def _row(label: str, count: int, wall: float, cpu: float, extra: str = "") -> None:
    print(
        f"{label:34s} {count / wall:8.0f} {count / cpu:9.0f} {cpu:8.2f}"
        + (f"  {extra}" if extra else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--runs", type=int, default=1, help="ticketcli syncs of each kind (median)"
    )
    parser.add_argument(
        "--db",
        help="a PostgreSQL server URL: ticketcli syncs into a fresh database "
        "there too, side by side with SQLite",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="the same, on a throwaway server (tests/servers/postgres.py)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        metavar="TREE",
        help="another checkout (say `git archive` of the last commit): its "
        "ticketcli runs the same syncs in this run, for before/after figures",
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="sync half the mailbox, ANALYZE and PRAGMA optimize, sync the "
        "other half; CPU per message of that half against no ANALYZE",
    )
    parser.add_argument(
        "--scale",
        type=int,
        metavar="N",
        help="also sync the same mailbox into a store already holding N more "
        "conversations (SQLite), to show the cost per message does not grow",
    )
    parser.add_argument(
        "--acks",
        action="store_true",
        help="also sync into a fresh store with acknowledgements on, sent to a "
        "local aiosmtpd (the test server), to show what answering costs",
    )
    args = parser.parse_args()
    trees = [("ticketcli", REPO)]
    if args.before:
        trees.insert(0, ("before", args.before.resolve()))
    postgres = _Postgres(args.db) if (args.db or args.postgres) else None

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        mbox, config = generated_mailbox(tmp, args.conversations, args.seed)
        raws = _raws(mbox)
        count = len(raws)
        c32_wall, c32_cpu = compat32_parse(raws)
        del raws
        _, base_wall, base_cpu = baseline(mbox, tmp / "baseline.db")
        sqlite_runs: dict[str, Run] = {}
        pg_runs: dict[str, Run] = {}
        analyze_runs: dict[str, tuple[Run, Run]] = {}
        try:
            for label, tree in trees:
                runs = []
                for i in range(args.runs):
                    db = tmp / f"{label}-{i}.db"
                    runs.append(counted_sync(mbox, f"sqlite:///{db}", config, tree))
                sqlite_runs[label] = median_run(runs)
                if postgres is not None:
                    pg_runs[label] = median_run(
                        [
                            counted_sync(
                                mbox, postgres.fresh(), config, tree, postgres.watch
                            )
                            for _ in range(args.runs)
                        ]
                    )
                if args.analyze:
                    analyze_runs[label] = after_analyze(mbox, tmp, config, tree)
        finally:
            if postgres is not None:
                postgres.stop()
        cli = sqlite_runs["ticketcli"]
        if args.scale:
            big = tmp / "big.mbox"
            _generate(big, args.scale, args.seed + 1, tmp / "big.json")
            full = f"sqlite:///{tmp / 'full.db'}"
            big_seconds, big_peak = ticketcli_sync(big, full, config)
            big_count = _count(big)
            full_seconds, _ = ticketcli_sync(mbox, full, config)
        if args.acks:
            ack_seconds, acks_sent = _sync_with_acks(mbox, tmp, config)

    print(f"messages: {count} ({args.conversations} conversations, seed {args.seed})")
    print(f"{'':34s} {'msg/s':>8s} {'msg/CPU s':>9s} {'CPU s':>8s}")
    _row("compat32 parse (bare, the floor)", count, c32_wall, c32_cpu)
    _row("policy.default parse + insert", count, base_wall, base_cpu)
    for label, run in sqlite_runs.items():
        _row(
            f"{label} sync, sqlite",
            count,
            run.wall,
            run.cpu,
            f"{run.statements / count:.1f} statements/msg",
        )
        print(
            f"{'':36s}ratio to compat32: {c32_cpu / run.cpu:.2f}x CPU, "
            f"{c32_wall / run.wall:.2f}x wall; to policy.default: "
            f"{base_cpu / run.cpu:.2f}x CPU, {base_wall / run.wall:.2f}x wall"
        )
    for label, run in pg_runs.items():
        lite = sqlite_runs[label]
        _row(
            f"{label} sync, postgresql",
            count,
            run.wall,
            run.cpu,
            f"{run.round_trips / count:.1f} round trips/msg",
        )
        line = (
            f"{'':36s}PostgreSQL/SQLite: {lite.wall / run.wall:.2f}x wall, "
            f"{lite.cpu / run.cpu:.2f}x CPU of ticketcli"
        )
        if run.server_cpu:
            line += (
                f", {lite.cpu / (run.cpu + run.server_cpu):.2f}x CPU of ticketcli"
                f" + server ({run.server_cpu:.2f} s)"
            )
        print(line)
    for label, (plain, after) in analyze_runs.items():
        print(
            f"{label}, second half after ANALYZE: {after.cpu:.2f} CPU s against "
            f"{plain.cpu:.2f} without = {after.cpu / plain.cpu:.2f}x "
            f"({after.wall:.1f} s against {plain.wall:.1f} s wall)"
        )
    print(f"ticketcli peak RSS:  {cli.peak_kib / 1024:8.1f} MiB")
    if args.scale:
        print(
            f"store of {big_count} messages: synced at {big_count / big_seconds:.0f} "
            f"msg/s, peak RSS {big_peak / 1024:.1f} MiB (max of all runs so far)"
        )
        print(
            f"same {count} messages into that store: {count / full_seconds:8.0f} msg/s"
            f" ({(count / cli.wall) / (count / full_seconds):.2f}x the cost into an"
            " empty store)"
        )
    if args.acks:
        print(
            f"with acknowledgements: {count / ack_seconds:8.0f} msg/s, "
            f"{acks_sent} acks queued, sent and received "
            f"({ack_seconds / cli.wall:.2f}x the time of the sync without)"
        )


if __name__ == "__main__":
    main()

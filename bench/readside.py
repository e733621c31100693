"""Does the read side grow with the store? 10,000 vs 100,000 tickets (issue 18).

The lead's read commands timed on both stores, side by side.

A team's active tickets and its week do not grow with its history; the store
does. So both stores get tickets at the same rate (about 137 a day, five
messages each), the larger over ten times as many days: the same 1,000+
active tickets and the same week, ten times the history. The stores are
``bench/stats.py``'s (the real schema from ``ticketcli.store.db.connect``,
rows by executemany; agents, customers, assignments, pending spells,
reopens, work logs), built once and kept under ``--cache``.

Each command runs as ``python3 -m ticketcli ...`` with ``TICKETCLI_NOW``
pinned and a config with ``[hours]`` and ``[goals]`` (business time: the
slower path), interleaved with the other size so both see the same noise;
the figure is the median of ``--runs`` runs, wall and CPU time. Printed:
the ratio 100k/10k per command (target: at most 1.3x) and the absolute
time of ``report --html -`` at 100k (target: under 0.5 s).

``--fixed-span`` builds both over the same two years instead, as
``bench/stats.py`` does (the smaller store then has a tenth of the week and
of the active tickets too). ``--before DIR`` also times another tree in the
same run, on its own copy of each store (made with e.g. ``git archive HEAD
ticketcli | tar -x -C DIR``). ``--profile`` prints where each command
spends its time at 100k (cProfile) instead of timing.

    python3 bench/readside.py [--runs 5] [--cache /tmp/ticketcli-readside]
"""

from __future__ import annotations

import argparse
import io
import os
import pstats
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cached_store import cached_store
from timing import as_installed

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.stats import CONFIG, NOW, SPAN_DAYS, build  # noqa: E402 - path set

SIZES = ((10_000, 50_000), (100_000, 500_000))
TICKETS_PER_DAY = SIZES[-1][0] / SPAN_DAYS
RATIO_TARGET = 1.3
HTML_TARGET = 0.5
COMMANDS = {
    "report": ["report"],
    "report --assignee '*'": ["report", "--assignee", "*"],
    "stats": ["stats"],
    "stats --workload": ["stats", "--workload"],
    "report --html -": ["report", "--html", "-"],
}


def store(
    cache: Path, tickets: int, messages: int, seed: int, fixed_span: bool
) -> Path:
    """The cached store of this size, built on first use."""
    span = SPAN_DAYS if fixed_span else round(tickets / TICKETS_PER_DAY)
    path = cache / f"readside-v2-{tickets}-{messages}-{span}d-{seed}.db"
    return cached_store(path, lambda part: build(part, tickets, messages, seed, span))


def copy_for(path: Path, tree: str) -> Path:
    """A copy of a store for another tree, which may be at an older schema
    than this tree's migrations leave the shared one."""
    copy = path.with_name(f"{path.stem}-{tree}.db")
    if not copy.exists():
        shutil.copyfile(path, copy)
    return copy


def describe(path: Path) -> str:
    con = sqlite3.connect(path)
    counts = [
        con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608
        for t in ("ticket", "message", "event")
    ]
    active = con.execute(
        "SELECT COUNT(*) FROM ticket WHERE status IN ('new', 'open', 'pending')"
    ).fetchone()[0]
    con.close()
    return (
        f"{counts[0]:,} tickets, {counts[1]:,} messages, {counts[2]:,} events,"
        f" {active:,} active"
    )


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one subprocess, run in the
    tree on its PYTHONPATH (``-m`` puts the working directory first)."""
    started = time.perf_counter()
    cwd = env.get("PYTHONPATH", REPO)
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}")
    return wall, usage.ru_utime + usage.ru_stime


def profile(argv: list[str], env: dict[str, str], out: Path, top: int) -> str:
    """cProfile of one command (a subprocess): its ``tottime`` leaders."""
    head = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "ticketcli"]
    run([*head, *argv], env)
    text = io.StringIO()
    pstats.Stats(str(out), stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/ticketcli-readside"))
    parser.add_argument(
        "--fixed-span",
        action="store_true",
        help="both stores over two years (the smaller: a tenth of the active"
        " tickets and of the week), as bench/stats.py builds them",
    )
    parser.add_argument("--before", type=Path, help="another tree to time alongside")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile each at 100k, no timing"
    )
    parser.add_argument("--top", type=int, default=25, help="rows per profile")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    config = args.cache / "readside.toml"
    config.write_text(CONFIG, encoding="utf-8")
    stores = {
        size: store(args.cache, *size, args.seed, args.fixed_span) for size in SIZES
    }
    for (tickets, _), path in stores.items():
        print(f"store {tickets // 1000}k: {describe(path)}")
    print(f"now = {NOW.isoformat()}Z, runs = {args.runs} (median)")

    trees = {"after": REPO}
    if args.before is not None:
        trees = {"before": args.before.resolve(), "after": REPO}
    env = as_installed(
        args.cache / "pyc",
        TICKETCLI_NOW=NOW.isoformat() + "Z",
        TICKETCLI_USER="kadri",
        TICKETCLI_CONFIG=str(config),
    )
    cli = [sys.executable, "-m", "ticketcli"]

    def argv(tree: str, size: tuple[int, int], extra: list[str]) -> list[str]:
        path = stores[size] if tree == "after" else copy_for(stores[size], tree)
        return [*cli, "--db", f"sqlite:///{path}", *extra]

    envs = {name: dict(env, PYTHONPATH=str(root)) for name, root in trees.items()}
    for name in trees:  # migrate each store once, outside the timing
        for size in SIZES:
            run(argv(name, size, ["stats"]), envs[name])

    if args.profile:
        for label, extra in COMMANDS.items():
            print(f"\n=== cProfile {label} at {SIZES[-1][0]:,} tickets")
            prof = args.cache / "readside.prof"
            command = argv("after", SIZES[-1], extra)[3:]
            print(profile(command, envs["after"], prof, args.top))
        return

    figures: dict[tuple[str, str, tuple[int, int]], list[tuple[float, float]]] = {}
    for _ in range(args.runs):
        for label, extra in COMMANDS.items():
            for name in trees:
                for size in SIZES:
                    key = (name, label, size)
                    figures.setdefault(key, []).append(
                        run(argv(name, size, extra), envs[name])
                    )

    small, large = SIZES
    print(
        f"\n{'command':24} {'tree':6} {'10k wall/cpu ms':>16} {'100k wall/cpu ms':>17}"
        f" {'ratio wall':>10} {'ratio cpu':>9}"
    )
    for label in COMMANDS:
        for name in trees:
            wall = {
                s: statistics.median(w for w, _ in figures[name, label, s])
                for s in SIZES
            }
            cpu = {
                s: statistics.median(c for _, c in figures[name, label, s])
                for s in SIZES
            }
            ratio_cpu = cpu[large] / cpu[small]
            verdict = "ok" if ratio_cpu <= RATIO_TARGET else f"OVER {RATIO_TARGET}x"
            print(
                f"{label:24} {name:6}"
                f" {wall[small] * 1000:7.0f}/{cpu[small] * 1000:<8.0f}"
                f" {wall[large] * 1000:8.0f}/{cpu[large] * 1000:<8.0f}"
                f" {wall[large] / wall[small]:9.2f}x {ratio_cpu:8.2f}x  {verdict}"
            )
    for name in trees:
        samples = figures[name, "report --html -", large]
        wall = statistics.median(w for w, _ in samples)
        cpu = statistics.median(c for _, c in samples)
        verdict = "ok" if cpu < HTML_TARGET else f"OVER {HTML_TARGET} s"
        print(
            f"report --html - at 100k ({name}): {wall:.2f} s wall,"
            f" {cpu:.2f} s CPU  {verdict}"
        )


if __name__ == "__main__":
    main()

"""How fast ``ticketcli export`` streams, and that its memory stays flat (issue 18).

Builds (once, cached by size and schema) two SQLite stores with
``bench/report.py``'s builder, a small one and one ``--scale`` times larger,
then times ``ticketcli export > /dev/null`` as a subprocess (median of
``--runs``) on each and prints messages per second (target: at least
100,000) and the peak resident memory of each (flat: the larger store's
peak within a few MB of the smaller's).

    python bench/export.py [--tickets 20000] [--messages 100000] [--scale 4]

``--baseline DIR`` also times the ``ticketcli`` package under ``DIR`` (an
older tree, e.g. ``git archive HEAD ticketcli | tar -x -C DIR``), run by
run alternating with this tree on the same stores, and prints the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cached_store import cached_store
from report import build  # puts this tree first on sys.path
from timing import as_installed

from ticketcli.store.migrations import MIGRATIONS

REPO = Path(__file__).resolve().parents[1]
TARGET = 100_000


def _latest_migration() -> str:
    """Names the cache: a tree with another schema builds its own store."""
    return MIGRATIONS[-1].name


def _run(url: str, env: dict[str, str]) -> tuple[float, float, float]:
    """Seconds, peak RSS (MB) and CPU seconds (user + system) of one export:
    on a shared machine the CPU time is the steadier figure."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ticketcli", "--db", url, "export"],
        env=env,
        stdout=subprocess.DEVNULL,
        cwd=env["PYTHONPATH"],  # `python -m` reads the working directory first
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"export failed: {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--baseline", type=Path, help="an older tree to time too")
    args = parser.parse_args()
    env = as_installed(PYTHONPATH=str(REPO), TICKETCLI_USER="kadri")
    schema = _latest_migration()
    peaks = []
    for scale in (1, args.scale):
        tickets, messages = args.tickets * scale, args.messages * scale
        path = args.dir / f"ticketcli-export-{tickets}-{messages}-{schema}.db"
        cached_store(
            path, lambda part, t=tickets, m=messages: build(part, t, m, 0.03, 1)
        )
        url = f"sqlite:///{path}"
        if args.baseline is not None:
            old_env = dict(env, PYTHONPATH=str(args.baseline.resolve()))
            runs, old = [], []
            for _ in range(args.runs):  # alternating: both see the same noise
                old.append(_run(url, old_env))
                runs.append(_run(url, env))
            old_seconds = statistics.median(r[0] for r in old)
            old_cpu = statistics.median(r[2] for r in old)
            print(
                f"baseline export at {messages} messages: "
                f"{messages / old_seconds:,.0f} messages/s ({old_seconds:.2f} s),"
                f" by CPU time {messages / old_cpu:,.0f} messages/s"
                f" ({old_cpu:.2f} s), peak memory {max(r[1] for r in old):.0f} MB"
            )
        else:
            runs = [_run(url, env) for _ in range(args.runs)]
        seconds = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[2] for r in runs)
        peak = max(r[1] for r in runs)
        peaks.append(peak)
        rate = messages / seconds
        verdict = "ok" if rate >= TARGET else "under"
        print(
            f"export at {messages} messages: {rate:,.0f} messages/s "
            f"({seconds:.2f} s; target >= {TARGET:,}: {verdict})"
        )
        print(
            f"export at {messages} messages by CPU time: "
            f"{messages / cpu:,.0f} messages/s ({cpu:.2f} s)"
        )
        print(f"export at {messages} messages, peak memory: {peak:.0f} MB")
        if args.baseline is not None:
            print(
                f"export at {messages} messages, speed-up over baseline:"
                f" {old_seconds / seconds:.2f}x wall, {old_cpu / cpu:.2f}x CPU"
            )
    print(
        f"export peak memory growth over {args.scale}x the messages: "
        f"{peaks[1] - peaks[0]:+.0f} MB"
    )


if __name__ == "__main__":
    main()

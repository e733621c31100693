"""How long a command takes to start, next to Python's own start (issue 18).

Times as subprocesses, interleaved so that all see the same noise, the
median of ``--runs`` runs each:

* the floor, ``python3 -c "import click, sqlite3"``,
* ``ticketcli --help``,
* ``ticketcli report --assignee '*'`` on a small SQLite store (made here with
  ``init`` and a few tickets),

and prints each figure with its ratio to the floor (target: at most 2x),
and whether psycopg is installed (the figures mean most with it: peewee
used to load it on every start).

    python bench/startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = 2.0


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp, "config.toml")
        config.write_text('support_addresses = ["support@example.com"]\n')
        env = dict(
            os.environ,
            PYTHONPATH=str(REPO),
            TICKETCLI_USER="kadri",
            TICKETCLI_CONFIG=str(config),
            PYTHONPYCACHEPREFIX=str(Path(tempfile.gettempdir(), "ticketcli-bench-pyc")),
        )
        # Compiled once and kept, as an installed ticketcli is.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        db = f"sqlite:///{Path(tmp, 'store.db')}"
        cli = [sys.executable, "-m", "ticketcli"]
        subprocess.run([*cli, "--db", db, "init"], env=env, check=True)
        for n in range(5):
            subprocess.run(
                [*cli, "--db", db, "new", "--from", f"c{n}@kund.ee", "--subject", "Hi"],
                env=env,
                check=False,
                capture_output=True,
            )
        cases = {
            "floor python -c 'import click, sqlite3'": [
                sys.executable,
                "-c",
                "import click, sqlite3",
            ],
            "ticketcli --help": [*cli, "--help"],
            "ticketcli report on a small store": [
                *cli,
                "--db",
                db,
                "report",
                "--assignee",
                "*",
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, cmd in cases.items():
                times[name].append(_time(cmd, env))
    medians = {name: statistics.median(t) for name, t in times.items()}
    floor = next(iter(medians.values()))
    installed = importlib.util.find_spec("psycopg") is not None
    print(f"psycopg installed: {'yes' if installed else 'no'}")
    for name, median in medians.items():
        if median is floor:
            print(f"{name}: {median:.3f} s (median of {args.runs})")
        else:
            ratio = median / floor
            verdict = "ok" if ratio <= TARGET else "over"
            print(
                f"{name}: {median:.3f} s = {ratio:.1f}x the floor "
                f"(target <= {TARGET:.0f}x: {verdict})"
            )


if __name__ == "__main__":
    main()

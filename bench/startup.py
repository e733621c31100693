"""How long a command takes to start, next to Python's own start (issue 18).

Times as subprocesses, interleaved so that all see the same noise, the
median of ``--runs`` runs each, wall time and CPU time (user + system of
the child, from ``resource.getrusage``: the machine is shared, and CPU time
moves less with the load than wall time does):

* the floor, ``python3 -c "import click, sqlite3"``,
* the floor with peewee, ``import click, sqlite3, peewee`` with the
  PostgreSQL drivers kept out as ticketcli keeps them out for an SQLite
  store: what a command that reads the store cannot go below,
* ``ticketcli --help``,
* ``ticketcli report --assignee '*'`` on a small SQLite store (made here with
  ``init`` and a few tickets), and the same as JSON, which prints no table,

and prints each figure with its ratio to the floor (target: at most 2x) and
to the floor with peewee, and whether psycopg is installed (the figures mean
most with it: peewee used to load it on every start).

    python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import as_installed, timed

REPO = Path(__file__).resolve().parents[1]
TARGET = 2.0
FLOOR = "floor: import click, sqlite3"
PEEWEE_FLOOR = "floor + peewee (no driver)"
# peewee records a driver it cannot import as absent: as on a machine
# without psycopg, which is what ticketcli's driver_probe gives an SQLite store.
_NO_DRIVERS = (
    "import sys; sys.modules.update(psycopg=None, psycopg2=None, psycopg2cffi=None); "
)


def _small_store(cli: list[str], db: str, env: dict[str, str]) -> None:
    subprocess.run([*cli, "--db", db, "init"], env=env, check=True)
    for n in range(5):
        subprocess.run(
            [*cli, "--db", db, "new", "--from", f"c{n}@kund.ee", "--subject", "Hi"],
            env=env,
            check=True,
            capture_output=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp, "config.toml")
        config.write_text('support_addresses = ["support@example.com"]\n')
        env = as_installed(
            PYTHONPATH=str(REPO), TICKETCLI_USER="kadri", TICKETCLI_CONFIG=str(config)
        )
        db = f"sqlite:///{Path(tmp, 'store.db')}"
        cli = [sys.executable, "-m", "ticketcli"]
        _small_store(cli, db, env)
        cases = {
            FLOOR: [sys.executable, "-c", "import click, sqlite3"],
            PEEWEE_FLOOR: [
                sys.executable,
                "-c",
                _NO_DRIVERS + "import click, sqlite3, peewee",
            ],
            "ticketcli --help": [*cli, "--help"],
            "ticketcli report (small store)": [
                *cli,
                "--db",
                db,
                "report",
                "--assignee",
                "*",
            ],
            # The same without the table (so without tabulate): what the
            # table costs.
            "... report --format json": [
                *cli,
                "--db",
                db,
                "report",
                "--assignee",
                "*",
                "--format",
                "json",
            ],
        }
        for cmd in cases.values():  # compile and warm the caches once
            subprocess.run(cmd, env=env, check=True, capture_output=True)
        walls: dict[str, list[float]] = {name: [] for name in cases}
        cpus: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, cmd in cases.items():
                wall, cpu = timed(cmd, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
    wall = {name: statistics.median(t) for name, t in walls.items()}
    cpu = {name: statistics.median(t) for name, t in cpus.items()}
    installed = importlib.util.find_spec("psycopg") is not None
    print(f"psycopg installed: {'yes' if installed else 'no'}; median of {args.runs}")
    header = ("wall", "x floor", "cpu", "x floor", "x +peewee")
    print(f"{'':32} " + " ".join(f"{h:>8}" for h in header))
    for name in cases:
        ratio, cpu_ratio = wall[name] / wall[FLOOR], cpu[name] / cpu[FLOOR]
        peewee_ratio = cpu[name] / cpu[PEEWEE_FLOOR]
        verdict = ""
        if name not in (FLOOR, PEEWEE_FLOOR):
            verdict = "ok" if max(ratio, cpu_ratio) <= TARGET else "over"
            verdict = f"  (target <= {TARGET:.0f}x the floor: {verdict})"
        print(
            f"{name:32} {wall[name]:7.3f}s {ratio:7.2f}x "
            f"{cpu[name]:7.3f}s {cpu_ratio:7.2f}x {peewee_ratio:9.2f}x{verdict}"
        )


if __name__ == "__main__":
    main()

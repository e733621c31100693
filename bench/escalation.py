"""What [escalation] adds to a cron `sync` with nothing new (issue 20).

Builds once (cached in ``--dir`` by size and schema) a store of
``--tickets`` active, unanswered tickets, then times as subprocesses,
interleaved so that all see the same noise, the median of ``--runs`` runs
of ``sync`` of an empty folder with the same store and [goals]:

* without [escalation] (the floor),
* with it, in opening hours, every notice already sent (cron's steady
  state: each sync looks at every active ticket's deadlines),
* with it, at night (nothing is read: no notice outside opening hours),
* ``escalate --dry-run`` in opening hours (the look alone, listed),

and prints each with its ratio to the floor and its CPU time (user + system
of the child), which the neighbours on a shared machine disturb less.

    python bench/escalation.py [--tickets 2000] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from cached_store import cached_store
from timing import as_installed, timed

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ticketcli.store.migrations import MIGRATIONS  # noqa: E402

DAY = "2026-03-02"  # a Monday; mail from 08:00 local on
BASE = (
    'support_addresses = ["support@example.com"]\n'
    '[hours]\ntimezone = "Europe/Tallinn"\n'
    '[goals]\nfirst_response = "4h"\nresolution = "2d"\n'
)
ESCALATION = '[escalation]\nwarn_before = "15m"\nto = "lead@example.com"\n'


def _mail(i: int) -> bytes:
    return (
        f"From: Customer {i} <c{i}@kund{i % 97}.ee>\r\n"
        f"To: support@example.com\r\nSubject: Order {i} question\r\n"
        f"Date: Mon, 02 Mar 2026 {8 + i % 8:02d}:{i % 60:02d}:00 +0200\r\n"
        f"Message-ID: <bench.{i}@kund.ee>\r\n\r\nHello, about order {i}.\r\n"
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    root = args.dir / f"ticketcli-escalation-{args.tickets}"
    inbox, empty = root / "inbox", root / "empty"
    for folder in (inbox, empty):
        folder.mkdir(parents=True, exist_ok=True)
    plain, escalating = root / "plain.toml", root / "escalation.toml"
    plain.write_text(BASE)
    escalating.write_text(BASE + ESCALATION)
    env = as_installed(
        PYTHONPATH=str(REPO),
        TICKETCLI_NOW=f"{DAY}T04:00:00Z",  # before opening: the build queues none
    )
    cli = [sys.executable, "-m", "ticketcli"]
    store = root / f"store-{MIGRATIONS[-1].name}.db"

    def build(path: Path) -> None:
        for i in range(args.tickets):
            (inbox / f"{i}.eml").write_bytes(_mail(i))
        subprocess.run(
            [*cli, "--config", str(plain), "--db", f"sqlite:///{path}", "sync",
             "--source", str(inbox)],
            env=env, check=True,
        )  # fmt: skip

    cached_store(store, build)
    db = ["--db", f"sqlite:///{store}"]
    day = dict(env, TICKETCLI_NOW=f"{DAY}T13:00:00Z")  # 15:00 local: open
    night = dict(env, TICKETCLI_NOW=f"{DAY}T21:00:00Z")  # 23:00 local
    sync = ["sync", "--source", str(empty)]
    cases = {
        "sync without [escalation]": ([*cli, "--config", str(plain), *db, *sync], day),
        "sync with it, open hours": (
            [*cli, "--config", str(escalating), *db, *sync],
            day,
        ),
        "sync with it, at night": (
            [*cli, "--config", str(escalating), *db, *sync],
            night,
        ),
        "escalate --dry-run, open hours": (
            [*cli, "--config", str(escalating), *db, "escalate", "--dry-run"],
            day,
        ),
    }
    for cmd, case_env in cases.values():  # warm up: and the notices are sent
        timed(cmd, case_env)
    walls: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, (cmd, case_env) in cases.items():
            wall, cpu = timed(cmd, case_env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    floor_name = next(iter(cases))
    floor = statistics.median(walls[floor_name])
    floor_cpu = statistics.median(cpus[floor_name])
    print(f"{args.tickets} active tickets, median of {args.runs} runs")
    for name in cases:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(
            f"{name}: {wall:.3f} s = {wall / floor:.2f}x the floor; "
            f"CPU {cpu:.3f} s = {cpu / floor_cpu:.2f}x"
        )


if __name__ == "__main__":
    main()

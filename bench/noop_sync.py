"""How long a `sync` with nothing new takes, next to Python's own start (issue 18).

Builds once (cached in ``--dir`` by size and schema) a Maildir (``cur/``)
and a folder of ``.eml`` files of ``--messages`` messages each and a store
that has read both, then times as subprocesses, interleaved so that all
see the same noise, the median of ``--runs`` runs each:

* the floor, ``python3 -c "import click, sqlite3"``,
* ``ticketcli sync --source`` the Maildir, the folder, and both at once,
* the same sync of an empty folder: what a run costs before any mail,

and prints each figure with its ratio to the floor (target: at most 2x)
and its CPU time (user + system of the child), which the neighbours on a
shared machine disturb less than the wall time.

    python bench/noop_sync.py [--messages 50000] [--runs 7] [--against TREE]

``--against`` a checkout of another commit (``git archive REV | tar -x``)
times that tree's ticketcli beside this one's, in the same rounds, each on
its own store (named by its schema), for before/after figures of one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from cached_store import cached_store
from timing import as_installed, timed

REPO = Path(__file__).resolve().parents[1]
TARGET = 2.0
START = 1_767_600_000  # Maildir names begin with the delivery time


def _mail(folder: str, i: int) -> bytes:
    """A small customer mail, one of about ten per conversation."""
    conversation = i // 10
    return (
        f"From: Customer {conversation}"
        f" <c{conversation}@kund{conversation % 97}.ee>\r\n"
        f"To: support@example.com\r\n"
        f"Subject: Order {conversation} question\r\n"
        f"Date: Mon, 05 Jan 2026 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
        f" +0000\r\n"
        f"Message-ID: <{folder}.{i}@kund.ee>\r\n"
        f"\r\n"
        f"Hello, message {i} about order {conversation}.\r\n"
    ).encode()


def _write_mailboxes(root: Path, count: int) -> tuple[Path, Path]:
    maildir, emldir = root / "Maildir", root / "eml"
    if (root / "done").exists():
        return maildir, emldir
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    emldir.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        name = f"{START + i // 5}.M{i}P4242.bench.example:2,S"
        (maildir / "cur" / name).write_bytes(_mail("maildir", i))
        (emldir / f"{i}.eml").write_bytes(_mail("eml", i))
    (root / "done").touch()
    return maildir, emldir


def _time(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run, in the tree of its ``PYTHONPATH``
    (``python -m`` puts the working directory first on ``sys.path``)."""
    return timed(cmd, env, cwd=env.get("PYTHONPATH") or None)


def _schema(tree: Path) -> str:
    """The latest migration of ``tree``: its stores are its own."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from ticketcli.store.migrations import MIGRATIONS;"
            "print(MIGRATIONS[-1].name)",
        ],
        env=dict(os.environ, PYTHONPATH=str(tree)),
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--against", type=Path, help="another tree to time too")
    args = parser.parse_args()
    root = args.dir / f"ticketcli-noop-{args.messages}"
    maildir, emldir = _write_mailboxes(root, args.messages)
    empty = root / "empty"
    empty.mkdir(exist_ok=True)
    config = root / "config.toml"
    config.write_text('support_addresses = ["support@example.com"]\n')
    cli = [sys.executable, "-m", "ticketcli"]
    cases: dict[str, tuple[list[str], dict[str, str]]] = {
        "floor python -c 'import click, sqlite3'": (
            [sys.executable, "-c", "import click, sqlite3"],
            dict(os.environ),
        ),
    }
    trees = [("", REPO)]
    if args.against is not None:
        trees.append(("before: ", args.against.resolve()))
    for label, tree in trees:
        env = as_installed(
            tree.name,
            PYTHONPATH=str(tree),
            TICKETCLI_USER="kadri",
            TICKETCLI_CONFIG=str(config),
        )
        store = root / f"store-{_schema(tree)}.db"

        def build(path: Path, env: dict[str, str] = env, tree: Path = tree) -> None:
            db = ["--db", f"sqlite:///{path}"]
            subprocess.run(
                [*cli, *db, "sync", "--source", str(maildir), "--source", str(emldir)],
                env=env,
                check=True,
                cwd=tree,
            )

        cached_store(store, build)
        db = ["--db", f"sqlite:///{store}"]
        sync = [*cli, *db, "sync", "--source"]
        n = args.messages
        cases[f"{label}sync, empty folder"] = ([*sync, str(empty)], env)
        cases[f"{label}no-op sync, Maildir of {n}"] = ([*sync, str(maildir)], env)
        cases[f"{label}no-op sync, emldir of {n}"] = ([*sync, str(emldir)], env)
        cases[f"{label}no-op sync, both"] = (
            [*sync, str(maildir), "--source", str(emldir)],
            env,
        )
    for cmd, env in cases.values():  # warm up: caches, and what a sync remembers
        _time(cmd, env)
    walls: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, (cmd, env) in cases.items():
            wall, cpu = _time(cmd, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    floor_name = next(iter(cases))
    floor = statistics.median(walls[floor_name])
    floor_cpu = statistics.median(cpus[floor_name])
    for name in cases:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        if name == floor_name:
            print(f"{name}: {wall:.3f} s, CPU {cpu:.3f} s (median of {args.runs})")
            continue
        ratio = wall / floor
        verdict = "ok" if ratio <= TARGET else "over"
        print(
            f"{name}: {wall:.3f} s = {ratio:.1f}x the floor "
            f"(target <= {TARGET:.0f}x: {verdict}); "
            f"CPU {cpu:.3f} s = {cpu / floor_cpu:.1f}x"
        )


if __name__ == "__main__":
    main()

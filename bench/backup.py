"""Peak memory and time of `ticketcli backup` and `restore` as the store grows.

For each size a mailbox is generated (../shared/tools/gen_mailbox.py), synced
into a fresh SQLite store by the real CLI, backed up to a file and restored
into another fresh store (or into ``--db``, a PostgreSQL URL of an empty
database, emptied again between sizes, and backed up from there too). Each
command runs in a subprocess of its own, and its peak RSS is that process's
own (``wait4``), next to the baseline of the same run: the peak of a
process that only imports the CLI, and the sync's.

    python bench/backup.py [--messages 5000 20000] [--db postgresql://...]
    python bench/backup.py --messages 5000 50000   # the long run

Flat means the peak does not grow with the store: it stays a constant above
the imports, whatever the number of messages.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GEN = REPO.parent / "shared" / "tools" / "gen_mailbox.py"
MESSAGES_PER_CONVERSATION = 3.4  # the generator's average at --noise 0.1


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one subprocess."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(args)}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def cli(config: Path, db: str, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ticketcli",
        "--config",
        str(config),
        "--db",
        db,
        *args,
    ]


def _empty_postgres(url: str) -> None:
    sys.path.insert(0, str(REPO))
    from ticketcli.store.db import connect

    db = connect(url, upgrade=False)
    try:
        db.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        db.commit()
    finally:
        db.close()


def measure(
    messages: int, tmp: Path, config: Path, target: str | None
) -> dict[str, Any]:
    mbox = tmp / f"mail-{messages}.mbox"
    conversations = max(1, round(messages / MESSAGES_PER_CONVERSATION))
    subprocess.run(
        [sys.executable, str(GEN), "--conversations", str(conversations)]
        + ["--seed", "5", "--format", "mbox", "--out", str(mbox)]
        + ["--truth", str(tmp / "truth.json"), "--quiet"],
        check=True,
    )
    store = f"sqlite:///{tmp / f'store-{messages}.db'}"
    sync_s, sync_mib = run(cli(config, store, "sync", "--source", str(mbox)))
    mbox.unlink()
    # Counted in SQL: this process stays small, as its children start as a
    # copy of it (a big truth.json loaded here would show in their peaks).
    with sqlite3.connect(tmp / f"store-{messages}.db") as con:
        stored = con.execute("SELECT COUNT(*) FROM message").fetchone()[0]
    backup = tmp / f"store-{messages}.backup"
    backup_s, backup_mib = run(cli(config, store, "backup", str(backup)))
    if target:
        _empty_postgres(target)
    restored = target or f"sqlite:///{tmp / f'restored-{messages}.db'}"
    restore_s, restore_mib = run(cli(config, restored, "restore", str(backup)))
    again_mib = 0.0
    if target:  # and back out of PostgreSQL
        _, again_mib = run(cli(config, target, "backup", str(tmp / f"pg-{messages}.x")))
    with backup.open("rb") as handle:
        rows = sum(1 for _ in handle) - 2
    size = backup.stat().st_size
    for path in tmp.glob(f"*-{messages}.*"):
        path.unlink()
    return {
        "messages": stored,
        "rows": rows,
        "size_mib": size / 2**20,
        "sync": (sync_s, sync_mib),
        "backup": (backup_s, backup_mib),
        "restore": (restore_s, restore_mib),
        "pg_backup_mib": again_mib,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--db", help="restore into this empty PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        config = tmp / "config.toml"
        config.write_text(
            'support_addresses = ["support@helpdesk.example"]\n'
            'staff_domains = ["helpdesk.example"]\n',
            encoding="utf-8",
        )
        _, imports_mib = run([sys.executable, "-c", "import ticketcli.cli"])
        print(f"baseline: importing the CLI peaks at {imports_mib:.1f} MiB")
        print(
            f"{'messages':>9} {'rows':>8} {'file MiB':>9}"
            f" {'sync MiB':>9} {'backup MiB':>11} {'restore MiB':>12}"
            f" {'backup s':>9} {'restore s':>10}"
        )
        for messages in args.messages:
            m = measure(messages, tmp, config, args.db)
            print(
                f"{m['messages']:>9} {m['rows']:>8} {m['size_mib']:>9.1f}"
                f" {m['sync'][1]:>9.1f} {m['backup'][1]:>11.1f}"
                f" {m['restore'][1]:>12.1f}"
                f" {m['backup'][0]:>9.1f} {m['restore'][0]:>10.1f}"
                + (
                    f"  backup from PostgreSQL {m['pg_backup_mib']:.1f} MiB"
                    if args.db
                    else ""
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()

"""How fast `ticketcli sync` stores mail, next to a bare baseline in the same run.

Baseline: read the same mbox, parse every message with the stdlib
(``policy.default``), read the headers a helpdesk needs and the body, and
insert one row per message in one SQLite transaction. ticketcli: the real
CLI (``ticketcli --db ... sync --source MBOX``) in a subprocess, fresh store.

    python bench/ingest.py [--conversations 5000] [--db postgresql://...]

Prints messages/s of each, the ratio, and ticketcli's peak memory.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GEN = REPO.parent / "shared" / "tools" / "gen_mailbox.py"
sys.path.insert(0, str(REPO))

from ticketcli.mail.sources.local import open_local_source  # noqa: E402


class _NoState:
    def get(self, name: str) -> None:
        return None

    def seen(self, key: str) -> bool:
        return False


def baseline(mbox: Path, db_path: Path) -> tuple[int, float]:
    """Parse with policy.default, read headers and body, one insert per message."""
    started = time.perf_counter()
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
    return count, time.perf_counter() - started


def _cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


CPU: list[float] = []  # CPU seconds of each ticketcli run, for a busy machine


def ticketcli_sync(mbox: Path, db_url: str, config: Path) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of the real CLI; its CPU time goes to
    ``CPU``, the figure to compare when the machine is shared and wall time
    swings with the neighbours' load."""
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ticketcli",
            "--config",
            str(config),
            "--db",
            db_url,
            "sync",
            "--source",
            str(mbox),
        ],
        check=True,
    )
    elapsed = time.perf_counter() - started
    CPU.append(_cpu_seconds() - cpu_before)
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


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


def _count(mbox: Path) -> int:
    source = open_local_source(str(mbox))
    count = sum(1 for _ in source.fetch(_NoState()))
    source.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", help="store URL for ticketcli (default: fresh SQLite)")
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

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        mbox = tmp / "mailbox.mbox"
        subprocess.run(
            [
                sys.executable,
                str(GEN),
                "--conversations",
                str(args.conversations),
                "--seed",
                str(args.seed),
                "--format",
                "mbox",
                "--out",
                str(mbox),
                "--truth",
                str(tmp / "truth.json"),
                "--quiet",
            ],
            check=True,
        )
        config = tmp / "config.toml"
        config.write_text(
            'support_addresses = ["support@helpdesk.example"]\n'
            'staff_domains = ["helpdesk.example"]\n',
            encoding="utf-8",
        )
        count, base_seconds = baseline(mbox, tmp / "baseline.db")
        db_url = args.db or f"sqlite:///{tmp / 'ticketcli.db'}"
        cli_seconds, peak_kib = ticketcli_sync(mbox, db_url, config)
        if args.scale:
            big = tmp / "big.mbox"
            _generate(big, args.scale, args.seed + 1, tmp / "big.json")
            full = f"sqlite:///{tmp / 'full.db'}"
            big_seconds, big_peak = ticketcli_sync(big, full, config)
            big_count = _count(big)
            full_seconds, _ = ticketcli_sync(mbox, full, config)
        if args.acks:
            ack_seconds, acks_sent = _sync_with_acks(mbox, tmp, config)

    base_rate = count / base_seconds
    cli_rate = count / cli_seconds
    print(f"messages:            {count}")
    print(f"baseline (stdlib):   {base_rate:8.0f} msg/s  ({base_seconds:.1f} s)")
    print(
        f"ticketcli sync:      {cli_rate:8.0f} msg/s  ({cli_seconds:.1f} s, "
        f"{args.db.split(':')[0] if args.db else 'sqlite'})"
    )
    print(f"ratio:               {cli_rate / base_rate:8.2f}x baseline")
    print(f"ticketcli CPU time:  {CPU[0]:8.2f} s  ({count / CPU[0]:.0f} msg/CPU s)")
    print(f"ticketcli peak RSS:  {peak_kib / 1024:8.1f} MiB")
    if args.scale:
        print(
            f"store of {big_count} messages: synced at {big_count / big_seconds:.0f} "
            f"msg/s, peak RSS {big_peak / 1024:.1f} MiB (max of all runs so far)"
        )
        print(
            f"same {count} messages into that store: {count / full_seconds:8.0f} msg/s"
            f" ({cli_rate / (count / full_seconds):.2f}x the cost into an empty store)"
        )
    if args.acks:
        print(
            f"with acknowledgements: {count / ack_seconds:8.0f} msg/s, "
            f"{acks_sent} acks queued, sent and received "
            f"({ack_seconds / cli_seconds:.2f}x the time of the sync without)"
        )


if __name__ == "__main__":
    main()

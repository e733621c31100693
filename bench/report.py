"""How fast the lead's read commands are on a large store, next to Python's start.

Builds (once, cached by size) an SQLite store of ``--tickets`` tickets and
``--messages`` messages with bulk INSERTs straight into the real schema
(created by ``ticketcli.store.db.connect``: the same tables, indexes and
migrations as users get), then times as subprocesses:

* ``python -c "import ticketcli.cli"`` (the floor every command pays),
* ``ticketcli report --assignee '*'`` and ``report --assignee none``,
* ``ticketcli show N`` and ``ticketcli customers show CODE``,

and prints each figure, its ratio to the floor (target: under 10x), and the
EXPLAIN QUERY PLAN of the report query, so a scan shows up at once.

    python bench/report.py [--tickets 100000] [--messages 500000] [--active 0.03]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from cached_store import cached_store

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# After the path is set: the tree this script sits in, not an installed copy.
from ticketcli.clock import now  # noqa: E402
from ticketcli.store.db import connect  # noqa: E402
from ticketcli.store.models import bind_models  # noqa: E402
from ticketcli.store.queries import report_query  # noqa: E402

WORDS = (
    "printer arve tellimus hinnapäring tarne viga konto parool server varukoopia "
    "faktura zamówienie reklamacja dostawa lasku tilaus toimitus račun naročilo "
    "dobava invoice order quote delivery login backup"
).split()
AGENTS = ("kadri", "jaan", "anna", "matti", "janez", "liis", "piotr", "sven")
BATCH = 20_000


def build(path: Path, tickets: int, messages: int, active: float, seed: int) -> None:
    """The schema from ticketcli itself, the rows by executemany in big batches."""
    connect(f"sqlite:///{path}").close()
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA journal_mode=OFF")
    base = datetime(2025, 1, 1)
    with con:
        con.executemany(
            "INSERT INTO agent (id, login, name, active, created_at)"
            " VALUES (?, ?, ?, 1, ?)",
            [(i + 1, login, login.title(), base) for i, login in enumerate(AGENTS)],
        )
        con.executemany(
            "INSERT INTO agent_address (agent_id, address) VALUES (?, ?)",
            [(i + 1, f"{login}@help.example") for i, login in enumerate(AGENTS)],
        )
        customers = max(tickets // 50, 1)
        con.executemany(
            "INSERT INTO customer (id, code, name, created_at) VALUES (?, ?, ?, ?)",
            [(i, f"C{i:05d}", f"Firma {i} OÜ", base) for i in range(1, customers + 1)],
        )
        con.executemany(
            "INSERT INTO customer_domain (customer_id, domain) VALUES (?, ?)",
            [(i, f"firma{i}.example") for i in range(1, customers + 1)],
        )
    # Every ticket has a message; the rest are spread at random: exact totals.
    counts = [1] * tickets
    for _ in range(max(messages - tickets, 0)):
        counts[rng.randrange(tickets)] += 1
    message_id = 0
    ticket_rows: list[tuple[object, ...]] = []
    message_rows: list[tuple[object, ...]] = []
    event_rows: list[tuple[object, ...]] = []

    def flush() -> None:
        with con:
            con.executemany(
                "INSERT INTO ticket (id, subject, subject_key, customer_id, requester,"
                " assignee_id, status, priority, type, source, created_at,"
                " first_response_at, closed_at, last_message_at, last_direction,"
                " message_count, reopened, merged_into_id, due_at) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, NULL, 'bench', ?, ?, ?, ?, ?, ?, ?,"
                " NULL, ?)",
                ticket_rows,
            )
            con.executemany(
                "INSERT INTO message (id, ticket_id, message_id, content_hash,"
                " dedupe_key, raw_sha256, collision, kind, direction, from_address,"
                " from_name, to_addrs, cc_addrs, subject, date, received_at,"
                ' body_text, in_reply_to, "references", thread_key, rule,'
                " rule_detail, source, size, defects) VALUES (?, ?, ?, ?, ?, ?, 0,"
                " 'ticket', ?, ?, '', 'support@help.example', '', ?, ?, ?, ?, '', '',"
                " NULL, ?, '', 'bench', 1000, '')",
                message_rows,
            )
            con.executemany(
                "INSERT INTO event (ticket_id, at, actor, kind, detail, message_id)"
                " VALUES (?, ?, ?, ?, '', NULL)",
                event_rows,
            )
        ticket_rows.clear()
        message_rows.clear()
        event_rows.clear()

    for number in range(1, tickets + 1):
        created = base + timedelta(minutes=number * 5)
        customer = rng.randint(1, customers)
        requester = f"p{rng.randint(1, 6)}@firma{customer}.example"
        subject = " ".join(rng.choices(WORDS, k=4)).capitalize()
        count = counts[number - 1]
        is_active = rng.random() < active
        agent = rng.randint(1, len(AGENTS)) if rng.random() < 0.7 else None
        status = ("open" if agent else "new") if is_active else "closed"
        last = created
        direction = "inbound"
        for k in range(count):
            message_id += 1
            last = created + timedelta(hours=k * 3)
            direction = "outbound" if k % 2 else "inbound"
            sender = (
                f"{AGENTS[(agent or 1) - 1]}@help.example"
                if direction == "outbound"
                else requester
            )
            mid = f"<{message_id}@bench.example>"
            message_rows.append(
                (
                    message_id,
                    number,
                    mid,
                    f"h{message_id}",
                    f"{mid}|h{message_id}",
                    f"r{message_id}",
                    direction,
                    sender,
                    ("Re: " if k else "") + subject,
                    last,
                    last,
                    f"Tere,\n\n{subject} -- message {k}.\n\n> quoted\n",
                    "new" if k == 0 else "in-reply-to",
                )
            )
        ticket_rows.append(
            (
                number,
                subject,
                subject.lower(),
                customer,
                requester,
                agent,
                status,
                rng.choice(("low", "normal", "normal", "high", "urgent")),
                created,
                created + timedelta(hours=3) if count > 1 else None,
                None if is_active else last + timedelta(days=1),
                last,
                direction,
                count,
                is_active and rng.random() < 0.05,
                created + timedelta(days=7) if rng.random() < 0.1 else None,
            )
        )
        event_rows.append((number, created, "ticketcli", "created"))
        if not is_active:
            event_rows.append((number, last + timedelta(days=1), "kadri", "closed"))
        if len(message_rows) >= BATCH:
            flush()
    flush()
    with con:
        con.execute("ANALYZE")
    con.close()


def timed(args: list[str], runs: int) -> float:
    """The best of ``runs`` wall times: the figure least disturbed by neighbours."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--active", type=float, default=0.03, help="share not closed")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()

    path = args.dir / f"ticketcli-bench-{args.tickets}-{args.messages}.db"
    cached_store(
        path,
        lambda part: build(part, args.tickets, args.messages, args.active, args.seed),
    )
    con = sqlite3.connect(path)
    counts = {
        t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608
        for t in ("ticket", "message", "event")
    }
    active = con.execute(
        "SELECT COUNT(*), SUM(assignee_id IS NULL) FROM ticket"
        " WHERE status IN ('new', 'open', 'pending')"
    ).fetchone()
    print(
        f"store: {counts['ticket']:,} tickets, {counts['message']:,} messages,"
        f" {counts['event']:,} events; {active[0]:,} active, {active[1]:,} in the pool"
    )
    empty = args.dir / "ticketcli-bench-empty.toml"
    empty.write_text("", encoding="utf-8")
    cli = [sys.executable, "-m", "ticketcli", "--config", str(empty)]
    cli += ["--db", f"sqlite:///{path}"]
    number = counts["ticket"] // 2
    floor = timed([sys.executable, "-c", "import ticketcli.cli"], args.runs)
    print(f"{'python -c import ticketcli.cli':38} {floor * 1000:7.0f} ms   1.0x")
    for label, extra in (
        ("report --assignee '*'", ["report", "--assignee", "*"]),
        ("report --assignee none", ["report", "--assignee", "none"]),
        ("report --assignee '*' --format json", ["report", "--assignee", "*"]),
        (f"show {number}", ["show", str(number)]),
        ("customers show C00001", ["customers", "show", "C00001"]),
    ):
        if "json" in label:
            extra = [*extra, "--format", "json"]
        figure = timed(cli + extra, args.runs)
        print(f"{label:38} {figure * 1000:7.0f} ms {figure / floor:5.1f}x")

    db = connect(f"sqlite:///{path}")
    with bind_models(db):
        for assignee in ("*", "none"):
            sql, params = report_query(now=now(), assignee=assignee).sql()
            print(f"\nEXPLAIN QUERY PLAN report --assignee {assignee!r}:")
            for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params):
                print(f"  {row[-1]}")
    db.close()


if __name__ == "__main__":
    main()

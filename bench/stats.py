"""How fast `stats` and the morning report are on a large store, next to a floor.

Builds (once, cached by size) an SQLite store of ``--tickets`` tickets and
``--messages`` messages spread over two years before a pinned "now", with
bulk INSERTs straight into the real schema (created by
``ticketcli.store.db.connect``: the same tables, indexes and migrations as
users get). The rows are what sync and the lead's commands write: a
"created" and a "message" event per mail, first replies that assign,
pending spells, closes, reopens, logged work time, mail mostly in office
hours. Then it times, as subprocesses with ``TICKETCLI_NOW`` pinned and a
config with ``[hours]`` and ``[goals]`` (business time: the slower path):

* ``ticketcli --version`` (the floor every command pays) and a plain
  ``SELECT count(*) FROM message`` (what touching the store costs),
* ``stats --period week --by assignee`` and the other ``stats`` views,
* ``report --assignee '*'`` and, when it exists, ``report --html FILE``,

and prints each figure, its ratio to the floor, and whether it is under
the 2 s goal.

    python bench/stats.py [--tickets 100000] [--messages 500000]
"""

from __future__ import annotations

import argparse
import os
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

from bench.report import timed  # noqa: E402 - after the path is set
from ticketcli.store.db import connect  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0)  # a Friday, noon UTC
SPAN_DAYS = 730
AGENTS = ("kadri", "jaan", "anna", "matti", "janez", "liis", "piotr", "sven")
TYPES = ("question", "order", "quote request", "complaint", "service", None)
SOURCES = ("support", "support", "support", "sales", "manual")
PRIORITIES = ("low", "normal", "normal", "normal", "high", "urgent")
# UTC hour weights: Estonian, Polish and Finnish office hours.
HOUR_WEIGHTS = [1, 1, 1, 1, 2, 6, 12, 18, 20, 20, 18, 16, 18, 17, 15, 12, 8, 5, 4, 3,
                2, 2, 1, 1]  # fmt: skip
BATCH = 20_000
GOAL_SECONDS = 2.0
CONFIG = """\
support_addresses = ["support@help.example"]
staff_domains = ["help.example"]

[hours]
timezone = "Europe/Tallinn"
holidays = ["2026-02-24", "2026-06-24"]

[goals]
first_response = "2h"
resolution = "3d"
new_max = "4h"
pending_max = "14d"
"""


class Builder:
    """Rows for one ticket at a time, flushed to SQLite in big batches."""

    def __init__(
        self, con: sqlite3.Connection, rng: random.Random, span_days: int = SPAN_DAYS
    ) -> None:
        self.con = con
        self.rng = rng
        self.span_days = span_days
        self.message_id = 0
        self.tickets: list[tuple[object, ...]] = []
        self.messages: list[tuple[object, ...]] = []
        self.events: list[tuple[object, ...]] = []
        self.work: list[tuple[object, ...]] = []

    def flush(self) -> None:
        with self.con:
            self.con.executemany(
                "INSERT INTO ticket (id, subject, subject_key, customer_id, requester,"
                " assignee_id, status, priority, type, source, created_at,"
                " first_response_at, closed_at, last_message_at, last_direction,"
                " message_count, reopened, merged_into_id, due_at) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                self.tickets,
            )
            self.con.executemany(
                "INSERT INTO message (id, ticket_id, message_id, content_hash,"
                " dedupe_key, raw_sha256, collision, kind, direction, from_address,"
                " from_name, to_addrs, cc_addrs, subject, date, received_at,"
                ' body_text, in_reply_to, "references", thread_key, rule,'
                " rule_detail, source, size, defects) VALUES (?, ?, ?, ?, ?, ?, 0,"
                " 'ticket', ?, ?, '', 'support@help.example', '', ?, ?, ?,"
                " 'Tere, vaatame üle.', '', '', NULL, ?, '', 'support', 1800, '')",
                self.messages,
            )
            self.con.executemany(
                "INSERT INTO event (ticket_id, at, actor, kind, detail, message_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                self.events,
            )
            self.con.executemany(
                "INSERT INTO work_log (ticket_id, agent, minutes, at, note)"
                " VALUES (?, ?, ?, ?, '')",
                self.work,
            )
        for rows in (self.tickets, self.messages, self.events, self.work):
            rows.clear()

    def hours(self, low: float, high: float) -> timedelta:
        """A random wait, in whole seconds: the store keeps no fractions."""
        return timedelta(seconds=int(self.rng.uniform(low, high) * 3600))

    def created_at(self) -> datetime:
        """Mostly on weekdays, mostly in office hours."""
        rng = self.rng
        while True:
            day = NOW - timedelta(days=rng.randrange(self.span_days) + 1)
            if day.weekday() < 5 or rng.random() < 0.15:
                break
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        return day.replace(
            hour=hour, minute=rng.randrange(60), second=rng.randrange(60)
        )

    def ticket(
        self, number: int, created: datetime, count: int, customers: int
    ) -> None:
        rng = self.rng
        customer = rng.randint(1, customers) if rng.random() < 0.9 else None
        requester = f"p{rng.randint(1, 6)}@firma{customer or 0}.example"
        agent = rng.randrange(len(AGENTS))
        subject = f"Tellimus {number}"
        # Offsets of the messages: the first reply after a lognormal wait
        # (median ~40 min), then hours between mails.
        offsets = [0.0]
        for k in range(1, count):
            wait = (
                rng.lognormvariate(7.8, 1.3) if k == 1 else rng.lognormvariate(9.5, 1)
            )
            offsets.append(offsets[-1] + wait)
        room = (NOW - created).total_seconds() * 0.9
        if offsets[-1] > room:
            offsets = [o * room / offsets[-1] for o in offsets]
        dates = [created + timedelta(seconds=int(o)) for o in offsets]
        directions = [
            "inbound" if k == 0 or (k % 2 == 0 and rng.random() > 0.1) else "outbound"
            for k in range(count)
        ]
        self.events.append((number, created, "ticketcli", "created", "", None))
        first_reply = None
        for date, direction in zip(dates, directions, strict=True):
            self.message_id += 1
            mid = f"<{self.message_id}@bench.example>"
            sender = (
                f"{AGENTS[agent]}@help.example"
                if direction == "outbound"
                else requester
            )
            self.messages.append(
                (self.message_id, number, mid, f"h{self.message_id}",
                 f"{mid}|h{self.message_id}", f"r{self.message_id}", direction,
                 sender, subject, date, date, "new" if date == created else "token")
            )  # fmt: skip
            self.events.append(
                (number, date, sender, "message", direction, self.message_id)
            )
            if direction == "outbound" and first_reply is None:
                first_reply = date
                self.events.append(
                    (number, date, AGENTS[agent], "assigned",
                     f"{AGENTS[agent]} (first reply)", None)
                )  # fmt: skip
        last = dates[-1]
        age = (NOW - created).days
        status = "closed"
        if age < 21 and rng.random() < 0.45:
            status = rng.choice(("open", "open", "pending", "new"))
        if status != "closed" and first_reply is None:
            status = "new"
        if status == "pending" and first_reply is not None:
            self.events.append((number, first_reply + timedelta(hours=1),
                                AGENTS[agent], "status", "pending", None))  # fmt: skip
        closed_at = None
        if status == "closed":
            closed_at = min(last + self.hours(0.5, 72), NOW)
            if rng.random() < 0.05 and closed_at < NOW - timedelta(days=2):
                self.events.append((number, closed_at, "lead", "closed", "", None))
                reopen = closed_at + self.hours(1, 24)
                self.events.append((number, reopen, requester, "reopened", "", None))
                closed_at = min(reopen + self.hours(1, 48), NOW)
            self.events.append((number, closed_at, "lead", "closed", "", None))
            if rng.random() < 0.3:
                self.work.append(
                    (number, AGENTS[agent], rng.choice((15, 30, 45, 60, 90)), closed_at)
                )
        assignee = agent + 1 if first_reply is not None and status != "new" else None
        self.tickets.append(
            (number, subject, subject.lower(), customer, requester, assignee, status,
             rng.choice(PRIORITIES), rng.choice(TYPES), rng.choice(SOURCES), created,
             first_reply, closed_at, last, directions[-1], count, False)
        )  # fmt: skip


def build(
    path: Path, tickets: int, messages: int, seed: int, span_days: int = SPAN_DAYS
) -> None:
    """The schema from ticketcli itself, the rows by executemany in big batches,
    the tickets created over the ``span_days`` before ``NOW``."""
    connect(f"sqlite:///{path}").close()
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA journal_mode=OFF")
    base = NOW - timedelta(days=span_days + 30)
    customers = max(tickets // 50, 1)
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
        con.executemany(
            "INSERT INTO customer (id, code, name, created_at) VALUES (?, ?, ?, ?)",
            [(i, f"C{i:05d}", f"Firma {i} OÜ", base) for i in range(1, customers + 1)],
        )
    # Every ticket has a message; the rest are spread at random: exact totals.
    counts = [1] * tickets
    for _ in range(max(messages - tickets, 0)):
        counts[rng.randrange(tickets)] += 1
    builder = Builder(con, rng, span_days)
    # Numbered in order of creation, as sync numbers them.
    created = sorted(builder.created_at() for _ in range(tickets))
    for number, (at, count) in enumerate(zip(created, counts, strict=True), start=1):
        builder.ticket(number, at, count, customers)
        if len(builder.messages) >= BATCH:
            builder.flush()
    builder.flush()
    with con:
        con.execute("ANALYZE")
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()

    path = args.dir / f"ticketcli-stats-bench-{args.tickets}-{args.messages}.db"
    cached_store(path, lambda part: build(part, args.tickets, args.messages, args.seed))
    config = args.dir / "ticketcli-stats-bench.toml"
    config.write_text(CONFIG, encoding="utf-8")
    cli = [sys.executable, "-m", "ticketcli", "--config", str(config)]
    cli += ["--db", f"sqlite:///{path}"]
    # Every command below runs with "now" pinned where the data ends.
    os.environ["TICKETCLI_NOW"] = NOW.isoformat() + "Z"
    # The first run migrates a store built by an older ticketcli.
    subprocess.run([*cli, "stats"], check=True, stdout=subprocess.DEVNULL)

    con = sqlite3.connect(path)
    counts = {
        t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608
        for t in ("ticket", "message", "event", "work_log")
    }
    active = con.execute(
        "SELECT COUNT(*) FROM ticket WHERE status IN ('new', 'open', 'pending')"
    ).fetchone()[0]
    print(
        f"store: {counts['ticket']:,} tickets, {counts['message']:,} messages,"
        f" {counts['event']:,} events, {counts['work_log']:,} work logs;"
        f" {active:,} active; now = {NOW.isoformat()}Z"
    )
    start = time.perf_counter()
    for _ in range(args.runs):
        con.execute("SELECT count(*) FROM message").fetchone()
    count_ms = (time.perf_counter() - start) / args.runs * 1000
    con.close()

    floor = timed([*cli, "--version"], args.runs)
    print(f"{'ticketcli --version':44} {floor * 1000:7.0f} ms   1.0x")
    print(f"{'SELECT count(*) FROM message (in process)':44} {count_ms:7.0f} ms")
    html = args.dir / "ticketcli-stats-bench.html"
    has_html = (
        "--html"
        in subprocess.run(
            [*cli, "report", "--help"], capture_output=True, text=True
        ).stdout
    )
    cases = [
        ["stats", "--period", "week", "--by", "assignee"],
        ["stats", "--period", "week"],
        ["stats", "--period", "month", "--by", "customer"],
        ["stats", "--period", "week", "--by", "hour"],
        ["stats", "--workload"],
        ["stats", "--load", "--period", "month"],
        ["stats", "--trend", "8"],
        ["stats", "--work-time", "customer", "--period", "month"],
        ["report", "--assignee", "*"],
    ]
    if has_html:
        cases.append(["report", "--html", str(html)])
    for extra in cases:
        figure = timed(cli + extra, args.runs)
        verdict = "ok" if figure < GOAL_SECONDS else "OVER 2 s"
        label = " ".join("'*'" if a == "*" else a for a in extra).replace(
            str(html), "FILE"
        )
        print(f"{label:44} {figure * 1000:7.0f} ms {figure / floor:5.1f}x  {verdict}")
    if not has_html:
        print("report --html: not available in this tree")


if __name__ == "__main__":
    main()

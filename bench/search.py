"""How fast `search` answers on a large store, and what the index costs ingest.

Builds (once, cached by size) an SQLite store of ``--messages`` messages on
``--messages / 5`` tickets with bulk INSERTs into the real schema (created
by ``ticketcli.store.db.connect``), bodies drawn from a vocabulary of the
desk's languages, then the index written by the migration's own
``rebuild`` (its time is the upgrade cost of an existing store). It times,
in-process through ``ticketcli.Store.search`` (best of five), a one-word
query, a three-word query with a filter, a prefix and a phrase, and once
``ticketcli search`` as a subprocess (start-up included).

Then the ingest cost: a generated mailbox of ``--conversations`` synced by
the real CLI into a fresh store, and into a fresh store without the index
tables (the writer then skips indexing: a store before ``0010``), best of
``--rounds``; the figure is the difference, which should stay under 15 %.

    python bench/search.py [--messages 500000] [--conversations 1000]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from cached_store import cached_store
from timing import children_cpu

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ticketcli.api import Store  # noqa: E402 - after the path is set
from ticketcli.store.db import connect  # noqa: E402
from ticketcli.store.search import TABLES, rebuild  # noqa: E402

GEN = REPO.parent / "shared" / "tools" / "gen_mailbox.py"
GOAL_SECONDS = 1.0
BATCH = 20_000
START = datetime(2025, 1, 1)
WORDS = (
    "printer arve tellimus parool portaal viga ühendus aitäh tere palun "
    "lasku tilaus salasana kirjautuminen virhe yhteys kiitos hyvää päivää "
    "faktura zamówienie hasło logowanie błąd połączenie dziękuję żółć "
    "račun naročilo geslo prijava napaka povezava hvala lep pozdrav "
    "invoice order password login error connection thanks please report "
    "export import server update license delivery payment contract backup "
    "vpn email calendar mobile laptop monitor keyboard network firewall"
).split()
QUERIES = (
    ("one word", "printer"),
    ("three words + filter", "arve viga palun status:open"),
    ("prefix", "kirjau*"),
    ("phrase", '"tere palun"'),
    ("rare word", "zqxneedle42"),
)
CONFIG = (
    'support_addresses = ["support@help.example"]\nstaff_domains = ["help.example"]\n'
)


def build(path: Path, messages: int) -> None:
    rng = random.Random(7)
    syllables = ("ka", "lo", "mi", "ne", "ru", "sa", "te", "vi", "ää", "šo", "ży")
    rare = [
        "".join(rng.choices(syllables, k=rng.randrange(2, 5))) for _ in range(20_000)
    ]
    db = connect(f"sqlite:///{path}")
    tickets = max(messages // 5, 1)
    span = 730 * 24 * 3600
    with db.atomic():
        rows = []
        for number in range(1, tickets + 1):
            at = START + timedelta(seconds=rng.randrange(span))
            status = rng.choice(("open", "closed", "closed", "closed", "new"))
            subject = " ".join(rng.choices(WORDS, k=4)).capitalize()
            rows.append((number, subject, subject.lower(), status, at, at))
            if len(rows) == BATCH:
                _tickets(db, rows)
                rows = []
        _tickets(db, rows)
        rows = []
        for message in range(1, messages + 1):
            ticket = rng.randrange(1, tickets + 1)
            # About a third of a mail is common words, the rest rarer ones.
            size = rng.randrange(20, 120)
            body = " ".join(
                rng.choice(WORDS) if rng.random() < 0.3 else rng.choice(rare)
                for _ in range(size)
            )
            if message % 50_000 == 0:
                body += " zqxneedle42"
            at = START + timedelta(seconds=rng.randrange(span))
            sender = f"user{rng.randrange(5000)}@firma{rng.randrange(300)}.ee"
            rows.append(
                (message, ticket, f"m{message}", f"<m{message}@x>", sender, at, body)
            )
            if len(rows) == BATCH:
                _messages(db, rows)
                rows = []
        _messages(db, rows)
    started = time.perf_counter()
    with db.atomic():
        rebuild(db)
    seconds = time.perf_counter() - started
    print(f"index rebuilt over {messages:,} messages in {seconds:.1f} s")
    db.close()


def _tickets(db, rows) -> None:  # noqa: ANN001 - a bench helper
    db.cursor().executemany(
        "INSERT INTO ticket (id, subject, subject_key, requester, status, priority,"
        " created_at, last_message_at, last_direction, message_count, reopened)"
        " VALUES (?, ?, ?, '', ?, 'normal', ?, ?, 'inbound', 5, 0)",
        rows,
    )


def _messages(db, rows) -> None:  # noqa: ANN001 - a bench helper
    db.cursor().executemany(
        "INSERT INTO message (id, ticket_id, message_id, content_hash, dedupe_key,"
        " raw_sha256, collision, kind, direction, from_address, from_name,"
        " to_addrs, cc_addrs, subject, date, received_at, body_text, in_reply_to,"
        ' "references", rule, rule_detail, source, size, defects) VALUES'
        " (?, ?, NULL, ?, ?, '', 0, 'ticket', 'inbound', ?, '',"
        " 'support@help.example', '', 'Re: tööd', ?, ?, ?, '', '', 'new', '',"
        " 'support', 1800, '')",
        [(i, t, h, k, s, at, at, b) for i, t, h, k, s, at, b in rows],
    )


def time_queries(path: Path) -> None:
    url = f"sqlite:///{path}"
    with Store.open(url, upgrade=False) as store:
        for label, query in QUERIES:
            best, rows = float("inf"), []
            for _ in range(5):
                started = time.perf_counter()
                rows = store.search(query, limit=20)
                best = min(best, time.perf_counter() - started)
            verdict = "ok" if best < GOAL_SECONDS else "SLOW"
            print(
                f"  {label:22} {query!r:32} {best * 1000:8.1f} ms"
                f"  {len(rows):3} rows  {verdict}"
            )
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ticketcli", "--db", url, "search", "printer"],
        check=True,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    print(f"  `ticketcli search printer` (a process, start-up included): "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")  # fmt: skip


def ingest_cost(tmp: Path, conversations: int, rounds: int) -> None:
    mbox, config = tmp / "mail.mbox", tmp / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    subprocess.run(
        [sys.executable, str(GEN), "--conversations", str(conversations), "--seed",
         "42", "--format", "mbox", "--out", str(mbox), "--truth",
         str(tmp / "truth.json"), "--quiet"],
        check=True,
    )  # fmt: skip
    best = {"with index": float("inf"), "without index": float("inf")}
    wall = dict(best)
    for round_ in range(rounds):
        for label in best:
            path = tmp / f"{label.replace(' ', '-')}-{round_}.db"
            db = connect(f"sqlite:///{path}")
            if label == "without index":
                for table in TABLES:
                    db.execute_sql(f'DROP TABLE "{table}"')
            db.close()
            cpu = children_cpu()
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "ticketcli", "--config", str(config), "--db",
                 f"sqlite:///{path}", "sync", "--source", str(mbox)],
                check=True,
                cwd=REPO,
            )  # fmt: skip
            wall[label] = min(wall[label], time.perf_counter() - started)
            best[label] = min(best[label], children_cpu() - cpu)
    for name, figures in (("CPU time", best), ("wall time", wall)):
        base, indexed = figures["without index"], figures["with index"]
        share = (indexed - base) / base
        verdict = "ok" if share < 0.15 else "OVER 15 %"
        print(
            f"  sync of {conversations} conversations, {name}: {base:.2f} s"
            f" without the index, {indexed:.2f} s with it: {share:+.1%}  {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / f"ticketcli-bench-search-{args.messages}.db"
    store = cached_store(cache, lambda path: build(path, args.messages))
    print(f"search over {args.messages:,} messages (goal: under {GOAL_SECONDS:.0f} s):")
    time_queries(store)
    if not args.skip_ingest:
        with tempfile.TemporaryDirectory() as tmp:
            ingest_cost(Path(tmp), args.conversations, args.rounds)


if __name__ == "__main__":
    main()

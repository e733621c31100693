"""How fast `ticketcli sync` reads IMAP, next to the same mail from a local Maildir.

Starts a throwaway Dovecot (``tests/servers/dovecot.py``, as the tests do),
APPENDs N generated messages to a folder, and writes the same N messages to
a Maildir. Then, each into a fresh SQLite store, the real CLI in a
subprocess: ``sync`` from the IMAP source (SSL, after = "keep") and
``sync --source MAILDIR``. Prints messages/s of each and the ratio
(target: IMAP >= 0.7x local).

Second, cron's case: a no-op ``sync`` (nothing new on the server) on a store
of ``--store-messages`` messages, against ``python -c "import ticketcli.cli"``
(target: under 2x). Medians of ``--repeat`` runs.

    python bench/imap.py [--messages 5000] [--store-messages 52000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GEN = REPO.parent / "shared" / "tools" / "gen_mailbox.py"
sys.path.insert(0, str(REPO))

from timing import as_installed  # noqa: E402

from tests.servers.dovecot import PASSWORD, DovecotServer  # noqa: E402

SUPPORT = "support@helpdesk.example"


def generate(out: Path, messages: int, seed: int) -> list[Path]:
    """At least ``messages`` generated messages (Maildir order); the first N."""
    conversations = messages // 3 + 20
    subprocess.run(
        [
            sys.executable, str(GEN), "--conversations", str(conversations),
            "--seed", str(seed), "--format", "maildir", "--out", str(out),
            "--truth", str(out.parent / f"truth-{seed}.json"), "--quiet",
        ],
        check=True,
    )  # fmt: skip
    files = sorted((out / "new").iterdir())
    if len(files) < messages:
        raise SystemExit(f"generator gave {len(files)} < {messages} messages")
    return files[:messages]


def write_config(path: Path, db: Path, server: DovecotServer, folder: str) -> Path:
    path.write_text(
        f'support_addresses = ["{SUPPORT}"]\n'
        'staff_domains = ["helpdesk.example"]\n'
        f'[database]\nurl = "sqlite:///{db}"\n'
        "[[sources]]\n"
        'type = "imap"\nname = "support"\nhost = "127.0.0.1"\n'
        f'port = {server.ssl_port}\ntls = "ssl"\nusername = "{server.user}"\n'
        'password_env = "BENCH_IMAP_PASSWORD"\n'
        f'folder = "{folder}"\nca_file = "{server.ca_file}"\n',
        encoding="utf-8",
    )
    return path


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-2000:]}")
    return elapsed


def stored(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute("SELECT count(*) FROM message").fetchone()[0])
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--store-messages", type=int, default=52_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ticketcli-bench-imap-"))
    env = as_installed(BENCH_IMAP_PASSWORD=PASSWORD)
    env.pop("TICKETCLI_CONFIG", None)
    py = [sys.executable, "-m", "ticketcli"]
    try:
        files = generate(work / "gen", args.messages, seed=42)
        maildir = work / "Maildir"
        for sub in ("new", "cur", "tmp"):
            (maildir / sub).mkdir(parents=True)
        for f in files:
            shutil.copyfile(f, maildir / "new" / f.name)

        with DovecotServer() as server:
            server.create_folder("bench")
            started = time.perf_counter()
            server.append("bench", (f.read_bytes() for f in files))
            append_s = time.perf_counter() - started
            print(f"{len(files)} messages APPENDed to Dovecot in {append_s:.1f}s")

            imap_db, local_db = work / "imap.db", work / "local.db"
            config = write_config(work / "imap.toml", imap_db, server, "bench")
            local = [*py, "--db", f"sqlite:///{local_db}", "sync"]
            local_s = timed([*local, "--source", str(maildir)], env)
            imap_s = timed([*py, "--config", str(config), "sync"], env)
            n_local, n_imap = stored(local_db), stored(imap_db)
            if n_local != n_imap:
                raise SystemExit(f"stored {n_imap} from IMAP but {n_local} locally")
            print(
                f"local Maildir: {len(files) / local_s:7.0f} messages/s "
                f"({local_s:.2f}s, {n_local} stored)"
            )
            print(
                f"IMAP (SSL):    {len(files) / imap_s:7.0f} messages/s "
                f"({imap_s:.2f}s, {n_imap} stored)"
            )
            print(f"ratio IMAP/local: {local_s / imap_s:.2f}x (target >= 0.7x)")

            extra = args.store_messages - len(files)
            if extra > 0:
                more = generate(work / "gen2", extra, seed=43)
                fill = work / "fill"
                (fill / "cur").mkdir(parents=True)
                (fill / "tmp").mkdir()
                (fill / "new").mkdir()
                for f in more:
                    shutil.copyfile(f, fill / "new" / f.name)
                timed([*py, "--config", str(config), "sync", "--source", str(fill)],
                      env)  # fmt: skip
            size = stored(imap_db)
            noop = [*py, "--config", str(config), "sync"]
            baseline = [sys.executable, "-c", "import ticketcli.cli"]
            timed(noop, env)  # warm the page cache
            noop_s = statistics.median(timed(noop, env) for _ in range(args.repeat))
            base_s = statistics.median(timed(baseline, env) for _ in range(args.repeat))
            print(
                f"no-op IMAP sync on a store of {size} messages: {noop_s * 1000:.0f} ms"
                f"; import ticketcli.cli: {base_s * 1000:.0f} ms; ratio "
                f"{noop_s / base_s:.2f}x (target < 2x; medians of {args.repeat})"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

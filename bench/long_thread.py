"""Does a mail cost more on a long thread? Ticket times appended vs recomputed.

A monitoring alert or a mailing list that threads into one ticket brings
thousands of mails to it. Sync keeps the ticket's times by appending the
new mail (``store.writer.APPENDED``) when it comes last; recomputing reads
every message of the ticket instead, so each mail would cost more than the
one before. This stores ``--mails`` mails onto one ticket in a fresh SQLite
store each way, one transaction per mail as sync does (the message row and
the times; no parsing), and prints the time per mail early and late in the
thread for both, side by side in one run.

    python3 bench/long_thread.py [--mails 4000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import add_ticket_mail, open_ticket  # noqa: E402
from ticketcli.store.db import connect  # noqa: E402
from ticketcli.store.models import bind_models  # noqa: E402
from ticketcli.store.writer import Writer  # noqa: E402

START = datetime(2026, 1, 1)
WINDOW = 500  # mails timed at each end of the thread


def per_mail(path: Path, mails: int, *, appended: bool) -> tuple[float, float]:
    """ms per mail over the first and the last ``WINDOW`` mails."""
    db = connect(f"sqlite:///{path}")
    spans: list[float] = []
    try:
        with bind_models(db):
            writer = Writer(db)
            with db.atomic():
                number = open_ticket(writer, START)
            started = 0.0
            for n in range(mails):
                if n in (0, mails - WINDOW):
                    started = time.perf_counter()
                when = START + timedelta(minutes=n)
                direction = "inbound" if n % 2 else "outbound"
                with db.atomic():
                    add_ticket_mail(number, n, when, direction)
                    writer.refresh_times(
                        number, added=(when, direction) if appended else None
                    )
                if n in (WINDOW - 1, mails - 1):
                    spans.append((time.perf_counter() - started) / WINDOW * 1000)
    finally:
        db.close()
    return spans[0], spans[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=4000)
    args = parser.parse_args()
    if args.mails < 2 * WINDOW:
        parser.error(f"--mails: at least {2 * WINDOW}")
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            name: per_mail(Path(tmp, f"{name}.db"), args.mails, appended=appended)
            for name, appended in (("recomputed", False), ("appended", True))
        }
    print(f"one ticket, {args.mails} mails; ms per mail (message row + ticket times)")
    for name, (early, late) in results.items():
        print(
            f"{name:>10}: mails 1-{WINDOW} {early:.3f} ms, last {WINDOW} {late:.3f} ms"
            f" ({late / early:.2f}x)"
        )
    late_ratio = results["recomputed"][1] / results["appended"][1]
    print(f"late in the thread, recomputed / appended: {late_ratio:.1f}x")


if __name__ == "__main__":
    main()

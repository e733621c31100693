"""A report that survives any mail: 500 tickets whose subjects are 5,000
characters, from customers and agents with names of hundreds, make an HTML
page and a mail (both parts) under 100 KB; every list stops with "… and N
more", and N is right."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from tests.helpers import Page, assert_mail_safe
from tests.long_desk import NOW, long_desk, shared_long_desk
from ticketcli.render import html as report_html
from ticketcli.reports.morning import LIST_LIMIT

if TYPE_CHECKING:
    from email.message import EmailMessage
    from pathlib import Path

    from tests.helpers import Desk
    from tests.servers.smtp import SmtpServer

LIMIT = 100_000  # bytes; Gmail clips a mail after about 102 KB
TICKETS = 500
LISTS = {
    "pool": "The pool: tickets without an owner",
    "overdue": "Overdue",
    "reopened": "REOPENED",
}


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, smtp_server: SmtpServer) -> Desk:
    """One store for the module: the reports only read it."""
    return shared_long_desk(
        tmp_path_factory.mktemp("long"),
        TICKETS,
        report={"recipients": ["lead@acme.example"]},
        smtp=smtp_server.table(**{"from": "report@acme.example"}),
    )


def truth(desk: Desk, tickets: int = TICKETS) -> dict[str, int]:
    """How many tickets each list holds, from `report`'s own listing."""
    result = desk.run("report", "--assignee", "*", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    counts = {
        "pool": sum(r["assignee"] is None for r in rows),
        "overdue": sum(bool(r["overdue"]) for r in rows),
        "reopened": sum(bool(r["reopened"]) for r in rows),
        "customers": len({r["customer"] for r in rows}),
    }
    assert len(rows) == tickets
    assert all(n > LIST_LIMIT for n in counts.values())  # every list is cut
    return counts


def mailed(desk: Desk, smtp: SmtpServer, *args: str) -> tuple[bytes, EmailMessage]:
    result = desk.run("report", "--mail", *args)
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    [got] = smtp.wait_for(1)
    return got.data, got.message


def parts(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.iter_parts()
    return plain.get_content(), html.get_content()


def shown(page: Page, section: str) -> list[list[str]]:
    return page.table(section)


def more(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"… and (\d+) more", text)]


def test_500_long_tickets_make_a_small_page_and_mail(
    desk: Desk, smtp: SmtpServer, tmp_path: Path
) -> None:
    counts = truth(desk)
    out = tmp_path / "report.html"
    data, message = mailed(desk, smtp, "--html", str(out))
    page_html = out.read_text(encoding="utf-8")
    assert len(page_html.encode()) < LIMIT
    assert len(data) < LIMIT, f"the mail is {len(data)} bytes"
    plain, html = parts(message)
    assert html.replace("\r\n", "\n") == page_html  # nothing had to go
    page = assert_mail_safe(html)
    for name, title in LISTS.items():
        rows = shown(page, title)
        assert len(rows) == LIST_LIMIT, name
        assert f"{title} ({counts[name]})" in page.text
    # "… and N more" under each list, N the rest: pool, overdue, reopened;
    # and under the top customers (one customer per ticket here).
    customers = shown(page, "Top customers")[1:]  # the header row
    assert more(page.text) == [
        counts["customers"] - len(customers),
        *(counts[name] - LIST_LIMIT for name in LISTS),
    ]
    assert more(plain) == more(page.text)


def test_long_texts_are_cut_whole_and_escaped(desk: Desk) -> None:
    result = desk.run("report", "--html", "-")
    assert result.exit_code == 0, result.stderr
    html = result.stdout
    page = assert_mail_safe(html)
    # Entities stay whole: every "&" starts one.
    assert re.sub(r"&(amp|lt|gt|#34|#39|nbsp);", "", html).count("&") == 0
    for row in shown(page, LISTS["pool"]):
        subject = row[0].split("\n")[0]
        assert subject.endswith("…")
        assert 20 < len(subject) <= 120, subject
        assert "\ufffd" not in subject
    # No text of the page is long: the longest run between tags is a cut
    # subject, not a 5,000-character one.
    assert max(len(t.strip()) for t in page.texts) < 200


def test_plain_part_lines_stay_short(desk: Desk, smtp: SmtpServer) -> None:
    _, message = mailed(desk, smtp)
    plain, _ = parts(message)
    assert max(len(line) for line in plain.splitlines()) < 200
    subjects = [line for line in plain.splitlines() if re.match(r"  #\d+  ", line)]
    assert len(subjects) == len(LISTS) * LIST_LIMIT
    assert all(line.endswith("…") for line in subjects)


def test_a_mail_over_the_limit_goes_with_shorter_lists(
    desk: Desk, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should clipped texts still make a mail too big (a limit of 40 KB here,
    as hundreds of escapes or emoji in every text would), the lists get
    shorter and their counts stay right."""
    counts = truth(desk)
    full, _ = mailed(desk, smtp)
    smtp.reset()
    limit = len(full) * 3 // 4
    monkeypatch.setattr(report_html, "MAIL_LIMIT", limit)
    data, message = mailed(desk, smtp)
    assert len(data) <= limit
    plain, html = parts(message)
    page = Page(html)
    rows = {name: len(shown(page, title)) for name, title in LISTS.items()}
    kept = set(rows.values())
    assert len(kept) == 1
    [n] = kept
    assert n in report_html.SHORTER_LISTS
    assert n < LIST_LIMIT
    assert len(shown(page, "Top customers")) - 1 == n  # and the header
    agents = len(shown(page, "Agents")) - 1
    assert agents == min(n, 3)
    expected = [
        *([3 - agents] if agents < 3 else []),
        counts["customers"] - n,
        *(counts[name] - n for name in LISTS),
    ]
    assert more(page.text) == expected
    assert more(plain) == expected


WORST = "\U0001f4b0\u0301"  # four bytes and a combining accent: 6 bytes, 18 in QP


def test_the_worst_texts_still_mail_under_the_limit(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    """Every subject and name all emoji with accents: clipped, they are
    still many times their length in quoted-printable, so the mail goes
    with shorter lists -- under the limit, the counts right."""
    desk = long_desk(
        tmp_path,
        60,
        subject=lambda n: f"#{n} " + WORST * 2500,
        name=lambda prefix, n, length: f"{prefix} {n} " + WORST * length,
        report={"recipients": ["lead@acme.example"]},
        smtp=smtp.table(**{"from": "report@acme.example"}),
    )
    counts = truth(desk, 60)
    full = desk.run("report", "--html", "-")
    assert full.exit_code == 0, full.stderr
    assert len(shown(Page(full.stdout), LISTS["pool"])) == LIST_LIMIT
    data, message = mailed(desk, smtp)
    assert len(data) < LIMIT
    plain, html = parts(message)
    page = assert_mail_safe(html)
    rows = {name: len(shown(page, title)) for name, title in LISTS.items()}
    [n] = set(rows.values())
    assert 0 < n < LIST_LIMIT  # shorter lists, in the mail only
    assert more(plain) == more(page.text)
    assert more(page.text)[-3:] == [counts[name] - n for name in LISTS]
    # Cut between whole characters: no emoji loses its accent to the "…".
    assert "\u0301…" in plain
    assert "\U0001f4b0…" not in plain + html

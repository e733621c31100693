"""`ticketcli search` on both backends: what matches, the filters, wrong input,
the same answers from SQLite and PostgreSQL, and an index that always equals
the messages and notes (ingest, migration, copy, restore)."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import GenMailbox, write_config
from tests.helpers import SUPPORT, eml
from tests.store.conftest import StoreCli, fill
from ticketcli.api import Store
from ticketcli.store import migrations
from ticketcli.store.db import connect
from ticketcli.store.migrations import MIGRATIONS
from ticketcli.store.search import indexed

if TYPE_CHECKING:
    from pathlib import Path


class Desk(StoreCli):
    """A store on either backend with a folder of mail to deliver."""

    def __init__(self, url: str, tmp: Path) -> None:
        config = write_config(
            tmp / "config.toml",
            support_addresses=[SUPPORT],
            staff_domains=["acme-help.example"],
        )
        super().__init__(url, config)
        self.inbox = tmp / "inbox"
        self.inbox.mkdir()
        self.count = 0
        self.ok("init")

    def deliver(self, *mails: bytes) -> None:
        for data in mails:
            self.count += 1
            (self.inbox / f"{self.count:05d}.eml").write_bytes(data)
        self.sync(self.inbox)

    def numbers(self, query: str, *extra: str) -> list[int]:
        return numbers(self, query, *extra)


def numbers(cli: StoreCli, query: str, *extra: str) -> list[int]:
    """The ticket numbers `search QUERY` lists, in its order."""
    return [row["number"] for row in cli.json("search", query, *extra)]


def _with_attachment(mid: str, name: str, body: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Jüri Tamm <juri@firma.ee>"
    mail["To"] = SUPPORT
    mail["Subject"] = "Skaneeritud leping"
    mail["Date"] = "Tue, 03 Mar 2026 09:00:00 +0200"
    mail["Message-ID"] = mid
    mail.set_content(body)
    mail.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename=name
    )
    return mail.as_bytes()


def _check_index(url: str) -> None:
    """The index holds every message and every note, and nothing else."""
    db = connect(url)
    try:
        messages = {r[0] for r in db.execute_sql("SELECT id FROM message")}
        notes = {
            r[0] for r in db.execute_sql("SELECT id FROM event WHERE kind = 'note'")
        }
        assert indexed(db) == (messages, notes)
    finally:
        db.close()


@pytest.fixture
def desk(store_url: str, tmp_path: Path) -> Desk:
    desk = Desk(store_url, tmp_path)
    desk.deliver(
        eml("<a@kund.ee>", subject="Printer on katki", body="Tere, printer ei tööta."),
        eml(
            "<b@kund.ee>",
            sender="anna@pood.fi",
            subject="Lasku puuttuu",
            body="Hyvää päivää, maaliskuun lasku puuttuu. Kiitos!",
            date="Wed, 04 Mar 2026 10:00:00 +0200",
        ),
        eml(
            "<c@kund.ee>",
            sender="ola@firma.pl",
            subject="Żółć w raporcie",
            body="Dzień dobry, raport pokazuje źdźbło zamiast liczby. Łódź",
            date="Thu, 05 Mar 2026 10:00:00 +0200",
        ),
        eml(
            "<d@kund.ee>",
            sender="mojca@podjetje.si",
            subject="Napaka pri izvozu poročila",
            body="Pozdravljeni, čevapčiči niso problem, šala.",
            date="Fri, 06 Mar 2026 10:00:00 +0200",
        ),
        _with_attachment("<e@firma.ee>", "Leping_2026_allkirjastatud.pdf", "Aitäh!"),
    )
    return desk


def test_words_match_subject_body_sender_attachment_and_note(desk: Desk) -> None:
    assert desk.numbers("printer") == [1]
    assert desk.numbers("maaliskuun") == [2]
    assert desk.numbers("Tamm") == [5]  # the sender's name
    assert desk.numbers("anna@pood.fi") == [2]
    assert desk.numbers("allkirjastatud") == [5]  # an attachment's name
    desk.ok("note", "3", "Helistas, lubasime tagasihelistamist", "--as", "lead")
    assert desk.numbers("tagasihelistamist") == [3]
    rows = desk.json("search", "tagasihelistamist")
    assert rows[0]["snippet"] == "Helistas, lubasime tagasihelistamist"
    assert set(rows[0]) == {
        "number",
        "subject",
        "status",
        "assignee",
        "snippet",
        "last_message_at",
    }


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("tootA", 1),  # et: tööta
        ("hyvaa paivaa", 2),  # fi: Hyvää päivää
        ("zolc", 3),  # pl: Żółć
        ("zdzblo lodz", 3),  # pl: źdźbło Łódź
        ("dzien", 3),
        ("cevapcici sala", 4),  # sl: čevapčiči šala
        ("porocila", 4),
        ("aitah", 5),  # et: Aitäh
        ("AITÄH", 5),
        ("ŻÓŁĆ", 3),  # accents typed are folded too
    ],
)
def test_case_and_diacritics_do_not_matter(desk: Desk, typed: str, number: int) -> None:
    assert desk.numbers(typed) == [number]


def test_all_words_must_match_prefix_and_phrase(desk: Desk) -> None:
    assert desk.numbers("printer lasku") == []
    assert desk.numbers("lasku puuttuu") == [2]
    assert desk.numbers("print*") == [1]
    assert desk.numbers("pu*") == [2]
    assert desk.numbers('"printer ei toota"') == [1]
    assert desk.numbers('"toota printer"') == []
    assert desk.numbers('"lasku puu"*') == [2]


def test_filters(desk: Desk) -> None:
    desk.ok("agents", "add", "kadri", "--email", "kadri@acme-help.example")
    desk.ok("customers", "add", "Pood Oy", "--code", "POOD", "--domain", "pood.fi")
    desk.ok("customer", "2", "POOD")
    desk.ok("assign", "1", "kadri", "--as", "lead")
    desk.ok("close", "4", "--as", "lead")
    assert sorted(desk.numbers("status:closed")) == [4]
    assert desk.numbers("napaka status:new") == []
    assert sorted(desk.numbers("status:new status:closed")) == [2, 3, 4, 5]
    assert desk.numbers("assignee:kadri") == [1]
    assert 1 not in desk.numbers("assignee:none")
    assert desk.numbers("customer:POOD") == [2]
    assert desk.numbers("from:firma.pl") == [3]
    assert desk.numbers("from:OLA@firma.pl raport") == [3]
    assert desk.numbers("from:ola@firma.pl printer") == []
    assert desk.numbers("after:2026-03-05") == [4, 3]  # most recent first
    assert desk.numbers("before:2026-03-04") == [5, 1]
    assert desk.numbers("before:2026-03-03") == [1]
    assert desk.numbers("after:2026-03-04 before:2026-03-05") == [2]
    assert desk.numbers("has:attachment") == [5]
    assert desk.numbers("aitah has:attachment") == [5]
    assert desk.numbers("printer has:attachment") == []
    desk.ok("tag", "1", "3", "vip")
    assert sorted(desk.numbers("tag:vip")) == [1, 3]
    assert desk.numbers("zolc tag:vip") == [3]
    assert desk.numbers("status:new status:closed", "--limit", "1") == [4]


def test_best_match_first_and_one_row_per_ticket(desk: Desk) -> None:
    desk.deliver(
        eml(
            "<f@kund.ee>",
            subject="Re: Printer on katki",
            body="Printer printer printer, ikka ei tööta.",
            extra="In-Reply-To: <a@kund.ee>\r\n",
        ),
        eml("<g@muu.ee>", sender="x@muu.ee", subject="Kohvimasin", body="ka printer"),
    )
    assert desk.numbers("printer") == [1, 6]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status:done"], "search: status:done is not one of"),
        (["assignee:nobody"], "search: no agent nobody"),
        (["customer:NOPE"], "search: no customer NOPE"),
        (['"open'], "is not closed"),
        (["after:tomorrow"], "is not a date"),
        (["tag:Not/A/Tag"], "is not a tag"),
        (["has:link"], "has:link is unknown"),
        (["   "], "nothing to search for"),
    ],
)
def test_wrong_input_is_one_line_and_exit_2(
    desk: Desk, args: list[str], message: str
) -> None:
    before = desk.export()
    result = desk.run("search", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert desk.export() == before


def test_formats(desk: Desk) -> None:
    table = desk.ok("search", "printer").stdout
    assert table.splitlines()[0].split() == [
        "number",
        "subject",
        "status",
        "assignee",
        "snippet",
    ]
    assert "(none)" in desk.ok("search", "kohvimasin").stdout
    csv = desk.ok("search", "printer", "--format", "csv").stdout.splitlines()
    assert csv[0] == "number,subject,status,assignee,snippet,last_message_at"
    assert csv[1].startswith("1,Printer on katki,new,,")


def test_the_index_equals_the_messages_and_notes(desk: Desk) -> None:
    desk.ok("note", "1", "märkus", "--as", "lead")
    desk.ok(
        "new", "--subject", "Telefonikõne", "--from", "x@y.ee", "--message", "Käsitsi"
    )
    assert desk.numbers("kasitsi") == [6]
    _check_index(desk.url)
    desk.ok("merge", "2", "into", "1", "--as", "lead")
    assert desk.numbers("maaliskuun") == [1]  # hits follow the merge
    _check_index(desk.url)


def test_an_older_store_gets_its_index_from_the_migration(
    store_url: str, tmp_path: Path, gen_mailbox: GenMailbox, monkeypatch: Any
) -> None:
    folder, truth = gen_mailbox(conversations=20, seed=5)
    desk = StoreCli(store_url, write_config(tmp_path / "config.toml", truth))
    with monkeypatch.context() as old_release:
        old_release.setattr(
            migrations,
            "MIGRATIONS",
            [m for m in MIGRATIONS if m.name < "0010_search_index"],
        )
        fill(desk, folder, truth, tmp_path)
        desk.ok("note", "4", "vana märkus", "--as", "lead")
    assert desk.ok("migrate").exit_code == 0
    _check_index(store_url)
    assert 4 in [r["number"] for r in desk.json("search", "vana markus")]


def test_copy_and_restore_bring_the_index(
    desk: Desk, store_url: str, tmp_path: Path
) -> None:
    desk.ok("note", "2", "kopeeritud märkus", "--as", "lead")
    want = {q: desk.numbers(q) for q in ("printer", "kopeeritud", "zolc", "aitah")}
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    desk.ok("copy", "--from", store_url, "--to", copy)
    _check_index(copy)
    copied = StoreCli(copy, desk.config)
    assert {q: numbers(copied, q) for q in want} == want
    backup = tmp_path / "store.backup"
    desk.ok("backup", str(backup))
    restored_url = f"sqlite:///{tmp_path / 'restored.db'}"
    restored = StoreCli(restored_url, desk.config)
    restored.ok("restore", str(backup))
    _check_index(restored_url)
    with Store.open(restored_url) as store:
        assert [r["number"] for r in store.search("kopeeritud")] == want["kopeeritud"]


@pytest.mark.postgres
def test_sqlite_and_postgresql_give_the_same_tickets(
    gen_mailbox: GenMailbox, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    postgres_url = str(request.getfixturevalue("postgres_db"))
    folder, truth = gen_mailbox(conversations=150, seed=17)
    stores = []
    for url in (f"sqlite:///{tmp_path / 'store.db'}", postgres_url):
        desk = StoreCli(url, write_config(tmp_path / "config.toml", truth))
        fill(desk, folder, truth, tmp_path)
        desk.ok("note", "4", "Klient helistas, Łódź", "--as", "lead")
        stores.append(url)
    subjects = sorted({c["subject"] for c in truth["conversations"].values()})
    words = sorted({w for s in subjects for w in s.split() if len(w) > 4})[:40]
    queries = [
        *subjects[:40],
        *words,
        *(w[:3] + "*" for w in words[:20]),
        *(f'"{s}"' for s in subjects[:10]),
        "lodz",
        "status:closed",
        "assignee:none status:open",
        "has:attachment",
        "from:gmail.com",
        "after:2026-01-10 before:2026-01-20",
        f"{words[0]} status:open",
    ]
    answers = []
    for url in stores:
        with Store.open(url, upgrade=False) as store:
            answers.append({q: _found(store, q) for q in queries})
    sqlite, postgres = answers
    differ = {q: (sqlite[q], postgres[q]) for q in queries if sqlite[q] != postgres[q]}
    assert not differ
    assert sum(1 for q in queries if sqlite[q]) > len(queries) * 0.8


def _found(store: Store, query: str) -> Any:
    """The set of tickets found (the engines rank alike, not identically)."""
    rows = store.search(query, limit=10_000)
    return sorted(row["number"] for row in rows)


def test_json_is_machine_readable(desk: Desk) -> None:
    rows = json.loads(desk.ok("search", "zolc", "--format", "json").stdout)
    assert rows[0]["subject"] == "Żółć w raporcie"
    assert rows[0]["last_message_at"].endswith("Z")

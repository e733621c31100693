"""`search` scored against a generated mailbox's ground truth, and an index
that equals the messages after a sync killed midway (SIGKILL).

Each conversation's subject and its first mail's text (read with the
standard library, not ticketcli's parser) are the queries a lead would
paste; the conversation's ticket must come first.
"""

from __future__ import annotations

import re
import signal
import time
from email import message_from_bytes, policy
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.test_ground_truth import (
    Store,
    _ticket_of_conversation,
    _unique_ticket_mail,
)
from tests.integration.test_never import _config, _maildir_copy, _sync
from ticketcli.api import Store as TicketStore
from ticketcli.rules.search_query import fts5_match, parse_query
from ticketcli.store.db import connect
from ticketcli.store.search import indexed

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import GenMailbox

pytestmark = pytest.mark.slow

CONVERSATIONS = 300


def _text(raw: bytes) -> str:
    """A mail's readable text as the standard library sees it."""
    mail = message_from_bytes(raw, policy=policy.default)
    part = mail.get_body(("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = re.sub(r"<[^>]*>", " ", text)
    return text


def _queries(folder: Path, truth: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """conversation -> (its subject, its subject and first mail's text)."""
    unique = {m["index"] for m in _unique_ticket_mail(truth)}
    out = {}
    for conv_id, conv in truth["conversations"].items():
        first = next((i for i in conv["messages"] if i in unique), None)
        if first is None:
            continue
        body = _text((folder / truth["messages"][first]["file"]).read_bytes())
        # Pasted into a shell, quotes would be the shell's; here they would
        # open a phrase the text never closes.
        out[conv_id] = (conv["subject"], f"{conv['subject']} {body}".replace('"', " "))
    return out


@pytest.fixture(scope="module")
def mailbox(gen_mailbox: GenMailbox) -> tuple[Path, dict[str, Any]]:
    return gen_mailbox(conversations=CONVERSATIONS, seed=29, fmt="eml-dir", noise=0.1)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_subject_and_body_find_their_ticket_first(
    backend: str,
    mailbox: tuple[Path, dict[str, Any]],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    folder, truth = mailbox
    url = (
        str(request.getfixturevalue("postgres_db"))
        if backend == "postgres"
        else f"sqlite:///{tmp_path / 'store.db'}"
    )
    desk = Store(tmp_path, truth, url)
    desk.sync(folder)
    tickets = _ticket_of_conversation(truth, desk.export())
    queries = _queries(folder, truth)
    first = found = asked = 0
    misses = []
    with TicketStore.open(url, upgrade=False) as store:
        for conv_id, (subject, text) in queries.items():
            if conv_id not in tickets:
                continue
            want = tickets[conv_id]["number"]
            asked += 1
            rows = store.search(text, limit=5)
            if rows and rows[0]["number"] == want:
                first += 1
            else:
                misses.append((conv_id, want, [r["number"] for r in rows]))
            by_subject = store.search(subject, limit=1000)
            found += want in {r["number"] for r in by_subject}
    print(f"search truth on {backend}: {first}/{asked} first")  # noqa: T201
    assert asked >= CONVERSATIONS * 0.9
    assert first / asked >= 0.99, (first, asked, misses[:10])
    assert found == asked  # the subject alone always finds its ticket too
    # Through the command line, as a person would ask: one row, the ticket.
    conv_id, (subject, _) = next(iter(queries.items()))
    out = desk.run("search", subject, "--format", "csv").stdout.splitlines()
    assert out[0].startswith("number,subject,status,assignee,snippet")
    assert str(tickets[conv_id]["number"]) in [line.split(",")[0] for line in out]


def test_the_index_equals_the_messages_after_a_sigkill_mid_sync(
    gen_mailbox: GenMailbox, tmp_path: Path
) -> None:
    maildir, truth = _maildir_copy(gen_mailbox, tmp_path, 400)
    config = _config(tmp_path, maildir, truth)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    kills = 0
    for pause in (0.6, 0.9, 1.2):
        proc = _sync(config)
        time.sleep(pause)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        if (tmp_path / "store.db").exists():
            _check(url)
    assert kills >= 1, "the sync finished too fast to be killed"
    final = _sync(config)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()
    _check(url)


def _check(url: str) -> None:
    db = connect(url)
    try:
        if not db.table_exists("search_message"):
            return  # killed before the store had its schema
        messages = {r[0] for r in db.execute_sql("SELECT id FROM message")}
        notes = {
            r[0] for r in db.execute_sql("SELECT id FROM event WHERE kind = 'note'")
        }
        assert indexed(db) == (messages, notes)
        # And the rows hold the words: a word of each subject finds it.
        for message, subject in db.execute_sql(
            "SELECT id, subject FROM message WHERE subject <> '' ORDER BY id LIMIT 50"
        ).fetchall():
            words = [w for w in re.findall(r"\w+", subject) if len(w) > 3]
            if not words:
                continue
            hits = {
                r[0]
                for r in db.execute_sql(
                    "SELECT rowid FROM search_message WHERE search_message MATCH ?",
                    (fts5_match(parse_query(words[0])),),
                )
            }
            assert message in hits, (message, words)
    finally:
        db.close()

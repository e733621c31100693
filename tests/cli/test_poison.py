"""No single message can stop the pipeline (issue 13, DESIGN "What never happens").

A bug that one message meets rolls back that message alone: it waits whole in
quarantine with the reason, the others are stored, the run exits 4 so cron
mails the line, the next run is clean, and `quarantine retry` stores it once
the fault is gone. The fault here is an SQLite trigger that refuses exactly
one message's row, as a bug in the store step would.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

import pytest

from tests.helpers import Desk, eml

if TYPE_CHECKING:
    from pathlib import Path

POISON = "<poison@kund.ee>"


def _poison(desk: Desk) -> None:
    with sqlite3.connect(desk.tmp / "store.db") as conn:
        conn.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON message"
            f" WHEN NEW.message_id = '{POISON}'"
            " BEGIN SELECT RAISE(ABORT, 'poisoned by the test'); END"
        )


def _cure(desk: Desk) -> None:
    with sqlite3.connect(desk.tmp / "store.db") as conn:
        conn.execute("DROP TRIGGER poison")


def _quarantine(desk: Desk, *args: str) -> list[dict]:
    result = desk.run("quarantine", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    desk = Desk(tmp_path)
    assert desk.run("init").exit_code == 0
    _poison(desk)
    return desk


def _mails() -> list[bytes]:
    return [
        eml("<one@kund.ee>", subject="First"),
        eml(POISON, subject="Second", sender="jaan@kund.ee"),
        eml("<three@kund.ee>", subject="Third", sender="liis@kund.ee"),
    ]


def _write(desk: Desk, mails: list[bytes]) -> None:
    for data in mails:
        desk.count += 1
        (desk.inbox / f"{desk.count:05d}.eml").write_bytes(data)


def test_a_message_that_meets_a_bug_waits_in_quarantine_and_the_rest_is_stored(
    desk: Desk,
) -> None:
    _write(desk, _mails())
    result = desk.run("sync", "--source", str(desk.inbox))
    assert result.exit_code == 4
    assert "internal error: 1 message(s)" in result.stderr
    assert "quarantine retry --all" in result.stderr
    stored = {m["message_id"] for t in desk.export() for m in t["messages"]}
    assert stored == {"<one@kund.ee>", "<three@kund.ee>"}
    (entry,) = _quarantine(desk)
    assert entry["reason"] == "internal error: IntegrityError: poisoned by the test"
    shown = desk.run("quarantine", "show", str(entry["id"]))
    assert shown.stdout_bytes == _mails()[1]

    # The next cron run is clean: nothing new, nothing said.
    again = desk.run("sync", "--source", str(desk.inbox))
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")

    # Still broken: the retry keeps it waiting, says so, exits 4.
    retry = desk.run("quarantine", "retry", "--all")
    assert retry.exit_code == 4
    assert len(_quarantine(desk)) == 1

    # After the "upgrade": the retry stores it once, and the row stays marked.
    _cure(desk)
    retry = desk.run("quarantine", "retry", "--all")
    assert (retry.exit_code, retry.stdout, retry.stderr) == (0, "", "")
    assert _quarantine(desk) == []
    (kept,) = _quarantine(desk, "--all")
    assert kept["retried_at"] is not None
    assert kept["message"] is not None
    stored = [m["message_id"] for t in desk.export() for m in t["messages"]]
    assert sorted(stored) == sorted(["<one@kund.ee>", POISON, "<three@kund.ee>"])
    # Retrying again finds nothing to do; a re-sync stores nothing twice.
    assert desk.run("quarantine", "retry", "--all").exit_code == 0
    desk.run("sync", "--source", str(desk.inbox))
    stored = [m["message_id"] for t in desk.export() for m in t["messages"]]
    assert len(stored) == 3


def test_the_traceback_is_shown_at_vv(desk: Desk) -> None:
    _write(desk, _mails()[1:2])
    result = desk.run("-vv", "sync", "--source", str(desk.inbox))
    assert result.exit_code == 4
    assert "Traceback" in result.stderr
    assert "poisoned by the test" in result.stderr


def test_retry_of_one_entry_and_wrong_entries(desk: Desk) -> None:
    _write(desk, _mails())
    assert desk.run("sync", "--source", str(desk.inbox)).exit_code == 4
    (entry,) = _quarantine(desk)
    _cure(desk)
    for args, message in [
        ((), "give one quarantine ENTRY or --all"),
        (("1", "--all"), "give one quarantine ENTRY or --all"),
        (("999",), "quarantine entry 999 does not exist"),
    ]:
        result = desk.run("quarantine", "retry", *args)
        assert result.exit_code == 2
        assert message in result.stderr
    assert desk.run("quarantine", "retry", str(entry["id"])).exit_code == 0
    result = desk.run("quarantine", "retry", str(entry["id"]))
    assert result.exit_code == 2
    assert "was stored by a retry" in result.stderr


def test_unparseable_mail_retried_stays_with_its_reason(desk: Desk) -> None:
    _write(desk, [b"\r\n\r\nnot a mail at all\r\n"])
    result = desk.run("sync", "--source", str(desk.inbox))
    assert result.exit_code == 0
    (entry,) = _quarantine(desk)
    retry = desk.run("quarantine", "retry", str(entry["id"]))
    assert retry.exit_code == 0
    assert "1 of 1 message(s) still quarantined" in retry.stderr
    assert _quarantine(desk)[0]["reason"] == entry["reason"]

"""A sync with nothing new asks the store the same few questions whether
the folders hold 100 files or 2,000 (issue 18), on both backends."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import peewee
import pytest

from tests.conftest import write_config
from tests.helpers import SUPPORT, eml
from tests.store.conftest import StoreCli
from ticketcli.mail.sources import folders

if TYPE_CHECKING:
    from pathlib import Path

SETTLE = 0.03


@pytest.fixture(autouse=True)
def _short_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stamps trusted 30 ms after a change, not 2 s: the test waits less."""
    monkeypatch.setattr(folders, "SETTLE_NS", int(SETTLE * 1e9))


class Statements:
    """Every statement peewee sends to the store while counting."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[str] | None = None
        real = peewee.Database.execute_sql

        def execute_sql(db: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
            if self.sent is not None:
                self.sent.append(sql)
            return real(db, sql, *args, **kwargs)

        monkeypatch.setattr(peewee.Database, "execute_sql", execute_sql)

    def during(self, action: Any) -> list[str]:
        self.sent = []
        try:
            action()
            return self.sent
        finally:
            self.sent = None


def _folders(tmp: Path, count: int) -> tuple[Path, Path]:
    maildir, emldir = tmp / f"Maildir{count}", tmp / f"eml{count}"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    emldir.mkdir()
    for i in range(count):
        (maildir / "cur" / f"{1767600000 + i}.M{i}P1.host:2,S").write_bytes(
            eml(f"<md{count}.{i}@kund.ee>", subject=f"Order {i // 4}")
        )
        (emldir / f"{i}.eml").write_bytes(
            eml(f"<eml{count}.{i}@kund.ee>", subject=f"Order {i // 4}")
        )
    return maildir, emldir


def test_a_noop_sync_sends_as_many_statements_for_any_folder_size(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements = Statements(monkeypatch)
    desk = StoreCli(
        store_url, write_config(tmp_path / "c.toml", support_addresses=[SUPPORT])
    )
    if not store_url.startswith("sqlite"):
        desk.ok("init")
    counts: dict[int, tuple[int, int]] = {}
    stored = 0
    for count in (100, 2000):  # other folders, so other sources, in one store
        maildir, emldir = _folders(tmp_path, count)
        sync = ("sync", "--source", str(maildir), "--source", str(emldir))
        desk.ok(*sync)  # stores them all
        for folder in (maildir / "cur", emldir):  # a client's lock file came
            (folder / ".lock").touch()  # and went: the folders must be listed
            (folder / ".lock").unlink()
        time.sleep(SETTLE + 0.02)
        # Lists both folders and reads what the store holds, once each.
        listed = statements.during(lambda s=sync: desk.ok(*s))
        # Lists nothing: the folders are as they were.
        unchanged = statements.during(lambda s=sync: desk.ok(*s))
        assert sum("SELECT key FROM delivery" in s for s in listed) == 2
        assert not any("FROM delivery" in s for s in unchanged)
        assert len(unchanged) <= len(listed)
        counts[count] = (len(listed), len(unchanged))
        stored += 2 * count
        assert sum(len(t["messages"]) for t in desk.export()) == stored
    assert counts[100] == counts[2000]


def test_a_mail_copied_in_with_an_old_name_is_stored_once(
    store_url: str, tmp_path: Path
) -> None:
    """The mail a high-water mark would lose: it sorts first and its mtime
    is years old; and no mail is stored twice by syncs that list nothing."""
    desk = StoreCli(
        store_url, write_config(tmp_path / "c.toml", support_addresses=[SUPPORT])
    )
    if not store_url.startswith("sqlite"):
        desk.ok("init")
    maildir, emldir = _folders(tmp_path, 20)
    sync = ("sync", "--source", str(maildir), "--source", str(emldir))
    desk.ok(*sync)
    time.sleep(SETTLE + 0.02)
    desk.ok(*sync)
    desk.ok(*sync)
    (emldir / "0000.eml").write_bytes(eml("<late-eml@kund.ee>", subject="Late"))
    (maildir / "new" / "978307200.M1P1.host").write_bytes(
        eml("<late-md@kund.ee>", subject="Late")
    )
    for path in (emldir / "0000.eml", maildir / "new" / "978307200.M1P1.host"):
        os.utime(path, (978_307_200, 978_307_200))
    desk.ok(*sync)
    time.sleep(SETTLE + 0.02)
    desk.ok(*sync)
    ids = [m["message_id"] for t in desk.export() for m in t["messages"]]
    assert len(ids) == len(set(ids)) == 42
    assert {"<late-eml@kund.ee>", "<late-md@kund.ee>"} <= set(ids)

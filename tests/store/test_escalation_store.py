"""[escalation]'s memory on both backends: an older store gains the table
(migration 0012), and the unique index lets each notice in once."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tests.conftest import write_config
from tests.helpers import eml
from tests.store.conftest import StoreCli
from tests.store.test_migrations import _execute
from ticketcli.store import escalations, migrations
from ticketcli.store.db import connect
from ticketcli.store.migrations import MIGRATIONS
from ticketcli.store.models import bind_models

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

SUPPORT = "support@acme-help.example"
AT = datetime(2026, 3, 2, 9, 0)


def test_an_older_store_gains_the_table_and_remembers_each_notice_once(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(
        tmp_path / "config.toml",
        support_addresses=[SUPPORT],
        staff_domains=["acme-help.example"],
    )
    desk = StoreCli(store_url, config)
    with monkeypatch.context() as old_release:
        old_release.setattr(migrations, "MIGRATIONS", MIGRATIONS[:11])
        desk.ok("init")
    _execute(store_url, 'DROP TABLE "escalation_notice"')  # as 0011 left it
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "1.eml").write_bytes(eml("<q1@kund.ee>"))
    desk.sync(folder)  # the next command upgrades the store
    assert "0012_escalation_notices" in {
        m["name"] for m in desk.json("migrate", "--list")
    }
    db = connect(store_url)
    try:
        with bind_models(db), db.atomic():
            first = escalations.remember(
                1,
                "first_response",
                "warning",
                deadline=AT,
                recipient="a@x.example",
                at=AT,
            )
            again = escalations.remember(
                1,
                "first_response",
                "warning",
                deadline=AT,
                recipient="b@x.example",
                at=AT,
            )
            missed = escalations.remember(
                1,
                "first_response",
                "missed",
                deadline=AT,
                recipient="a@x.example",
                at=AT,
            )
        assert first is not None
        assert missed is not None
        assert again is None  # and the transaction goes on: the savepoint
        with bind_models(db):
            assert escalations.sent_notices() == {
                (1, "first_response", "warning"),
                (1, "first_response", "missed"),
            }
    finally:
        db.close()

"""The Python API (``ticketcli.Store``) on both backends, and two stores at once.

Each ``Store`` owns its database and binds the models to it only for its
own calls, so one process can sync into one store and read another, in any
order, and a caller's own binding (a test's, a command's) comes back after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.conftest import write_config
from tests.helpers import SUPPORT, eml
from tests.store.conftest import JUNK, StoreCli
from ticketcli import Store, load_config
from ticketcli.errors import ConfigError, NotFoundError, SourceError, UsageError
from ticketcli.store.db import connect
from ticketcli.store.models import Ticket, bind_models

if TYPE_CHECKING:
    from pathlib import Path

    from ticketcli.config import Config


def _config(tmp: Path, **extra: object) -> Config:
    path = write_config(
        tmp / "config.toml",
        support_addresses=[SUPPORT],
        staff_domains=["acme-help.example"],
        **extra,
    )
    return load_config(str(path))


def _inbox(folder: Path, *mails: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n, data in enumerate(mails, start=len(list(folder.iterdir())) + 1):
        (folder / f"{n:03d}.eml").write_bytes(data)
    return folder


def _subjects(store: Store) -> list[str]:
    return [t["subject"] for t in store.tickets()]


def test_two_stores_open_at_once_sync_into_one_read_the_other(
    store_url: str, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    before = Ticket._meta.database  # nothing, unless a test left a binding
    with Store.open(store_url, config) as one, Store.open(other_url, config) as other:
        first = one.sync(
            _inbox(
                tmp_path / "a",
                eml("<a1@kund.ee>", subject="Printer on katki"),
                eml("<a2@kund.ee>", sender="jaan@firma.ee", subject="Arve"),
            )
        )
        assert (first.stored, first.tickets_created) == (2, 2)
        assert other.tickets() == []  # the mail went into one store only
        other.sync(_inbox(tmp_path / "b", eml("<b1@kund.ee>", subject="Teine")))
        # Read and act in any order: each call is on its own store.
        assert _subjects(one) == ["Printer on katki", "Arve"]
        assert _subjects(other) == ["Teine"]
        assert one.close(1, actor="lead", note="done") == []
        assert other.ticket(1)["status"] == "new"
        assert one.ticket(1)["status"] == "closed"
        assert [t["number"] for t in one.tickets(status="new")] == [2]
        # The same mail again into the other store is new there, and
        # recognised in the first.
        again = _inbox(tmp_path / "c", eml("<a1@kund.ee>", subject="Printer on katki"))
        assert other.sync(again).stored == 1
        assert one.sync(again).duplicates == 1
        assert _subjects(other) == ["Teine", "Printer on katki"]
        assert len(one.tickets()) == 2
    assert Ticket._meta.database is before  # as it was, once both are done


def test_a_store_gives_back_the_binding_it_found(
    store_url: str, tmp_path: Path
) -> None:
    """Code that bound the models itself (a command, a test) keeps its store."""
    config = _config(tmp_path)
    mine = connect(f"sqlite:///{tmp_path / 'mine.db'}")
    try:
        with bind_models(mine):
            with Store.open(store_url, config) as store:
                store.sync(_inbox(tmp_path / "in", eml("<x@kund.ee>")))
                assert len(store.tickets()) == 1
                assert Ticket.select().count() == 0  # still mine, still empty
                with store.bound():
                    assert Ticket.select().count() == 1
                assert Ticket._meta.database is mine
    finally:
        mine.close()


def test_a_command_binds_its_store_only_while_it_runs(
    store_url: str, tmp_path: Path
) -> None:
    """The CLI's App holds a Store and binds it for the command's duration."""
    _config(tmp_path)
    desk = StoreCli(store_url, tmp_path / "config.toml")
    before = Ticket._meta.database
    mine = connect(f"sqlite:///{tmp_path / 'mine.db'}")
    try:
        with bind_models(mine):
            desk.sync(_inbox(tmp_path / "in", eml("<a@kund.ee>")))
            assert Ticket._meta.database is mine
            assert Ticket.select().count() == 0
        assert [t["number"] for t in desk.export()] == [1]
    finally:
        mine.close()
    assert Ticket._meta.database is before


def test_assign_and_close_record_the_actor_and_note_no_ops(
    store_url: str, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    config_path = tmp_path / "config.toml"
    StoreCli(store_url, config_path).ok("agents", "add", "kadri", "--name", "Kadri")
    with Store.open(store_url, config) as store:
        store.sync(
            _inbox(
                tmp_path / "in", eml("<a@kund.ee>"), eml("<b@kund.ee>", subject="Teine")
            )
        )
        assert store.assign([1, 2], "kadri", actor="lead") == []
        assert store.assign(1, "kadri", actor="lead") == [
            "#1 is already assigned to kadri"
        ]
        assert store.close(2, actor="kadri") == []
        assert store.close([2], actor="kadri") == ["#2 is already closed"]
        one, two = store.ticket(1), store.ticket(2)
    assert (one["assignee"], one["status"]) == ("kadri", "open")
    assert two["status"] == "closed"
    assert [(e["kind"], e["actor"]) for e in one["events"][-1:]] == [
        ("assigned", "lead")
    ]
    assert two["events"][-1]["actor"] == "kadri"


def test_bad_numbers_and_logins_change_nothing(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}", _config(tmp_path)) as store:
        store.sync(_inbox(tmp_path / "in", eml("<a@kund.ee>")))
        with pytest.raises(NotFoundError, match="ticket #9 does not exist"):
            store.ticket(9)
        with pytest.raises(NotFoundError, match="ticket #9 does not exist"):
            store.close([1, 9], actor="lead")
        with pytest.raises(NotFoundError, match="agent 'nobody' does not exist"):
            store.assign(1, "nobody", actor="lead")
        assert store.ticket(1)["status"] == "new"


def test_sync_reads_configured_sources_by_name_or_all(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path / "support", eml("<a@kund.ee>"))
    sales = _inbox(tmp_path / "sales", eml("<b@kund.ee>", subject="Pakkumine"))
    config = _config(
        tmp_path,
        sources=[
            {"type": "emldir", "name": "support", "path": str(inbox)},
            {"type": "emldir", "name": "sales", "path": str(sales)},
        ],
    )
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}", config) as store:
        assert store.sync("support").stored == 1
        assert store.sync().stored == 1  # every source; support's mail is known
        assert [t["source"] for t in store.tickets()] == ["support", "sales"]
        with pytest.raises(SourceError):
            store.sync(tmp_path / "no-such-folder")


def test_sync_without_sources_says_so(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}", _config(tmp_path)) as store:
        with pytest.raises(UsageError, match="no sources"):
            store.sync()


def test_quarantined_mail_is_retried(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "1.eml").write_bytes(JUNK)
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}", _config(tmp_path)) as store:
        assert store.sync(junk).quarantined == 1
        report = store.retry_quarantined()
    assert (report.tried, report.stored_again) == (1, 0)


def test_open_refuses_what_is_no_store_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a sqlite:/// or postgresql:// URL"):
        Store.open("mysql://x/y", _config(tmp_path))
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")  # built-in settings
    try:
        assert repr(store) == f"Store('sqlite:///{tmp_path / 'store.db'}')"
        assert store.tickets() == []
    finally:
        store.disconnect()

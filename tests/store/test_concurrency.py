"""Several hosts on one PostgreSQL store, played by several processes.

Races are made deterministic instead of hoped for: one process opens a
transaction and waits for a "go" file; the test starts the other, waits
until PostgreSQL shows it blocked on a lock (``pg_stat_activity``), and
only then lets the first commit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import REPO, write_config
from tests.servers.postgres import wait_for
from tests.store.conftest import StoreCli

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import GenMailbox

pytestmark = pytest.mark.postgres

SUPPORT = "support@acme-help.example"


def _sql(url: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        cursor = con.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def _ticketcli(config: Path, url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ticketcli",
            "--config",
            str(config),
            "--db",
            url,
            *args,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _script(code: str, *args: str) -> subprocess.Popen[str]:
    """A helper process running ``code`` with ``sys.argv[1:] == args``."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _blocked_on_a_lock(url: str) -> bool:
    rows = _sql(
        url,
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    return bool(rows[0][0])


def _finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[str, str]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out, err


def _mail(mid: str, subject: str = "Printer") -> bytes:
    return (
        f"From: Mari Maasikas <mari@kund.ee>\r\nTo: {SUPPORT}\r\n"
        f"Subject: {subject}\r\nDate: Mon, 02 Mar 2026 10:00:00 +0200\r\n"
        f"Message-ID: {mid}\r\n\r\nTere\r\n"
    ).encode()


def test_two_syncs_on_two_hosts_store_every_mail_once(
    postgres_db: str, gen_mailbox: GenMailbox, tmp_path: Path
) -> None:
    """Two cron jobs, two mailboxes that both received the same mail."""
    folder, truth = gen_mailbox(conversations=60, seed=23, fmt="eml-dir", noise=0.1)
    config = write_config(tmp_path / "config.toml", truth, lock_timeout=120)
    first, second = tmp_path / "host-a", tmp_path / "host-b"
    shutil.copytree(folder, first)
    shutil.copytree(folder, second)
    StoreCli(postgres_db, config).ok("init")
    runs = [
        _ticketcli(config, postgres_db, "sync", "--source", str(d))
        for d in (first, second)
    ]
    for run in runs:
        assert _finish(run) == ("", "")
    [(stored, distinct)] = _sql(
        postgres_db, "SELECT count(*), count(DISTINCT dedupe_key) FROM message"
    )
    expected = sum(1 for m in truth["messages"] if m["kind"] != "duplicate")
    assert stored == distinct == expected
    # Both sources remember every file, whichever process stored it.
    [(deliveries,)] = _sql(postgres_db, "SELECT count(*) FROM delivery")
    assert deliveries == 2 * len(list(folder.iterdir()))


_HOLD_A_MESSAGE = """
    import sys, time
    from pathlib import Path
    from ticketcli.config import load_config
    from ticketcli.ingest.pipeline import Ingester
    from ticketcli.mail.model import RawMail
    from ticketcli.store.db import connect
    from ticketcli.store.models import ALL_MODELS

    url, config, mail, ready, go = sys.argv[1:]
    db = connect(url)
    db.bind(ALL_MODELS)  # for the rest of this process
    ingester = Ingester(load_config(config), db)
    with db.atomic():  # stored, not yet committed
        ingester.ingest(RawMail("host-a", "1.eml", Path(mail).read_bytes()))
        Path(ready).touch()
        while not Path(go).exists():
            time.sleep(0.02)
    print(ingester.report.stored)
"""


def test_the_same_mail_racing_past_the_duplicate_check_is_stored_once(
    postgres_db: str, tmp_path: Path
) -> None:
    """No lock between them (say, an `import -` from the MTA next to a sync):
    the second insert waits for the first transaction, fails on the unique
    dedupe key, and ingest records a duplicate in a fresh transaction."""
    config = write_config(tmp_path / "config.toml", support_addresses=[SUPPORT])
    StoreCli(postgres_db, config).ok("init")
    mail = tmp_path / "1.eml"
    mail.write_bytes(_mail("<same@kund.ee>"))
    inbox = tmp_path / "host-b"
    inbox.mkdir()
    shutil.copy(mail, inbox / "1.eml")
    ready, go = tmp_path / "ready", tmp_path / "go"
    holder = _script(
        _HOLD_A_MESSAGE, postgres_db, str(config), str(mail), str(ready), str(go)
    )
    wait_for(ready.exists, 60)
    racer = _ticketcli(config, postgres_db, "sync", "--source", str(inbox))
    wait_for(lambda: _blocked_on_a_lock(postgres_db), 60)
    go.touch()
    assert _finish(holder)[0] == "1\n"
    assert _finish(racer) == ("", "")
    assert _sql(postgres_db, "SELECT count(*) FROM message") == [(1,)]
    assert _sql(postgres_db, "SELECT count(*) FROM ticket") == [(1,)]
    deliveries = _sql(
        postgres_db, "SELECT source, message_id FROM delivery ORDER BY source"
    )
    assert [m for _, m in deliveries] == [1, 1]  # both point at the one message


_HOLD_A_TICKET = """
    import sys, time
    from pathlib import Path
    from ticketcli.clock import now
    from ticketcli.desk import tickets
    from ticketcli.store.db import connect
    from ticketcli.store.models import ALL_MODELS, Agent

    url, number, action, ready, go = sys.argv[1:]
    db = connect(url)
    db.bind(ALL_MODELS)  # for the rest of this process
    with db.atomic():
        ticket = tickets.get_ticket(int(number))  # locks the row
        Path(ready).touch()
        while not Path(go).exists():
            time.sleep(0.02)
        if action == "close":
            print(tickets.close_tickets([int(number)], "anna"))
        else:
            agent = Agent.get(Agent.login == action)
            tickets.assign(ticket, agent, now(), "anna")
"""

_ASSIGN = """
    import sys
    from ticketcli.clock import now
    from ticketcli.desk import tickets
    from ticketcli.store.db import connect
    from ticketcli.store.models import ALL_MODELS, Agent

    url, number, login = sys.argv[1:]
    db = connect(url)
    db.bind(ALL_MODELS)  # for the rest of this process
    with db.atomic():
        ticket = tickets.get_ticket(int(number))
        tickets.assign(ticket, Agent.get(Agent.login == login), now(), "bert")
"""


def _one_ticket(url: str, tmp: Path) -> StoreCli:
    desk = StoreCli(url, write_config(tmp / "config.toml", support_addresses=[SUPPORT]))
    inbox = tmp / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(_mail("<a@kund.ee>"))
    desk.sync(inbox)
    return desk


def _events(url: str, kind: str) -> list[tuple[str, str]]:
    return [
        (actor, detail)
        for actor, detail in _sql(
            url,
            "SELECT actor, detail FROM event WHERE ticket_id = 1 AND kind = %s"
            " ORDER BY id",
            (kind,),
        )
    ]


def test_two_people_closing_one_ticket_at_once_close_it_once(
    postgres_db: str, tmp_path: Path
) -> None:
    desk = _one_ticket(postgres_db, tmp_path)
    ready, go = tmp_path / "ready", tmp_path / "go"
    holder = _script(_HOLD_A_TICKET, postgres_db, "1", "close", str(ready), str(go))
    wait_for(ready.exists, 60)
    second = _ticketcli(desk.config, postgres_db, "close", "1", "--as", "bert")
    wait_for(lambda: _blocked_on_a_lock(postgres_db), 60)
    go.touch()
    _finish(holder)
    # The second waited for the first, then saw the ticket closed.
    assert _finish(second) == ("", "#1 is already closed\n")
    assert _events(postgres_db, "closed") == [("anna", "")]
    [ticket] = desk.export()
    assert ticket["status"] == "closed"


def test_two_people_assigning_one_ticket_at_once_leave_two_events_and_the_last(
    postgres_db: str, tmp_path: Path
) -> None:
    desk = _one_ticket(postgres_db, tmp_path)
    now = "2026-03-02 10:00:00"
    _sql(
        postgres_db,
        "INSERT INTO agent (login, name, active, created_at) VALUES"
        " ('anna', 'Anna', true, %s), ('bert', 'Bert', true, %s)",
        (now, now),
    )
    ready, go = tmp_path / "ready", tmp_path / "go"
    holder = _script(_HOLD_A_TICKET, postgres_db, "1", "anna", str(ready), str(go))
    wait_for(ready.exists, 60)
    second = _script(_ASSIGN, postgres_db, "1", "bert")
    wait_for(lambda: _blocked_on_a_lock(postgres_db), 60)
    time.sleep(0.1)
    go.touch()
    _finish(holder)
    _finish(second)
    assert _events(postgres_db, "assigned") == [("anna", "anna"), ("bert", "bert")]
    [ticket] = desk.export()
    assert ticket["assignee"] == "bert"  # the one who acted last, as history says
    assert ticket["status"] == "open"


def test_hosts_opening_a_new_store_at_once_create_it_once(
    postgres_db: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "config.toml")
    runs = [_ticketcli(config, postgres_db, "init") for _ in range(4)]
    outputs = [_finish(run)[0] for run in runs]
    assert sum("created" in out for out in outputs) == 1
    assert sum("already exists" in out for out in outputs) == 3
    names = _sql(postgres_db, "SELECT name FROM schema_migration ORDER BY name")
    from ticketcli.store.migrations import MIGRATIONS

    assert [n for (n,) in names] == [m.name for m in MIGRATIONS]

"""The write side of ``ticketcli.api.Store``: the lead's actions, backup and
restore.

Its own module because what it needs -- the outbox, SMTP and the templates,
the backup format -- is much of ticketcli, and a command that only reads
(report, stats, show, search) should not load it: ``Store`` imports this
module on the first call that writes. Mail in is ``ticketcli.api.sync``.
Each function is the body of the ``Store`` method of the same name, which
documents it.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from ticketcli.clock import now
from ticketcli.desk.acknowledgements import closing_notice
from ticketcli.desk.notices import Notifier
from ticketcli.desk.outbox import send_queued
from ticketcli.desk.tickets import assign_tickets, close_tickets
from ticketcli.errors import TicketcliError
from ticketcli.store.backup import restore_backup, write_backup
from ticketcli.store.lock import sync_lock

if TYPE_CHECKING:
    from typing import IO

    from ticketcli.api import Store
    from ticketcli.store.copy import TableCopy


def backup(store: Store, out: str | os.PathLike[str] | IO[bytes]) -> list[TableCopy]:
    if not isinstance(out, (str, os.PathLike)):
        return write_backup(store.db, out)
    path = os.fspath(out)
    part = f"{path}.part"
    try:
        with open(part, "wb") as stream:
            tables = write_backup(store.db, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(part, path)
    except OSError as exc:  # no such directory, no permission, disk full
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise TicketcliError(
            f"backup: cannot write {exc.filename or path}: {exc.strerror or exc}"
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise
    return tables


def restore(store: Store, source: IO[bytes], name: str) -> list[TableCopy]:
    with store.bound(), sync_lock(store.db, store.config.lock_timeout):
        return restore_backup(store.db, source, name)


def assign(
    store: Store, numbers: list[int], login: str | None, *, actor: str
) -> list[str]:
    notifier = Notifier(store.config)
    with store.bound():
        with store.db.atomic():
            notes = assign_tickets(numbers, login, actor, on_assign=notifier.assigned)
        return [*notes, *notifier.send(now())]


def close(store: Store, numbers: list[int], *, actor: str, note: str) -> list[str]:
    at = now()
    notice = closing_notice(store.config)
    with store.bound():
        with store.db.atomic():
            lines = close_tickets(numbers, actor, note, at=at, on_close=notice)
        if notice is not None and store.config.smtp.host:
            outbox_line = send_queued(store.config, at)
            if outbox_line:
                lines.append(outbox_line)
    return lines

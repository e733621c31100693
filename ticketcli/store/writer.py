"""The store's writes to tickets and messages, in prepared SQL (``store/sql.py``).

Sync does the same few writes for every message, so they are written once
here; the commands' changes to tickets come through here too. Nothing here
decides: what a ticket's status, owner and REOPENED mark become, and which
event says so, is ``desk/tickets.py``'s; this writes the values it decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ticketcli.rules.metrics import ticket_times
from ticketcli.rules.search_query import mail_terms, message_terms
from ticketcli.store.lookup import dedupe_key
from ticketcli.store.models import SYSTEM
from ticketcli.store.search import has_index, index_message, index_note
from ticketcli.store.sql import Sql, to_datetime

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

    from peewee import Database

    from ticketcli.mail.model import Kind, ParsedMail


# ``adopt_noise``: noise no ticket holds yet that names a Message-ID goes
# to a ticket, and the events it would have had.
_ADOPT = (
    "UPDATE message SET ticket_id = ?, rule = 'referenced-by', rule_detail = ?"
    " WHERE ticket_id IS NULL AND kind IN ('autoreply', 'bounce', 'bulk')"
    " AND id IN (SELECT message_id FROM message_ref WHERE ref = ?)"
)
_ADOPTED_EVENTS = (
    "INSERT INTO event (ticket_id, at, actor, kind, detail, message_id)"
    " SELECT ?, m.date, COALESCE(NULLIF(m.from_address, ''), ?), 'message',"
    " m.kind, m.id FROM message_ref r JOIN message m ON m.id = r.message_id"
    " WHERE r.ref = ? AND m.ticket_id IS NULL"
    " AND m.kind IN ('autoreply', 'bounce', 'bulk') ORDER BY m.id"
)


@dataclass(frozen=True)
class TicketState:
    """What the ticket rules read of a ticket, as sync reads it."""

    number: int
    status: str
    assignee_id: int | None
    queue: str | None = None
    reopened: bool = False


def _state(number: int, row: Sequence[Any]) -> TicketState:
    """The ticket from a row of (status, assignee_id, queue, reopened)."""
    return TicketState(number, row[0], row[1], row[2], bool(row[3]))


@dataclass(frozen=True)
class AgentRow:
    id: int
    login: str
    active: bool


# The ticket columns that operations on a ticket set (``update_ticket``).
TICKET_COLUMNS = frozenset(
    {
        "status",
        "assignee_id",
        "reopened",
        "closed_at",
        "customer_id",
        "merged_into_id",
        "message_count",
        "priority",
        "type",
        "due_at",
        "queue",
    }
)


# ``rules.metrics.ticket_times`` after one more ticket-kind message dated
# later than all the others (or the first, on a ticket created at its
# date): the last message and its direction are the new one's, the count
# one more, the creation time unchanged, and the first response is the new
# one's date if it is outbound and none was yet while an inbound message
# exists -- which, with no response yet, is exactly when the last message
# was inbound. SET reads the row as it was. No row: recompute instead.
# (Every writer of a ticket's messages refreshes its times, so the row is
# ticket_times of its messages; tests/property holds the two equal.)
APPENDED = (
    "UPDATE ticket SET last_message_at = ?, last_direction = ?,"
    " first_response_at = CASE WHEN first_response_at IS NULL"
    " AND message_count > 0 AND last_direction = 'inbound' THEN ?"
    " ELSE first_response_at END, message_count = message_count + 1"
    " WHERE id = ? AND (last_message_at < ? OR (message_count = 0"
    " AND created_at = ? AND first_response_at IS NULL))"
    " RETURNING status, assignee_id, queue, reopened"
)

_MESSAGE_COLUMNS = (
    "ticket_id, message_id, content_hash, dedupe_key, raw_sha256, collision, kind,"
    " direction, from_address, from_name, to_addrs, cc_addrs, subject, date,"
    ' received_at, body_text, in_reply_to, "references", thread_key, rule,'
    " rule_detail, source, size, defects, unverified_from"
)
_INSERT_MESSAGE = (
    f"INSERT INTO message ({_MESSAGE_COLUMNS}) VALUES ({', '.join(['?'] * 25)})"
)
_INSERT_RESERVED_MESSAGE = (
    f"INSERT INTO message (id, {_MESSAGE_COLUMNS}) VALUES ({', '.join(['?'] * 26)})"
)


class Writer:
    def __init__(self, db: Database) -> None:
        self.sql = Sql(db)
        self._searchable: bool | None = None

    @property
    def searchable(self) -> bool:
        """Whether this store has the search index to keep (asked once)."""
        if self._searchable is None:
            self._searchable = has_index(self.sql.db)
        return self._searchable

    def create_ticket(
        self,
        *,
        subject: str,
        subject_key: str,
        customer_id: int | None,
        requester: str,
        source: str,
        at: datetime,
        detail: str = "",
        queue: str | None = None,
    ) -> int:
        number = self.sql.insert(
            "INSERT INTO ticket (subject, subject_key, customer_id, requester, status,"
            " priority, source, queue, created_at, last_message_at, last_direction,"
            " message_count, reopened) VALUES (?, ?, ?, ?, 'new', 'normal', ?, ?, ?,"
            " ?, 'inbound', 0, ?)",
            (subject, subject_key, customer_id, requester, source, queue, at, at,
             False),
        )  # fmt: skip
        self.event(number, "created", at, SYSTEM, detail)
        return number

    def ticket_state(self, number: int) -> TicketState:
        row = self.sql.one(
            "SELECT status, assignee_id, queue, reopened FROM ticket WHERE id = ?",
            (number,),
        )
        assert row is not None, number
        return _state(number, row)

    def update_ticket(self, number: int, **values: Any) -> None:
        """Set ticket columns (``TICKET_COLUMNS``) to decided values, in one
        UPDATE; the statement's text is prepared once per set of columns."""
        unknown = values.keys() - TICKET_COLUMNS
        if unknown:
            raise ValueError(f"not a ticket column to update: {sorted(unknown)}")
        if not values:
            return
        columns = ", ".join(f"{name} = ?" for name in values)
        self.sql.write(
            f"UPDATE ticket SET {columns} WHERE id = ?",  # names from TICKET_COLUMNS
            (*values.values(), number),
        )

    def store_message(
        self,
        mail: ParsedMail,
        raw: bytes,
        *,
        kind: Kind,
        direction: str,
        ticket: int | None,
        rule: str,
        rule_detail: str,
        source: str,
        date: datetime,
        received_at: datetime,
        thread_key: str | None,
        collision: bool,
        unverified_from: str | None = None,
        terms: str | None = None,
        reserved: int | None = None,
    ) -> int:
        """Store one mail; returns its id. ``unverified_from`` says why a
        From claiming a staff address was not believed ("dmarc=fail"), else
        None; ``terms`` are its ``mail_terms`` if they were folded already
        (sync folds them where it parses); ``reserved`` is an id taken from
        the store's sequence for it (``StoreLookup.reserved_message_id``)."""
        values = (
            ticket,
            mail.message_id,
            mail.content_hash,
            dedupe_key(mail.message_id, mail.content_hash),
            mail.raw_sha256,
            collision,
            kind.value,
            direction,
            mail.from_address,
            mail.from_name,
            " ".join(mail.to),
            " ".join(mail.cc),
            mail.subject,
            date,
            received_at,
            mail.body_text,
            " ".join(mail.in_reply_to),
            " ".join(mail.references),
            thread_key,
            rule,
            rule_detail,
            source,
            mail.size,
            " ".join(mail.defects),
            unverified_from,
        )
        if reserved is None:
            message = self.sql.insert(_INSERT_MESSAGE, values)
        else:
            # Nothing to wait for: on PostgreSQL it travels with the next
            # statement, and its errors (a duplicate stored meanwhile) too.
            message = reserved
            self.sql.write(_INSERT_RESERVED_MESSAGE, (reserved, *values))
        self.sql.write(
            "INSERT INTO message_raw (message_id, data) VALUES (?, ?)", (message, raw)
        )
        self.sql.write_many(
            "INSERT INTO message_ref (message_id, ref) VALUES (?, ?)",
            [(message, ref) for ref in mail.thread_ids],
        )
        for part in mail.attachments:
            self.sql.write(
                "INSERT INTO blob (sha256, data, size) VALUES (?, ?, ?)"
                " ON CONFLICT (sha256) DO NOTHING",
                (part.sha256, part.data, part.size),
            )
            self.sql.write(
                "INSERT INTO attachment (message_id, filename, content_type,"
                " size, sha256) VALUES (?, ?, ?, ?, ?)",
                (message, part.filename, part.content_type, part.size, part.sha256),
            )
        if self.searchable:
            index_message(
                self.sql, message, mail_terms(mail) if terms is None else terms
            )
        if collision and mail.message_id:
            # The id is shared now: it must no longer place anything.
            self.sql.write(
                "UPDATE message SET collision = ? WHERE message_id = ?",
                (True, mail.message_id),
            )
        return message

    def add_participants(self, ticket: int, addresses: Iterable[str]) -> None:
        self.sql.write_many(
            "INSERT INTO participant (ticket_id, address) VALUES (?, ?)"
            " ON CONFLICT (ticket_id, address) DO NOTHING",
            [(ticket, a) for a in dict.fromkeys(addresses) if a],
        )

    def refresh_times(
        self, ticket: int, added: tuple[datetime, str] | None = None
    ) -> TicketState | None:
        """Recompute the ticket's times from its ticket-kind messages' dates;
        returns the ticket as the rules read it (the same statement, so sync
        asks for it no second time), None if it has no such message.

        ``added``: the date and direction of the one ticket-kind message just
        stored on it. When that message comes after all the others (almost
        always), the times follow from the ticket's row alone (``APPENDED``):
        one statement instead of reading every message of the ticket -- one
        round trip less on PostgreSQL, and a long thread costs no more per
        mail than a short one. Otherwise, recomputed as without it.
        """
        if added is not None:
            when, direction = added
            row = self.sql.one(
                APPENDED,
                (
                    when,
                    direction,
                    when if direction == "outbound" else None,
                    ticket,
                    when,
                    when,
                ),
            )
            if row is not None:
                return _state(ticket, row)
        rows = self.sql.all(
            "SELECT date, direction FROM message"
            " WHERE ticket_id = ? AND kind = 'ticket'",
            (ticket,),
        )
        times = ticket_times((to_datetime(d), direction) for d, direction in rows)
        if times is None:
            return None
        row = self.sql.one(
            "UPDATE ticket SET created_at = ?, last_message_at = ?, last_direction = ?,"
            " first_response_at = ?, message_count = ? WHERE id = ?"
            " RETURNING status, assignee_id, queue, reopened",
            (
                times.created_at,
                times.last_message_at,
                times.last_direction,
                times.first_response_at,
                times.message_count,
                ticket,
            ),
        )
        return _state(ticket, row) if row else None

    def event(
        self,
        ticket: int,
        kind: str,
        at: datetime,
        actor: str = SYSTEM,
        detail: str = "",
        message: int | None = None,
    ) -> None:
        self.sql.write(
            "INSERT INTO event (ticket_id, at, actor, kind, detail, message_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (ticket, at, actor, kind, detail, message),
        )

    def note(self, ticket: int, at: datetime, actor: str, text: str) -> int:
        """An internal note (an event of kind ``note``) and its search index
        row, together; returns the event's id."""
        with self.sql.db.atomic():
            event = self.sql.insert(
                "INSERT INTO event (ticket_id, at, actor, kind, detail, message_id)"
                " VALUES (?, ?, ?, 'note', ?, NULL)",
                (ticket, at, actor, text),
            )
            if self.searchable:
                index_note(self.sql, event, text)
        return event

    def index_stored_message(self, message: int) -> None:
        """Index a message written through the models (a ticket opened by hand)."""
        if not self.searchable:
            return
        row = self.sql.one(
            "SELECT subject, from_name, from_address, body_text FROM message"
            " WHERE id = ?",
            (message,),
        )
        assert row is not None, message
        names = self.sql.all(
            "SELECT filename FROM attachment WHERE message_id = ? ORDER BY id",
            (message,),
        )
        terms = message_terms(
            row[0], row[1], row[2], " ".join(name for (name,) in names), row[3]
        )
        index_message(self.sql, message, terms)

    def set_status(self, ticket: int, status: str, at: datetime, actor: str) -> None:
        self.sql.write("UPDATE ticket SET status = ? WHERE id = ?", (status, ticket))
        self.event(ticket, "status", at, actor, status)

    def move_contents(self, source: int, target: int) -> None:
        """Move ``source``'s messages, history, participants and links to
        ``target`` (a merge), and point tickets merged into ``source`` at
        ``target``: one hop to the live one.

        Links follow the move both ways: what ``source`` linked to, and what
        linked to it, now concerns ``target``. A link the target already has
        is not written twice, and none is left pointing from a ticket to
        itself.
        """
        self.sql.run(
            "UPDATE message SET ticket_id = ? WHERE ticket_id = ?", (target, source)
        )
        self.sql.run(
            "UPDATE event SET ticket_id = ? WHERE ticket_id = ?", (target, source)
        )
        addresses = self.sql.all(
            "SELECT address FROM participant WHERE ticket_id = ? ORDER BY id", (source,)
        )
        self.add_participants(target, [a for (a,) in addresses])
        self.sql.run("DELETE FROM participant WHERE ticket_id = ?", (source,))
        outgoing = self.sql.all(
            "SELECT linked_id, kind FROM ticket_link WHERE ticket_id = ? ORDER BY id",
            (source,),
        )
        incoming = self.sql.all(
            "SELECT ticket_id, kind FROM ticket_link WHERE linked_id = ? ORDER BY id",
            (source,),
        )
        self.sql.run(
            "DELETE FROM ticket_link WHERE ticket_id = ? OR linked_id = ?",
            (source, source),
        )
        for other, kind in outgoing:
            if other != target:
                self.link(target, other, kind)
        for other, kind in incoming:
            if other != target:
                self.link(other, target, kind)
        self.sql.run(
            "UPDATE ticket SET merged_into_id = ? WHERE merged_into_id = ?",
            (target, source),
        )

    def adopt_noise(self, ticket: int, message_id: str) -> None:
        """Put unthreaded noise that names ``message_id`` on ``ticket``, with
        the event it would have had in arrival order.

        Most mail adopts nothing. Where writes wait for the next statement
        (PostgreSQL, ``Sql.write``) that is two writes reading nothing back;
        on SQLite one UPDATE that says what it moved."""
        if self.sql.deferring:
            self.sql.write(_ADOPTED_EVENTS, (ticket, SYSTEM, message_id))
            self.sql.write(_ADOPT, (ticket, message_id, message_id))
            return
        moved = self.sql.all(
            _ADOPT + " RETURNING id, date, from_address, kind",
            (ticket, message_id, message_id),
        )
        for noise, date, sender, kind in sorted(moved):
            self.event(
                ticket, "message", to_datetime(date), sender or SYSTEM, kind, noise
            )

    def link(self, ticket: int, other: int, kind: str) -> bool:
        """Link two tickets; False when they already were."""
        if ticket == other:
            return False
        return bool(
            self.sql.run(
                "INSERT INTO ticket_link (ticket_id, linked_id, kind) VALUES (?, ?, ?)"
                " ON CONFLICT (ticket_id, linked_id) DO NOTHING",
                (ticket, other, kind),
            )
        )

    def agent_for_address(self, address: str) -> AgentRow | None:
        row = self.sql.one(
            "SELECT a.id, a.login, a.active FROM agent_address x"
            " JOIN agent a ON a.id = x.agent_id WHERE x.address = ?",
            (address,),
        )
        return AgentRow(row[0], row[1], bool(row[2])) if row else None

    def delivery(
        self,
        source: str,
        key: str,
        at: datetime,
        *,
        message: int | None = None,
        quarantine: int | None = None,
    ) -> None:
        """Remember that the source handed this key over (a rescan updates it)."""
        self.sql.write(
            "INSERT INTO delivery (source, key, message_id, quarantine_id, at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, key) DO UPDATE SET"
            " message_id = excluded.message_id, quarantine_id = excluded.quarantine_id,"
            " at = excluded.at",
            (source, key, message, quarantine, at),
        )

    def quarantine(
        self,
        source: str,
        key: str,
        raw: bytes,
        raw_sha256: str,
        reason: str,
        at: datetime,
    ) -> int:
        """Keep a mail that cannot be stored, whole, with the reason; returns
        the row. The same bytes again (a retry, another source) keep their
        row, which takes the latest reason: why now."""
        row = self.sql.one(
            "SELECT id, reason FROM quarantine WHERE raw_sha256 = ?", (raw_sha256,)
        )
        if row is None:
            return self.sql.insert(
                "INSERT INTO quarantine (source, key, reason, raw_sha256, size, data,"
                " received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (source, key, reason, raw_sha256, len(raw), raw, at),
            )
        if row[1] != reason:
            self.sql.write(
                "UPDATE quarantine SET reason = ? WHERE id = ?", (reason, row[0])
            )
        return int(row[0])

    def checkpoint(self, source: str, values: Mapping[str, str]) -> None:
        """The source's position, all its values in one statement."""
        if not values:
            return
        rows = ", ".join(["(?, ?, ?)"] * len(values))
        self.sql.write(
            f"INSERT INTO checkpoint (source, name, value) VALUES {rows}"
            " ON CONFLICT (source, name) DO UPDATE SET value = excluded.value",
            [item for pair in values.items() for item in (source, *pair)],
        )

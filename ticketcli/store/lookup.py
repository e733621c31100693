"""Finding things in the store: its answers to the pure rules' questions
(threading, customers).

Every ``StoreLookup`` method is one indexed query: the cost of placing a
message must not grow with the size of the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketcli.rules.threads import Party, TicketRef
from ticketcli.store.sql import Sql, to_datetime

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime, timedelta

    from peewee import Database

    from ticketcli.mail.model import ParsedMail


def dedupe_key(message_id: str | None, content_hash: str) -> str:
    return f"{message_id or ''}|{content_hash}"


_TICKET_COLUMNS = (
    "id, customer_id, requester, status, created_at, closed_at, merged_into_id"
)


_JOINED_TICKET = ", ".join(f"t.{c}" for c in _TICKET_COLUMNS.split(", "))


_COPIES = (
    "SELECT EXISTS (SELECT 1 FROM message WHERE dedupe_key = ?),"
    " EXISTS (SELECT 1 FROM message WHERE message_id = ?"
    "  AND content_hash <> ?)"
)
_BY_MESSAGE_ID = (
    f"SELECT m.collision, {_JOINED_TICKET} FROM message m"
    " LEFT JOIN ticket t ON t.id = m.ticket_id"
    " WHERE m.message_id = ? LIMIT 2"
)
_REFERENCING = (
    f"SELECT DISTINCT {_JOINED_TICKET} FROM message_ref r"
    " JOIN message m ON m.id = r.message_id"
    " JOIN ticket t ON t.id = m.ticket_id"
    " WHERE r.ref = ? ORDER BY t.id"
)
_CUSTOMERS = (
    "SELECT (SELECT customer_id FROM customer_address WHERE address = ?"
    "  LIMIT 1),"
    " (SELECT customer_id FROM customer_domain WHERE domain = ? LIMIT 1),"
    " (SELECT customer_id FROM ticket WHERE requester = ?"
    "  AND customer_id IS NOT NULL ORDER BY created_at DESC LIMIT 1)"
)

# PostgreSQL only: asked with a mail's first questions (``expect``). A copy
# already stored takes no id, so a re-delivered mail leaves no gap and both
# backends number a mailbox's messages alike.
_NEXT_MESSAGE_ID = (
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM message WHERE dedupe_key = ?)"
    " THEN NULL ELSE nextval(pg_get_serial_sequence('message', 'id')) END"
)

Question = tuple[str, tuple[Any, ...]]


def _ref(row: tuple[Any, ...]) -> TicketRef:
    return TicketRef(
        number=row[0],
        customer_id=row[1],
        requester=row[2],
        status=row[3],
        created_at=to_datetime(row[4]),
        closed_at=to_datetime(row[5]),
    )


class StoreLookup:
    """Implements ``threading.ThreadLookup`` and ``customers.CustomerLookup``.

    On PostgreSQL each question is a round trip. Most of a mail's questions
    are known before the rules ask them -- whether it is stored already,
    which ticket its first parent is on, which tickets reference it -- so,
    told which mail comes (``expect``), the first question (``customers_of``)
    takes them along in one round trip and they are answered from there,
    each once, in the same transaction (issue 18). The same trip reserves
    the id the mail is to be stored under (``reserved_message_id``), so its
    INSERT needs no answer and is no trip of its own. Nothing is asked
    ahead on SQLite, where a question costs no trip.
    """

    def __init__(self, db: Database) -> None:
        self.sql = Sql(db)
        self._expected: ParsedMail | None = None
        self._ahead: dict[Question, list[tuple[Any, ...]]] = {}
        self._reserved: int | None = None

    def expect(self, mail: ParsedMail | None) -> None:
        """The rules are about to place ``mail`` (None: nothing is expected
        any more); whatever was read ahead for another mail is forgotten."""
        self._ahead.clear()
        self._reserved = None
        self._expected = mail if self.sql.reads_together else None

    def _questions(self, mail: ParsedMail) -> list[Question]:
        """What placing ``mail`` asks first (``rules.threads.decide``)."""
        mid, digest = mail.message_id, mail.content_hash
        questions = [(_COPIES, (dedupe_key(mid, digest), mid, digest))]
        if mail.thread_ids:
            questions.append((_BY_MESSAGE_ID, (mail.thread_ids[0],)))
        if mid:
            questions.append((_REFERENCING, (mid,)))
        return questions

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """A read's rows: as read ahead (once), else asked now."""
        ahead = self._ahead.pop((sql, params), None)
        return ahead if ahead is not None else self.sql.all(sql, params)

    def reserved_message_id(self) -> int | None:
        """The message id reserved with the expected mail's first questions
        (once), or None: SQLite, nothing was asked ahead, or the mail is
        stored already. A mail that is not stored after all leaves a gap, as
        a rolled-back INSERT does."""
        reserved, self._reserved = self._reserved, None
        return reserved

    def copies(self, message_id: str | None, content_hash: str) -> tuple[bool, bool]:
        [row] = self._rows(
            _COPIES, (dedupe_key(message_id, content_hash), message_id, content_hash)
        )  # one row, always
        return bool(row[0]), bool(row[1])

    def ticket(self, number: int) -> TicketRef | None:
        return self._unmerged(self._ticket_row(number))

    def _ticket_row(self, number: int) -> tuple[Any, ...] | None:
        return self.sql.one(
            f"SELECT {_TICKET_COLUMNS} FROM ticket WHERE id = ?", (number,)
        )

    def _unmerged(self, row: tuple[Any, ...] | None) -> TicketRef | None:
        """The ticket of a row read with ``_TICKET_COLUMNS``, or of what it
        was merged into. Each look-up below reads the ticket in the query
        that finds it (one round trip on PostgreSQL, issue 18); only a
        merged one costs a query more per merge."""
        for _ in range(50):  # follow merges, never forever
            if row is None or row[0] is None:
                return None
            if not row[6]:
                return _ref(row)
            row = self._ticket_row(row[6])
        return None

    def ticket_for_message_id(self, message_id: str) -> TicketRef | None:
        rows = self._rows(_BY_MESSAGE_ID, (message_id,))
        # An id two different mails share names neither (DESIGN, rule 1).
        if len(rows) != 1 or rows[0][0]:
            return None
        return self._unmerged(rows[0][1:])

    def tickets_referencing(self, message_id: str) -> Sequence[TicketRef]:
        rows = self._rows(_REFERENCING, (message_id,))
        found = (self._unmerged(row) for row in rows)
        return [t for t in found if t is not None]

    def ticket_for_thread_key(self, key: str) -> TicketRef | None:
        # Shaped for the partial index message_thread_key_date (migration
        # 0009): its WHERE is implied by this one, and (date, id) is its
        # order, so the plan is one index probe whatever ANALYZE found (a
        # join to ticket would give the planner a choice again).
        row = self.sql.one(
            "SELECT ticket_id FROM message WHERE thread_key = ?"
            " AND ticket_id IS NOT NULL ORDER BY date, id LIMIT 1",
            (key,),
        )
        return self.ticket(row[0]) if row else None

    def ticket_for_subject(
        self, subject_key: str, party: Party, around: datetime, window: timedelta
    ) -> TicketRef | None:
        if not party.address and party.customer_id is None:
            return None
        row = self.sql.one(
            f"SELECT {_TICKET_COLUMNS} FROM ticket WHERE subject_key = ?"
            " AND (requester = ? OR customer_id = ? OR id IN"
            "  (SELECT ticket_id FROM participant WHERE address = ?))"
            " AND status <> 'merged' AND last_message_at >= ? AND created_at <= ?"
            " ORDER BY last_message_at DESC LIMIT 1",
            (
                subject_key,
                party.address,
                party.customer_id,
                # A colleague who was in Cc and now writes afresh, from a
                # company with no customer record: same conversation.
                party.address,
                around - window,
                around + window,
            ),
        )
        return _ref(row) if row else None

    def is_participant(self, number: int, address: str) -> bool:
        return (
            self.sql.one(
                "SELECT 1 FROM participant WHERE ticket_id = ? AND address = ? LIMIT 1",
                (number, address),
            )
            is not None
        )

    # customers.CustomerLookup

    def customers_of(
        self, address: str, domain: str | None
    ) -> tuple[int | None, int | None, int | None]:
        asked: Question = (_CUSTOMERS, (address, domain, address))
        mail, self._expected = self._expected, None
        if mail is None:
            [row] = self.sql.all(*asked)  # one row, always
            return row[0], row[1], row[2]
        ahead = self._questions(mail)
        reserve = (_NEXT_MESSAGE_ID, (dedupe_key(mail.message_id, mail.content_hash),))
        [[row], *answers, [(reserved,)]] = self.sql.all_together(
            [asked, *ahead, reserve]
        )
        self._ahead.update(zip(ahead, answers, strict=True))
        self._reserved = reserved
        return row[0], row[1], row[2]

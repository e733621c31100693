"""The pipeline each new mail goes through: parse -> classify -> thread ->
identify -> store.

One message, one transaction: its rows, its events, the source's memory of
having read it and the source's checkpoint commit together, and only after
that commit may the source mark or move the message. A crash anywhere
therefore either leaves no trace of the message or all of it.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, NamedTuple

from peewee import Database, IntegrityError, InterfaceError, OperationalError

from ticketcli.clock import now, utc_naive
from ticketcli.config import too_large
from ticketcli.desk import tickets
from ticketcli.desk.acknowledgements import Acknowledger
from ticketcli.desk.notices import Notifier
from ticketcli.desk.people import learn_agent
from ticketcli.desk.queues import Router, ticket_queue
from ticketcli.errors import MailParseError
from ticketcli.ingest.report import DUPLICATE, QUARANTINED, STORED, SyncReport
from ticketcli.mail.authres import default_trusted_ids, verify_staff
from ticketcli.mail.classify import classify
from ticketcli.mail.model import Kind, ParsedMail, RawMail
from ticketcli.mail.parse import parse_message
from ticketcli.mail.subject import find_ticket_token, normalize_subject
from ticketcli.rules import threads
from ticketcli.rules.assignment import FIRST_RESPONDER
from ticketcli.rules.customers import Staff, customer_side, identify
from ticketcli.rules.search_query import mail_terms
from ticketcli.store.absences import away_agent_ids
from ticketcli.store.lock import write_transaction
from ticketcli.store.lookup import StoreLookup, dedupe_key
from ticketcli.store.models import SYSTEM, Agent, Quarantine, Ticket
from ticketcli.store.ticket_view import agent_addresses
from ticketcli.store.writer import AgentRow, TicketState, Writer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from ticketcli.config import Config

log = logging.getLogger(__name__)

# The store refused or went away (locked, full, down): the run stops, and
# the mail is read again next time. Every other exception while storing one
# message is a bug that that message met.
STORE_FAILURES = (OperationalError, InterfaceError)


def internal_error_reason(exc: BaseException) -> str:
    """The quarantine reason for a bug: its type and first line, bounded."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"internal error: {type(exc).__name__}: {text[:300]}".rstrip(": ")


class ReadMail(NamedTuple):
    """What a mail's bytes give without the store: the parse, and the words
    its search index row will hold."""

    mail: ParsedMail
    terms: str


def read_mail(data: bytes, max_size: int) -> ReadMail | str:
    """The mail parsed (and its words folded for the index), or why it goes
    to quarantine unparsed. Needs nothing but the bytes, so it can run in
    another process: with two cores the folding (~35 us a mail) is then off
    the process that stores."""
    # Bigger mail would hold the lock too long: kept whole, never parsed.
    refused = too_large(len(data), max_size)
    if refused:
        return refused
    try:
        mail = parse_message(data)
    except MailParseError as exc:
        return str(exc) or "unreadable message"
    return ReadMail(mail, mail_terms(mail))


class Ingester:
    """Stores messages one by one; holds what is constant for a run."""

    def __init__(
        self,
        config: Config,
        db: Database,
        clock: Callable[[], datetime] = now,
        report: SyncReport | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.lookup = StoreLookup(db)
        self.writer = Writer(db)
        self.staff = Staff.from_config(config, agent_addresses())
        self.trusted_ids = config.security.authserv_ids or default_trusted_ids(
            config.support_addresses
        )
        self.settings = threads.Settings(
            token_prefix=config.token_prefix,
            subject_window=config.subject_window,
            reopen_window=config.reopen.window,
        )
        self.report = SyncReport() if report is None else report
        self.acks = Acknowledger(config, self.staff, self.report.notices)
        self.away: set[int] = set()
        self.router: Router | None = None
        self.absences_changed(clock())
        # Told of each ticket given to someone automatically: "assigned to
        # you" goes to the outbox in the same transaction, and the command
        # sends it after the run; why an agent was not told is a notice.
        notifier = Notifier(config, self.report.notices)
        self.on_assign: Callable[..., None] | None = None
        if config.notifications.agent_on_assign:
            self.on_assign = notifier.assigned
        # Told of each customer mail on a ticket: its assignee and watchers.
        self.on_customer_mail: Callable[..., None] | None = None
        if config.notifications.agent_on_customer_mail:
            self.on_customer_mail = notifier.customer_wrote

    # -- one message --------------------------------------------------------

    def ingest(self, raw: RawMail, read: ReadMail | str | None = None) -> str:
        """Store ``raw``; ``read`` is what ``read_mail`` made of it, if it
        was parsed ahead (``ticketcli.ingest.parse_ahead``)."""
        if read is None:
            read = read_mail(raw.data, self.config.max_message_size)
        if isinstance(read, str):
            return self._quarantine(raw, read)
        try:
            outcome = self._store_isolated(raw, read)
        except STORE_FAILURES:
            raise  # the store itself failed: no message is to blame
        except Exception as exc:  # noqa: BLE001 - one message must not stop the rest
            # A bug met this message. Its transaction is rolled back; the mail
            # waits whole in quarantine (`quarantine retry` after an upgrade),
            # and the sync goes on with the next one.
            log.debug(
                "internal error storing %s %s", raw.source, raw.key, exc_info=True
            )
            self.report.internal_errors += 1
            return self._quarantine(raw, internal_error_reason(exc))
        self.report.count(outcome)
        return outcome

    def _store_isolated(self, raw: RawMail, read: ReadMail) -> str:
        mail = read.mail
        try:
            with write_transaction(self.db):
                # Its first questions then travel together (PostgreSQL), and
                # their answers live no longer than this attempt.
                self.lookup.expect(mail)
                try:
                    return self._store(raw, read)
                finally:
                    self.lookup.expect(None)
        except IntegrityError:
            # Another process stored the same mail between our check and insert.
            stored, _ = self.lookup.copies(mail.message_id, mail.content_hash)
            if not stored:
                raise
            with write_transaction(self.db):
                self._record_duplicate(raw, mail)
            return DUPLICATE

    def _quarantine(self, raw: RawMail, reason: str) -> str:
        digest = hashlib.sha256(raw.data).hexdigest()
        at = self.clock()
        with write_transaction(self.db):
            row = self.writer.quarantine(
                raw.source, raw.key, raw.data, digest, reason, at
            )
            self.writer.delivery(raw.source, raw.key, at, quarantine=row)
            self.writer.checkpoint(raw.source, raw.checkpoint)
        log.info("quarantined %s %s: %s", raw.source, raw.key, reason)
        self.report.count(QUARANTINED)
        return QUARANTINED

    def _record_duplicate(self, raw: RawMail, mail: ParsedMail) -> None:
        existing = self.writer.sql.one(
            "SELECT id FROM message WHERE dedupe_key = ?",
            (dedupe_key(mail.message_id, mail.content_hash),),
        )
        self.writer.delivery(
            raw.source, raw.key, self.clock(), message=existing[0] if existing else None
        )
        self.writer.checkpoint(raw.source, raw.checkpoint)

    def _store(self, raw: RawMail, read: ReadMail) -> str:
        mail = read.mail
        kind = classify(mail, self.acks.is_own)
        received = utc_naive(raw.received_at) if raw.received_at else self.clock()
        when = utc_naive(mail.date) if mail.date else received
        sender = mail.from_address
        from_staff = self.staff.is_staff(sender)
        unverified: str | None = None
        if from_staff:
            # Anyone can write a staff From. Unless our receiving server
            # vouches for it, the mail is the customer side's, from its
            # sender: it answers nothing, assigns no one, joins by the
            # foreign-sender rule, and `show` says why it is not staff.
            verdict = verify_staff(
                mail.auth_results,
                sender,
                self.config.security.verify_staff,
                self.trusted_ids,
            )
            if not verdict.verified:
                from_staff, unverified = False, verdict.reason
                log.info("%s claims a staff From, not verified: %s", sender, unverified)
        direction = "outbound" if from_staff else "inbound"
        party_address = (
            sender
            if unverified
            else customer_side(sender, (*mail.to, *mail.cc), self.staff)
        )
        match = identify(party_address, self.lookup, self.config.free_mail_domains)
        party = threads.Party(party_address, match.customer_id, from_staff)
        prefix = self.config.token_prefix
        subject_key = normalize_subject(mail.subject, prefix)
        placement = threads.decide(
            mail,
            kind,
            party,
            when,
            find_ticket_token(mail.subject, prefix),
            subject_key,
            self.lookup,
            self.settings,
        )
        if placement.rule == threads.DUPLICATE:
            self._record_duplicate(raw, mail)
            return DUPLICATE
        if (
            kind is Kind.TICKET
            and from_staff
            and not party_address
            and placement.ticket is not None
        ):
            # Staff writing to no one but staff and support (an answer to an
            # assignment notice, an internal forward) talk among themselves:
            # kept on the ticket as a note, never a response to the customer.
            kind = Kind.NOTE

        ticket = self._ticket_for(
            placement,
            mail,
            kind,
            party,
            match.customer_id,
            subject_key,
            raw.source,
            when,
        )
        message = self.writer.store_message(
            mail,
            raw.data,
            kind=kind,
            direction=direction,
            ticket=ticket,
            rule=placement.rule,
            rule_detail=placement.detail,
            source=raw.source,
            date=when,
            received_at=received,
            thread_key=threads.thread_key(mail.thread_index),
            collision=placement.collision,
            unverified_from=unverified,
            terms=read.terms,
            reserved=self.lookup.reserved_message_id(),
        )
        if ticket is not None:
            self._update_ticket(ticket, message, mail, kind, direction, when)
            if mail.message_id and not placement.collision and not kind.is_noise:
                # Noise read before the mail it answers (an out-of-office to
                # a message still on its way) joins that mail's ticket now.
                self.writer.adopt_noise(ticket, mail.message_id)
        elif kind.is_noise:
            self.report.noise += 1
        if ticket is not None and placement.ticket is None and not from_staff:
            # A customer opened a ticket: "we got it", queued in this very
            # transaction, so it is sent once if and only if the mail is stored.
            queued = self.acks.new_ticket(ticket, mail, kind, raw.source, self.clock())
            self.report.acknowledged += queued
        self.writer.delivery(raw.source, raw.key, self.clock(), message=message)
        self.writer.checkpoint(raw.source, raw.checkpoint)
        return STORED

    def _ticket_for(
        self,
        placement: threads.Placement,
        mail: ParsedMail,
        kind: Kind,
        party: threads.Party,
        customer_id: int | None,
        subject_key: str,
        source: str,
        when: datetime,
    ) -> int | None:
        if placement.ticket is not None:
            number = placement.ticket.number
            for other in placement.merge:
                # Rare (a message bridging two tickets read out of order): models.
                tickets.merge(
                    Ticket.get_by_id(other.number),
                    Ticket.get_by_id(number),
                    when,
                    SYSTEM,
                    f"same conversation as {mail.message_id or 'a message'}",
                )
            self._link_related(number, placement.links, when)
            return number
        if not placement.opens_ticket or kind.is_noise:
            return None
        # A new ticket joins its source's queue and, by the queue's mode, an
        # agent who is not away. Staff who opened it own it (first reply).
        queue, chosen = (
            self.router.route(source, assign=not party.sender_is_staff)
            if self.router is not None
            else (None, None)
        )
        number = self.writer.create_ticket(
            subject=mail.subject,
            subject_key=subject_key,
            customer_id=customer_id,
            requester=party.address,
            source=source,
            at=when,
            detail=placement.rule if placement.rule != threads.NEW else "",
            queue=queue.name if queue is not None else None,
        )
        self.report.tickets_created += 1
        if queue is not None and chosen is not None:
            agent_id, login = chosen
            tickets.assign(
                TicketState(number, "new", None),
                agent_id,
                when,
                SYSTEM,
                f"{login} ({queue.assign_mode}, queue {queue.name})",
                acted=False,  # nobody has looked at it yet
                writer=self.writer,
            )
            if self.on_assign is not None:
                self.on_assign(
                    Ticket.get_by_id(number),
                    Agent.get_by_id(agent_id),
                    SYSTEM,
                    when,
                )
        if placement.link_to is not None:
            kind_of_link = (
                "foreign" if placement.rule == threads.FOREIGN else "follow-up"
            )
            self.writer.link(number, placement.link_to, kind_of_link)
            self.writer.event(
                number,
                "linked",
                when,
                SYSTEM,
                f"#{placement.link_to} ({kind_of_link})",
            )
        self._link_related(number, placement.links, when)
        return number

    def _link_related(self, number: int, others: Iterable[int], when: datetime) -> None:
        """The same conversation, but another customer's or a stranger's
        ticket: linked, never merged (DESIGN, "What never happens")."""
        for other in others:
            if self.writer.link(number, other, "related"):
                self.writer.event(number, "linked", when, SYSTEM, f"#{other} (related)")

    def _update_ticket(
        self,
        number: int,
        message: int,
        mail: ParsedMail,
        kind: Kind,
        direction: str,
        when: datetime,
    ) -> None:
        sender = mail.from_address
        self.writer.event(
            number,
            "message",
            when,
            sender or SYSTEM,
            kind.value if kind is not Kind.TICKET else direction,
            message,
        )
        if kind is not Kind.TICKET:
            self.report.noise += kind.is_noise
            return
        self.writer.add_participants(
            number,
            [a for a in (sender, *mail.to, *mail.cc) if not self.staff.is_support(a)],
        )
        ticket = self.writer.refresh_times(
            number, added=(when, direction)
        ) or self.writer.ticket_state(number)
        if direction == "inbound":
            if tickets.customer_wrote(
                ticket,
                when,
                sender,
                message,
                body=mail.body_text,
                ignore_thanks=self.config.reopen.ignore_thanks,
                detail=f"customer wrote ({mail.message_id or 'no id'})",
                writer=self.writer,
            ):
                self.report.reopened += 1
            if self.on_customer_mail is not None:
                self.on_customer_mail(number, sender, when, self.clock())
            return
        # Staff answered from a mail client: as `reply`, it clears the
        # REOPENED mark, and its sender may take the ticket (first reply).
        taker = self._first_responder(ticket, sender, mail.from_name, when)
        tickets.answered(
            ticket,
            when,
            taker.login if taker is not None else sender,
            taker=taker,
            detail=f"{taker.login} (first reply)" if taker is not None else "",
            writer=self.writer,
        )

    def _first_responder(
        self, ticket: TicketState, sender: str, name: str, when: datetime
    ) -> AgentRow | None:
        """The agent a staff answer makes the owner of an unassigned ticket
        (with ``assign_on_reply``, or in a first-responder queue), learned
        from the address if need be; None when it assigns no one."""
        if (
            ticket.assignee_id is not None
            or self.staff.is_support(sender)
            or not self._assigns_on_reply(ticket)
        ):
            return None
        agent = self.writer.agent_for_address(sender)
        if agent is None:
            learned = learn_agent(sender, name, when)
            if self.router is not None:
                self.router.forget()  # a queue of every agent has one more
            agent = AgentRow(learned.id, learned.login, True)
        if agent.active and agent.id not in self.away:
            return agent
        return None

    # -- quarantine ---------------------------------------------------------

    def retry_quarantined(self, entry: int) -> str:
        """Read a quarantined mail again, as if its source handed it over now.

        Stored (or found stored already), its quarantine row stays, marked
        with the time and the message it became; quarantined again, the row
        takes the new reason.
        """
        row = Quarantine.get_by_id(entry)
        raw = RawMail(
            source=row.source,
            key=row.key,
            data=bytes(row.data),
            received_at=row.received_at,
        )
        outcome = self.ingest(raw)
        if outcome == QUARANTINED:
            return outcome
        delivered = self.writer.sql.one(
            "SELECT message_id FROM delivery WHERE source = ? AND key = ?",
            (raw.source, raw.key),
        )
        with write_transaction(self.db):
            Quarantine.update(
                retried_at=self.clock(),
                message_ref=delivered[0] if delivered else None,
            ).where(Quarantine.id == entry).execute()
        return outcome

    # -- queues and absence -------------------------------------------------

    def absences_changed(self, moment: datetime) -> None:
        """Who is away at ``moment``: auto-assignment and first replies pass
        them over (asked again after each run brought absences up to date)."""
        self.away = away_agent_ids(moment)
        self.router = Router(self.config, self.away) if self.config.queues else None

    def _assigns_on_reply(self, ticket: TicketState) -> bool:
        """Whether a staff reply makes its sender the assignee: everywhere
        with ``assign_on_reply``, else in queues whose mode is first-responder."""
        if self.config.assign_on_reply:
            return True
        queue = ticket_queue(self.config, ticket.queue)
        return queue is not None and queue.assign_mode == FIRST_RESPONDER

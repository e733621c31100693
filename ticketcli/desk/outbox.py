"""The outbox: every mail ticketcli sends is queued in the store, then sent.

Queueing happens inside the transaction that decided to send (the one that
stored the customer's mail, closed the ticket, recorded the reply): the
decision and the mail commit together or not at all, so a crash can never
forget a mail the store says was sent, nor queue one twice. The row holds
the exact bytes, with a Message-ID fixed at queueing: every attempt sends
the very same message, and the customer's answer threads by that id.

Sending (``flush``) is after the commit, row by row:

1. the row is claimed -- ``pending`` -> ``sending`` -- and that is committed
   before the server is spoken to; a claim is a conditional UPDATE, so two
   flushes (cron's sync and a person's ``close``) never both send a row;
2. the server accepts it; the row becomes ``sent`` (committed).

A crash between 1 and 2 leaves a row in ``sending`` that nobody finishes:
the server may or may not have the mail. That is the one window where
"never lost" and "never sent twice" cannot both be promised, and ticketcli
chooses **never twice**: such a row is left alone for ``IN_DOUBT_AFTER``
(its flush may still be running), then it is marked ``sent`` if a copy of
our mail has come back through a source (our Message-ID delivered again:
proof that it left), and otherwise marked ``doubt`` -- not resent, reported
once on stderr and listed by ``outbox list`` until a person runs ``outbox
retry ID`` (send it again) or ``outbox drop ID``. The window is the few
milliseconds between the server's "250 OK" and our commit, so this is rare;
a second copy of a reply confuses a customer, and an automatic resend
after every crash while sending would make a crash loop a mail storm.

Temporary failures (4xx, server down, network) are retried on later
flushes with a growing delay (``BACKOFF``) for ``GIVE_UP_AFTER``; a
permanent refusal (5xx) is retried ``MAX_REFUSALS`` times. Then the row is
``failed``: kept with its error, listed, never silently dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ticketcli.errors import UsageError
from ticketcli.mail.compose import ascii_address
from ticketcli.mail.model import Kind
from ticketcli.mail.parse import parse_message
from ticketcli.mail.smtp import SmtpError, SmtpSender
from ticketcli.store import sending
from ticketcli.store.models import Outbox
from ticketcli.store.writer import Writer

if TYPE_CHECKING:
    from collections.abc import Sequence
    from email.message import EmailMessage

    from ticketcli.config import Config

log = logging.getLogger(__name__)

__all__ = [
    "FlushResult",
    "drop",
    "enqueue",
    "flush",
    "retry",
]

OUTBOX_SOURCE = "outbox"  # Message.source of the copies we store
IN_DOUBT_AFTER = timedelta(minutes=15)  # longer than any SMTP conversation
BACKOFF = (timedelta(minutes=5), timedelta(hours=6))  # first delay, longest
GIVE_UP_AFTER = timedelta(days=5)  # what MTAs do with a temporary failure
MAX_REFUSALS = 3  # attempts a permanent (5xx) refusal gets


@dataclass
class FlushResult:
    sent: int = 0
    failed: int = 0  # given up now: listed by `outbox list`
    deferred: int = 0  # will be retried by a later flush
    doubtful: int = 0  # found half-sent after a crash: a person decides
    waiting: int = 0  # due, but no [smtp] host to send them with
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str | None:
        """One line for stderr when anything went wrong, else None."""
        if not self.errors:
            return None
        parts = [
            f"{n} {what}"
            for n, what in (
                (self.failed, "given up"),
                (self.deferred, "to retry"),
                (self.doubtful, "in doubt"),
                (self.waiting, "waiting for an [smtp] host"),
            )
            if n
        ]
        counts = f" ({', '.join(parts)})" if parts else ""
        return (
            f"ticketcli: outbox{counts}: {self.errors[-1]}; see 'ticketcli outbox list'"
        )


# Mail for the ticket's customer side (not the notices that go to agents):
# its recipients become participants of the ticket.
TO_THE_CUSTOMER_SIDE = frozenset({"acknowledgement", "close-notice", "reply"})


def _header_address(message: EmailMessage, name: str) -> str:
    header = message[name]
    addresses = getattr(header, "addresses", ())
    if not addresses:
        raise UsageError(f"a mail to queue needs a {name} header")
    return str(addresses[0].addr_spec).lower()


def enqueue(
    message: EmailMessage,
    *,
    recipients: Sequence[str],
    kind: str,
    ticket: int | None,
    at: datetime,
    actor: str = "ticketcli",
    store: bool = True,
    message_kind: str = "autoreply",
) -> int:
    """Queue a composed mail; returns the outbox row's id.

    Call it inside the caller's transaction. ``recipients`` are the
    envelope's (a Bcc goes here and not in the headers); ``kind`` names the
    mail for people and for the acknowledgement rate limit
    (``acknowledgement``, ``close-notice``, ``reply``, ``assigned``,
    ``mention``).
    With ``store`` the mail is also kept on ``ticket`` as an outbound
    message with its raw bytes and its Message-ID indexed, exactly as sync
    stores mail, so an answer naming it threads back (rule 3);
    ``message_kind`` is its kind there: ``autoreply`` for acknowledgements
    and notices (never a response), ``ticket`` for a person's reply (it is
    one: first response time and last message follow it).
    """
    rcpt = list(
        dict.fromkeys(ascii_address(r).lower() for r in recipients if r.strip())
    )
    if not rcpt:
        raise UsageError("a mail to queue needs at least one recipient")
    utf8 = message.policy.utf8  # composed for a server with SMTPUTF8
    if not all((utf8 or r.isascii()) and "@" in r for r in rcpt):
        raise UsageError(f"cannot send to {', '.join(rcpt)}: not an ASCII address")
    message_id = str(message["Message-ID"] or "").strip()
    if not message_id:
        raise UsageError("a mail to queue needs its Message-ID")
    data = bytes(message)
    sender = _header_address(message, "From")
    stored = None
    if store and ticket is not None:
        stored = _store_copy(data, ticket, Kind(message_kind), kind, at)
        if kind in TO_THE_CUSTOMER_SIDE:
            # Whoever we wrote to about this ticket may answer on it.
            Writer(Outbox._meta.database).add_participants(ticket, rcpt)
    row = sending.add_row(
        message_id=message_id,
        kind=kind,
        recipients=rcpt,
        sender=sender,
        data=data,
        ticket=ticket,
        stored=stored,
        at=at,
        actor=actor,
    )
    if ticket is not None:
        Writer(Outbox._meta.database).event(
            ticket, "mailed", at, actor, f"{kind} → {', '.join(rcpt)}", stored
        )
    return row


def _store_copy(data: bytes, ticket: int, kind: Kind, what: str, at: datetime) -> int:
    """Our mail on its ticket, through the same writer sync uses."""
    mail = parse_message(data)
    writer = Writer(Outbox._meta.database)
    message = writer.store_message(
        mail,
        data,
        kind=kind,
        direction="outbound",
        ticket=ticket,
        rule="sent",
        rule_detail=what,
        source=OUTBOX_SOURCE,
        date=at,
        received_at=at,
        thread_key=None,
        collision=False,
    )
    if kind is Kind.TICKET:
        writer.refresh_times(ticket, added=(at, "outbound"))
    return message


# -- sending ------------------------------------------------------------------


def flush(config: Config, *, now: datetime, limit: int | None = None) -> FlushResult:
    """Send what is due; see the module's docstring for the guarantees."""
    result = FlushResult()
    _settle_doubts(now, result)
    with _transaction():
        rows = sending.due_rows(now, limit)
    if not rows:
        return result
    if not config.smtp.host:
        result.waiting = len(rows)
        result.errors.append(
            f"{len(rows)} mail(s) cannot be sent: no [smtp] host is configured"
        )
        return result
    with SmtpSender(config.smtp) as sender:
        try:
            sender.connect()
        except SmtpError as exc:
            # Nothing was claimed: the rows wait for the next flush, unless
            # they have waited for GIVE_UP_AFTER already.
            for row in rows:
                if now - row.created_at >= GIVE_UP_AFTER:
                    _give_up(row, exc.message, now, result)
                else:
                    result.deferred += 1
            result.errors.append(exc.message)
            return result
        for row in rows:
            _send_one(sender, row, now, result)
    return result


def _transaction() -> Any:
    return Outbox._meta.database.atomic()


def _send_one(
    sender: SmtpSender, row: Outbox, now: datetime, result: FlushResult
) -> None:
    with _transaction():
        if not sending.claim(row.id, now):
            return  # another flush has it
    try:
        refused = sender.send(bytes(row.data), row.sender, row.recipients.split())
    except SmtpError as exc:
        _failed(row, exc, now, result)
        return
    _record_sent(row.id, now, refused)
    result.sent += 1


def _record_sent(row_id: int, now: datetime, refused: Sequence[str]) -> None:
    """The commit after the server said yes (a crash test replaces this)."""
    note = f"refused for some: {'; '.join(refused)}" if refused else ""
    with _transaction():
        sending.finish(row_id, sending.SENT, now=now, error=note)


def _failed(row: Outbox, exc: SmtpError, now: datetime, result: FlushResult) -> None:
    attempts = row.attempts + 1
    what = f"#{row.id} {row.kind} to {row.to_address}"
    too_old = now - row.created_at >= GIVE_UP_AFTER
    if (exc.permanent and attempts >= MAX_REFUSALS) or too_old:
        _give_up(row, exc.message, now, result)
        return
    delay = min(BACKOFF[0] * (2 ** (attempts - 1)), BACKOFF[1])
    with _transaction():
        sending.finish(
            row.id,
            sending.PENDING,
            now=now,
            error=exc.message,
            next_attempt_at=now + delay,
        )
    result.deferred += 1
    result.errors.append(f"{what} not sent yet: {exc.message}")


def _give_up(row: Outbox, error: str, now: datetime, result: FlushResult) -> None:
    with _transaction():
        sending.finish(row.id, sending.FAILED, now=now, error=error)
    result.failed += 1
    result.errors.append(f"#{row.id} {row.kind} to {row.to_address} given up: {error}")


def _settle_doubts(now: datetime, result: FlushResult) -> None:
    with _transaction():
        for row in sending.stale_sending(now - IN_DOUBT_AFTER):
            if sending.came_back(row):
                sending.finish(row.id, sending.SENT, now=now, error="")
                continue
            sending.finish(
                row.id,
                sending.DOUBT,
                now=now,
                error="sending was interrupted: the server may have it; "
                f"'ticketcli outbox retry {row.id}' sends it again",
            )
            result.doubtful += 1
            result.errors.append(
                f"#{row.id} {row.kind} to {row.to_address} may not have been sent "
                "(interrupted); not resent"
            )
        for row in sending.doubtful():
            if sending.came_back(row):
                sending.finish(row.id, sending.SENT, now=now, error="")


# -- by hand ------------------------------------------------------------------


def retry(row_id: int, now: datetime) -> None:
    """`outbox retry ID`: send a failed, doubtful or dropped mail again."""
    row = sending.get_row(row_id)
    if row.status in (sending.SENT, sending.SENDING):
        raise UsageError(f"outbox entry {row_id} is {row.status}; nothing to retry")
    sending.requeue(row_id, now)


def drop(row_id: int) -> None:
    """`outbox drop ID`: never send this one; it stays listed with --all."""
    row = sending.get_row(row_id)
    if row.status in (sending.SENT, sending.SENDING):
        raise UsageError(f"outbox entry {row_id} is {row.status}; it cannot be dropped")
    sending.finish(row_id, sending.DROPPED, error=row.last_error)


def send_queued(config: Config, now: datetime) -> str | None:
    """What sync runs after its commits: flush, and the stderr line if any.

    Failures to send are no failure of the sync (the store is fine and the
    mail waits in the outbox): one line on stderr, exit code unchanged.
    """
    result = flush(config, now=now)
    log.info(
        "outbox: %d sent, %d to retry, %d given up",
        result.sent,
        result.deferred,
        result.failed,
    )
    return result.summary()

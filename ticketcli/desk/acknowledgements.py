"""Mail ticketcli writes on its own: acknowledgements and the close notice.

Each is composed and queued in the transaction of the change that causes
it (the stored customer mail, the close), so it is sent exactly when that
change is committed; the outbox sends it afterwards. Whether an
acknowledgement may go out at all is ``mail/autoreply.py``'s pure rule.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from ticketcli.desk.outbox import enqueue
from ticketcli.errors import TicketcliError
from ticketcli.mail.autoreply import is_unanswerable_address, should_acknowledge
from ticketcli.mail.compose import ascii_address, compose
from ticketcli.mail.subject import format_token
from ticketcli.mail.templating import render_mail_template
from ticketcli.rules.customers import Staff
from ticketcli.store.sending import acks_since, thread_headers, ticket_fields

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from ticketcli.config import Config
    from ticketcli.mail.model import Kind, ParsedMail
    from ticketcli.store.models import Ticket

log = logging.getLogger(__name__)

ACKNOWLEDGEMENT = "acknowledgement"  # the outbox kind the rate limit counts
CLOSED = "closed"  # the close notice's template
CLOSE_NOTICE = "close-notice"  # its outbox kind


def mail_fields(config: Config, ticket_number: int) -> dict[str, object]:
    """Template fields of a ticket: ``ticket_fields`` plus its ``token``."""
    fields = ticket_fields(ticket_number)
    fields["token"] = format_token(config.token_prefix, ticket_number)
    return fields


def _is_own(config: Config, staff: Staff) -> Callable[[str], bool]:
    sender = (config.sender or "").lower()
    return lambda address: staff.is_staff(address) or address == sender


class Acknowledger:
    """Queues "we got it" for new tickets opened by customers, during sync."""

    def __init__(
        self, config: Config, staff: Staff, problems: list[str] | None = None
    ) -> None:
        self.config = config
        self.is_own = _is_own(config, staff)
        sender = config.sender or ""
        self.own_domain = sender.rpartition("@")[2] or None
        # One line per distinct trouble, for sync's stderr.
        self.problems: list[str] = [] if problems is None else problems

    def enabled_for(self, source: str) -> bool:
        if not self.config.acknowledgement.enabled:
            return False
        spec = self.config.source(source)
        return spec is None or spec.acknowledge

    def new_ticket(
        self, ticket: int, mail: ParsedMail, kind: Kind, source: str, at: datetime
    ) -> bool:
        """Queue an acknowledgement for the mail that opened ``ticket``.

        Inside the transaction storing that mail. Returns whether one was
        queued. A template or address that cannot work skips it (the
        customer's mail must be stored whatever our text says) and is
        reported once per sync.
        """
        if not self.enabled_for(source):
            return False
        settings = self.config.acknowledgement
        address = ascii_address(mail.from_address).lower()
        reason = should_acknowledge(
            mail,
            kind=kind,
            is_own=self.is_own,
            own_domain=self.own_domain,
            recent_acks=lambda: acks_since(address, at - timedelta(hours=1)),
            max_per_hour=settings.max_per_hour,
            max_age=settings.max_age,
            now=at,
        )
        if reason is not None:
            log.debug("no acknowledgement for #%d: %s", ticket, reason)
            return False
        try:
            fields = mail_fields(self.config, ticket)
            fields["requester_name"] = fields["requester_name"] or mail.from_name
            text = render_mail_template(self.config, settings.template, **fields)
            message = compose(
                self.config,
                to=[(mail.from_name, mail.from_address)],
                subject=text.subject or f"Re: {mail.subject}",
                body=text.body,
                ticket_number=ticket,
                in_reply_to=mail.message_id,
                references=mail.references,
                auto_submitted="auto-replied",
                date=at,
            )
        except TicketcliError as exc:
            line = f"acknowledgements not sent: {exc.message}"
            if line not in self.problems:
                self.problems.append(line)
            return False
        enqueue(
            message,
            recipients=[mail.from_address],
            kind=ACKNOWLEDGEMENT,
            ticket=ticket,
            at=at,
        )
        return True


def closing_notice(config: Config) -> Callable[[Ticket, datetime], None] | None:
    """What ``close`` calls for each ticket it closes, or None when off.

    The notice goes to the requester, threaded under the ticket's latest
    mail, marked ``Auto-Submitted: auto-generated`` (RFC 3834: a notice
    caused by an event, not an answer to a mail). A ticket with no
    answerable requester (opened by hand without an address, a no-reply
    sender, one of our own) gets none. A template that cannot be rendered
    is an error: the close is not committed, nothing is sent.
    """
    if not config.notifications.customer_on_close:
        return None
    is_own = _is_own(config, Staff.from_config(config))

    def notify(ticket: Ticket, at: datetime) -> None:
        requester = (ticket.requester or "").lower()
        if not requester or is_unanswerable_address(requester) or is_own(requester):
            return
        fields = mail_fields(config, ticket.id)
        text = render_mail_template(config, CLOSED, **fields)
        in_reply_to, references = thread_headers(ticket.id)
        message = compose(
            config,
            to=[(str(fields["requester_name"]), requester)],
            subject=text.subject or f"Re: {ticket.subject}",
            body=text.body,
            ticket_number=ticket.id,
            in_reply_to=in_reply_to,
            references=references,
            auto_submitted="auto-generated",
            date=at,
        )
        enqueue(
            message, recipients=[requester], kind=CLOSE_NOTICE, ticket=ticket.id, at=at
        )

    return notify

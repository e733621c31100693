"""`reply`: who gets the answer, what it says, and how it goes out.

The rules are pure (recipients, the editor text, the preview); ``prepare``
reads the store once and builds the finished mail, ``queue`` stores it on
the ticket and in the outbox inside the caller's transaction. Sending is
the outbox's job, so a reply that cannot go now goes with the next sync,
never twice.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from dataclasses import dataclass, field
from email.headerregistry import Address
from pathlib import Path
from typing import TYPE_CHECKING

from ticketcli.desk import tickets
from ticketcli.desk.acknowledgements import mail_fields
from ticketcli.desk.canned import answer_fields, render_template
from ticketcli.desk.outbox import enqueue, flush
from ticketcli.errors import TicketcliError, UsageError
from ticketcli.mail.compose import (
    MAX_NAME,
    clean_header_text,
    compose,
    needs_smtputf8,
)
from ticketcli.mail.smtp import SmtpSender
from ticketcli.mail.subject import strip_prefixes
from ticketcli.rules.customers import Staff, is_customer_side
from ticketcli.store.models import Agent
from ticketcli.store.sending import SENT, get_row
from ticketcli.store.ticket_view import agent_addresses, reply_headers, ticket_view
from ticketcli.store.writer import Writer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import datetime
    from email.message import EmailMessage

    from ticketcli.config import Config


def reply_recipients(
    requester: str,
    participants: Iterable[str],
    staff: Staff,
    sender: str | None,
    *,
    only_requester: bool = False,
    number: int | None = None,
    cc: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """(To, Cc) of a reply.

    To is the requester; Cc the thread's other customer-side participants
    (not staff, not a support address, not our own sender) unless
    ``only_requester``, then every ``--cc`` address (those may be anyone,
    a colleague included). When the requester is not a customer address
    (a ticket opened by hand for a customer without one), the first
    customer-side participant takes the To.
    """
    people = [
        a
        for a in dict.fromkeys([requester, *participants])
        if is_customer_side(a, staff, sender)
    ]
    if not people:
        raise UsageError(
            f"no requester address; set one with `set {number or 'N'} --requester`"
        )
    if is_customer_side(requester, staff, sender):
        to = [requester]
    else:
        to = people[:1]
    copies = [] if only_requester else [a for a in people if a not in to]
    for address in cc:
        if address not in to and address not in copies:
            copies.append(address)
    return to, copies


def sendable(
    to: Sequence[str], cc: Sequence[str], smtputf8: bool = False
) -> tuple[list[str], list[str], list[str]]:
    """(To, Cc, left out): the recipients whose address can go out (an IDN
    domain goes as A-labels; a non-ASCII local part only with ``smtputf8``,
    the server offering SMTPUTF8), and the ones that cannot, so one such
    address costs only its own copy. When the To is left out, the first Cc
    takes it; nobody left is one line."""
    left = [] if smtputf8 else [a for a in (*to, *cc) if needs_smtputf8(a)]
    to = [a for a in to if a not in left]
    cc = [a for a in cc if a not in left]
    if not to and cc:
        to, cc = cc[:1], cc[1:]
    if not to:
        raise UsageError(
            f"cannot reply to {', '.join(left)}: its local part is not ASCII,"
            f" and {NO_SMTPUTF8}; answer from your mail client"
        )
    return to, cc, left


# Why a non-ASCII local part cannot be written to.
NO_SMTPUTF8 = "the SMTP server does not offer SMTPUTF8"


def offers_smtputf8(config: Config) -> bool:
    """Whether [smtp] takes mail to non-ASCII addresses (RFC 6531); no
    server configured, or one that cannot be reached now, does not."""
    if not config.smtp.host:
        return False
    try:
        with SmtpSender(config.smtp) as sender:
            return sender.offers("smtputf8")
    except TicketcliError:
        return False


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


# What most mail servers take in one message (base64 adds a third): a reply
# over it would be refused after it was stored on the ticket as sent.
MAX_ATTACHMENTS = 18 * 1024 * 1024


def read_attachments(
    paths: Iterable[str], limit: int = MAX_ATTACHMENTS
) -> list[Attachment]:
    """Every ``--attach`` file, read before anything is stored or sent.

    Regular files only, each ``stat``-ed before it is read (and read no
    further than its size said): a device such as /dev/zero would be read
    until memory runs out, and a FIFO would block the command forever.
    """
    out = []
    total = 0
    for name in paths:
        path = Path(name).expanduser()
        try:
            info = path.stat()
            if stat.S_ISDIR(info.st_mode):
                raise UsageError(f"--attach: {name} is a folder, not a file")
            if not stat.S_ISREG(info.st_mode):
                raise UsageError(f"--attach: {name} is not a regular file")
            total += info.st_size
            if total > limit:
                raise UsageError(
                    f"--attach: {name} brings the attachments to {total / 2**20:.1f}"
                    f" MB; mail servers refuse more than {limit / 2**20:.0f} MB"
                )
            data = _read_regular(path, info.st_size)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise UsageError(f"--attach: cannot read {name}: {reason}") from None
        guessed, encoding = mimetypes.guess_type(path.name)
        content_type = (
            guessed if guessed and not encoding else "application/octet-stream"
        )
        out.append(Attachment(path.name, content_type, data))
    return out


def _read_regular(path: Path, size: int) -> bytes:
    """At most ``size`` bytes of a file that was a regular file when stat-ed;
    opened without blocking and checked again, in case it was swapped for a
    FIFO or a device in between."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError(f"--attach: {path} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(size)
    finally:
        os.close(fd)


SCISSORS = "# ------------------------ >8 ------------------------"
EDIT_HINT = (
    "# Do not modify or remove the line above.\n"
    "# Everything below it is ignored; an empty message sends nothing,\n"
    "# and so does quitting the editor without saving.\n"
)


def editor_text(body: str, preview: str) -> str:
    """What ``--edit`` opens: the body, then (below the scissors, like git)
    the mail's headers and the customer's last message for reference."""
    text = body if body.endswith("\n") or not body else body + "\n"
    quoted = "\n".join(f"# {line}".rstrip() for line in preview.splitlines())
    return f"{text}\n{SCISSORS}\n{EDIT_HINT}{quoted}\n"


def from_editor(text: str | None) -> str:
    """The body the person wrote; "" when there is none (nothing to send)."""
    if text is None:
        return ""
    body = text.split(SCISSORS, 1)[0]
    return body.strip("\n").rstrip() + "\n" if body.strip() else ""


@dataclass
class Draft:
    """A finished reply, not yet stored: what --dry-run shows."""

    ticket: int
    message: EmailMessage
    to: list[str]
    cc: list[str]
    actor: str
    at: datetime
    notes: list[str] = field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        return list(dict.fromkeys([*self.to, *self.cc]))


def preview(message: EmailMessage) -> str:
    """A mail as a person checks it: its headers, its text, its attachments."""
    lines = [f"{name}: {value}" for name, value in message.items()]
    lines.append("")
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    lines.extend(text.rstrip("\n").splitlines())
    for part in message.iter_attachments():
        size = len(part.get_payload(decode=True) or b"")
        lines.append(
            f"[attachment: {part.get_filename()} ({part.get_content_type()}, {size} B)]"
        )
    return "\n".join(lines) + "\n"


def set_sender_name(message: EmailMessage, name: str) -> None:
    """Put the agent's name on our sender address: the customer sees who
    answered ("Anna Tamm <support@…>") and still answers the support address.
    The name goes through the same cleaning as every header we write."""
    sender = message["From"].addresses[0]
    message.replace_header(
        "From",
        Address(
            display_name=clean_header_text(name, MAX_NAME),
            username=sender.username,
            domain=sender.domain,
        ),
    )


def reply_subject_for(ticket_subject: str) -> str:
    """The subject of an answer: "Re: " and the ticket's subject, with one
    "Re:" whatever prefixes the subject had."""
    return f"Re: {strip_prefixes(ticket_subject) or ticket_subject}".strip()


@dataclass(frozen=True)
class ReplyRequest:
    """What the person asked for, as the command parsed it."""

    number: int
    actor: str
    template: str | None = None
    message: str | None = None
    cc: tuple[str, ...] = ()
    only_requester: bool = False
    attachments: tuple[Attachment, ...] = ()


def prepare(
    config: Config,
    request: ReplyRequest,
    at: datetime,
    edit: Callable[[str], str | None] | None = None,
) -> Draft:
    """The finished reply: recipients, text, threading; nothing stored.

    A template is rendered first (a missing variable stops here), then
    ``edit`` (the person's editor) may change the text; an empty text stops
    here too. Only reads the store, and holds no transaction: a person may
    keep the editor open for an hour.
    """
    view = ticket_view(request.number)
    notes = []
    if view.merged_from is not None:
        notes.append(
            f"#{view.merged_from} is merged into #{view.number}; replying there"
        )
    staff = Staff.from_config(config, agent_addresses())
    to, cc = reply_recipients(
        view.requester,
        view.participants,
        staff,
        config.sender,
        only_requester=request.only_requester,
        number=view.number,
        cc=request.cc,
    )
    utf8 = any(needs_smtputf8(a) for a in (*to, *cc)) and offers_smtputf8(config)
    to, cc, left_out = sendable(to, cc, utf8)
    notes.extend(
        f"left out {address}: its local part is not ASCII, and {NO_SMTPUTF8}"
        " (answer them from your mail client)"
        for address in left_out
    )
    agent = Agent.get_or_none(Agent.login == request.actor)
    # The sender shows an agent's name; a login alone would look odd there.
    display_name = agent.name if agent else ""
    agent_name = display_name or request.actor
    fields = mail_fields(config, view.number)
    subject = reply_subject_for(view.subject)
    body = request.message or ""
    if request.template:
        rendered = render_template(
            config,
            request.template,
            answer_fields(fields, {"login": request.actor, "name": agent_name}, at),
        )
        body = rendered.body
        subject = rendered.subject or subject
    in_reply_to, references = reply_headers(view.number)
    name = str(fields["requester_name"] or "")
    to_named: list[str | tuple[str, str]] = [
        (name, a) if a == view.requester else a for a in to
    ]

    def build(text: str) -> EmailMessage:
        message = compose(
            config,
            to=to_named,
            cc=cc,
            subject=subject,
            body=text,
            ticket_number=view.number,
            in_reply_to=in_reply_to,
            references=references,
            attachments=[
                (a.filename, a.content_type, a.data) for a in request.attachments
            ],
            date=at,
            smtputf8=utf8,
        )
        if display_name:
            set_sender_name(message, display_name)
        return message

    if edit is not None:
        last = view.last_customer_message
        headers = build(body or "\n")
        context = "\n".join(
            f"{name}: {headers[name]}"
            for name in ("From", "To", "Cc", "Subject")
            if headers[name]
        )
        if last is not None:
            context += f"\n\n{last.from_address} wrote:\n{last.body_text}"
        body = from_editor(edit(editor_text(body, context)))
    if not body.strip():
        raise UsageError("empty message; nothing sent")
    return Draft(view.number, build(body), to, cc, request.actor, at, notes)


def queue(config: Config, draft: Draft) -> int:
    """Store the reply on its ticket and in the outbox (the caller's
    transaction); returns the outbox row.

    It is an outbound message of kind ``ticket``: the ticket's first
    response time and last message follow it. The recipients join the
    thread's participants (a ``--cc`` colleague-of-the-customer is asked
    again next time). It is an answer (``tickets.answered``): the REOPENED
    mark clears, and with ``assign_on_reply`` an unassigned ticket goes to
    the replying agent, as when they answer from their mail client. A
    closed ticket stays closed: our own mail never reopens.
    """
    ticket = tickets.get_ticket(draft.ticket)
    row = enqueue(
        draft.message,
        recipients=draft.recipients,
        kind="reply",
        ticket=ticket.id,
        at=draft.at,
        actor=draft.actor,
        store=True,
        message_kind="ticket",
    )
    Writer(ticket._meta.database).add_participants(
        ticket.id, [a for a in draft.recipients if a not in config.support_addresses]
    )
    ticket = tickets.get_ticket(draft.ticket)  # times refreshed by the store
    agent = Agent.get_or_none(Agent.login == draft.actor)
    takes = config.assign_on_reply and agent is not None and agent.active
    tickets.answered(
        ticket,
        draft.at,
        draft.actor,
        taker=agent if takes else None,
        detail=f"{draft.actor} (reply)",
    )
    return row


def send(config: Config, row: int, now: datetime) -> str | None:
    """Flush the outbox now; None when this reply went, else one line
    saying it waits in the outbox (the next sync sends it)."""
    result = flush(config, now=now)
    if get_row(row).status == SENT:
        return None
    reason = result.errors[-1] if result.errors else "not sent"
    return (
        f"reply queued but not sent ({reason}); "
        "it goes with the next sync or `outbox send`"
    )

"""Telling an agent: a ticket was assigned to them, or a note mentions them.

The mail is a plain-text summary with no links (the team works in the
shell and in their mail client, and a link in a notice is a phishing
pattern): the ticket's token in the subject, its fields, the customer's
last message with quoted history folded, and the command that shows the
rest. It is ``Auto-Submitted: auto-generated`` and is not stored on the
ticket -- the customer never sees it. An agent who answers it writes to the
support address with the token in the subject, so the answer lands on the
ticket as a staff message, not as a new ticket.

Nothing is sent to the person who acted: assigning a ticket to yourself,
or mentioning yourself, is not news.

Whoever changes tickets builds a ``Notifier`` from the config and hands
its methods to the ticket operations (``desk/tickets.py`` knows nothing of
mail), which call them inside the transaction. A command calls ``send()``
after the commit and prints its lines; sync builds its notifier over the
run's report, so auto-assignment's warnings are printed with the sync's
other notices, and flushes the outbox once at the end of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from ticketcli.desk.outbox import enqueue, send_queued
from ticketcli.mail.compose import compose
from ticketcli.mail.subject import format_token
from ticketcli.rules.mentions import mentions, unknown_mentions
from ticketcli.rules.quotes import fold
from ticketcli.store.models import SYSTEM
from ticketcli.store.queries import watching_agents
from ticketcli.store.ticket_view import agent_address, agent_logins, ticket_view

if TYPE_CHECKING:
    from datetime import datetime
    from email.message import EmailMessage

    from ticketcli.config import Config
    from ticketcli.store.models import Agent, Ticket
    from ticketcli.store.ticket_view import TicketView

ASSIGNED = "assigned"  # outbox kinds
MENTION = "mention"
CUSTOMER_MAIL = "customer-mail"
# A customer's mail older than this (an old mailbox imported) tells nobody.
FRESH = timedelta(days=3)
MAX_LINES = 25  # of the customer's message, after folding
MAX_CHARS = 2000


# -- the text (pure) ------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def excerpt(text: str) -> str:
    """The customer's own words, quotes folded, cut to a readable length."""
    own, folded = fold(text or "")
    lines = own.splitlines()
    cut = len(lines) > MAX_LINES or len(own) > MAX_CHARS
    lines = lines[:MAX_LINES]
    while cut and sum(len(x) + 1 for x in lines) > MAX_CHARS and len(lines) > 1:
        lines.pop()
    out = [f"  {line}".rstrip() for line in lines]
    if cut:
        out.append("  (… cut; `ticketcli show` has the whole message)")
    if folded:
        out.append(f"  (… {folded} quoted lines folded)")
    return "\n".join(out)


def summary(view: TicketView, token: str) -> str:
    """The part of every notice that describes the ticket."""
    customer = view.customer_name or "-"
    if view.customer_code and view.customer_name:
        customer = f"{view.customer_name} ({view.customer_code})"
    rows = [
        ("Ticket", f"{token} {view.subject}"),
        ("Customer", customer),
        ("Requester", view.requester or "-"),
        ("Status", f"{view.status}, priority {view.priority}"),
        ("Assignee", view.assignee or "nobody"),
        ("Created", _when(view.created_at)),
    ]
    lines = [f"{label + ':':11}{value}" for label, value in rows]
    last = view.last_customer_message
    if last is not None:
        who = f"{last.from_name} <{last.from_address}>".strip()
        lines += [
            "",
            f"The customer's last message ({who}, {_when(last.date)}):",
            "",
            excerpt(last.body_text) or "  (no text)",
        ]
    lines += [
        "",
        f"The whole ticket: ticketcli show {view.number}",
        "",
        "-- ",
        "Sent by ticketcli. A reply to this mail goes to the support address",
        "and is kept on the ticket as a message from you.",
    ]
    return "\n".join(lines) + "\n"


def assigned_text(view: TicketView, prefix: str, actor: str) -> tuple[str, str]:
    """(subject, body) of "assigned to you"."""
    token = format_token(prefix, view.number)
    body = f"{actor} assigned ticket {token} to you.\n\n" + summary(view, token)
    return f"Assigned to you: {view.subject}", body


def mention_text(
    view: TicketView, prefix: str, actor: str, note: str
) -> tuple[str, str]:
    """(subject, body) of "mentioned in a note"."""
    token = format_token(prefix, view.number)
    quoted = "\n".join(f"  {line}".rstrip() for line in note.strip().splitlines())
    body = (
        f"{actor} mentioned you in a note on ticket {token}:\n\n{quoted}\n\n"
        + summary(view, token)
    )
    return f"{actor} mentioned you: {view.subject}", body


def customer_mail_text(view: TicketView, prefix: str, sender: str) -> tuple[str, str]:
    """(subject, body) of "the customer wrote" to the assignee and watchers."""
    token = format_token(prefix, view.number)
    body = f"{sender} wrote on ticket {token}.\n\n" + summary(view, token)
    return f"Customer wrote: {view.subject}", body


# -- queueing (inside the caller's transaction) ---------------------------------


def _compose_notice(
    config: Config, number: int, text: tuple[str, str], to: str, at: datetime
) -> EmailMessage:
    subject, body = text
    return compose(
        config,
        to=[to],
        subject=subject,
        body=body,
        ticket_number=number,
        auto_submitted="auto-generated",
        date=at,
    )


def _notice_to(
    config: Config,
    agent: Agent,
    kind: str,
    text: tuple[str, str],
    number: int,
    actor: str,
    at: datetime,
) -> str | None:
    """Queue one notice to ``agent``; None when queued, else why not."""
    address = agent_address(agent)
    if address is None:
        return f"agent {agent.login} has no address; not notified"
    if not config.smtp.host:
        return f"no [smtp] host configured; {agent.login} not notified"
    enqueue(
        _compose_notice(config, number, text, address, at),
        recipients=[address],
        kind=kind,
        ticket=number,
        at=at,
        actor=actor,
        store=False,
    )
    return None


def notify_assigned(
    ticket: Ticket, agent: Agent, actor: str, at: datetime, config: Config
) -> str | None:
    """Queue "assigned to you" (inside the caller's transaction).

    For every way a ticket gets an assignee -- `assign`, `new --assign`,
    auto-assignment -- when ``[notifications] agent_on_assign`` is on and
    the agent is not the one who acted. Returns None when queued, "" when
    there is nothing to send, or one line saying why the agent was not told.
    """
    if not config.notifications.agent_on_assign:
        return ""
    if agent.login == actor or not agent.active:
        return ""
    view = ticket_view(ticket.id)
    text = assigned_text(view, config.token_prefix, actor)
    return _notice_to(config, agent, ASSIGNED, text, view.number, actor, at)


def notify_mentions(
    number: int, note: str, actor: str, at: datetime, config: Config
) -> tuple[int, list[str]]:
    """Queue a notice to each agent an ``@login`` in the note names.

    Returns (how many were queued, lines for stderr): an ``@word`` that is
    no agent's login is worth a warning -- a typo means a colleague is not
    told -- but the note is kept all the same.
    """
    if not config.notifications.agent_on_mention:
        return 0, []
    agents = agent_logins()
    warnings = [
        f"@{word} is not an agent's login; nobody was notified for it"
        for word in unknown_mentions(note, agents)
    ]
    named = [login for login in mentions(note, agents) if login != actor]
    if not named:
        return 0, warnings
    view = ticket_view(number)
    text = mention_text(view, config.token_prefix, actor, note)
    queued = 0
    for login in named:
        agent = agents[login]
        if not agent.active:
            warnings.append(f"agent {login} is inactive; not notified")
            continue
        warning = _notice_to(config, agent, MENTION, text, view.number, actor, at)
        if warning is None:
            queued += 1
        else:
            warnings.append(warning)
    return queued, warnings


def notify_customer_mail(
    number: int, sender: str, date: datetime, at: datetime, config: Config
) -> tuple[int, list[str]]:
    """Queue "the customer wrote" to the ticket's assignee and watchers.

    With ``[notifications] agent_on_customer_mail``; each agent once, only
    active ones, never the sender (a From that claims an agent's address),
    and not for mail older than ``FRESH`` (an old mailbox read in). The
    notice is ``Auto-Submitted: auto-generated`` and an agent's answer to it
    is staff mail, which notifies nobody: no loop.
    """
    if not config.notifications.agent_on_customer_mail or at - date > FRESH:
        return 0, []
    view = ticket_view(number)
    agents = watching_agents(view.number)
    if not agents:
        return 0, []
    text = customer_mail_text(view, config.token_prefix, sender)
    queued, warnings = 0, []
    for agent in agents:
        if not agent.active or agent_address(agent) == sender:
            continue
        warning = _notice_to(
            config, agent, CUSTOMER_MAIL, text, view.number, SYSTEM, at
        )
        if warning is None:
            queued += 1
        else:
            warnings.append(warning)
    return queued, warnings


# -- sending (after the commit) -------------------------------------------------


@dataclass
class Notifier:
    """Queues notices during a transaction; sends them after it.

    ``warnings`` collects one line per agent who could not be told; pass
    a list to collect them there (sync passes its report's notices).
    """

    config: Config
    warnings: list[str] = field(default_factory=list)
    queued: int = 0

    def assigned(self, ticket: Ticket, agent: Agent, actor: str, at: datetime) -> None:
        warning = notify_assigned(ticket, agent, actor, at, self.config)
        if warning is None:
            self.queued += 1
        elif warning:
            self.warnings.append(warning)

    def mentioned(self, number: int, text: str, actor: str, at: datetime) -> None:
        queued, warnings = notify_mentions(number, text, actor, at, self.config)
        self.queued += queued
        self.warnings += warnings

    def customer_wrote(
        self, number: int, sender: str, date: datetime, at: datetime
    ) -> None:
        queued, warnings = notify_customer_mail(number, sender, date, at, self.config)
        self.queued += queued
        self.warnings += warnings

    def send(self, now: datetime) -> list[str]:
        """Flush the outbox after the commit; lines for stderr. Never an
        error: the ticket changed as asked, the notice goes with the next
        sync."""
        lines = list(self.warnings)
        problem = send_queued(self.config, now) if self.queued else None
        return [*lines, problem] if problem else lines

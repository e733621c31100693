"""The commands that act on tickets: assign, unassign, take, set, customer,
note, time, merge, new, close and reopen. Each records who acted (--as) in
the history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import click

from ticketcli.clock import now
from ticketcli.commands.params import DUE, DURATION, ENTRY, NO_DUE, TICKET
from ticketcli.config import split_address
from ticketcli.context import App, as_option, pass_app
from ticketcli.desk import tickets
from ticketcli.desk.notices import Notifier
from ticketcli.errors import UsageError
from ticketcli.render.output import emit, notes, output_options
from ticketcli.store.queries import work_entries


def _notifier(app: App) -> Notifier:
    """Mail to agents about what a command did."""
    return Notifier(app.config)


numbers_argument = click.argument("numbers", type=TICKET, nargs=-1, required=True)


@click.command("assign")
@click.argument("numbers", type=TICKET, nargs=-1, required=True, metavar="N...")
@click.argument("login")
@as_option
@pass_app
def assign_cmd(
    app: App, numbers: tuple[int, ...], login: str, as_login: str | None
) -> None:
    """Give the tickets N... to the agent LOGIN (also to redirect them)."""
    notes(app.store.assign(numbers, login, actor=app.actor(as_login)))


@click.command("unassign")
@numbers_argument
@as_option
@pass_app
def unassign_cmd(app: App, numbers: tuple[int, ...], as_login: str | None) -> None:
    """Put the tickets NUMBERS back in the pool, for someone else to take."""
    with app.store.atomic():
        notes(tickets.assign_tickets(numbers, None, app.actor(as_login)))


@click.command("take")
@numbers_argument
@as_option
@pass_app
def take_cmd(app: App, numbers: tuple[int, ...], as_login: str | None) -> None:
    """Assign the tickets NUMBERS to yourself (--as, $TICKETCLI_USER, OS user)."""
    with app.store.atomic():
        notes(tickets.take_tickets(numbers, app.actor(as_login)))


@click.command("set")
@click.argument("number", type=TICKET)
@click.option("--priority", type=click.Choice(tickets.PRIORITIES), help="Priority.")
@click.option("--type", "type_", metavar="TYPE", help="One of config ticket_types.")
@click.option(
    "--due", type=DUE, metavar="DATE", help="YYYY-MM-DD[THH:MM] (UTC), or none."
)
@click.option("--queue", metavar="NAME", help="One of the [[queues]], or none.")
@click.option(
    "--status",
    type=click.Choice(tickets.SETTABLE_STATUSES),
    help="pending: waiting on the customer; open: on us again.",
)
@click.option("--subject", metavar="TEXT", help="A new subject.")
@click.option("--requester", metavar="ADDR", help="The requester's address.")
@as_option
@pass_app
def set_cmd(
    app: App,
    number: int,
    priority: str | None,
    type_: str | None,
    due: datetime | Literal["none"] | None,
    queue: str | None,
    status: str | None,
    subject: str | None,
    requester: str | None,
    as_login: str | None,
) -> None:
    """Set ticket NUMBER's priority, type, due date, queue, status (pending
    or open), subject or requester. A customer's mail to a pending ticket
    makes it open again by itself."""
    given = (priority, type_, due, queue, status, subject, requester)
    if all(value is None for value in given):
        raise UsageError(
            "nothing to set: give --priority, --type, --due, --queue, --status,"
            " --subject or --requester"
        )
    if requester is not None:
        try:
            requester = split_address(requester)[1]
        except ValueError as exc:
            raise UsageError(f"--requester: {exc}") from None
    with app.store.atomic():
        tickets.set_fields(
            number,
            app.actor(as_login),
            app.config.ticket_types,
            priority=priority,
            type_=type_,
            due=due if isinstance(due, datetime) else None,
            clear_due=due == NO_DUE,
            queue=queue,
            queues=[q.name for q in app.config.queues],
            status=status,
            subject=subject,
            requester=requester,
            token_prefix=app.config.token_prefix,
        )


@click.command("customer")
@click.argument("number", type=TICKET)
@click.argument("customer")
@as_option
@pass_app
def customer_cmd(app: App, number: int, customer: str, as_login: str | None) -> None:
    """Set ticket NUMBER's CUSTOMER (code or name); the requester's address is
    remembered for that customer, so the next mail is recognised."""
    with app.store.atomic():
        notes(tickets.set_customer(number, customer, app.actor(as_login)))


@click.command("note")
@click.argument("number", type=TICKET)
@click.argument("text")
@as_option
@pass_app
def note_cmd(app: App, number: int, text: str, as_login: str | None) -> None:
    """Add an internal note TEXT to ticket NUMBER (never mailed to the
    customer; an @login in it notifies that agent when configured)."""
    notifier, actor, at = _notifier(app), app.actor(as_login), now()
    with app.store.atomic():
        tickets.add_note(number, text, actor, at)
        notifier.mentioned(number, text, actor, at)
    notes(notifier.send(at))


TIME_COLUMNS = ("id", "at", "agent", "minutes", "note")
# One entry longer than this is probably a typo (8h typed as 80h): --yes.
LONGEST_ENTRY = timedelta(hours=24)


@click.command("time")
@click.argument("number", type=TICKET, required=False)
@click.argument("duration", type=DURATION, required=False)
@click.option("--note", default="", help="What the time went on.")
@click.option("--list", "list_", is_flag=True, help="List ticket N's entries.")
@click.option("--remove", type=ENTRY, metavar="ID", help="Remove entry ID.")
@click.option("--yes", is_flag=True, help="Log one entry of over 24 h.")
@as_option
@output_options
@pass_app
def time_cmd(
    app: App,
    number: int | None,
    duration: timedelta | None,
    note: str,
    list_: bool,
    remove: int | None,
    yes: bool,
    as_login: str | None,
    fmt: str,
) -> None:
    """Log work time DURATION (45m, 1h30m) on ticket NUMBER; `time N --list`
    lists its entries with their ids, `time --remove ID` takes a wrong one
    back (the history keeps both)."""
    if remove is not None:
        if number is not None or duration is not None or list_:
            raise UsageError("--remove ID takes no ticket, duration or --list")
        with app.store.atomic():
            tickets.remove_time(remove, app.actor(as_login))
        return
    if number is None:
        raise UsageError("give a ticket number N (time N DURATION, time N --list)")
    if list_:
        if duration is not None:
            raise UsageError("--list takes no DURATION")
        app.open_store()
        emit(work_entries(number), TIME_COLUMNS, fmt, wide=("note",))
        return
    if duration is None:
        raise UsageError("give a DURATION (45m, 1h30m), or --list")
    if duration > LONGEST_ENTRY and not yes:
        raise UsageError(
            f"DURATION: {int(duration.total_seconds() // 3600)}h in one entry"
            " is over 24 h; give --yes if that is right"
        )
    with app.store.atomic():
        tickets.log_time(number, duration, app.actor(as_login), note)


@click.command("merge")
@click.argument("number", type=TICKET)
@click.argument("into", metavar="INTO")
@click.argument("target", type=TICKET, metavar="M")
@as_option
@pass_app
def merge_cmd(
    app: App, number: int, into: str, target: int, as_login: str | None
) -> None:
    """Merge ticket NUMBER INTO ticket M: messages and history move to M,
    NUMBER is closed as merged, and replies to its mail thread into M."""
    if into.lower() != "into":
        raise UsageError(f"expected 'merge {number} into M', got {into!r}")
    with app.store.atomic():
        tickets.merge_tickets(number, target, app.actor(as_login))


@click.command("unmerge")
@click.argument("number", type=TICKET)
@as_option
@pass_app
def unmerge_cmd(app: App, number: int, as_login: str | None) -> None:
    """Undo `merge NUMBER into M`: NUMBER gets back its own messages,
    history, links and number, and M what it had before."""
    with app.store.atomic():
        tickets.unmerge_ticket(number, app.actor(as_login))


EDIT_TEMPLATE = "\n# What the customer asked. Lines starting with # are dropped.\n"


@click.command("new")
@click.option("--from", "address", metavar="ADDR", help="The requester's address.")
@click.option("--customer", metavar="CODE", help="The customer (code or name).")
@click.option("--subject", required=True, help="What it is about.")
@click.option("--message", default="", help="What the customer asked.")
@click.option("--edit", is_flag=True, help="Write the message in $EDITOR.")
@click.option("--assign", "assignee", metavar="LOGIN", help="Give it to LOGIN.")
@as_option
@output_options
@pass_app
def new_cmd(
    app: App,
    address: str | None,
    customer: str | None,
    subject: str,
    message: str,
    edit: bool,
    assignee: str | None,
    as_login: str | None,
    fmt: str,
) -> None:
    """Open a ticket by hand: a phone call, a walk-in, a web form."""
    if edit:
        if message:
            raise UsageError("give --message or --edit, not both")
        message = (click.edit(EDIT_TEMPLATE) or "").replace(EDIT_TEMPLATE, "")
        message = "\n".join(
            line for line in message.splitlines() if not line.startswith("#")
        ).strip()
        if not message:
            raise UsageError("empty message; nothing opened")
    name = ""
    if address is not None:
        try:
            name, address = split_address(address)
        except ValueError as exc:
            raise UsageError(f"--from: {exc}") from None
    notifier = _notifier(app)
    with app.store.atomic():
        number = tickets.new_ticket(
            subject=subject,
            actor=app.actor(as_login),
            address=address,
            name=name,
            customer_ref=customer,
            message=message,
            assignee=assignee,
            free_mail_domains=app.config.free_mail_domains,
            token_prefix=app.config.token_prefix,
            on_assign=notifier.assigned,
        )
    notes(notifier.send(now()))
    emit([{"number": number}], ("number",), fmt)


@click.command("close")
@click.argument("numbers", type=TICKET, nargs=-1, required=True)
@click.option("--note", default="", help="Why it is closed, kept in the history.")
@as_option
@pass_app
def close_cmd(
    app: App, numbers: tuple[int, ...], note: str, as_login: str | None
) -> None:
    """Close the tickets NUMBERS. Closing a closed ticket changes nothing.

    With [notifications] customer_on_close the requester is told, at once
    when [smtp] is configured (else by the next sync).
    """
    notes(app.store.close(numbers, actor=app.actor(as_login), note=note))


@click.command("reopen")
@click.argument("numbers", type=TICKET, nargs=-1, required=True)
@as_option
@pass_app
def reopen_cmd(app: App, numbers: tuple[int, ...], as_login: str | None) -> None:
    """Reopen the closed tickets NUMBERS."""
    with app.store.atomic():
        lines = tickets.reopen_tickets(numbers, app.actor(as_login))
    notes(lines)

"""The 'reply' command (answer a ticket's customer from the shell) and
'templates list' (the canned answers it can use)."""

from __future__ import annotations

import click

from ticketcli.clock import now
from ticketcli.commands.params import TICKET
from ticketcli.config import normalize_address
from ticketcli.context import App, as_option, pass_app
from ticketcli.desk import replies
from ticketcli.desk.canned import list_templates
from ticketcli.errors import ConfigError, TicketcliError, UsageError
from ticketcli.render.output import emit, output_options, visible


def _addresses(values: tuple[str, ...], option: str) -> tuple[str, ...]:
    try:
        return tuple(dict.fromkeys(normalize_address(v) for v in values))
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def _editor(text: str) -> str | None:
    """$EDITOR on the text; None when the person quit without saving."""
    return click.edit(text, extension=".txt", require_save=True)


@click.command("reply")
@click.argument("number", type=TICKET)
@click.option("--template", "template", metavar="NAME", help="A canned answer.")
@click.option("--message", metavar="TEXT", help="The answer's text.")
@click.option("--edit", is_flag=True, help="Write (or check) the text in $EDITOR.")
@click.option("--attach", multiple=True, metavar="FILE", help="Attach FILE.")
@click.option("--cc", multiple=True, metavar="ADDR", help="Also send to ADDR.")
@click.option(
    "--only-requester",
    is_flag=True,
    help="Not to the thread's other customer-side participants.",
)
@click.option("--dry-run", is_flag=True, help="Print the mail; store and send nothing.")
@as_option
@pass_app
def reply_cmd(
    app: App,
    number: int,
    template: str | None,
    message: str | None,
    edit: bool,
    attach: tuple[str, ...],
    cc: tuple[str, ...],
    only_requester: bool,
    dry_run: bool,
    as_login: str | None,
) -> None:
    """Answer ticket NUMBER's customer: to the requester and the thread's
    other customer-side participants, with the ticket's token in the
    subject, threaded under their last mail, kept on the ticket as our
    answer. It is sent at once; if the server is down it stays in the
    outbox (exit 1) and goes with the next sync."""
    if message is not None and (edit or template):
        raise UsageError("give --message, or --template and/or --edit")
    if message is None and not (template or edit):
        raise UsageError("nothing to send: give --template, --message or --edit")
    if message is not None and not message.strip():
        raise UsageError("--message is empty; nothing sent")
    config = app.config
    if not dry_run and not config.smtp.host:
        raise ConfigError("smtp.host: replies need an [smtp] server to go out")
    request = replies.ReplyRequest(
        number=number,
        actor=app.actor(as_login),
        template=template,
        message=message,
        cc=_addresses(cc, "--cc"),
        only_requester=only_requester,
        attachments=tuple(replies.read_attachments(attach)),
    )
    at = now()
    app.open_store()  # no transaction held open while $EDITOR runs
    draft = replies.prepare(config, request, at, _editor if edit else None)
    for note in draft.notes:
        click.echo(note, err=True)
    if dry_run:
        click.echo(visible(replies.preview(draft.message)), nl=False)
        return
    with app.store.atomic():
        row = replies.queue(config, draft)
    problem = replies.send(config, row, at)
    if problem:
        raise TicketcliError(problem)


@click.group("templates")
def templates_cmd() -> None:
    """The canned answers `reply --template` uses ([templates] dir)."""


@templates_cmd.command("list")
@output_options
@pass_app
def templates_list_cmd(app: App, fmt: str) -> None:
    """List the templates: name, description (a {# ... #} first line), file."""
    emit(list_templates(app.config), ("name", "description", "file"), fmt)

"""The 'report' command: the active tickets, one line each, for the morning;
with --html or --mail, the lead's report of the period (reports.morning,
rendered by render.html)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ticketcli import lazy
from ticketcli.clock import now
from ticketcli.commands.params import DAY, Choice
from ticketcli.config import REPORT_LANGUAGES
from ticketcli.context import App, pass_app
from ticketcli.desk.people import known_filters
from ticketcli.errors import (
    ConfigError,
    PartialFailureError,
    TicketcliError,
    UsageError,
)
from ticketcli.i18n import N_
from ticketcli.render.language import InReadersLanguage, remember_lang, say
from ticketcli.render.listing import COLUMNS, TABLE_COLUMNS, listing_rows, table_row
from ticketcli.render.output import emit, output_options
from ticketcli.reports.listing import listed_tickets
from ticketcli.reports.names import names
from ticketcli.reports.periods import PERIODS
from ticketcli.store.queries import REPORT_SORTS
from ticketcli.store.replay import as_of

if TYPE_CHECKING:
    from datetime import datetime

    from ticketcli.desk.tickets import known_tag_filter
    from ticketcli.mail.compose import ascii_address
    from ticketcli.mail.smtp import SmtpSender
    from ticketcli.render.html import render_report_html, report_message
    from ticketcli.reports.morning import report_model
else:  # for --tag, --html and --mail: the report on the terminal needs none
    known_tag_filter = lazy.function("ticketcli.desk.tickets:known_tag_filter")
    ascii_address = lazy.function("ticketcli.mail.compose:ascii_address")
    SmtpSender = lazy.function("ticketcli.mail.smtp:SmtpSender")
    render_report_html = lazy.function("ticketcli.render.html:render_report_html")
    report_message = lazy.function("ticketcli.render.html:report_message")
    report_model = lazy.function("ticketcli.reports.morning:report_model")

# What `report` says when it refuses, in the reader's language (``say``).
LISTING_ONLY = N_("%(option)s: not with --html/--mail (the listing's option)")
TO_ONLY_WITH_MAIL = N_("--to: only with --mail")
PERIOD_ONLY = N_("%(option)s: only with --html or --mail")
NO_RECIPIENTS = N_("--mail: no recipients; give --to ADDR or [report].recipients")
NO_SENDER = N_("smtp.from: the report needs a sender ([smtp] from)")
NOT_DELIVERED = N_("report: not delivered to %(addresses)s")
CANNOT_WRITE = N_("--html: cannot write %(path)s: %(reason)s")


@click.command("report", cls=InReadersLanguage)
@click.option(
    "--assignee",
    metavar="LOGIN|*|none",
    help="Whose tickets: a login, '*' for everyone's, 'none' for the pool.",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=Choice(("new", "open", "pending", "closed", "merged")),
    help="Only this status (repeatable; default: new, open, pending).",
)
@click.option("--customer", metavar="CODE", help="Only this customer (code or name).")
@click.option("--tag", metavar="TAG", help="Only tickets tagged TAG.")
@click.option("--waiting", is_flag=True, help="Only where the customer wrote last.")
@click.option(
    "--overdue",
    is_flag=True,
    help="Only overdue tickets: past their due date, or over a [goals] target "
    "now (first response, resolution, or too long new, open or pending).",
)
@click.option(
    "--since", type=DAY, metavar="DATE", help="Only tickets opened since DATE."
)
@click.option("--sort", type=Choice(REPORT_SORTS), default="age", show_default=True)
@click.option("--as", "as_login", metavar="LOGIN", help="Whose queue is 'mine'.")
@output_options
@click.option(
    "--html",
    "html_file",
    metavar="FILE",
    help="Write the HTML report of the period to FILE ('-': stdout).",
)
@click.option(
    "--mail",
    is_flag=True,
    help="Mail the report (HTML and plain text) through [smtp].",
)
@click.option(
    "--to",
    "recipients",
    multiple=True,
    metavar="ADDR",
    help="Mail it to ADDR (repeatable; default: [report].recipients).",
)
@click.option(
    "--lang",
    type=Choice(REPORT_LANGUAGES),
    callback=remember_lang,
    is_eager=True,
    help="Language of the HTML report, the mail and errors (default: [report].lang).",
)
@click.option(
    "--period",
    type=Choice(PERIODS),
    help="Up to the last midnight: yesterday, this week (on Monday: last "
    "week) or this month (default: week).",
)
@pass_app
def report_cmd(
    app: App,
    assignee: str | None,
    statuses: tuple[str, ...],
    customer: str | None,
    tag: str | None,
    waiting: bool,
    overdue: bool,
    since: datetime | None,
    sort: str,
    as_login: str | None,
    fmt: str,
    html_file: str | None,
    mail: bool,
    recipients: tuple[str, ...],
    lang: str | None,
    period: str | None,
) -> None:
    """Active tickets: age (calendar time since the first mail), customer,
    subject, assignee, vs (the messages on the ticket, both ways), who wrote
    last (→ we answered, ← the customer waits), REOPENED, OVERDUE and AWAY
    marks. json, jsonl and csv have the same keys, with ages in seconds.

    With no filter: the pool plus your own tickets.

    --html FILE and --mail give the lead's report of the period instead:
    goals met or missed, the first-response trend, when mail arrives, each
    agent's load, the top customers, the pool, overdue and REOPENED tickets.
    """
    if html_file is not None or mail:
        listing = {
            "--assignee": assignee,
            "--status": statuses,
            "--customer": customer,
            "--tag": tag,
            "--waiting": waiting,
            "--overdue": overdue,
            "--since": since,
            "--as": as_login,
            "--format": fmt != "table",
            "--sort": sort != "age",
        }
        given = next((name for name, value in listing.items() if value), None)
        if given is not None:
            raise UsageError(say(LISTING_ONLY, option=given))
        if recipients and not mail:
            raise UsageError(say(TO_ONLY_WITH_MAIL))
        _period_report(app, html_file, mail, recipients, lang, period or "week")
        return
    for name, value in (("--to", recipients), ("--lang", lang), ("--period", period)):
        if value:
            raise UsageError(say(PERIOD_ONLY, option=name))
    filtered = any((statuses, customer, tag, waiting, overdue, since))
    if assignee is None and filtered:
        assignee = "*"
    app.open_store()
    customer = known_filters(assignee, customer, app.actor(as_login))
    if tag is not None:
        tag = known_tag_filter(tag)
    moment = now()
    # TICKETCLI_NOW in the past: the store as it was then (store.replay).
    click.get_current_context().with_resource(as_of(moment))
    tickets = listed_tickets(
        now=moment,
        config=app.config,
        assignee=assignee,
        current_user=app.actor(as_login),
        statuses=statuses,
        customer=customer,
        waiting=waiting,
        overdue=overdue,
        since=since,
        sort=sort,
        tag=tag,
    )
    rows = listing_rows(tickets, moment, names())
    emit(
        map(table_row, rows) if fmt == "table" else rows,
        TABLE_COLUMNS if fmt == "table" else COLUMNS,
        fmt,
        wide=("subject",),
        bold=("marks",),
    )


def _period_report(
    app: App,
    html_file: str | None,
    mail: bool,
    recipients: tuple[str, ...],
    lang: str | None,
    period: str,
) -> None:
    """Settings are checked before the store is read: a cron line with a
    broken [smtp] fails at once, with the key to fix."""
    config = app.config
    lang = lang or config.report.lang
    to = recipients or config.report.recipients
    sender = None
    if mail:
        if not to:
            raise UsageError(say(NO_RECIPIENTS))
        sender = SmtpSender(config.smtp)
        if config.sender is None:
            raise ConfigError(say(NO_SENDER))
    app.open_store()
    moment = now()
    click.get_current_context().with_resource(as_of(moment))
    model = report_model(config, moment, period)
    page = None
    if html_file is not None:
        page = render_report_html(model, config, lang)
        if html_file == "-":
            click.echo(page, nl=False)
        else:
            _write(Path(html_file), page)
    if sender is not None:
        message = report_message(model, config, lang, to, page)
        envelope = [ascii_address(address) for address in to]
        with sender:
            refused = sender.send(bytes(message), str(config.sender), envelope)
        if refused:
            raise PartialFailureError(say(NOT_DELIVERED, addresses="; ".join(refused)))


def _write(path: Path, text: str) -> None:
    """Whole or not at all: a reader (a web server, a mailer) never sees half."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TicketcliError(
            say(CANNOT_WRITE, path=str(path), reason=exc.strerror or str(exc))
        ) from None

"""The 'agents' commands: the staff whose mail is outbound and who own
tickets, and who of them is away."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ticketcli.clock import now
from ticketcli.commands.params import LOCAL_DAY, LOCAL_DAY_END
from ticketcli.config import normalize_address
from ticketcli.context import App, as_option, pass_app
from ticketcli.desk.absence import agent_rows, set_away, set_back
from ticketcli.desk.notices import Notifier
from ticketcli.desk.people import add_agent, deactivate_agent, edit_agent
from ticketcli.errors import UsageError
from ticketcli.render.output import echo_text, emit, notes, output_options
from ticketcli.render.times import display_zone, local_text, localised, zone_line
from ticketcli.reports.periods import local_to_utc

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo


@click.group("agents")
def agents_cmd() -> None:
    """Staff members: logins, names and the addresses that make mail outbound."""


@agents_cmd.command("add")
@click.argument("login")
@click.option("--name", default="", help="The name people see.")
@click.option("--email", "emails", multiple=True, help="An address. Repeatable.")
@pass_app
def agents_add(app: App, login: str, name: str, emails: tuple[str, ...]) -> None:
    """Add the agent LOGIN; mail from their addresses is outbound from now on."""
    try:
        addresses = [normalize_address(e) for e in emails]
    except ValueError as exc:
        raise UsageError(f"--email: {exc}") from None
    with app.store.atomic():
        add_agent(login, name, addresses)


def _addresses(option: str, values: tuple[str, ...]) -> list[str]:
    try:
        return [normalize_address(v) for v in values]
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


@agents_cmd.command("edit")
@click.argument("login")
@click.option("--name", help="The name people see.")
@click.option("--add-email", "add", multiple=True, help="Add an address. Repeatable.")
@click.option(
    "--remove-email", "remove", multiple=True, help="Remove an address. Repeatable."
)
@click.option("--activate", is_flag=True, help="Take back an agent who left.")
@pass_app
def agents_edit(
    app: App,
    login: str,
    name: str | None,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    activate: bool,
) -> None:
    """Change the agent LOGIN: name, addresses, or active again."""
    adding = _addresses("--add-email", add)
    removing = _addresses("--remove-email", remove)
    with app.store.atomic():
        said = edit_agent(
            login, name=name, add=adding, remove=removing, activate=activate
        )
    notes(said)


AGENT_COLUMNS = ("login", "name", "emails", "active", "open_tickets")
AWAY_COLUMNS = ("away", "away_from", "away_until", "away_note")


@agents_cmd.command("list")
@output_options
@pass_app
def agents_list(app: App, fmt: str) -> None:
    """List agents with their addresses and how many active tickets they
    carry; once anyone is or will be away, also who, from and until when."""
    app.open_store()
    rows = agent_rows(now())
    anyone_away = any(row["away_from"] for row in rows)
    if fmt == "table" and anyone_away:
        zone = display_zone(app.config)
        echo_text(zone_line(zone))
        rows = list(localised(rows, zone))
    emit(
        rows,
        AGENT_COLUMNS + (AWAY_COLUMNS if anyone_away else ()),
        fmt,
        wide=("emails", "away_note"),
    )


@agents_cmd.command("deactivate")
@click.argument("login")
@pass_app
def agents_deactivate(app: App, login: str) -> None:
    """Deactivate LOGIN: no new tickets go to them; their mail stays outbound."""
    with app.store.atomic():
        said = deactivate_agent(login)
    notes(said)


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "`agents back`"
    return f"{local_text(moment, zone)} {zone.key}"


def _away_line(result: dict[str, Any], at: datetime, zone: ZoneInfo) -> str:
    login, back = result["login"], _when(result["until"], zone)
    if result["from"] > at:
        return f"{login} will be away from {_when(result['from'], zone)}, back {back}"
    return (
        f"{login} is away, back {back}: {result['pooled']} ticket(s) to the pool,"
        f" {result['reassigned']} reassigned, {result['kept']} kept"
    )


@agents_cmd.command("away")
@click.argument("login")
@click.option(
    "--from",
    "starts",
    type=LOCAL_DAY,
    metavar="DATE",
    help="Start (default now): YYYY-MM-DD[THH:MM], local time (as the reply"
    " shows it: [display] or [hours] timezone).",
)
@click.option(
    "--until",
    "ends",
    type=LOCAL_DAY_END,
    metavar="DATE",
    help="Last day away (through that day) or the time they are back, local"
    " time; default: until `agents back`.",
)
@click.option("--note", default="", help="Why, for the others (holiday, ill).")
@as_option
@pass_app
def agents_away(
    app: App,
    login: str,
    starts: datetime | None,
    ends: datetime | None,
    note: str,
    as_login: str | None,
) -> None:
    """LOGIN is away (now, or --from a later date) until --until or `agents
    back`. Their open tickets follow their queue's on_absence: pool, reassign
    or keep. Again for the same time changes the dates."""
    at = now()
    zone = display_zone(app.config)
    # Typed on the clock the reply shows (a day is its local midnight).
    starts = None if starts is None else local_to_utc(starts, zone)
    ends = None if ends is None else local_to_utc(ends, zone)
    notifier = Notifier(app.config)
    with app.store.atomic():
        result = set_away(
            login,
            starts=starts,
            ends=ends,
            note=note,
            actor=app.actor(as_login),
            now=at,
            config=app.config,
            on_assign=notifier.assigned,
        )
    echo_text(_away_line(result, at, zone))
    notes(notifier.send(at))


@agents_cmd.command("back")
@click.argument("login")
@as_option
@output_options
@pass_app
def agents_back(app: App, login: str, as_login: str | None, fmt: str) -> None:
    """LOGIN is back: tickets held in the pool for them (and those given to a
    colleague who has not answered) return; those a colleague answered or
    took stay there and are listed."""
    at = now()
    notifier = Notifier(app.config)
    with app.store.atomic():
        rows, said = set_back(
            login,
            actor=app.actor(as_login),
            now=at,
            config=app.config,
            on_assign=notifier.assigned,
            shown=lambda moment: _when(moment, display_zone(app.config)),
        )
    notes(said)
    if rows or fmt != "table":
        emit(rows, ("number", "subject", "assignee", "outcome", "why"), fmt)
    notes(notifier.send(at))

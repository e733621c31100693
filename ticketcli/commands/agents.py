"""The 'agents' commands: the staff whose mail is outbound and who own tickets."""

from __future__ import annotations

import click

from ticketcli.cli import App, pass_app
from ticketcli.config import normalize_address
from ticketcli.errors import UsageError
from ticketcli.render.output import emit, output_options
from ticketcli.store.ops import add_agent, deactivate_agent
from ticketcli.store.queries import agent_rows


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
    with app.db.atomic():
        add_agent(login, name, addresses)


@agents_cmd.command("list")
@output_options
@pass_app
def agents_list(app: App, fmt: str) -> None:
    """List agents with their addresses and how many active tickets they carry."""
    app.db  # noqa: B018
    emit(
        agent_rows(),
        ("login", "name", "emails", "active", "open_tickets"),
        fmt,
        wide=("emails",),
    )


@agents_cmd.command("deactivate")
@click.argument("login")
@pass_app
def agents_deactivate(app: App, login: str) -> None:
    """Deactivate LOGIN: no new tickets go to them; their mail stays outbound."""
    with app.db.atomic():
        notes = deactivate_agent(login)
    for line in notes:
        click.echo(line, err=True)

"""The 'customers' commands: records that let mail be recognised."""

from __future__ import annotations

import csv
import io
from typing import IO, TYPE_CHECKING

import click

from ticketcli.config import normalize_address, normalize_domain
from ticketcli.context import App, as_option, pass_app
from ticketcli.desk.people import add_customer, edit_customer
from ticketcli.desk.tickets import merge_customer
from ticketcli.errors import UsageError
from ticketcli.render.customer import emit_customer
from ticketcli.render.output import emit, notes, output_options
from ticketcli.rules.customers import CustomerRecord, RowError, read_customer_rows
from ticketcli.store.queries import customer_detail, customer_rows

if TYPE_CHECKING:
    from collections.abc import Callable


@click.group("customers")
def customers_cmd() -> None:
    """Customer records: names, codes, addresses and domains."""


@customers_cmd.command("add")
@click.argument("name")
@click.option("--code", help="A short unique code, e.g. ACME.")
@click.option("--email", "emails", multiple=True, help="An address. Repeatable.")
@click.option(
    "--domain",
    "domains",
    multiple=True,
    help="A domain whose mail belongs to this customer. Repeatable.",
)
@pass_app
def customers_add(
    app: App,
    name: str,
    code: str | None,
    emails: tuple[str, ...],
    domains: tuple[str, ...],
) -> None:
    """Add a customer NAME."""
    [row] = read_customer_rows(
        [
            {
                "name": name,
                "code": code or "",
                "emails": " ".join(emails),
                "domains": " ".join(domains),
            }
        ]
    )
    if isinstance(row, RowError):
        raise UsageError(row.reason)
    with app.store.atomic():
        add_customer(row.name, row.code, row.addresses, row.domains)


@customers_cmd.command("import")
@click.argument("file", type=click.File("rb"), metavar="FILE.csv")
@click.option(
    "--skip-bad", is_flag=True, help="Import the good rows even when some rows are bad."
)
@pass_app
def customers_import(app: App, file: IO[bytes], skip_bad: bool) -> None:
    """Import customers from a CSV with the columns name, code, emails, domains.

    Lists in a cell are separated by spaces, commas or semicolons. Every bad
    row is reported with its line number; nothing is imported unless all rows
    are good or --skip-bad is given.
    """
    try:
        text = file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError("the CSV file is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "name" not in reader.fieldnames:
        raise UsageError("the CSV file needs a header line with at least 'name'")
    rows = read_customer_rows(reader)
    bad = [r for r in rows if isinstance(r, RowError)]
    for row in bad:
        click.echo(f"line {row.line}: {row.reason}", err=True)
    if bad and not skip_bad:
        raise UsageError(f"{len(bad)} bad row(s); nothing imported (see --skip-bad)")
    with app.store.atomic():
        for row in rows:
            if isinstance(row, CustomerRecord):
                add_customer(row.name, row.code, row.addresses, row.domains)


@customers_cmd.command("list")
@output_options
@pass_app
def customers_list(app: App, fmt: str) -> None:
    """List customers with their addresses, domains and open tickets."""
    app.open_store()
    emit(
        customer_rows(),
        ("code", "name", "emails", "domains", "open_tickets"),
        fmt,
        wide=("emails", "domains"),
    )


@customers_cmd.command("show")
@click.argument("customer", metavar="CODE")
@output_options
@pass_app
def customers_show(app: App, customer: str, fmt: str) -> None:
    """Show a customer (by code or name): addresses, learned ones, work time,
    and the customer's tickets, latest first."""
    app.open_store()
    emit_customer(customer_detail(customer), fmt)


def _normalized(
    option: str, values: tuple[str, ...], normalize: Callable[[str], str]
) -> list[str]:
    try:
        return [normalize(v) for v in values]
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


@customers_cmd.command("edit")
@click.argument("customer", metavar="CODE")
@click.option("--name", help="A new name.")
@click.option("--add-address", "add_a", multiple=True, help="Repeatable.")
@click.option("--remove-address", "rm_a", multiple=True, help="Repeatable.")
@click.option("--add-domain", "add_d", multiple=True, help="Repeatable.")
@click.option("--remove-domain", "rm_d", multiple=True, help="Repeatable.")
@pass_app
def customers_edit(
    app: App,
    customer: str,
    name: str | None,
    add_a: tuple[str, ...],
    rm_a: tuple[str, ...],
    add_d: tuple[str, ...],
    rm_d: tuple[str, ...],
) -> None:
    """Change the customer CODE (code or name): its name, addresses, domains.
    Mail already on tickets stays where it is; the next mail is recognised by
    the new record."""
    addresses = {
        "add_addresses": _normalized("--add-address", add_a, normalize_address),
        "remove_addresses": _normalized("--remove-address", rm_a, normalize_address),
        "add_domains": _normalized("--add-domain", add_d, normalize_domain),
        "remove_domains": _normalized("--remove-domain", rm_d, normalize_domain),
    }
    with app.store.atomic():
        said = edit_customer(customer, name=name, **addresses)
    notes(said)


@customers_cmd.command("merge")
@click.argument("source", metavar="CODE")
@click.argument("into", metavar="into")
@click.argument("target", metavar="CODE2")
@as_option
@pass_app
def customers_merge(
    app: App, source: str, into: str, target: str, as_login: str | None
) -> None:
    """Merge customer CODE into CODE2: its addresses, domains and tickets
    become CODE2's (recorded on each ticket), and its record goes."""
    if into.lower() != "into":
        raise UsageError(f"expected 'customers merge {source} into CODE', got {into!r}")
    with app.store.atomic():
        merge_customer(source, target, app.actor(as_login))

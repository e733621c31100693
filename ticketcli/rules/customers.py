"""Who is who: staff or customer, and which customer -- pure rules.

DESIGN.md, "Customer identification": the exact address on a record, then the
address's domain on a record (never a free-mail domain), then the customer of
the most recent ticket from the same address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ticketcli.config import normalize_address, normalize_domain

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ticketcli.config import Config

BY_ADDRESS = "address"
BY_DOMAIN = "domain"
BY_HISTORY = "history"
NO_MATCH = "none"


@dataclass(frozen=True)
class CustomerMatch:
    customer_id: int | None
    rule: str


class CustomerLookup(Protocol):
    def customers_of(
        self, address: str, domain: str | None
    ) -> tuple[int | None, int | None, int | None]:
        """The customer whose record lists ``address``, the one whose record
        lists ``domain`` (None: not asked), and the customer of the latest
        ticket ``address`` opened -- each None if none: one question, which
        the store answers in one query (one round trip, issue 18)."""


@dataclass(frozen=True)
class Staff:
    """The addresses that make mail outbound."""

    support_addresses: frozenset[str]
    staff_addresses: frozenset[str]
    staff_domains: frozenset[str]

    @classmethod
    def from_config(cls, config: Config, agents: Iterable[str] = ()) -> Staff:
        """The config's staff, plus ``agents`` (the store's agent addresses,
        staff whatever the domains say)."""
        return cls(
            support_addresses=config.support_addresses,
            staff_addresses=config.staff_addresses | frozenset(agents),
            staff_domains=config.staff_domains,
        )

    def is_support(self, address: str) -> bool:
        return address in self.support_addresses

    def is_staff(self, address: str) -> bool:
        """Staff, or the support address itself (our own mail is outbound)."""
        if not address:
            return False
        if address in self.staff_addresses or address in self.support_addresses:
            return True
        return domain_of(address) in self.staff_domains


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def identify(
    address: str, lookup: CustomerLookup, free_mail_domains: frozenset[str]
) -> CustomerMatch:
    if not address:
        return CustomerMatch(None, NO_MATCH)
    domain = domain_of(address)
    asked = domain if domain and domain not in free_mail_domains else None
    by_address, by_domain, by_history = lookup.customers_of(address, asked)
    for found, rule in (
        (by_address, BY_ADDRESS),
        (by_domain, BY_DOMAIN),
        (by_history, BY_HISTORY),
    ):
        if found is not None:
            return CustomerMatch(found, rule)
    return CustomerMatch(None, NO_MATCH)


def is_customer_side(address: str, staff: Staff, sender: str | None = None) -> bool:
    """Whether ``address`` is someone on the customer's side: an address,
    neither staff nor a support address, nor ``sender`` (our own From)."""
    return bool(address) and address != sender and not staff.is_staff(address)


def customer_side(sender: str, recipients: Iterable[str], staff: Staff) -> str:
    """The customer's address on a message: the sender, or -- when staff wrote
    to a customer with support in Cc -- the first recipient who is not staff."""
    if not staff.is_staff(sender):
        return sender
    for address in recipients:
        if is_customer_side(address, staff):
            return address
    return ""


@dataclass(frozen=True)
class CustomerRecord:
    name: str
    code: str | None
    addresses: tuple[str, ...]
    domains: tuple[str, ...]


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


def read_customer_rows(
    rows: Iterable[Mapping[str, str | None]], first_line: int = 2
) -> list[CustomerRecord | RowError]:
    """Validate CSV rows (name, code, emails, domains); lists split on space/;/,."""
    out: list[CustomerRecord | RowError] = []
    codes: set[str] = set()
    for line, row in enumerate(rows, start=first_line):
        name = (row.get("name") or "").strip()
        code = (row.get("code") or "").strip() or None
        if not name:
            out.append(RowError(line, "name is empty"))
            continue
        if code is not None and code in codes:
            out.append(RowError(line, f"code {code!r} appears twice"))
            continue
        try:
            addresses = tuple(normalize_address(a) for a in _split(row.get("emails")))
            domains = tuple(normalize_domain(d) for d in _split(row.get("domains")))
        except ValueError as exc:
            out.append(RowError(line, str(exc)))
            continue
        if code is not None:
            codes.add(code)
        out.append(CustomerRecord(name, code, addresses, domains))
    return out


def _split(value: str | None) -> list[str]:
    return [v for v in re.split(r"[\s;,]+", value or "") if v]

"""Customer identification and staff detection, without a database."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ticketcli.config import BUILTIN_FREE_MAIL_DOMAINS
from ticketcli.rules.customers import (
    BY_ADDRESS,
    BY_DOMAIN,
    BY_HISTORY,
    NO_MATCH,
    CustomerRecord,
    RowError,
    Staff,
    customer_side,
    identify,
    is_customer_side,
    read_customer_rows,
)


@dataclass
class FakeCustomers:
    addresses: dict[str, int] = field(default_factory=dict)
    domains: dict[str, int] = field(default_factory=dict)
    history: dict[str, int] = field(default_factory=dict)

    def customers_of(
        self, address: str, domain: str | None
    ) -> tuple[int | None, int | None, int | None]:
        return (
            self.addresses.get(address),
            self.domains.get(domain) if domain is not None else None,
            self.history.get(address),
        )


LOOKUP = FakeCustomers(
    addresses={"boss.acme@gmail.com": 1, "mari@acme.ee": 3},
    domains={"acme.ee": 1, "gmail.com": 2},
    history={"jaan@hot.ee": 4},
)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("mari@acme.ee", (3, BY_ADDRESS)),
        ("peeter@acme.ee", (1, BY_DOMAIN)),
        ("boss.acme@gmail.com", (1, BY_ADDRESS)),
        ("someone@gmail.com", (None, NO_MATCH)),
        ("jaan@hot.ee", (4, BY_HISTORY)),
        ("nobody@unknown.example", (None, NO_MATCH)),
        ("", (None, NO_MATCH)),
    ],
    ids=[
        "address",
        "domain",
        "free-mail-address-on-record",
        "free-mail-domain-never",
        "history",
        "unknown",
        "empty",
    ],
)
def test_identify_order(address: str, expected: tuple[int | None, str]) -> None:
    match = identify(address, LOOKUP, BUILTIN_FREE_MAIL_DOMAINS)
    assert (match.customer_id, match.rule) == expected


STAFF = Staff(
    support_addresses=frozenset({"support@helpdesk.example"}),
    staff_addresses=frozenset({"freelancer@gmail.com"}),
    staff_domains=frozenset({"helpdesk.example"}),
)


@pytest.mark.parametrize(
    ("address", "staff"),
    [
        ("kadri@helpdesk.example", True),
        ("support@helpdesk.example", True),
        ("freelancer@gmail.com", True),
        ("mari@acme.ee", False),
        ("kadri@helpdesk.example.evil.com", False),
        ("", False),
    ],
    ids=["domain", "support", "address", "customer", "lookalike-domain", "empty"],
)
def test_staff_is_staff(address: str, staff: bool) -> None:
    assert STAFF.is_staff(address) is staff


@pytest.mark.parametrize(
    ("sender", "recipients", "side"),
    [
        ("mari@acme.ee", ["support@helpdesk.example"], "mari@acme.ee"),
        (
            "kadri@helpdesk.example",
            ["support@helpdesk.example", "mari@acme.ee"],
            "mari@acme.ee",
        ),
        ("kadri@helpdesk.example", ["support@helpdesk.example"], ""),
    ],
    ids=["customer-writes", "staff-writes-to-customer", "staff-only"],
)
def test_customer_side(sender: str, recipients: list[str], side: str) -> None:
    assert customer_side(sender, recipients, STAFF) == side


def test_read_customer_rows_reports_each_bad_line() -> None:
    rows = read_customer_rows(
        [
            {
                "name": "Acme OÜ",
                "code": "ACME",
                "emails": "Mari@Acme.ee; jaan@acme.ee",
                "domains": "ACME.ee",
            },
            {"name": "", "code": "X", "emails": "", "domains": ""},
            {"name": "Bad", "code": "B", "emails": "not-an-address", "domains": ""},
            {"name": "Dup", "code": "ACME", "emails": "", "domains": ""},
            {"name": "Ääkköset Oy", "code": "", "emails": "", "domains": "ääkköset.fi"},
        ]
    )
    assert rows[0] == CustomerRecord(
        "Acme OÜ", "ACME", ("mari@acme.ee", "jaan@acme.ee"), ("acme.ee",)
    )
    assert [r.line for r in rows if isinstance(r, RowError)] == [3, 4, 5]
    assert rows[4] == CustomerRecord(
        "Ääkköset Oy", None, (), ("ääkköset.fi".encode("idna").decode(),)
    )


@pytest.mark.parametrize(
    ("address", "sender", "side"),
    [
        ("mari@acme.ee", None, True),
        ("kadri@helpdesk.example", None, False),
        ("support@helpdesk.example", None, False),
        ("", None, False),
        ("noreply@acme.ee", "noreply@acme.ee", False),
    ],
    ids=["customer", "staff", "support", "empty", "our-own-sender"],
)
def test_is_customer_side(address: str, sender: str | None, side: bool) -> None:
    assert is_customer_side(address, STAFF, sender) is side

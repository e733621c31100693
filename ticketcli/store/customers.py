"""The customer a person names on the command line.

Apart from store.lookup, whose thread look-ups load the threading rules:
every listing that takes ``--customer`` needs this, and nothing else there.
"""

from __future__ import annotations

from ticketcli.errors import NotFoundError, UsageError
from ticketcli.store.models import Customer


def customer_by_ref(ref: str) -> Customer:
    """The customer a person names: by code, else by name -- exactly, but
    case-insensitively (``str.casefold``, so "ÕUN" finds "Õun"); never a
    pattern, so ``%`` or ``_`` only ever match themselves. One line and exit
    2 when there is none, or when the name fits several customers (the line
    lists them, with the codes to use)."""
    exact = Customer.get_or_none(Customer.code == ref)
    if exact is not None:
        return exact
    wanted = " ".join(ref.split()).casefold()
    if not wanted:
        raise NotFoundError(f"customer {ref!r} does not exist (see `customers list`)")
    rows = list(Customer.select(Customer.id, Customer.code, Customer.name).tuples())
    for column in (1, 2):  # the code, then the name
        found = [
            row
            for row in rows
            if row[column] and " ".join(row[column].split()).casefold() == wanted
        ]
        if len(found) == 1:
            return Customer.get_by_id(found[0][0])
        if found:
            names = ", ".join(
                f"{code or '(no code)'} {name!r}" for _, code, name in found
            )
            raise UsageError(f"customer {ref!r} is ambiguous: {names}; use the code")
    raise NotFoundError(f"customer {ref!r} does not exist (see `customers list`)")

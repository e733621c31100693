"""A ticket's times kept by appending equal the times computed from scratch.

Sync updates a ticket's times from its row alone when the new mail comes
after all the others (``store.writer.APPENDED``), and recomputes them from
every message otherwise. Whatever order the mail arrives in -- late mail,
two at the same minute, staff writing first -- the row must be
``rules.metrics.ticket_times`` of the ticket's messages after every mail.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import add_ticket_mail, open_ticket
from ticketcli.rules.metrics import ticket_times
from ticketcli.store.db import connect
from ticketcli.store.models import Ticket, bind_models
from ticketcli.store.sql import to_datetime
from ticketcli.store.writer import Writer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from peewee import Database

START = datetime(2026, 3, 2, 8, 0)
# (minutes after START, direction, microseconds): few minutes, so ties happen.
ARRIVALS = st.lists(
    st.tuples(
        st.integers(0, 40),
        st.sampled_from(["inbound", "outbound"]),
        st.sampled_from([0, 0, 250_000]),
    ),
    min_size=1,
    max_size=12,
)


def _row(number: int) -> tuple[Any, ...]:
    ticket = Ticket.get_by_id(number)
    return (
        to_datetime(ticket.created_at),
        to_datetime(ticket.last_message_at),
        ticket.last_direction,
        to_datetime(ticket.first_response_at),
        ticket.message_count,
    )


def _arrive(db: Database, arrivals: Sequence[tuple[int, str, int]]) -> int:
    """The mail of ``arrivals`` onto one ticket, in that order, as sync
    stores it (a new ticket at the first one's date); after each, the row
    must be what ticket_times makes of the messages so far."""
    writer = Writer(db)
    dated = [
        (START + timedelta(minutes=m, microseconds=us), d) for m, d, us in arrivals
    ]
    with db.atomic():
        number = open_ticket(writer, dated[0][0])
    for n, (when, direction) in enumerate(dated):
        with db.atomic():
            add_ticket_mail(number, n, when, direction)
            writer.refresh_times(number, added=(when, direction))
        times = ticket_times(dated[: n + 1])
        assert times is not None
        expected = (
            times.created_at,
            times.last_message_at,
            times.last_direction,
            times.first_response_at,
            times.message_count,
        )
        assert _row(number) == expected, (n, dated[: n + 1])
    return number


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(arrivals=ARRIVALS)
def test_appended_times_are_the_times_of_all_the_messages(
    arrivals: list[tuple[int, str, int]],
) -> None:
    db = connect("sqlite:///:memory:")
    try:
        with bind_models(db):
            _arrive(db, arrivals)
    finally:
        db.close()


# Late mail, a tie with the last one in both directions, staff first, a
# response before any customer mail, microseconds against whole seconds.
TRICKY = [
    (10, "outbound", 0),
    (5, "outbound", 0),
    (20, "inbound", 0),
    (20, "outbound", 0),
    (20, "inbound", 0),
    (30, "inbound", 250_000),
    (30, "inbound", 0),
    (31, "outbound", 0),
    (15, "outbound", 0),
    (40, "inbound", 0),
]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_same_on_both_backends(
    backend: str, tmp_path: Any, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'store.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_db"))
    )
    db = connect(url)
    try:
        with bind_models(db):
            number = _arrive(db, TRICKY)
            # And the appending path was the one taken for most of them:
            # recomputing now changes nothing.
            before = _row(number)
            with db.atomic():
                Writer(db).refresh_times(number)
            assert _row(number) == before
    finally:
        db.close()

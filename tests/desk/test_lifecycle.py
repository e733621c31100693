"""The ticket operations of ``desk/tickets.py`` on a store: one rule each,
the same whether sync hands in a ``TicketState`` or a command a model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.helpers import open_ticket
from ticketcli.desk import tickets
from ticketcli.store.models import Agent, Event, Ticket
from ticketcli.store.writer import AgentRow, Writer

AT = datetime(2026, 3, 2, 10, 0)


@pytest.fixture
def writer(db: Any) -> Writer:
    return Writer(db)


def _ticket(writer: Writer, *, status: str = "new", **values: Any) -> int:
    number = open_ticket(writer, AT)
    writer.update_ticket(number, status=status, **values)
    return number


def _agent(login: str = "kadri") -> Agent:
    return Agent.create(login=login, name=login.title(), created_at=AT)


def _row(number: int) -> tuple[str, int | None, bool]:
    t = Ticket.get_by_id(number)
    return t.status, t.assignee_id, bool(t.reopened)


def _events(number: int) -> list[tuple[str, str, str]]:
    return [
        (e.kind, e.actor, e.detail)
        for e in Event.select().where(Event.ticket == number).order_by(Event.id)
        if e.kind != "created"
    ]


def _as_sync(writer: Writer, number: int) -> Any:
    return writer.ticket_state(number)


def _as_command(writer: Writer, number: int) -> Any:
    return Ticket.get_by_id(number)


# Sync's view of a ticket, and a command's: the rules see no difference.
VIEWS = pytest.mark.parametrize(
    "view", [_as_sync, _as_command], ids=["sync", "command"]
)


@VIEWS
@pytest.mark.parametrize(
    ("status", "after"),
    [("new", "open"), ("open", "open"), ("pending", "pending"), ("closed", "closed")],
)
def test_assign_moves_new_and_open_with_the_owner_and_clears_the_mark(
    writer: Writer, view: Any, status: str, after: str
) -> None:
    number = _ticket(writer, status=status, reopened=True)
    agent = _agent()
    state = tickets.assign(view(writer, number), agent, AT, "lead", writer=writer)
    assert _row(number) == (after, agent.id, False)
    assert (state.status, state.assignee_id, state.reopened) == _row(number)
    assert _events(number) == [("assigned", "lead", "kadri")]


@VIEWS
def test_unassign_puts_an_open_ticket_back_in_the_pool(
    writer: Writer, view: Any
) -> None:
    agent = _agent()
    number = _ticket(writer, status="open", assignee_id=agent.id)
    tickets.assign(view(writer, number), None, AT, "lead", writer=writer)
    assert _row(number) == ("new", None, False)
    assert _events(number) == [("unassigned", "lead", "kadri")]


@VIEWS
def test_what_nobody_did_keeps_the_mark(writer: Writer, view: Any) -> None:
    number = _ticket(writer, reopened=True)
    agent = _agent()
    tickets.assign(
        view(writer, number), agent.id, AT, "ticketcli", "kadri (x)", acted=False
    )
    assert _row(number) == ("open", agent.id, True)


@VIEWS
def test_an_answer_takes_an_unowned_ticket_and_clears_the_mark(
    writer: Writer, view: Any
) -> None:
    number = _ticket(writer, reopened=True)
    taker = AgentRow(_agent().id, "kadri", True)
    tickets.answered(
        view(writer, number), AT, "kadri", taker=taker, detail="kadri (first reply)"
    )
    assert _row(number) == ("open", taker.id, False)
    assert _events(number) == [("assigned", "kadri", "kadri (first reply)")]


@VIEWS
def test_an_answer_on_an_owned_ticket_only_clears_the_mark(
    writer: Writer, view: Any
) -> None:
    owner, other = _agent("jaan"), _agent()
    number = _ticket(writer, status="open", assignee_id=owner.id, reopened=True)
    tickets.answered(view(writer, number), AT, "kadri", taker=other, writer=writer)
    assert _row(number) == ("open", owner.id, False)
    assert _events(number) == []


@VIEWS
@pytest.mark.parametrize(
    ("body", "status", "marked", "events"),
    [
        ("Printer is broken again.", "new", True, ["reopened"]),
        ("Thank you!", "closed", False, ["thanks"]),
    ],
    ids=["reopens", "thanks"],
)
def test_a_customer_mail_to_a_closed_ticket(
    writer: Writer,
    view: Any,
    body: str,
    status: str,
    marked: bool,
    events: list[str],
) -> None:
    number = _ticket(writer, status="closed", closed_at=AT)
    reopened = tickets.customer_wrote(
        view(writer, number),
        AT,
        "mari@kund.ee",
        None,
        body=body,
        ignore_thanks=True,
        detail="customer wrote (<b@kund.ee>)",
        writer=writer,
    )
    assert reopened is marked
    assert _row(number) == (status, None, marked)
    assert [kind for kind, _, _ in _events(number)] == events


@VIEWS
def test_a_customer_mail_to_a_pending_ticket_makes_it_active(
    writer: Writer, view: Any
) -> None:
    agent = _agent()
    number = _ticket(writer, status="pending", assignee_id=agent.id)
    ticket = view(writer, number)
    assert not tickets.customer_wrote(
        ticket, AT, "mari@kund.ee", None, body="x", ignore_thanks=True, detail=""
    )
    assert _row(number) == ("open", agent.id, False)
    assert _events(number) == [("status", "mari@kund.ee", "open")]


@VIEWS
def test_reopened_by_a_person_is_not_marked(writer: Writer, view: Any) -> None:
    number = _ticket(writer, status="closed", closed_at=AT)
    tickets.reopen(view(writer, number), AT, "lead", "by hand", marked=False)
    assert _row(number) == ("new", None, False)
    assert Ticket.get_by_id(number).closed_at is None


def test_a_model_handed_in_keeps_step_with_what_was_written(writer: Writer) -> None:
    """A command goes on with the model it holds: it must not be stale."""
    number = _ticket(writer, reopened=True)
    ticket = Ticket.get_by_id(number)
    agent = _agent()
    tickets.assign(ticket, agent, AT, "lead")
    assert (ticket.status, ticket.assignee_id, ticket.reopened) == _row(number)
    tickets.close(ticket, AT, "lead")
    assert (ticket.status, ticket.closed_at) == ("closed", AT)
    ticket.save()  # as a command might: nothing written is undone
    assert _row(number) == ("closed", agent.id, False)

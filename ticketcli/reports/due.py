"""Tickets due within the hour: goals about to be missed, for the report.

The deadlines are [escalation]'s (``desk.escalations.due_tickets``: the
first-response and resolution goals in business time), whether or not
escalation mails anyone: the report lists what falls due within the next
hour of *business* time, so the morning report, made before opening,
shows what is due in the first hour of the day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketcli.clock import utc_naive
from ticketcli.desk.escalations import due_tickets
from ticketcli.rules.metrics import business_seconds
from ticketcli.store.escalations import ticket_labels

if TYPE_CHECKING:
    from datetime import datetime

    from ticketcli.config import Config

DUE_WITHIN = 3600  # seconds of business time


def due_within(
    config: Config, now: datetime, seconds: int = DUE_WITHIN
) -> list[dict[str, Any]]:
    """The goals of active tickets that fall due within ``seconds`` of
    business time and are not missed yet, soonest first: number, subject,
    customer (its code, else its name, as every list), assignee (login),
    status, waiting, goal, due_at (naive UTC), left (business seconds) and
    age (seconds since the ticket's first mail)."""
    hours = config.hours
    due = [
        d
        for d in due_tickets(config, now)
        if business_seconds(d.deadline, now, hours) == 0
        and business_seconds(now, d.deadline, hours) <= seconds
    ]
    labels = ticket_labels({d.number for d in due})
    rows = []
    for d in due:
        subject, customer = labels.get(d.number, ("", None))
        rows.append(
            {
                "number": d.number,
                "subject": subject,
                "customer": customer,
                "assignee": d.assignee,
                "status": d.status,
                "waiting": d.waiting,
                "goal": d.goal,
                "due_at": utc_naive(d.deadline),
                "left": business_seconds(now, d.deadline, hours),
                "age": int((now - d.created_at).total_seconds()),
            }
        )
    return rows

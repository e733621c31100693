"""Times derived from a ticket's messages and events: pure functions.

A ticket's times come from its messages' dates, never from when they were
read, so that reading mail in another order gives the same ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime


@dataclass(frozen=True)
class TicketTimes:
    created_at: datetime
    last_message_at: datetime
    last_direction: str
    first_response_at: datetime | None
    message_count: int


def ticket_times(messages: Iterable[tuple[datetime, str]]) -> TicketTimes | None:
    """From (date, direction) of a ticket's ticket-kind messages (noise excluded).

    First response: the first outbound message at or after the first inbound
    one -- a ticket staff opened is answered by staff only after the customer
    has written.
    """
    ordered = sorted(messages)
    if not ordered:
        return None
    first_inbound = next(
        (d for d, direction in ordered if direction == "inbound"), None
    )
    first_response = None
    if first_inbound is not None:
        first_response = next(
            (
                d
                for d, direction in ordered
                if direction == "outbound" and d >= first_inbound
            ),
            None,
        )
    return TicketTimes(
        created_at=ordered[0][0],
        last_message_at=ordered[-1][0],
        last_direction=ordered[-1][1],
        first_response_at=first_response,
        message_count=len(ordered),
    )

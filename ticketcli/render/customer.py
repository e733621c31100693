"""One customer as text for people (`customers show`): the card above the
table of their tickets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketcli.render.formats import hours_minutes
from ticketcli.render.output import echo_text, emit

if TYPE_CHECKING:
    from collections.abc import Mapping

TICKET_COLUMNS = ("number", "subject", "status", "assignee", "vs", "last_message_at")


def emit_customer(detail: Mapping[str, Any], fmt: str) -> None:
    """``store.queries.customer_detail``: json as one object; csv the
    tickets; a table with the customer's card above them."""
    if fmt in ("json", "jsonl"):
        emit([detail], tuple(detail), fmt)
        return
    if fmt == "table":
        for label, value in (
            ("customer", f"{detail['name']} ({detail['code'] or '-'})"),
            ("emails", ", ".join(detail["emails"])),
            ("learned", ", ".join(detail["learned"])),
            ("domains", ", ".join(detail["domains"])),
            ("work time", hours_minutes(detail["work_minutes"])),
        ):
            if value:
                echo_text(f"{label + ':':11}{value}")
        echo_text("")
    emit(detail["tickets"], TICKET_COLUMNS, fmt, wide=("subject",))

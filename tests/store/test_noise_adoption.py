"""Noise read before the mail it answers joins that mail's ticket (issue 18).

``Writer.adopt_noise`` became two statements that read nothing back (so
PostgreSQL sends them with the next one); what it writes must stay what
the row-by-row version wrote: the noise on the ticket, ``referenced-by``
the mail's id, and a "message" event at the noise's own time, by its
sender, saying its kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.helpers import Desk, eml
from ticketcli.store.db import connect

if TYPE_CHECKING:
    from pathlib import Path

AUTO = "Auto-Submitted: auto-replied\r\nIn-Reply-To: <a@kund.ee>\r\n"


def test_an_early_autoreply_joins_the_ticket_of_the_mail_it_answers(
    tmp_path: Path, store_url: str
) -> None:
    desk = Desk(tmp_path)
    desk.db = store_url  # SQLite, then PostgreSQL (where the writes wait)
    desk.deliver(
        eml(
            "<ooo@kund.ee>",
            sender="juku@kund.ee",
            subject="Automatic reply: Printer on katki",
            body="I am out of the office until Monday.",
            date="Mon, 02 Mar 2026 10:05:00 +0200",
            extra=AUTO,
        ),
        eml(
            "<other@kund.ee>",
            sender="mai@kund.ee",
            subject="Automatic reply: something else",
            body="Out of office.",
            extra="Auto-Submitted: auto-replied\r\nIn-Reply-To: <zzz@kund.ee>\r\n",
        ),
    )
    desk.deliver(eml("<a@kund.ee>", date="Mon, 02 Mar 2026 10:00:00 +0200"))

    db = connect(store_url, upgrade=False)
    try:
        rows = db.execute_sql(
            "SELECT message_id, ticket_id, rule, rule_detail FROM message ORDER BY id"
        ).fetchall()
        events = db.execute_sql(
            "SELECT e.ticket_id, e.kind, e.actor, e.detail, m.message_id, e.at, m.date"
            " FROM event e JOIN message m ON m.id = e.message_id"
            " WHERE m.kind = 'autoreply' ORDER BY e.id"
        ).fetchall()
    finally:
        db.close()
    by_id = {mid: (ticket, rule, detail) for mid, ticket, rule, detail in rows}
    ticket = by_id["<a@kund.ee>"][0]
    assert ticket is not None
    assert by_id["<ooo@kund.ee>"] == (ticket, "referenced-by", "<a@kund.ee>")
    # The autoreply to a mail the store has not seen stays unthreaded.
    assert by_id["<other@kund.ee>"][0] is None
    assert len(events) == 1
    [(on, kind, actor, detail, mid, at, date)] = events
    assert (on, kind, actor, detail, mid) == (
        ticket,
        "message",
        "juku@kund.ee",
        "autoreply",
        "<ooo@kund.ee>",
    )
    assert at == date  # the noise's own time, not the time it was adopted

"""Table headings for people, in the reader's language.

The English headings are the row keys themselves -- the names json and csv
use -- so someone who reads a table and then scripts against --format json
meets one vocabulary. Other languages translate those keys through the same
gettext catalogues as the morning report (``ticketcli/locale``); json and
csv never change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ticketcli.i18n import N_, translations

if TYPE_CHECKING:
    from collections.abc import Sequence

# Every key a `stats` table can show, marked for the catalogues.
HEADINGS = (
    N_("group"), N_("created"), N_("closed"), N_("reopened"), N_("backlog"),
    N_("frt_avg"), N_("frt_median"), N_("frt_p90"), N_("frt_within_goal"),
    N_("frt_breaches"), N_("resolution_median"), N_("resolution_p90"),
    N_("resolution_breaches"), N_("replies_per_ticket"), N_("at_risk"),
    N_("assignee"), N_("open"), N_("waiting"), N_("oldest_waiting_at"),
    N_("oldest_waiting_number"), N_("overdue"), N_("work_minutes"),
    N_("minutes"), N_("tickets"), N_("weekday"), N_("total"),
    N_("week_start"), N_("figure"), N_("value"),
)  # fmt: skip


def translate(keys: Sequence[str], lang: str) -> list[str]:
    """Each key as a heading in ``lang``; a key nobody marked stays as it is
    (hour columns "00".."23" need no words)."""
    catalogue = translations(lang)
    return [catalogue.gettext(key) if key in HEADINGS else key for key in keys]

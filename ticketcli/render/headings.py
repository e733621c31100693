"""Table headings and the words in `stats` cells, in the reader's language.

Tables speak to people and json/csv to scripts, and the two vocabularies
differ only where a key carries its unit: ``work_seconds`` is headed
"work time" (its cells say "129 h 45 min"), ``frt_median_business_seconds``
is headed ``frt_median`` (its cells say "business time"). Every other
heading is the key itself, in English, so someone who reads a table and
then scripts against --format json meets one vocabulary. Other languages
translate through the same gettext catalogues as the morning report
(``ticketcli/locale``); json and csv never change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ticketcli.i18n import N_, translations

if TYPE_CHECKING:
    from collections.abc import Sequence

# Every key a `stats` table can show, marked for the catalogues, with the
# heading it gets when that is not the key.
HEADINGS = {
    key: key
    for key in (
        N_("group"), N_("created"), N_("closed"), N_("reopened"), N_("backlog"),
        N_("frt_avg"), N_("frt_median"), N_("frt_p90"), N_("frt_within_goal"),
        N_("frt_breaches"), N_("resolution_median"), N_("resolution_p90"),
        N_("resolution_breaches"), N_("replies_per_ticket"), N_("at_risk"),
        N_("assignee"), N_("open"), N_("waiting"), N_("oldest_waiting_at"),
        N_("oldest_waiting_number"), N_("overdue"), N_("tickets"),
        N_("weekday"), N_("total"), N_("week_start"), N_("figure"),
        N_("value"), N_("customer"),
    )
} | {"work_minutes": N_("work time"), "minutes": N_("work time")}  # fmt: skip


def translate(keys: Sequence[str], lang: str) -> list[str]:
    """Each key as a heading in ``lang``; a key nobody marked stays as it is
    (hour columns "00".."23" need no words)."""
    catalogue = translations(lang)
    return [
        catalogue.gettext(HEADINGS[key]) if key in HEADINGS else key for key in keys
    ]

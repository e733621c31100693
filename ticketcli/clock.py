"""The one clock, the store's one form of a time, and the times people type.

Every time in the store is naive UTC to the second: SQLite has no time
zones and PostgreSQL's ``timestamp`` would otherwise convert on the way
in. ``now`` is what every command and the pipeline read, so a test -- or a
lead replaying yesterday's report -- pins "now" with ``TICKETCLI_NOW``.

``parse_day``, ``parse_moment`` and ``parse_due`` read the dates typed on
the command line (``commands/params.py`` makes click types of them); a
text that is none is one ``UsageError`` naming the option.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta

from ticketcli.errors import UsageError


def utc_naive(moment: datetime) -> datetime:
    """``moment`` as the store keeps it: UTC, no tzinfo, whole seconds."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def now() -> datetime:
    """The current time, or ``TICKETCLI_NOW`` (ISO 8601) when it is set."""
    return pinned() or utc_naive(datetime.now(UTC))


def pinned() -> datetime | None:
    """``TICKETCLI_NOW`` as the store's form of a time, or None when the
    clock runs free. The file sources read it too: a file's modification
    time is the clock at delivery, so with the clock pinned it is the
    pinned time (IMAP's INTERNALDATE and an mbox From line are the
    server's record and stay as they are)."""
    pinned = os.environ.get("TICKETCLI_NOW", "").strip()
    if pinned:
        try:
            moment = datetime.fromisoformat(pinned.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"TICKETCLI_NOW: {pinned!r} is not an ISO 8601 time"
            ) from None
        return utc_naive(moment)
    return None


# A msgid, marked for the catalogues in commands.params (this layer is below
# ticketcli.i18n).
NOT_A_DATE = "%(option)s: %(value)s is not a date like 2026-03-31 or 2026-03-31T14:00"


def not_a_date(text: str, option: str) -> UsageError:
    """The one refusal of a text that is no date, naming the option."""
    return UsageError(NOT_A_DATE, option=option, value=repr(text))


def parse_day(text: str, option: str, *, inclusive: bool = False) -> datetime:
    """A day or a time typed on the command line: ``YYYY-MM-DD`` is its
    midnight (with ``inclusive``, the midnight after it, so ``--until`` names
    the last day counted), else an ISO 8601 time. Naive unless the text has
    an offset: `stats` reads it in the [hours] time zone, the rest as UTC
    (``parse_moment``)."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = datetime.combine(date.fromisoformat(value), time())
            return day + timedelta(days=1) if inclusive else day
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise not_a_date(text, option) from None


def parse_moment(text: str, option: str, *, end: bool = False) -> datetime:
    """A day or a time as UTC (``utc_naive``); a day as an ``end`` means
    through that day (`--until 2026-03-10` is the 11th at 00:00 UTC)."""
    return utc_naive(parse_day(text, option, inclusive=end))


NO_DATE = ("none", "-", "")


def parse_due(text: str, option: str = "--due") -> datetime | None:
    """A due date: YYYY-MM-DD is due by the end of that day (23:59:59 UTC),
    YYYY-MM-DDTHH:MM at that time (UTC unless it has an offset); "none"
    (or "-") is no due date: None."""
    value = text.strip()
    if value.lower() in NO_DATE:
        return None
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d")
            return day.replace(hour=23, minute=59, second=59)
        return utc_naive(datetime.fromisoformat(value))
    except ValueError:
        raise not_a_date(text, option) from None

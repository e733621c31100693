"""The one clock and the store's one form of a time.

Every time in the store is naive UTC to the second: SQLite has no time
zones and PostgreSQL's ``timestamp`` would otherwise convert on the way
in. ``now`` is what every command and the pipeline read, so a test -- or a
lead replaying yesterday's report -- pins "now" with ``TICKETCLI_NOW``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from ticketcli.errors import UsageError


def utc_naive(moment: datetime) -> datetime:
    """``moment`` as the store keeps it: UTC, no tzinfo, whole seconds."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def now() -> datetime:
    """The current time, or ``TICKETCLI_NOW`` (ISO 8601) when it is set."""
    pinned = os.environ.get("TICKETCLI_NOW", "").strip()
    if pinned:
        try:
            moment = datetime.fromisoformat(pinned.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"TICKETCLI_NOW: {pinned!r} is not an ISO 8601 time"
            ) from None
        return utc_naive(moment)
    return utc_naive(datetime.now(UTC))

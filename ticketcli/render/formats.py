"""How a value reads in a terminal: ages, arrows, marks, durations, shares.

One formatter each, here and nowhere else: the store and the reports hand
over raw values (datetimes, seconds, booleans, logins), and every table,
listing and ticket view words them with these. (The morning report, which
speaks the reader's language, has its own filters in ``render.html``.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

OUTBOUND, INBOUND = "→", "←"


def age(created_at: datetime, now: datetime) -> str:
    """How old a ticket is, in its largest sensible unit: "45m", "5h", "3d"
    (days from two days on)."""
    minutes = max(int((now - created_at).total_seconds() // 60), 0)
    if minutes >= 2 * 24 * 60:
        return f"{minutes // (24 * 60)}d"
    if minutes >= 60:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def arrow(direction: str) -> str:
    """Who wrote last: → we did (outbound), ← the customer (and waits)."""
    return OUTBOUND if direction == "outbound" else INBOUND


def marks(*, reopened: bool, overdue: bool, away_owner: str | None) -> str:
    """The marks that need eyes, in one column: "REOPENED OVERDUE AWAY:login"."""
    return " ".join(
        mark
        for mark, on in (
            ("REOPENED", reopened),
            ("OVERDUE", overdue),
            (f"AWAY:{away_owner}", away_owner),
        )
        if on
    )


def duration(seconds: float | None) -> str:
    """Seconds as people read a duration, to the minute: "45s", "12m",
    "1h 05m", "2d 03h"; "" for None."""
    if seconds is None:
        return ""
    total = int(seconds)
    if total < 60:
        return f"{total}s"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def share(value: float | None) -> str | None:
    """A fraction 0..1 as a percentage to one place: "87.5%"."""
    return None if value is None else f"{value * 100:.1f}%"


def hours_minutes(minutes: int) -> str:
    """Logged work time in hours and minutes: "1h05m"; "" for none."""
    if not minutes:
        return ""
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}m"

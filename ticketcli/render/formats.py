"""How a value reads for people: ages, arrows, marks, durations, shares.

One formatter each, here and nowhere else: the store and the reports hand
over raw values (datetimes, seconds, booleans, logins), and every table,
listing and ticket view words them with these -- and so does the morning
report, whose filters (``render.html.Formats``) call the same functions
with its language's ``gettext``.

Two kinds of time are shown, and never in the same words: a *duration*
(first response, resolution, logged work) is hours and minutes, however
many hours -- a business day is not 24 hours, so a bare "d" would mislead;
an *age* is calendar time since a ticket was opened, and only it is written
in days.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ticketcli.i18n import N_

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

OUTBOUND, INBOUND = "→", "←"

# The units, marked for the catalogues (the English text is the msgid).
SECONDS = N_("%(s)d s")
MINUTES = N_("%(m)d min")
HOURS_MINUTES = N_("%(h)d h %(m)02d min")
HOURS = N_("%(h)d h")
DAYS = N_("%(d)d d")
BUSINESS = N_("%(duration)s business time")


def _english(message: str) -> str:
    return message


def duration(
    seconds: float | None,
    gettext: Callable[[str], str] = _english,
    none: str = "",
) -> str:
    """Seconds as hours and minutes, to the minute: "45 s", "12 min",
    "1 h 05 min", "129 h 45 min" (never days: see the module's docstring);
    ``none`` for None. Exact for logged work, whose minutes are whole."""
    if seconds is None:
        return none
    total = max(int(seconds), 0)
    if total < 60:
        return gettext(SECONDS) % {"s": total}
    hours, minutes = divmod(total // 60, 60)
    if not hours:
        return gettext(MINUTES) % {"m": minutes}
    return gettext(HOURS_MINUTES) % {"h": hours, "m": minutes}


def business(
    seconds: float | None,
    gettext: Callable[[str], str] = _english,
    none: str = "",
) -> str:
    """A duration in business time, said so: "4 h 10 min business time"."""
    if seconds is None:
        return none
    return gettext(BUSINESS) % {"duration": duration(seconds, gettext)}


def calendar_age(seconds: float, gettext: Callable[[str], str] = _english) -> str:
    """Calendar time in its largest sensible unit: "45 min", "5 h", "3 d"
    (days from two days on, each of 24 hours)."""
    minutes = max(int(seconds // 60), 0)
    if minutes >= 2 * 24 * 60:
        return gettext(DAYS) % {"d": minutes // (24 * 60)}
    if minutes >= 60:
        return gettext(HOURS) % {"h": minutes // 60}
    return gettext(MINUTES) % {"m": minutes}


def age(created_at: datetime, now: datetime) -> str:
    """How old a ticket is, in calendar time: "45 min", "5 h", "3 d"."""
    return calendar_age((now - created_at).total_seconds())


def age_seconds(created_at: datetime, now: datetime) -> int:
    """A ticket's age in whole seconds, for scripts (0 for a future date)."""
    return max(int((now - created_at).total_seconds()), 0)


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


# The decimal separator and how a percentage is written, per language.
NUMBER_STYLE = {"en": (".", "{}%"), "et": (",", "{} %")}


def decimal(value: float, lang: str = "en") -> str:
    """A fraction as the language writes it: "1.5", "1,5"."""
    return str(value).replace(".", NUMBER_STYLE.get(lang, NUMBER_STYLE["en"])[0])


def share(value: float | None, lang: str = "en") -> str | None:
    """A fraction 0..1 as a percentage to one place: "87.5%", "87,5 %"."""
    if value is None:
        return None
    separator, style = NUMBER_STYLE.get(lang, NUMBER_STYLE["en"])
    return style.format(f"{value * 100:.1f}".replace(".", separator))


def hours_minutes(minutes: int) -> str:
    """Logged work time, exact: "2 h 05 min", "129 h 45 min"; "" for none."""
    return duration(minutes * 60) if minutes else ""


def person(login: str | None, name: str | None) -> str:
    """A person (or customer) as people know them, with the login (or code)
    beside the name: "Anna Tamm (anna)"; the login alone when no name is
    known (a blank name is none), the name alone when it is the login."""
    if name is not None and not name.strip():
        name = None
    if not login:
        return name or ""
    if not name or name == login:
        return login
    return f"{name} ({login})"

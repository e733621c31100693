"""Click types for what people type as dates, durations and numbers.

Each reads its text in one place (the pure parsing is in ``clock`` and
``config``), so a command gets a datetime, a timedelta or an int and the
layers below never parse. A bad value is one ``UsageError`` naming the
option or argument: one line and exit 2, like every other refusal, instead
of click's usage block.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final, Literal

import click

from ticketcli.clock import parse_day, parse_due, parse_moment
from ticketcli.config import parse_duration
from ticketcli.errors import UsageError
from ticketcli.i18n import N_

# What `set --due none` gives: clear the due date (not given at all is None).
NO_DUE: Final = "none"

# The largest number a store can hold: SQLite's INTEGER and PostgreSQL's
# BIGINT are both 64-bit signed. Past it, no ticket can have that number.
LARGEST_NUMBER: Final = 2**63 - 1

# Refusals as msgids with their values (``UsageError(msgid, **values)``),
# which `stats` and `report` say in the reader's language (render.language).
NOT_ONE_OF = N_("%(option)s: %(value)s is not one of %(choices)s")
# ticketcli.clock's, marked here: the clock is below the catalogues.
MARKED_BELOW = (
    N_("%(option)s: %(value)s is not a date like 2026-03-31 or 2026-03-31T14:00"),
)


def label(param: click.Parameter | None) -> str:
    """How a refusal names the parameter: ``--since``, or ``DURATION``."""
    if param is None:
        return "value"
    if isinstance(param, click.Option):
        return next((o for o in param.opts if o.startswith("--")), param.opts[0])
    return (param.metavar or (param.name or "value").upper()).removesuffix("...")


class Moment(click.ParamType):
    """A day (YYYY-MM-DD) or an ISO 8601 time.

    ``end``: a day means through that day (its next midnight), as --until
    does. As UTC, unless ``local``: then naive as typed (or with the offset
    typed), for the command to read in its zone (`stats`: [hours] timezone;
    `agents away`: the zone its reply shows).
    """

    name = "date"

    def __init__(self, *, end: bool = False, local: bool = False) -> None:
        self.end = end
        self.local = local

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        if self.local:
            return parse_day(str(value), label(param), inclusive=self.end)
        return parse_moment(str(value), label(param), end=self.end)


class Choice(click.Choice):
    """click's Choice (its help and completion), refusing a value with
    ``NOT_ONE_OF``: one line, in the reader's language."""

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            raise UsageError(
                NOT_ONE_OF,
                option=label(param),
                value=repr(value),
                choices=", ".join(map(str, self.choices)),
            ) from None


class DueDate(click.ParamType):
    """A due date: YYYY-MM-DD (the end of that day, UTC), a time, or "none"
    (``NO_DUE``: no due date any more)."""

    name = "date"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime | Literal["none"]:
        if isinstance(value, datetime) or value == NO_DUE:
            return value
        due = parse_due(str(value), label(param))
        return NO_DUE if due is None else due


class Duration(click.ParamType):
    """A length of time like 45m, 1h30m or 2d; never nothing at all."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            duration = parse_duration(str(value))
        except ValueError as exc:
            raise UsageError(f"{label(param)}: {exc}") from None
        if duration <= timedelta(0):
            raise UsageError(f"{label(param)}: {value!r} is no time at all")
        return duration


class Number(click.ParamType):
    """A number that names something: a ticket, as `report` and `show` print
    it, or an entry of the quarantine or the outbox."""

    name = "number"

    def __init__(self, what: str) -> None:
        self.what = what

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        try:
            number = int(str(value).strip())
        except ValueError:
            raise UsageError(
                f"{label(param)}: {value!r} is not a valid integer ({self.what})"
            ) from None
        if abs(number) > LARGEST_NUMBER:
            raise UsageError(f"{label(param)}: {value!r} is too large for {self.what}")
        return number


DAY = Moment()  # from (the midnight starting) a day, UTC
DAY_END = Moment(end=True)  # through a day, UTC
LOCAL_DAY = Moment(local=True)  # the same, naive: local time
LOCAL_DAY_END = Moment(end=True, local=True)
DUE = DueDate()
DURATION = Duration()
TICKET = Number("a ticket number")
ENTRY = Number("an entry's number")

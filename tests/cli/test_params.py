"""The click types of ``commands/params.py``: what a typed date, duration or
ticket number becomes, and a bad one refused in one line with exit 2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click
import pytest

from tests.helpers import Desk, eml
from ticketcli.commands.params import (
    DAY,
    DAY_END,
    DUE,
    DURATION,
    LOCAL_DAY,
    LOCAL_DAY_END,
    NO_DUE,
    TICKET,
)
from ticketcli.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

SINCE = click.Option(["--since"])
DUE_OPTION = click.Option(["--due"])
NUMBER = click.Argument(["number"])
SPAN = click.Argument(["duration"])


def test_a_day_is_its_midnight_and_an_end_day_is_included() -> None:
    assert DAY.convert("2026-03-10", SINCE, None) == datetime(2026, 3, 10)
    assert DAY_END.convert("2026-03-10", SINCE, None) == datetime(2026, 3, 11)
    assert DAY.convert("2026-03-10T14:30+02:00", SINCE, None) == datetime(
        2026, 3, 10, 12, 30
    )


def test_a_local_day_keeps_what_was_typed_for_the_hours_time_zone() -> None:
    assert LOCAL_DAY.convert("2026-03-10", SINCE, None) == datetime(2026, 3, 10)
    assert LOCAL_DAY_END.convert("2026-03-10", SINCE, None) == datetime(2026, 3, 11)
    assert LOCAL_DAY.convert("2026-03-10T10:00Z", SINCE, None) == datetime(
        2026, 3, 10, 10, tzinfo=UTC
    )


def test_a_due_date_is_the_end_of_its_day_or_none() -> None:
    end_of_day = datetime(2026, 3, 31, 23, 59, 59)
    assert DUE.convert("2026-03-31", DUE_OPTION, None) == end_of_day
    at_two = datetime(2026, 3, 31, 14)
    assert DUE.convert("2026-03-31T14:00", DUE_OPTION, None) == at_two
    assert DUE.convert("none", DUE_OPTION, None) == NO_DUE
    assert DUE.convert("-", DUE_OPTION, None) == NO_DUE


def test_durations_and_ticket_numbers() -> None:
    assert DURATION.convert("1h30m", SPAN, None) == timedelta(hours=1, minutes=30)
    assert TICKET.convert("12", NUMBER, None) == 12


@pytest.mark.parametrize(
    ("kind", "param", "text", "says"),
    [
        (DAY, SINCE, "last week", "--since: 'last week' is not a date like 2026-03-31"),
        (LOCAL_DAY_END, SINCE, "2026-13-01", "--since: '2026-13-01' is not a date"),
        (DUE, DUE_OPTION, "31.03.2026", "--due: '31.03.2026' is not a date"),
        (DURATION, SPAN, "soon", "DURATION: 'soon' is not a duration"),
        (DURATION, SPAN, "0m", "DURATION: '0m' is no time at all"),
        (TICKET, NUMBER, "x", "NUMBER: 'x' is not a valid integer"),
        (TICKET, click.Argument(["numbers"], nargs=-1, metavar="N..."), "#", "N: '#'"),
    ],
    ids=["date", "local-date", "due", "duration", "no-time", "number", "metavar"],
)  # fmt: skip
def test_a_bad_value_is_a_usage_error_naming_the_parameter(
    kind: click.ParamType, param: click.Parameter, text: str, says: str
) -> None:
    with pytest.raises(UsageError) as refused:
        kind.convert(text, param, None)
    assert refused.value.message.startswith(says)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("show", "x"), "Error: NUMBER: 'x' is not a valid integer (a ticket number)"),
        (("close", "1", "x"), "Error: NUMBERS: 'x' is not a valid integer"),
        (("set", "1", "--due", "soon"), "Error: --due: 'soon' is not a date like"),
        (("time", "1", "soon"), "Error: DURATION: 'soon' is not a duration like"),
        (("report", "--since", "x"), "Error: --since: 'x' is not a date like"),
        (("stats", "--until", "x"), "Error: --until: 'x' is not a date like"),
        (("agents", "away", "kadri", "--from", "x"), "Error: --from: 'x' is not a"),
    ],
    ids=["show", "close", "due", "time", "report", "stats", "agents-away"],
)  # fmt: skip
def test_a_bad_value_on_the_command_line_is_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    desk = Desk(tmp_path)
    desk.deliver(eml("<a@kund.ee>"))
    result = desk.run(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith(says)
    assert result.stderr.count("\n") == 1
    assert desk.export()[0]["status"] == "new"

"""reports.groups: raw groups from the store as `stats --by` labels."""

from __future__ import annotations

from datetime import datetime

import pytest

from ticketcli.errors import UsageError
from ticketcli.reports.groups import ALL, NO_VALUE, grouping, name, name_order


def test_names_and_their_order() -> None:
    assert (name("kadri"), name(None), name("")) == ("kadri", NO_VALUE, NO_VALUE)
    labels = ["lead", NO_VALUE, "Anna", "kadri"]
    assert sorted(labels, key=name_order) == ["Anna", "kadri", "lead", NO_VALUE]


def test_one_group_of_all() -> None:
    groups = grouping(None, "UTC")
    assert groups.key is None
    assert groups.add_up({None: 3}) == {ALL: 3}


def test_opened_quarters_become_local_hours_and_weekdays() -> None:
    """Quarter hours of the same local hour add up; Tallinn is +02 before
    Sunday 29 March 2026 and +03 after."""
    quarters = {
        datetime(2026, 3, 27, 13, 45): 1,  # Fri 15:45 EET
        datetime(2026, 3, 27, 14, 0): 2,  # Fri 16:00 EET
        datetime(2026, 3, 30, 13, 15): 4,  # Mon 16:15 EEST
        datetime(2026, 3, 29, 22, 0): 8,  # Mon 01:00 EEST (Sun 22:00 UTC)
    }
    hours = grouping("hour", "Europe/Tallinn")
    assert hours.key == "opened"
    assert hours.add_up(quarters) == {"15": 1, "16": 6, "01": 8}
    assert sorted(hours.add_up(quarters), key=hours.order) == ["01", "15", "16"]
    days = grouping("weekday", "Europe/Tallinn")
    assert days.add_up(quarters) == {"Fri": 3, "Mon": 12}
    assert grouping("weekday", "UTC").add_up(quarters) == {"Fri": 3, "Sun": 8,
                                                          "Mon": 4}  # fmt: skip
    assert sorted(["Sun", "Mon", "Fri"], key=days.order) == ["Mon", "Fri", "Sun"]


def test_names_group_by_their_column() -> None:
    groups = grouping("customer", "UTC")
    assert groups.key == "customer"
    assert groups.add_up({"KUND": 2, None: 1, "": 1}) == {"KUND": 2, NO_VALUE: 2}


def test_unknown_group_is_refused() -> None:
    with pytest.raises(UsageError, match="--by: 'color' is not one of assignee"):
        grouping("color", "UTC")

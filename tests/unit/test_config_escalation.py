"""[escalation] settings: on with the table, each wrong value one line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ticketcli.config import ConfigError, Escalation, config_from_mapping

GOALS = {"first_response": "1h"}


def escalation(table: Any, goals: Any = GOALS) -> Escalation:
    data: dict[str, Any] = {"escalation": table}
    if goals is not None:
        data["goals"] = goals
    return config_from_mapping(data).escalation


def test_off_without_the_table_and_on_with_it() -> None:
    assert config_from_mapping({"goals": GOALS}).escalation == Escalation()
    assert not Escalation().enabled
    assert escalation({}) == Escalation(enabled=True)
    assert escalation({"enabled": False}, goals=None) == Escalation(enabled=False)


def test_settings_are_read() -> None:
    got = escalation({"warn_before": "1h30m", "to": "Lead@Acme.Example"})
    assert got == Escalation(True, timedelta(hours=1, minutes=30), "lead@acme.example")
    assert escalation({"to": "kadri", "warn_before": "0m"}) == Escalation(
        True, timedelta(0), "kadri"
    )


@pytest.mark.parametrize(
    ("table", "goals", "message"),
    [
        ({}, None, "escalation: needs [goals] to escalate (or enabled = false)"),
        ({"warn": "15m"}, GOALS, "escalation.warn: unknown setting"),
        ({"warn_before": "soon"}, GOALS, "escalation.warn_before: 'soon' is not a"),
        ({"warn_before": 15}, GOALS, "escalation.warn_before: expected a string"),
        ({"enabled": "yes"}, GOALS, "escalation.enabled: expected true or false"),
        ({"to": "the lead"}, GOALS, "escalation.to: 'the lead' is neither an"),
        ({"to": "lead@"}, GOALS, "escalation.to: "),
        ("on", GOALS, "escalation: expected a table"),
    ],
)
def test_a_wrong_value_is_one_line_naming_its_key(
    table: Any, goals: Any, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        escalation(table, goals)
    text = caught.value.message
    assert text.startswith(message)
    assert "\n" not in text

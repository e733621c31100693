"""Who gets a ticket: the assign modes as pure rules."""

from __future__ import annotations

import pytest

from ticketcli.config import ASSIGN_MODES
from ticketcli.rules.assignment import (
    FIRST_RESPONDER,
    LEAST_OPEN,
    NONE,
    ROUND_ROBIN,
    AgentLoad,
    Picker,
    choose_agent,
    redistribution_mode,
)

TEAM = [AgentLoad("mari", 3), AgentLoad("jaan", 1), AgentLoad("kadri", 1)]


def test_the_rules_name_the_modes_the_config_accepts() -> None:
    assert (NONE, ROUND_ROBIN, LEAST_OPEN, FIRST_RESPONDER) == ASSIGN_MODES
    assert (ROUND_ROBIN, LEAST_OPEN) == ("round-robin", "least-open")


@pytest.mark.parametrize("mode", [NONE, FIRST_RESPONDER, "bogus"])
def test_modes_that_pick_nobody_at_creation(mode: str) -> None:
    assert choose_agent(mode, TEAM, None) is None


@pytest.mark.parametrize("mode", [ROUND_ROBIN, LEAST_OPEN])
def test_nobody_to_choose_from(mode: str) -> None:
    assert choose_agent(mode, [], "jaan") is None


def test_least_open_takes_the_lightest_load_ties_by_login() -> None:
    assert choose_agent(LEAST_OPEN, TEAM) == "jaan"
    assert choose_agent(LEAST_OPEN, [AgentLoad("b", 0), AgentLoad("a", 0)]) == "a"
    # The last assignee does not matter to least-open.
    assert choose_agent(LEAST_OPEN, TEAM, "jaan") == "jaan"


def test_round_robin_goes_around_in_login_order() -> None:
    assert choose_agent(ROUND_ROBIN, TEAM, None) == "jaan"
    assert choose_agent(ROUND_ROBIN, TEAM, "jaan") == "kadri"
    assert choose_agent(ROUND_ROBIN, TEAM, "kadri") == "mari"
    assert choose_agent(ROUND_ROBIN, TEAM, "mari") == "jaan"


def test_round_robin_skips_someone_missing_without_restarting() -> None:
    # kadri is away: after jaan comes mari, not the start of the list again.
    present = [AgentLoad("mari"), AgentLoad("jaan")]
    assert choose_agent(ROUND_ROBIN, present, "jaan") == "mari"
    # The last one assigned is away now: the rotation goes on after them.
    assert choose_agent(ROUND_ROBIN, present, "kadri") == "mari"
    assert choose_agent(ROUND_ROBIN, present, "zed") == "jaan"


def test_picker_spreads_a_batch_as_single_assignments_would() -> None:
    picker = Picker(LEAST_OPEN, TEAM)
    picks = [picker.pick() for _ in range(5)]
    # jaan 1, kadri 1 -> jaan, kadri, jaan, kadri (3 each, mari 3) -> jaan.
    assert picks == ["jaan", "kadri", "jaan", "kadri", "jaan"]
    rr = Picker(ROUND_ROBIN, TEAM, "kadri")
    assert [rr.pick() for _ in range(4)] == ["mari", "jaan", "kadri", "mari"]
    assert Picker(NONE, TEAM).pick() is None
    assert Picker(LEAST_OPEN, []).pick() is None


def test_redistribution_uses_the_queues_mode_when_it_picks_else_least_open() -> None:
    assert redistribution_mode(ROUND_ROBIN) == ROUND_ROBIN
    assert redistribution_mode(LEAST_OPEN) == LEAST_OPEN
    assert redistribution_mode(NONE) == LEAST_OPEN
    assert redistribution_mode(FIRST_RESPONDER) == LEAST_OPEN

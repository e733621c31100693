"""`@login` in a note: who is mentioned, and what is only an address."""

from __future__ import annotations

import pytest

from ticketcli.rules.mentions import candidates, mentions, unknown_mentions

AGENTS = ("anna", "kadri.kask", "Lea")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@anna please look", ["anna"]),
        ("please look, @anna.", ["anna"]),
        ("(@anna) and @kadri.kask!", ["anna", "kadri.kask"]),
        ("@anna @anna @ANNA", ["anna"]),
        ("@lea: yours", ["Lea"]),  # logins match whatever the case
        ("ask anna@acme.ee or write to a@b.c", []),
        ("mail support@acme-help.example about @anna", ["anna"]),
        ("@bob and @anna", ["anna"]),  # unknown logins are not mentions
        ("no mention at all", []),
        ("email@anna", []),
        ("@ alone", []),
        ("", []),
        ("line one\n@kadri.kask on line two", ["kadri.kask"]),
    ],
)
def test_mentions(text: str, expected: list[str]) -> None:
    assert mentions(text, AGENTS) == expected


def test_unknown_mentions_are_reported_once_in_order() -> None:
    text = "@bob, @anna and @Bob; also x@bob.ee and @carol."
    assert unknown_mentions(text, AGENTS) == ["bob", "carol"]
    assert candidates(text) == ["bob", "anna", "Bob", "carol"]

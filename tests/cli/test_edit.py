"""Mending by hand: `set --subject/--requester`, `customers edit/merge`,
`agents edit`, `agents add` of a login that exists, `new --customer` and
`reply` without a requester. Every refusal: one line, exit 2, no change."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.cli.test_tags import dump, refused
from tests.helpers import Desk, eml

if TYPE_CHECKING:
    from pathlib import Path


def json_of(desk: Desk, *args: str) -> Any:
    result = desk.run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def ok(desk: Desk, *args: str) -> Any:
    result = desk.run(*args)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return result


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    desk = Desk(tmp_path)
    ok(desk, "customers", "add", "Kund OÜ", "--code", "KUND", "--domain", "kund.ee")
    ok(desk, "customers", "add", "Firma AS", "--code", "FIRMA")
    ok(desk, "customers", "add", "Muu", "--code", "MUU", "--email", "liis@muu.ee")
    desk.deliver(eml("<a@kund.ee>"), eml("<b@x.ee>", sender="liis@muu.ee"))
    ok(
        desk,
        "agents",
        "add",
        "kadri",
        "--name",
        "Kadri",
        "--email",
        "k@acme-help.example",
    )
    return desk


def customers(desk: Desk) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in json_of(desk, "customers", "list")}


def test_set_subject_and_requester(desk: Desk) -> None:
    ok(
        desk,
        "set",
        "1",
        "--subject",
        "Printer 3. korrusel",
        "--requester",
        "Jaan <JAAN@kund.ee>",
    )
    ticket = json_of(desk, "show", "1")
    assert (ticket["subject"], ticket["requester"]) == (
        "Printer 3. korrusel",
        "jaan@kund.ee",
    )
    kinds = [(e["kind"], e["detail"]) for e in ticket["events"]]
    assert ("subject", "Printer on katki → Printer 3. korrusel") in kinds
    assert ("requester", "mari@kund.ee → jaan@kund.ee") in kinds
    refused(desk, "set", "1", "--requester", "not an address", says="--requester")
    refused(desk, "set", "1", "--subject", "  ", says="--subject is empty")
    refused(desk, "set", "77", "--subject", "x", says="ticket #77 does not exist")


def test_customers_edit_name_addresses_domains(desk: Desk) -> None:
    ok(
        desk,
        "customers",
        "edit",
        "FIRMA",
        "--name",
        "Firma Grupp AS",
        "--add-address",
        "Info@Firma.ee",
        "--add-domain",
        "firma.ee",
    )
    firma = customers(desk)["FIRMA"]
    assert (firma["name"], firma["emails"], firma["domains"]) == (
        "Firma Grupp AS",
        ["info@firma.ee"],
        ["firma.ee"],
    )
    ok(
        desk,
        "customers",
        "edit",
        "FIRMA",
        "--remove-address",
        "info@firma.ee",
        "--remove-domain",
        "firma.ee",
    )
    firma = customers(desk)["FIRMA"]
    assert (firma["emails"], firma["domains"]) == ([], [])
    # The next mail from a new domain is recognised.
    ok(desk, "customers", "edit", "FIRMA", "--add-domain", "firma.ee")
    desk.deliver(eml("<c@firma.ee>", sender="juhan@firma.ee", subject="Uus"))
    assert json_of(desk, "show", "3")["customer"] == "FIRMA"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("customers", "edit", "GHOST", "--name", "x"), "GHOST"),
        (("customers", "edit", "FIRMA"), "nothing to change"),
        (("customers", "edit", "FIRMA", "--name", " "), "--name is empty"),
        (("customers", "edit", "FIRMA", "--add-domain", "kund.ee"), "on customer KUND"),
        (
            ("customers", "edit", "FIRMA", "--add-address", "liis@muu.ee"),
            "on customer MUU",
        ),
        (("customers", "edit", "FIRMA", "--add-address", "../etc"), "--add-address"),
        (
            ("customers", "edit", "FIRMA", "--remove-address", "liis@muu.ee"),
            "not on customer FIRMA",
        ),
        (
            ("customers", "edit", "KUND", "--remove-domain", "muu.ee"),
            "not on customer KUND",
        ),
        (("customers", "edit", "KUND", "--add-domain", "bad domain"), "--add-domain"),
        (("customers", "merge", "KUND", "onto", "FIRMA"), "expected"),
        (("customers", "merge", "KUND", "into", "GHOST"), "GHOST"),
        (("customers", "merge", "GHOST", "into", "KUND"), "GHOST"),
        (("customers", "merge", "KUND", "into", "KUND"), "itself"),
        (("agents", "add", "kadri", "--name", "Other"), "use `agents edit kadri`"),
        (("agents", "edit", "ghost", "--name", "x"), "agent 'ghost' does not exist"),
        (("agents", "edit", "kadri"), "nothing to change"),
        (("agents", "edit", "kadri", "--add-email", "nope"), "--add-email"),
        (
            ("agents", "edit", "kadri", "--remove-email", "x@acme-help.example"),
            "not on agent",
        ),
        (("set", "1", "--requester", "a@b.ee", "--status", "closed"), "--status"),
    ],
)
def test_wrong_edits_change_nothing(
    desk: Desk, args: tuple[str, ...], says: str
) -> None:
    refused(desk, *args, says=says)


def test_customers_merge_moves_addresses_domains_and_tickets(desk: Desk) -> None:
    ok(desk, "customers", "merge", "MUU", "into", "KUND", "--as", "lead")
    rows = customers(desk)
    assert "MUU" not in rows
    assert rows["KUND"]["emails"] == ["liis@muu.ee"]
    assert rows["KUND"]["domains"] == ["kund.ee"]
    ticket = json_of(desk, "show", "2")
    assert ticket["customer"] == "KUND"
    assert ("customer", "lead", "KUND (merged)") in [
        (e["kind"], e["actor"], e["detail"]) for e in ticket["events"]
    ]


def test_agents_add_refuses_an_existing_login_and_edit_changes_it(desk: Desk) -> None:
    before = dump(desk)
    again = desk.run("agents", "add", "kadri", "--email", "kadri2@acme-help.example")
    assert again.exit_code == 2
    assert again.stderr == (
        "Error: agent kadri exists already: use `agents edit kadri` to change it\n"
    )
    assert dump(desk) == before
    ok(
        desk,
        "agents",
        "edit",
        "kadri",
        "--name",
        "Kadri Kask",
        "--add-email",
        "Kadri@Acme-Help.example",
        "--remove-email",
        "k@acme-help.example",
    )
    [agent] = json_of(desk, "agents", "list")
    assert (agent["name"], agent["emails"]) == (
        "Kadri Kask",
        ["kadri@acme-help.example"],
    )
    ok(desk, "agents", "deactivate", "kadri")
    ok(desk, "agents", "edit", "kadri", "--activate")
    assert json_of(desk, "agents", "list")[0]["active"] is True


def test_new_for_a_customer_takes_its_first_address(desk: Desk) -> None:
    number = json_of(desk, "new", "--customer", "MUU", "--subject", "Telefon")[0][
        "number"
    ]
    assert json_of(desk, "show", str(number))["requester"] == "liis@muu.ee"
    bare = json_of(desk, "new", "--customer", "FIRMA", "--subject", "Telefon")[0][
        "number"
    ]
    assert json_of(desk, "show", str(bare))["requester"] == ""
    before = dump(desk)
    answered = desk.run(
        "reply", str(bare), "--message", "Tere", "--dry-run", "--as", "kadri"
    )
    assert answered.exit_code == 2
    assert answered.stderr == (
        f"Error: no requester address; set one with `set {bare} --requester`\n"
    )
    assert dump(desk) == before
    ok(desk, "set", str(bare), "--requester", "info@firma.ee")
    assert json_of(desk, "show", str(bare))["requester"] == "info@firma.ee"


# --- work time -----------------------------------------------------------------


def test_time_list_and_remove_keep_the_history(desk: Desk) -> None:
    ok(desk, "time", "1", "45m", "--note", "telefon", "--as", "kadri")
    ok(desk, "time", "1", "8h", "--as", "kadri")
    entries = json_of(desk, "time", "1", "--list")
    assert [(e["minutes"], e["agent"], e["note"]) for e in entries] == [
        (45, "kadri", "telefon"),
        (480, "kadri", ""),
    ]
    assert "telefon" in ok(desk, "time", "1", "--list").stdout
    ok(desk, "time", "--remove", str(entries[1]["id"]), "--as", "lead")
    assert [e["minutes"] for e in json_of(desk, "time", "1", "--list")] == [45]
    events = [
        (e["kind"], e["actor"], e["detail"])
        for e in json_of(desk, "show", "1")["events"]
    ]
    assert ("time", "kadri", "480m") in events
    assert (
        "time-removed",
        "lead",
        f"480m logged by kadri (entry {entries[1]['id']})",
    ) in events
    assert json_of(desk, "customers", "show", "KUND")[0]["work_minutes"] == 45


def test_a_day_in_one_entry_needs_yes(desk: Desk) -> None:
    refused(desk, "time", "1", "25h", says="over 24 h; give --yes")
    ok(desk, "time", "1", "25h", "--yes")
    assert [e["minutes"] for e in json_of(desk, "time", "1", "--list")] == [1500]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("time", "--remove", "999"), "time entry 999 does not exist"),
        (("time", "--remove", "x"), "--remove"),
        (("time", "1", "--remove", "1"), "--remove ID takes no ticket"),
        (("time", "99", "--list"), "ticket #99 does not exist"),
        (("time", "99", "1h"), "ticket #99 does not exist"),
        (("time", "1"), "give a DURATION"),
        (("time",), "give a ticket number"),
        (("time", "1", "1h", "--list"), "--list takes no DURATION"),
        (("time", "1", "0m"), "no time at all"),
    ],
)
def test_wrong_time_changes_nothing(
    desk: Desk, args: tuple[str, ...], says: str
) -> None:
    refused(desk, *args, says=says)

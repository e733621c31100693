"""A mail that only claims a staff address is not staff (issue 13, item 3).

From outside, "From: kadri@<our domain>" to the customer with support in Cc
used to assign the ticket to kadri, set its first response and take it off
`report --waiting`. Now our receiving server's Authentication-Results decide.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import SUPPORT, Desk, eml

if TYPE_CHECKING:
    from pathlib import Path

STAFF = "acme-help.example"
KADRI = f"kadri@{STAFF}"
# Our receiving server: its host name is under the support address's domain,
# which the default authserv_ids trust.
OURS = f"mx.{STAFF}"
FAILED = (
    f"{OURS}; dkim=fail (signature verification failed) header.d={STAFF};"
    f" spf=fail (domain of {KADRI} does not designate 203.0.113.9 as permitted"
    f" sender) smtp.mailfrom={KADRI}; dmarc=fail (p=reject) header.from={STAFF}"
)
PASSED = (
    f"{OURS}; dkim=pass header.d={STAFF} header.s=mail;"
    f" spf=pass smtp.mailfrom={KADRI}; dmarc=pass (p=reject) header.from={STAFF}"
)
FORGED_PASS = f"dmarc=pass header.from={STAFF}; dkim=pass header.d={STAFF}"


def _reply(*auth_results: str, mid: str = "<r1@acme-help.example>") -> bytes:
    headers = "".join(f"Authentication-Results: {value}\r\n" for value in auth_results)
    return headers.encode() + eml(
        mid,
        sender=KADRI,
        to="mari@kund.ee",
        subject="Re: Printer on katki",
        body="Tere, saatke palun printeri mudel.",
        date="Mon, 02 Mar 2026 11:00:00 +0200",
        extra=f"In-Reply-To: <a@kund.ee>\r\nCc: {SUPPORT}\r\n",
    )


def _waiting(desk: Desk) -> list[int]:
    result = desk.run("report", "--waiting", "--assignee", "*", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [row["number"] for row in json.loads(result.stdout)]


def _show(desk: Desk, number: int) -> str:
    result = desk.run("show", str(number))
    assert result.exit_code == 0, result.stderr
    return str(result.stdout)


def _agents(desk: Desk) -> list[str]:
    result = desk.run("agents", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [row["login"] for row in json.loads(result.stdout)]


def _forged_desk(tmp_path: Path, *auth_results: str, **config: Any) -> Desk:
    desk = Desk(tmp_path, **config)
    desk.deliver(eml("<a@kund.ee>"))
    desk.deliver(_reply(*auth_results))
    return desk


def _assert_not_staff(desk: Desk, reason: str) -> None:
    tickets = {t["number"]: t for t in desk.export()}
    customer = tickets[1]
    # The customer's ticket is untouched: nobody answered, nobody owns it.
    assert customer["assignee"] is None
    assert customer["first_response_at"] is None
    assert customer["status"] == "new"
    assert [m["message_id"] for m in customer["messages"]] == ["<a@kund.ee>"]
    assert 1 in _waiting(desk)
    assert "kadri" not in _agents(desk)
    # The claimed kadri@ is no participant of Mari's ticket: foreign sender.
    [forged] = [t for t in tickets.values() if t["number"] != 1]
    assert forged["linked_to"] == [1]
    assert forged["requester"] == KADRI
    [message] = forged["messages"]
    assert (message["direction"], message["rule"]) == ("inbound", "foreign-sender")
    directions = {m["direction"] for t in tickets.values() for m in t["messages"]}
    assert directions == {"inbound"}
    assert f"  From claims {KADRI}, not verified: {reason}\n" in _show(
        desk, forged["number"]
    )
    shown = json.loads(
        desk.run("show", str(forged["number"]), "--format", "json").stdout
    )
    assert shown["messages"][0]["unverified_from"] == reason


def _assert_staff(desk: Desk) -> None:
    [ticket] = desk.export()
    assert ticket["assignee"] == "kadri"
    assert ticket["first_response_at"] == "2026-03-02T09:00:00Z"
    assert [m["direction"] for m in ticket["messages"]] == ["inbound", "outbound"]
    assert 1 not in _waiting(desk)
    assert "not verified" not in _show(desk, 1)


def test_forged_staff_reply_is_a_stranger_not_an_answer(tmp_path: Path) -> None:
    desk = _forged_desk(tmp_path, FAILED)
    _assert_not_staff(desk, "dmarc=fail")


def test_forged_staff_reply_under_dkim_policy_names_dkim(tmp_path: Path) -> None:
    desk = _forged_desk(tmp_path, FAILED, security={"verify_staff": "dkim"})
    _assert_not_staff(desk, "dkim=fail")


def test_verified_staff_reply_counts_as_staff(tmp_path: Path) -> None:
    _assert_staff(_forged_desk(tmp_path, PASSED))


@pytest.mark.parametrize(
    "auth_results",
    [
        # A "pass" from a server we do not trust says nothing...
        (f"mx.evil.example; {FORGED_PASS}", FAILED),
        (f"{STAFF}.evil.example; {FORGED_PASS}", FAILED),
        # ... nor does a forged copy of ours below what our server wrote.
        (FAILED, f"{OURS}; {FORGED_PASS}"),
        (FAILED, f"{OURS}; auth=pass smtp.auth=kadri"),
    ],
    ids=["untrusted-id", "lookalike-id", "forged-below-ours", "forged-auth-below"],
)
def test_a_claimed_pass_does_not_make_staff(
    tmp_path: Path, auth_results: tuple[str, ...]
) -> None:
    _assert_not_staff(_forged_desk(tmp_path, *auth_results), "dmarc=fail")


def test_a_result_for_another_domain_does_not_make_staff(tmp_path: Path) -> None:
    other = (
        f"{OURS}; dmarc=pass header.from=evil.example; dkim=pass header.d=evil.example"
    )
    desk = _forged_desk(tmp_path, other)
    _assert_not_staff(desk, f"dmarc=pass for evil.example, not {STAFF}")


def test_a_submission_our_server_authenticated_is_staff(tmp_path: Path) -> None:
    _assert_staff(_forged_desk(tmp_path, f"{OURS}; auth=pass (PLAIN) smtp.auth=kadri"))


def test_policy_none_keeps_the_old_behaviour(tmp_path: Path) -> None:
    _assert_staff(_forged_desk(tmp_path, FAILED, security={"verify_staff": "none"}))


def test_no_trusted_header_keeps_a_staff_address_staff(tmp_path: Path) -> None:
    # Internal delivery or a local mbox: nothing says the mail came in from
    # the Internet (and the receiving server must add the header to all that
    # does). Explicit authserv_ids replace the default, so mx.acme-help... is
    # now someone else's header, and ignored.
    desk = _forged_desk(tmp_path, FAILED, security={"authserv_ids": ["mx.google.com"]})
    _assert_staff(desk)


def test_google_workspace_headers_are_trusted_when_configured(tmp_path: Path) -> None:
    google = FAILED.replace(OURS, "mx.google.com")
    desk = _forged_desk(tmp_path, google, security={"authserv_ids": ["mx.google.com"]})
    _assert_not_staff(desk, "dmarc=fail")


def test_microsoft_365_headers_without_an_id_when_configured(tmp_path: Path) -> None:
    microsoft = (
        f"spf=fail (sender IP is 203.0.113.9) smtp.mailfrom={STAFF}; dkim=fail"
        f" (body hash did not verify) header.d={STAFF};dmarc=fail action=oreject"
        f" header.from={STAFF};compauth=fail reason=000"
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    trusting = _forged_desk(
        tmp_path / "a", microsoft, security={"authserv_ids": ["(none)"]}
    )
    _assert_not_staff(trusting, "dmarc=fail")
    # By default a header naming no authserv-id is nobody's: ignored.
    _assert_staff(_forged_desk(tmp_path / "b", microsoft))


def test_forged_staff_mail_on_a_ticket_it_is_part_of_stays_inbound(
    tmp_path: Path,
) -> None:
    # Mari's mail had kadri in Cc, so kadri@ is a participant: the forged
    # reply joins the ticket, but as the customer side's, and answers nothing.
    desk = Desk(tmp_path)
    desk.deliver(eml("<a@kund.ee>", extra=f"Cc: {KADRI}\r\n"))
    desk.deliver(_reply(FAILED))
    [ticket] = desk.export()
    assert [m["direction"] for m in ticket["messages"]] == ["inbound", "inbound"]
    assert (ticket["assignee"], ticket["first_response_at"]) == (None, None)
    assert 1 in _waiting(desk)
    assert f"From claims {KADRI}, not verified: dmarc=fail" in _show(desk, 1)

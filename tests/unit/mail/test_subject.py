"""Subject keys, reply/forward prefixes and the ticket token."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketcli.mail.parse import parse_message
from ticketcli.mail.subject import (
    find_ticket_token,
    format_token,
    normalize_subject,
    strip_prefixes,
)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Invoice 12", "invoice 12"),
        ("Re: Invoice 12", "invoice 12"),
        ("RE: Invoice 12", "invoice 12"),
        ("re:Invoice 12", "invoice 12"),
        ("Re[2]: Invoice 12", "invoice 12"),
        ("Re(3): Invoice 12", "invoice 12"),
        ("Re^2: Invoice 12", "invoice 12"),
        ("AW: Rechnung", "rechnung"),
        ("WG: Rechnung", "rechnung"),
        ("Antw: Rechnung", "rechnung"),
        ("Antwort: Rechnung", "rechnung"),
        ("SV: Faktura", "faktura"),
        ("VB: Faktura", "faktura"),
        ("VS: Lasku", "lasku"),
        ("VL: Lasku", "lasku"),
        ("Vs: Arve", "arve"),
        ("Odp: Faktura", "faktura"),
        ("ODP: Faktura", "faktura"),
        ("Odp:Faktura", "faktura"),
        ("PD: Faktura", "faktura"),
        ("Odg: Račun", "račun"),
        ("Fwd: Invoice", "invoice"),
        ("Fw: Invoice", "invoice"),
        ("FW: Invoice", "invoice"),
        ("TR: Facture", "facture"),
        ("R: Fattura", "fattura"),
        ("RIF: Fattura", "fattura"),
        ("Vá: Számla", "számla"),
        ("Ynt: Fatura", "fatura"),
        ("回复：发票", "发票"),
        ("转发: 发票", "发票"),
        ("RE: VS: Re: Invoice", "invoice"),
        ("Re: Fwd: AW: WG: SV: Odp: Odg: Invoice", "invoice"),
        ("  RE :  Invoice  ", "invoice"),
        ("[Fwd: Invoice]", "invoice"),
        ("Invoice (fwd)", "invoice"),
        ("Re:", ""),
        ("", ""),
    ],
    ids=lambda value: value if isinstance(value, str) and value else "empty",
)
def test_normalize_subject_strips_reply_and_forward_prefixes(
    subject: str, expected: str
) -> None:
    assert normalize_subject(subject, "ACME") == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Question about Re: in subjects", "question about re: in subjects"),
        ("Automatic reply: Invoice", "automatic reply: invoice"),
        ("Re: Automatic reply: Invoice", "automatic reply: invoice"),
        ("[EXTERNAL] Invoice", "[external] invoice"),
        ("Reply needed", "reply needed"),
        ("Reference: 12", "reference: 12"),
        ("Fwdx: 12", "fwdx: 12"),
        ("Ré: x", "ré: x"),
    ],
    ids=[
        "inner-re",
        "auto-reply-phrase",
        "auto-reply-after-re",
        "external-tag",
        "word-re",
        "word-reference",
        "not-a-prefix",
        "accented-unknown",
    ],
)
def test_normalize_subject_keeps_what_is_not_a_prefix(
    subject: str, expected: str
) -> None:
    assert normalize_subject(subject, "ACME") == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("[ACME #123] Invoice", "invoice"),
        ("Re: [ACME #123] Invoice", "invoice"),
        ("RE: [ACME #123] AW: Invoice", "invoice"),
        ("Invoice [ACME #123]", "invoice"),
        ("Invoice [acme#123] again", "invoice again"),
        ("Invoice [ ACME # 123 ]", "invoice"),
        ("Invoice [OTHER #123]", "invoice [other #123]"),
    ],
    ids=[
        "front",
        "after-re",
        "between-prefixes",
        "end",
        "middle",
        "spaced",
        "foreign-token",
    ],
)
def test_normalize_subject_removes_the_ticket_token(
    subject: str, expected: str
) -> None:
    assert normalize_subject(subject, "ACME") == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Päivitys   epäonnistui", "VS: päivitys epäonnistui"),
        ("ÄRI", "Re: äri"),
        ("Straße", "AW: STRASSE"),
        ("Ｉｎｖｏｉｃｅ", "Invoice"),
        ("Invoice\t12", "Invoice 12"),
    ],
    ids=["whitespace", "case", "casefold", "full-width", "tab"],
)
def test_normalize_subject_folds_case_and_whitespace(a: str, b: str) -> None:
    assert normalize_subject(a, "ACME") == normalize_subject(b, "ACME")


@pytest.mark.parametrize(
    ("subject", "prefix", "expected"),
    [
        ("[ACME #123] Invoice", "ACME", 123),
        ("Re: Invoice [ACME #7]", "ACME", 7),
        ("[acme #5]", "ACME", 5),
        ("[ACME#9] x", "ACME", 9),
        ("[ ACME # 123 ] x", "ACME", 123),
        ("[Help Desk #4] x", "Help Desk", 4),
        ("[Help  Desk#4] x", "Help Desk", 4),
        ("[ACME #1] and [ACME #2]", "ACME", 1),
        ("[ACMEX #9] x", "ACME", None),
        ("[XACME #9] x", "ACME", None),
        ("ACME #9", "ACME", None),
        ("[ACME #] x", "ACME", None),
        ("[ACME #12a] x", "ACME", None),
        ("x", "ACME", None),
        ("[A.C+ME #3]", "A.C+ME", 3),
        ("[ACME #3]", "", None),
    ],
    ids=[
        "front",
        "end",
        "lower-case",
        "no-space",
        "spaces",
        "prefix-with-space",
        "prefix-spacing",
        "first-wins",
        "longer-prefix",
        "prefix-suffix",
        "no-brackets",
        "no-number",
        "not-a-number",
        "none",
        "regex-chars",
        "empty-prefix",
    ],
)
def test_find_ticket_token(subject: str, prefix: str, expected: int | None) -> None:
    assert find_ticket_token(subject, prefix) == expected


@pytest.mark.parametrize(
    ("prefix", "number"), [("ACME", 123), ("Help Desk", 1)], ids=["acme", "two-words"]
)
def test_format_token_round_trips(prefix: str, number: int) -> None:
    token = format_token(prefix, number)
    assert token == f"[{prefix} #{number}]"
    assert find_ticket_token(f"Re: {token} Invoice", prefix) == number
    assert normalize_subject(f"Re: {token} Invoice", prefix) == "invoice"


def test_strip_prefixes_keeps_case_for_display() -> None:
    assert strip_prefixes("RE: AW: Päivitys  EPÄONNISTUI") == "Päivitys  EPÄONNISTUI"


def test_normalize_subject_of_generated_mailbox_matches_conversation(
    gen_mailbox,
) -> None:
    out, truth = gen_mailbox(conversations=60, seed=3, fmt="eml-dir", noise=0.3)
    tickets = [m for m in truth["messages"] if m["kind"] == "ticket"]
    assert tickets
    for entry in tickets:
        parsed = parse_message(Path(out, entry["file"]).read_bytes())
        conversation = truth["conversations"][entry["conversation"]]
        assert normalize_subject(parsed.subject, "ACME") == normalize_subject(
            conversation["subject"], "ACME"
        ), entry["file"]

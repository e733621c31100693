"""Authentication-Results as real servers write them, and the staff verdict."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketcli import config
from ticketcli.mail.authres import (
    NO_AUTHSERV_ID,
    POLICIES,
    AuthResults,
    Verdict,
    default_trusted_ids,
    is_trusted,
    parse_authres,
    verify_staff,
)
from ticketcli.mail.parse import parse_message

GMAIL_PASS = (
    "mx.google.com;\r\n"
    "       dkim=pass header.i=@acme.ee header.s=google header.b=Ab12Cd34;\r\n"
    "       spf=pass (google.com: domain of kadri@acme.ee designates 209.85.220.41"
    " as permitted sender) smtp.mailfrom=kadri@acme.ee;\r\n"
    "       dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=acme.ee"
)
GMAIL_FAIL = (
    "mx.google.com; dkim=fail header.i=@acme.ee header.s=google header.b=Ab12;"
    " spf=softfail (google.com: domain of transitioning kadri@acme.ee does not"
    " designate 203.0.113.9 as permitted sender) smtp.mailfrom=kadri@acme.ee;"
    " dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=acme.ee"
)
# Gmail before RFC 7001: "smtp.mail", and header.i only.
GMAIL_2012 = (
    "mx.google.com; spf=pass (google.com: domain of bob@example.net designates"
    " 173.193.210.44 as permitted sender) smtp.mail=bob@example.net;"
    " dkim=pass header.i=@example.net"
)
# Microsoft 365 (Exchange Online Protection): no authserv-id at all.
M365_PASS = (
    "spf=pass (sender IP is 40.107.22.55) smtp.mailfrom=acme.ee; dkim=pass"
    " (signature was verified) header.d=acme.ee;dmarc=pass action=none"
    " header.from=acme.ee;compauth=pass reason=100"
)
# Older Exchange Online: the recipient's domain after each result.
M365_OLD = (
    "spf=softfail (sender IP is 52.58.62.203)\r\n smtp.mailfrom=ninomail.com;"
    " example.com; dkim=pass (signature was\r\n verified) header.d=ninomail.com;"
    "example.com; dmarc=none action=none\r\n header.from=mailgunhq.com;"
)
M365_BESTGUESS = (
    "spf=none (sender IP is 198.51.100.1) smtp.mailfrom=acme.ee; dkim=none"
    " (message not signed) header.d=none;dmarc=bestguesspass action=none"
    " header.from=acme.ee;compauth=pass reason=109"
)
FASTMAIL = (
    "mx3.messagingengine.com;\r\n    arc=none (no signatures found);\r\n"
    "    dkim=pass (2048-bit rsa key sha256) header.d=acme.ee header.i=@acme.ee"
    " header.b=AbCd header.a=rsa-sha256 header.s=fm1 x-bits=2048;\r\n"
    "    dmarc=pass policy.published-domain-policy=reject"
    " policy.applied-disposition=none policy.evaluated-disposition=none"
    " (p=reject,d=none,d.eval=none) policy.policy-from=p header.from=acme.ee;\r\n"
    "    iprev=pass smtp.remote-ip=66.111.4.25 (out1-smtp.messagingengine.com);\r\n"
    "    spf=pass smtp.mailfrom=kadri@acme.ee smtp.helo=out1-smtp.messagingengine.com;"
    "\r\n    x-aligned-from=pass (Address match);\r\n    x-me-sender=none"
)
OPENDKIM = (
    "mx.acme.ee; dkim=pass (2048-bit key; unprotected) header.d=acme.ee"
    " header.i=@acme.ee header.a=rsa-sha256 header.s=mail header.b=AbCdEf12"
)
OPENDKIM_FAIL = (
    'mx.acme.ee; dkim=fail reason="signature verification failed"'
    " (2048-bit key; secure) header.d=acme.ee header.i=@acme.ee"
    " header.a=rsa-sha256 header.s=mail header.b=AbCdEf12"
)
OPENDMARC_PASS = "mx.acme.ee; dmarc=pass (p=reject dis=none) header.from=acme.ee"
OPENDMARC_FAIL = "mx.acme.ee; dmarc=fail (p=reject dis=none) header.from=acme.ee"
POLICYD_SPF = "mx.acme.ee; spf=pass (sender SPF authorized) smtp.mailfrom=kadri@acme.ee"
EXIM = (
    "mx.acme.ee;\r\n\tiprev=pass (mail-wr1-f41.google.com)"
    " smtp.remote-ip=209.85.221.41;\r\n\tspf=pass smtp.mailfrom=acme.ee;"
    "\r\n\tdkim=pass header.d=acme.ee"
    " header.s=sel header.a=rsa-sha256;\r\n\tdmarc=pass header.from=acme.ee;"
    "\r\n\tarc=none"
)
EXIM_AUTH = "mx.acme.ee; auth=pass (PLAIN) smtp.auth=kadri"
RSPAMD_PASS = (
    "mx.acme.ee; dkim=pass header.d=acme.ee header.s=dkim header.b=AbCd;"
    " dmarc=pass (policy=reject) header.from=acme.ee;"
    " spf=pass (mx.acme.ee: domain of kadri@acme.ee designates 198.51.100.7 as"
    " permitted sender) smtp.mailfrom=kadri@acme.ee"
)
RSPAMD_FAIL = (
    'mx.acme.ee; dkim=fail ("headers rsa verify failed") header.d=acme.ee'
    ' header.s=dkim header.b=AbCd; dmarc=fail reason="SPF not aligned (relaxed),'
    ' DKIM not aligned (relaxed)" header.from=acme.ee (policy=reject);'
    " spf=fail (mx.acme.ee: domain of kadri@acme.ee does not designate"
    " 203.0.113.9 as permitted sender) smtp.mailfrom=kadri@acme.ee"
)
RSPAMD_AUTH = (
    "mx.acme.ee; auth=pass smtp.auth=kadri@acme.ee smtp.mailfrom=kadri@acme.ee"
)
NONE = "mx.acme.ee 1; none"
# Yahoo, 2012: not RFC syntax ("from=" before each result).
YAHOO = (
    "mta1247.mail.bf1.yahoo.com  from=example.com; domainkeys=pass (ok);"
    "  from=example.com; dkim=pass (ok)"
)


@pytest.mark.parametrize(
    ("value", "authserv_id", "version", "results"),
    [
        (
            GMAIL_PASS,
            "mx.google.com",
            None,
            [
                ("dkim", "pass", "header.i", "@acme.ee"),
                ("spf", "pass", "smtp.mailfrom", "kadri@acme.ee"),
                ("dmarc", "pass", "header.from", "acme.ee"),
            ],
        ),
        (
            GMAIL_2012,
            "mx.google.com",
            None,
            [
                ("spf", "pass", "smtp.mail", "bob@example.net"),
                ("dkim", "pass", "header.i", "@example.net"),
            ],
        ),
        (
            M365_PASS,
            "",
            None,
            [
                ("spf", "pass", "smtp.mailfrom", "acme.ee"),
                ("dkim", "pass", "header.d", "acme.ee"),
                ("dmarc", "pass", "header.from", "acme.ee"),
                ("compauth", "pass", "", ""),
            ],
        ),
        (
            M365_OLD,
            "",
            None,
            [
                ("spf", "softfail", "smtp.mailfrom", "ninomail.com"),
                ("dkim", "pass", "header.d", "ninomail.com"),
                ("dmarc", "none", "header.from", "mailgunhq.com"),
            ],
        ),
        (
            FASTMAIL,
            "mx3.messagingengine.com",
            None,
            [
                ("arc", "none", "", ""),
                ("dkim", "pass", "header.d", "acme.ee"),
                ("dmarc", "pass", "header.from", "acme.ee"),
                ("iprev", "pass", "smtp.remote-ip", "66.111.4.25"),
                ("spf", "pass", "smtp.mailfrom", "kadri@acme.ee"),
                ("x-aligned-from", "pass", "", ""),
                ("x-me-sender", "none", "", ""),
            ],
        ),
        (OPENDKIM, "mx.acme.ee", None, [("dkim", "pass", "header.d", "acme.ee")]),
        (
            OPENDMARC_FAIL,
            "mx.acme.ee",
            None,
            [("dmarc", "fail", "header.from", "acme.ee")],
        ),
        (
            EXIM,
            "mx.acme.ee",
            None,
            [
                ("iprev", "pass", "smtp.remote-ip", "209.85.221.41"),
                ("spf", "pass", "smtp.mailfrom", "acme.ee"),
                ("dkim", "pass", "header.d", "acme.ee"),
                ("dmarc", "pass", "header.from", "acme.ee"),
                ("arc", "none", "", ""),
            ],
        ),
        (EXIM_AUTH, "mx.acme.ee", None, [("auth", "pass", "smtp.auth", "kadri")]),
        (
            RSPAMD_FAIL,
            "mx.acme.ee",
            None,
            [
                ("dkim", "fail", "header.d", "acme.ee"),
                ("dmarc", "fail", "header.from", "acme.ee"),
                ("spf", "fail", "smtp.mailfrom", "kadri@acme.ee"),
            ],
        ),
        (NONE, "mx.acme.ee", 1, []),
        (
            YAHOO,
            "mta1247.mail.bf1.yahoo.com",
            None,
            [("domainkeys", "pass", "", ""), ("dkim", "pass", "", "")],
        ),
        (
            '"mx acme" 1; dkim=pass header.d="acme.ee"',
            "mx acme",
            1,
            [("dkim", "pass", "header.d", "acme.ee")],
        ),
        (
            "MX.Acme.EE; DKIM/1 = Pass header.D=acme.ee",
            "mx.acme.ee",
            None,
            [("dkim", "pass", "header.d", "acme.ee")],
        ),
    ],
    ids=[
        "gmail",
        "gmail-2012",
        "microsoft-365",
        "microsoft-365-old",
        "fastmail",
        "opendkim",
        "opendmarc",
        "exim",
        "exim-auth",
        "rspamd-fail",
        "none",
        "yahoo-2012",
        "quoted",
        "case-and-version",
    ],
)
def test_parse_authres_reads_real_headers(
    value: str,
    authserv_id: str,
    version: int | None,
    results: list[tuple[str, str, str, str]],
) -> None:
    header = parse_authres(value)
    assert (header.authserv_id, header.version) == (authserv_id, version)
    assert [(r.method, r.result) for r in header.results] == [
        (method, result) for method, result, _, _ in results
    ]
    for found, (_, _, prop, expected) in zip(header.results, results, strict=True):
        if prop:
            assert found.prop(prop) == expected


def test_parse_authres_keeps_reason_and_drops_comments() -> None:
    [dkim] = parse_authres(OPENDKIM_FAIL).results
    assert dkim.reason == "signature verification failed"
    assert dkim.prop("header.s") == "mail"
    [dmarc] = parse_authres('x; dmarc=fail reason="a; b (c)" header.from=a.ee').results
    assert (dmarc.reason, dmarc.prop("header.from")) == ("a; b (c)", "a.ee")
    # A comment may hold ";", "=" and nested parentheses.
    [spf] = parse_authres("x; spf=pass (a; b=c (d)) smtp.mailfrom=e.ee").results
    assert spf.prop("smtp.mailfrom") == "e.ee"


@pytest.mark.parametrize(
    "value",
    [
        "",
        ";",
        ";;;==",
        "((((",
        "))))",
        '"',
        '"unterminated; dkim=pass',
        "mx; dkim=pass (unclosed header.d=acme.ee",
        "mx; =pass; dkim=; =",
        "mx; dkim=pass header.d=" + "a" * 50_000,
        "\x00\x1b[31m; dkim=pass\x7f",
        "mx; " + "dkim=pass; " * 10_000,
        "mx; spf=pass\\",
    ],
    ids=lambda v: repr(v[:20]),
)
def test_parse_authres_never_raises_on_garbage(value: str) -> None:
    header = parse_authres(value)
    assert isinstance(header, AuthResults)
    assert len(header.results) <= 64
    assert verify_staff([value], "kadri@acme.ee", "dmarc", {"mx"}).reason


@given(st.text(max_size=300))
def test_parse_authres_never_raises_on_any_text(value: str) -> None:
    header = parse_authres(value)
    for policy in POLICIES:
        verdict = verify_staff([value, value], "kadri@acme.ee", policy, {"", "mx"})
        assert isinstance(verdict, Verdict)
    assert all(r.method and r.result for r in header.results)


def test_parse_authres_survives_random_header_soup() -> None:
    pieces = [";", "=", "(", ")", '"', "\\", " ", "dkim", "pass", "header.d", "@"]
    rng = random.Random(13)
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        parse_authres(text)


OURS = default_trusted_ids(["support@acme.ee"])
GOOGLE = frozenset({"mx.google.com"})
MICROSOFT = frozenset({NO_AUTHSERV_ID})


@pytest.mark.parametrize(
    ("headers", "policy", "trusted", "verified", "reason"),
    [
        # No trusted header: not our inbound path as far as we can tell.
        ([], "dmarc", OURS, True, "no trusted Authentication-Results"),
        ([GMAIL_FAIL], "dmarc", OURS, True, "no trusted Authentication-Results"),
        ([GMAIL_PASS], "dmarc", GOOGLE, True, "dmarc=pass"),
        ([GMAIL_FAIL], "dmarc", GOOGLE, False, "dmarc=fail"),
        ([GMAIL_FAIL], "dkim", GOOGLE, False, "dkim=fail"),
        ([GMAIL_FAIL], "spf", GOOGLE, False, "spf=softfail"),
        ([GMAIL_PASS], "spf", GOOGLE, True, "spf=pass"),
        ([M365_PASS], "dmarc", MICROSOFT, True, "dmarc=pass"),
        ([M365_PASS], "dmarc", OURS, True, "no trusted Authentication-Results"),
        ([M365_BESTGUESS], "dmarc", MICROSOFT, False, "dmarc=bestguesspass"),
        ([M365_BESTGUESS], "dkim", MICROSOFT, False, "dkim=none"),
        ([FASTMAIL], "dmarc", {"mx3.messagingengine.com"}, True, "dmarc=pass"),
        ([FASTMAIL], "dmarc", {".messagingengine.com"}, True, "dmarc=pass"),
        # opendkim and opendmarc write one header each, both ours.
        ([OPENDMARC_PASS, OPENDKIM], "dmarc", OURS, True, "dmarc=pass"),
        ([OPENDMARC_PASS, OPENDKIM], "dkim", OURS, True, "dkim=pass"),
        ([OPENDMARC_FAIL, OPENDKIM_FAIL], "dkim", OURS, False, "dkim=fail"),
        ([OPENDKIM], "dmarc", OURS, False, "no dmarc result"),
        ([POLICYD_SPF], "spf", OURS, True, "spf=pass"),
        ([EXIM], "dmarc", OURS, True, "dmarc=pass"),
        ([EXIM_AUTH], "dmarc", OURS, True, "auth=pass"),
        ([RSPAMD_AUTH], "dkim", OURS, True, "auth=pass"),
        ([RSPAMD_PASS], "dmarc", OURS, True, "dmarc=pass"),
        ([RSPAMD_FAIL], "dmarc", OURS, False, "dmarc=fail"),
        ([NONE], "dmarc", OURS, False, "no dmarc result"),
        ([RSPAMD_FAIL], "none", OURS, True, "not checked"),
        # A forged "pass" below our server's own result never outvotes it.
        ([RSPAMD_FAIL, RSPAMD_PASS], "dmarc", OURS, False, "dmarc=fail"),
        ([RSPAMD_FAIL, EXIM_AUTH], "dmarc", OURS, False, "dmarc=fail"),
        # An untrusted header says nothing, whatever it claims.
        (
            ["evil.example; dmarc=pass header.from=acme.ee", RSPAMD_FAIL],
            "dmarc",
            OURS,
            False,
            "dmarc=fail",
        ),
        (
            ["mx.acme.ee.evil.example; dmarc=pass header.from=acme.ee", NONE],
            "dmarc",
            OURS,
            False,
            "no dmarc result",
        ),
    ],
)
def test_verify_staff(
    headers: list[str],
    policy: str,
    trusted: frozenset[str],
    verified: bool,
    reason: str,
) -> None:
    assert verify_staff(headers, "kadri@acme.ee", policy, trusted) == Verdict(
        verified, reason
    )


@pytest.mark.parametrize(
    ("header", "policy", "sender", "verified", "reason"),
    [
        # DMARC: header.from must be the sender's domain itself.
        (
            "mx.acme.ee; dmarc=pass header.from=evil.example",
            "dmarc",
            "kadri@acme.ee",
            False,
            "dmarc=pass for evil.example, not acme.ee",
        ),
        (
            "mx.acme.ee; dmarc=pass header.from=acme.ee",
            "dmarc",
            "kadri@eu.acme.ee",
            False,
            "dmarc=pass for acme.ee, not eu.acme.ee",
        ),
        ("mx.acme.ee; dmarc=pass header.from=ACME.EE.", "dmarc", "k@acme.ee", True, ""),
        # DKIM: the signer is the sender's domain or a parent of it.
        ("mx.acme.ee; dkim=pass header.d=acme.ee", "dkim", "k@eu.acme.ee", True, ""),
        (
            "mx.acme.ee; dkim=pass header.d=eu.acme.ee",
            "dkim",
            "kadri@acme.ee",
            False,
            "dkim=pass for eu.acme.ee, not acme.ee",
        ),
        (
            "mx.acme.ee; dkim=pass header.d=notacme.ee",
            "dkim",
            "kadri@acme.ee",
            False,
            "dkim=pass for notacme.ee, not acme.ee",
        ),
        ("mx.acme.ee; dkim=pass header.i=kadri@acme.ee", "dkim", "k@acme.ee", True, ""),
        # Two signatures: the one aligned with the sender counts.
        (
            "mx.acme.ee; dkim=fail header.d=acme.ee;"
            " dkim=pass header.d=sendgrid.net; dkim=pass header.d=acme.ee",
            "dkim",
            "kadri@acme.ee",
            True,
            "",
        ),
        # SPF: the envelope sender's domain, exactly.
        (
            "mx.acme.ee; spf=pass smtp.mailfrom=bounces@mailer.example",
            "spf",
            "kadri@acme.ee",
            False,
            "spf=pass for mailer.example, not acme.ee",
        ),
        (
            "mx.acme.ee; spf=pass smtp.mailfrom=<kadri@acme.ee>",
            "spf",
            "k@acme.ee",
            True,
            "",
        ),
        # auth: a login, or an address of the sender's domain.
        (
            "mx.acme.ee; auth=pass smtp.auth=eve@evil.example",
            "dmarc",
            "k@acme.ee",
            False,
            "no dmarc result",
        ),
        (
            "mx.acme.ee; auth=fail smtp.auth=kadri",
            "dmarc",
            "k@acme.ee",
            False,
            "no dmarc result",
        ),
        # Internationalised domains compare as A-labels.
        (
            "mx.acme.ee; dmarc=pass header.from=xn--sb-cka.ee",
            "dmarc",
            "k@sõb.ee",
            True,
            "",
        ),
    ],
)
def test_verify_staff_alignment(
    header: str, policy: str, sender: str, verified: bool, reason: str
) -> None:
    verdict = verify_staff([header], sender, policy, OURS)
    assert verdict.verified is verified
    if reason:
        assert verdict.reason == reason


def test_verify_staff_reason_is_safe_for_a_terminal() -> None:
    header = 'mx.acme.ee; dmarc=pass header.from="evil\x1b[2J\u202e.example"'
    verdict = verify_staff([header], "kadri@acme.ee", "dmarc", OURS)
    assert not verdict.verified
    assert verdict.reason.isprintable()
    assert verdict.reason.isascii()


def test_verify_staff_rejects_an_unknown_policy() -> None:
    with pytest.raises(ValueError, match="not one of"):
        verify_staff([], "kadri@acme.ee", "yes", OURS)


@pytest.mark.parametrize(
    ("authserv_id", "trusted"),
    [
        ("mx.acme.ee", True),
        ("acme.ee", True),
        ("MX1.EU.ACME.EE", True),
        ("mx.acme.ee.", True),
        ("notacme.ee", False),
        ("acme.ee.evil.example", False),
        ("mx.google.com", False),
        ("", False),
    ],
)
def test_is_trusted_default_ids(authserv_id: str, trusted: bool) -> None:
    assert OURS == {"acme.ee", ".acme.ee"}
    assert is_trusted(authserv_id, OURS) is trusted


def test_is_trusted_explicit_ids() -> None:
    assert is_trusted("mx.google.com", GOOGLE)
    assert not is_trusted("mx2.google.com", GOOGLE)
    assert not is_trusted("", GOOGLE)
    assert is_trusted("", MICROSOFT)
    assert not is_trusted(parse_authres('"(none)"; dmarc=pass').authserv_id, MICROSOFT)
    assert not is_trusted("mx.acme.ee", MICROSOFT)


def test_config_and_authres_agree_on_policies() -> None:
    assert config.VERIFY_STAFF_POLICIES == POLICIES
    assert config.NO_AUTHSERV_ID == NO_AUTHSERV_ID


def test_parse_message_keeps_every_top_level_authentication_results() -> None:
    raw = (
        b"Authentication-Results: mx.acme.ee;\r\n dmarc=fail header.from=acme.ee\r\n"
        b"Received: from x by mx.acme.ee\r\n"
        b"Authentication-Results: evil.example; dmarc=pass header.from=acme.ee\r\n"
        b"From: kadri@acme.ee\r\nTo: mari@kund.ee\r\nSubject: x\r\n"
        b"Message-ID: <x@acme.ee>\r\nContent-Type: multipart/mixed; boundary=b\r\n"
        b"\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Authentication-Results: inner.example; dkim=pass\r\nFrom: a@b.ee\r\n"
        b"\r\nhi\r\n--b--\r\n"
    )
    mail = parse_message(raw)
    assert mail.auth_results == (
        "mx.acme.ee; dmarc=fail header.from=acme.ee",
        "evil.example; dmarc=pass header.from=acme.ee",
    )
    assert parse_message(b"From: a@b.ee\r\nSubject: x\r\n\r\nhi\r\n").auth_results == ()

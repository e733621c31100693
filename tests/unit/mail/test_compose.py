"""Composing the mail ticketcli sends: headers from hostile input, threading."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ticketcli.config import config_from_mapping
from ticketcli.errors import ConfigError, UsageError
from ticketcli.mail.compose import (
    MAX_REFERENCES,
    clean_header_text,
    compose,
    make_message_id,
    reply_subject,
)
from ticketcli.mail.parse import parse_message
from ticketcli.mail.templating import list_templates, render_mail_template

CONFIG = config_from_mapping(
    {"support_addresses": ["support@acme.example"], "token_prefix": "ACME"}
)


def _headers(data: bytes) -> list[str]:
    parsed = email.message_from_bytes(data, policy=email.policy.compat32)
    return [name.lower() for name in parsed]


def test_a_reply_carries_token_threading_and_rfc3834() -> None:
    msg = compose(
        CONFIG,
        to=[("Mart Jõgi", "mart@example.ee")],
        subject="Arve ei tule",
        body="Tere, õnnelik päev\n",
        ticket_number=12,
        in_reply_to="<m1@example.ee>",
        references=["<root@example.ee>"],
        auto_submitted="auto-replied",
        date=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    )
    data = bytes(msg)
    assert b"\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    parsed = parse_message(data)
    assert parsed.subject == "Arve ei tule [ACME #12]"
    assert parsed.from_address == "support@acme.example"
    assert parsed.to == ("mart@example.ee",)
    assert parsed.in_reply_to == ("<m1@example.ee>",)
    assert parsed.references == ("<root@example.ee>", "<m1@example.ee>")
    assert parsed.headers["auto-submitted"] == "auto-replied"
    assert parsed.headers["x-auto-response-suppress"] == "All"
    assert parsed.body_text.strip() == "Tere, õnnelik päev"
    assert parsed.message_id.endswith("@acme.example>")
    assert parsed.date == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert data.isascii()  # names and text encoded, no 8-bit on the wire
    assert "Mart Jõgi" in str(msg["To"])


def test_token_is_not_added_twice() -> None:
    assert reply_subject("Re: Arve [ACME #12]", "ACME", 12) == "Re: Arve [ACME #12]"
    assert reply_subject("Re: Arve [acme # 12]", "ACME", 12) == "Re: Arve [acme # 12]"
    # Exactly one token, the ticket's own (issue 13: a stranger's reply loop).
    assert reply_subject("Arve [ACME #3]", "ACME", 12) == "Arve [ACME #12]"
    assert (
        reply_subject("Re: [ACME #1] Arve [ACME #2] [acme # 8]", "ACME", 2)
        == "Re: Arve [ACME #2]"
    )
    assert reply_subject("[ACME #2] a [ACME #2]", "ACME", 2) == "[ACME #2] a"
    assert reply_subject("x", "ACME", None) == "x"


@pytest.mark.parametrize(
    "subject",
    [
        "Hello\r\nBcc: victim@example.org",
        "Hello\nX-Injected: yes",
        "Hello\rX-Injected: yes",
        "=?utf-8?b?SGVsbG8NClgtSW5qZWN0ZWQ6IHllcw==?=",  # CR LF inside a word
        "=?utf-8?q?Hello=0D=0AX-Injected=3A_yes?=",
        # encoded twice: Python's header parser would decode the second round
        "=?utf-8?b?PT91dGYtOD9iP1NHVnNiRzhOQ2xndFNXNXFaV04wWldRNklIbGxjdz09Pz0=?=",
        "Hello\u2028X-Injected: yes\x85\x00\x1b[31m",
    ],
)
def test_header_injection_through_subject_or_name_is_impossible(subject: str) -> None:
    msg = compose(
        CONFIG,
        to=[(subject, "mart@example.ee")],
        subject=subject,
        body="x",
        ticket_number=1,
        in_reply_to="<a@b>\r\nBcc: victim@example.org",
    )
    data = bytes(msg)
    names = _headers(data)
    assert "x-injected" not in names
    assert "bcc" not in names
    assert sorted(names) == sorted(
        ["from", "to", "subject", "date", "message-id", "x-loop", "mime-version",
         "content-type", "content-transfer-encoding"]
    )  # fmt: skip
    parsed = parse_message(data)
    assert "\n" not in parsed.subject
    assert "\r" not in parsed.subject
    assert parsed.to == ("mart@example.ee",)


def test_clean_header_text_folds_and_limits() -> None:
    assert clean_header_text("  a \t\r\n b  ") == "a b"
    assert clean_header_text("\u202eevil") == "evil"
    long = clean_header_text("x" * 1000, 50)
    assert len(long) == 50
    assert long.endswith("…")


def test_bad_addresses_and_missing_sender_are_errors() -> None:
    with pytest.raises(UsageError):
        compose(CONFIG, to=["a@b.org\r\nBcc: c@d.org"], subject="s", body="b")
    with pytest.raises(UsageError):
        compose(CONFIG, to=["not an address"], subject="s", body="b")
    with pytest.raises(UsageError):
        compose(CONFIG, to=[], subject="s", body="b")
    with pytest.raises(ConfigError):
        compose(config_from_mapping({}), to=["a@b.org"], subject="s", body="b")


def test_references_are_trimmed_keeping_the_root() -> None:
    refs = [f"<r{i}@x.org>" for i in range(40)]
    parsed = parse_message(
        bytes(
            compose(
                CONFIG,
                to=["a@b.org"],
                subject="s",
                body="b",
                in_reply_to="<parent@x.org>",
                references=[*refs, "garbage", "<bad id@x>"],
            )
        )
    )
    assert len(parsed.references) == MAX_REFERENCES
    assert parsed.references[0] == "<r0@x.org>"
    assert parsed.references[-1] == "<parent@x.org>"


def test_attachments_get_safe_names_and_keep_their_bytes() -> None:
    msg = compose(
        CONFIG,
        to=["a@b.org"],
        subject="s",
        body="see attached",
        attachments=[
            ("../../etc/passwd", "text/plain", b"root:x:0:0"),
            ("Hinnapakkumine õ.pdf", "application/pdf", b"%PDF-1.4 \x00\xff"),
            ("x\r\nContent-Type: text/html", "bogus", b"data"),
        ],
    )
    parsed = parse_message(bytes(msg))
    names = [a.filename for a in parsed.attachments]
    assert names[0] == "etc_passwd"
    assert names[1] == "Hinnapakkumine õ.pdf"
    assert "/" not in names[2]
    assert "\n" not in names[2]
    assert [a.data for a in parsed.attachments] == [
        b"root:x:0:0",
        b"%PDF-1.4 \x00\xff",
        b"data",
    ]
    assert parsed.attachments[2].content_type == "application/octet-stream"


def test_message_ids_are_unique_on_the_sender_domain() -> None:
    ids = {make_message_id(CONFIG) for _ in range(100)}
    assert len(ids) == 100
    assert all(i.startswith("<") and i.endswith("@acme.example>") for i in ids)


def test_builtin_templates_render_and_a_folder_overrides_them(tmp_path: Path) -> None:
    fields = {
        "number": 5,
        "token": "[ACME #5]",
        "subject": "Arve",
        "requester": "mart@example.ee",
        "requester_name": "Mart",
    }
    ack = render_mail_template(CONFIG, "acknowledgement", **fields)
    assert ack.subject == "Re: Arve"
    assert "[ACME #5]" in ack.body
    assert "Hello Mart," in ack.body
    (tmp_path / "acknowledgement.txt").write_text("Got it, {{ token }}\n")
    (tmp_path / "refund.txt").write_text("Subject: Refund\nDear {{ nobody }}\n")
    own = config_from_mapping({"templates": {"dir": str(tmp_path)}})
    assert render_mail_template(own, "acknowledgement", **fields).body == (
        "Got it, [ACME #5]\n"
    )
    with pytest.raises(UsageError, match="nobody"):
        render_mail_template(own, "refund", **fields)
    with pytest.raises(UsageError, match="no missing.txt"):
        render_mail_template(own, "missing", **fields)
    with pytest.raises(UsageError):
        render_mail_template(own, "../etc/passwd", **fields)
    listed = dict(list_templates(own))
    assert listed["acknowledgement"] == str(tmp_path / "acknowledgement.txt")
    assert listed["closed"] == "built in"
    assert "refund" in listed


def test_the_readme_example_template_renders(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text("utf-8")
    example = readme.split("```jinja\n", 1)[1].split("```", 1)[0]
    (tmp_path / "acknowledgement.txt").write_text(example, encoding="utf-8")
    config = config_from_mapping({"templates": {"dir": str(tmp_path)}})
    text = render_mail_template(
        config,
        "acknowledgement",
        subject="Arve",
        requester_name="",
        token="[ACME #5]",
        assignee_name="Kadri",
    )
    assert text.subject == "Re: Arve"
    assert text.body.startswith("Hello there,")
    assert "Kadri will answer you." in text.body


def test_an_internationalised_domain_goes_out_as_idna() -> None:
    parsed = parse_message(
        bytes(compose(CONFIG, to=[("Jüri", "jyri@õun.ee")], subject="s", body="b"))
    )
    assert parsed.to == ("jyri@xn--un-bka.ee",)
    with pytest.raises(UsageError):  # a UTF-8 local part needs SMTPUTF8
        compose(CONFIG, to=["jüri@oun.ee"], subject="s", body="b")


# What each sender of mail hands to compose(): notify.py (acknowledgement,
# close notice), replies.py (a person's reply), render/html.py (the report).
KINDS = {
    "acknowledgement": {
        "in_reply_to": "<m1@example.ee>",
        "auto_submitted": "auto-replied",
    },
    "close-notice": {
        "in_reply_to": "<m1@example.ee>",
        "references": ["<root@example.ee>"],
        "auto_submitted": "auto-generated",
    },
    "reply": {
        "cc": ["jaan@example.ee"],
        "in_reply_to": "<m1@example.ee>",
        "attachments": [("arve.pdf", "application/pdf", b"%PDF-1.4\n")],
    },
    "report": {
        "ticket_number": None,
        "html": "<p>Hommik</p>",
        "auto_submitted": "auto-generated",
        "language": "et",
    },
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize(
    ("smtp", "sender"),
    [({}, "support@acme.example"), ({"from": "Abi@Acme.example"}, "abi@acme.example")],
)
def test_every_mail_we_compose_carries_x_loop_naming_its_sender(
    kind: str, smtp: dict[str, str], sender: str
) -> None:
    config = config_from_mapping(
        {
            "support_addresses": ["support@acme.example"],
            "token_prefix": "ACME",
            "smtp": smtp,
        }
    )
    options = {"ticket_number": 12, **KINDS[kind]}
    msg = compose(
        config, to=[("Mart", "mart@example.ee")], subject="Arve", body="b", **options
    )
    data = bytes(msg)
    assert _headers(data).count("x-loop") == 1
    parsed = parse_message(data)
    assert parsed.x_loop == (sender,)
    assert parsed.from_address == sender


def test_an_agent_notice_carries_x_loop_too() -> None:
    from ticketcli.desk.notices import _compose_notice

    msg = _compose_notice(
        CONFIG,
        12,
        ("Assigned to you: Arve", "body"),
        "anna@acme.example",
        datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    )
    assert parse_message(bytes(msg)).x_loop == ("support@acme.example",)

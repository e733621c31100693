"""parse_message: bytes -> ParsedMail, on hand-made, generated and real mail."""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
from datetime import UTC, datetime

import pytest

from tests.conftest import CORPUS, need_corpus
from ticketcli.errors import MailParseError
from ticketcli.mail.parse import (
    decode_header_words,
    decode_text,
    html_to_text,
    parse_message,
    sanitize_filename,
)


def b_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def q_word(text: str, charset: str) -> str:
    data = binascii.b2a_qp(text.encode(charset), header=True).decode()
    return f"=?{charset}?Q?{data}?="


def mail(
    headers: str | bytes, body: str | bytes = "Hello.\n", sender: bool = True
) -> bytes:
    """A message from a header block and a body, with CRLF as on the wire."""
    head = headers.encode("utf-8") if isinstance(headers, str) else headers
    data = body.encode("utf-8") if isinstance(body, str) else body
    if sender and b"From:" not in head:
        head = b"From: Mari Tamm <mari@example.ee>\n" + head
    return (head.rstrip(b"\n") + b"\n\n" + data).replace(b"\n", b"\r\n")


# --- not a mail -----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n\r\n",
        b"Lorem ipsum dolor sit amet\nconsectetur\n",
        bytes(range(256)) * 4,
    ],
    ids=["empty", "blank", "prose", "binary"],
)
def test_parse_rejects_what_is_not_a_mail(raw: bytes) -> None:
    with pytest.raises(MailParseError) as info:
        parse_message(raw)
    assert str(info.value).strip()


def test_parse_reads_a_message_with_an_mbox_from_line() -> None:
    raw = b"From mari@x.ee Mon Jan  5 10:00:00 2026\n" + mail("Subject: hi")
    parsed = parse_message(raw)
    assert (parsed.from_address, parsed.subject) == ("mari@example.ee", "hi")
    assert parsed.content_hash == parse_message(mail("Subject: hi")).content_hash


def test_parse_skips_a_bom_and_a_junk_line_before_the_headers() -> None:
    raw = (
        b"\xef\xbb\xbf---- Original email message ----\r\n"
        b"From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n"
    )
    parsed = parse_message(raw)
    assert (parsed.from_address, parsed.subject) == ("a@example.com", "hi")
    assert "junk-before-headers" in parsed.defects


# --- Message-IDs ----------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Message-ID: <abc@example.com>", "<abc@example.com>"),
        ("Message-ID:   <abc@example.com>  (added by relay)", "<abc@example.com>"),
        ("Message-ID: (comment <x@y>) <abc@example.com>", "<abc@example.com>"),
        ("Message-ID: abc@example.com", "<abc@example.com>"),
        ("Message-ID:\n <abc@example.com>", "<abc@example.com>"),
        ("Message-ID: <>", None),
        ("Message-ID: garbage", None),
        ("Subject: no id", None),
    ],
    ids=[
        "plain",
        "trailing-comment",
        "leading-comment",
        "bare",
        "folded",
        "empty",
        "garbage",
        "missing",
    ],
)
def test_parse_message_id_is_canonical(header: str, expected: str | None) -> None:
    parsed = parse_message(mail(header))
    assert parsed.message_id == expected
    if expected is None:
        assert {"missing-message-id", "bad-message-id"} & set(parsed.defects)


@pytest.mark.parametrize(
    ("headers", "in_reply_to", "references"),
    [
        ("In-Reply-To: <a@x>\nReferences: <r@x> <a@x>", ("<a@x>",), ("<r@x>", "<a@x>")),
        ("In-Reply-To: a@x", ("<a@x>",), ()),
        (
            "In-Reply-To: <a@x> (Mari Tamm's message of Mon, 5 Jan <mari@x.ee>)",
            ("<a@x>",),
            (),
        ),
        ("References: <r1@x>\n\t<r2@x>\n <r3@x>", (), ("<r1@x>", "<r2@x>", "<r3@x>")),
        ("References: <r1@x>,<r2@x> junk <> <r1@x>", (), ("<r1@x>", "<r2@x>")),
        ("In-Reply-To:", (), ()),
    ],
    ids=["both", "irt-bare", "irt-comment", "refs-folded", "refs-junk", "irt-empty"],
)
def test_parse_threading_ids(
    headers: str, in_reply_to: tuple[str, ...], references: tuple[str, ...]
) -> None:
    parsed = parse_message(mail("Message-ID: <self@x>\n" + headers))
    assert parsed.in_reply_to == in_reply_to
    assert parsed.references == references


def test_parse_thread_index_is_raw_and_stripped() -> None:
    parsed = parse_message(mail("Thread-Index:  AdqVtkEwm6b0d1yVTp2H1M8RtWx1Ag==  "))
    assert parsed.thread_index == "AdqVtkEwm6b0d1yVTp2H1M8RtWx1Ag=="
    assert parse_message(mail("Subject: x")).thread_index is None


# --- addresses ------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_header", "name", "address"),
    [
        (
            b"From: Mari Tamm <Mari.Tamm@Example.EE>",
            "Mari Tamm",
            "mari.tamm@example.ee",
        ),
        (b'From: "Tamm, Mari" <mari@example.ee>', "Tamm, Mari", "mari@example.ee"),
        (
            f"From: {q_word('Tamm, Mari', 'utf-8')} <mari@example.ee>".encode(),
            "Tamm, Mari",
            "mari@example.ee",
        ),
        (
            b"From: =?utf-8?Q?Tamm=2C_Mari?= <mari@example.ee>, other@x.ee",
            "Tamm, Mari",
            "mari@example.ee",
        ),
        (
            f"From: {b_word('Jüri Õunapuu', 'utf-8')} <j@x.ee>".encode(),
            "Jüri Õunapuu",
            "j@x.ee",
        ),
        (
            f"From: {b_word('Łukasz Żółć', 'iso-8859-2')} <l@x.pl>".encode(),
            "Łukasz Żółć",
            "l@x.pl",
        ),
        (
            f"From: {q_word('Jānis Ozoliņš', 'iso-8859-13')} <j@x.lv>".encode(),
            "Jānis Ozoliņš",
            "j@x.lv",
        ),
        (
            f"From: {b_word('Tomaž Šušteršič', 'windows-1250')} <t@x.si>".encode(),
            "Tomaž Šušteršič",
            "t@x.si",
        ),
        (
            f"From: {q_word('Rūta Kazlauskienė', 'windows-1257')} <r@x.lt>".encode(),
            "Rūta Kazlauskienė",
            "r@x.lt",
        ),
        (
            f'From: "{b_word("Päivi Mäkelä", "utf-8")}" <p@x.fi>'.encode(),
            "Päivi Mäkelä",
            "p@x.fi",
        ),
        ("From: Jüri Õunapuu <j@x.ee>".encode(), "Jüri Õunapuu", "j@x.ee"),
        ("From: Jüri Õunapuu <j@x.ee>".encode("cp1252"), "Jüri Õunapuu", "j@x.ee"),
        (b"From: mari@example.ee (Mari Tamm)", "Mari Tamm", "mari@example.ee"),
        (b"From: MAILER-DAEMON <>", "MAILER-DAEMON", ""),
        (b"Subject: no sender", "", ""),
    ],
    ids=[
        "plain",
        "quoted-comma",
        "q-raw-comma",
        "q-encoded-comma",
        "b-utf8",
        "b-iso-8859-2",
        "q-iso-8859-13",
        "b-windows-1250",
        "q-windows-1257",
        "b-inside-quotes",
        "raw-utf8",
        "raw-cp1252",
        "comment-name",
        "null-address",
        "missing",
    ],
)
def test_parse_sender_name_and_address(
    from_header: bytes, name: str, address: str
) -> None:
    parsed = parse_message(mail(from_header, sender=False))
    assert (parsed.from_name, parsed.from_address) == (name, address)


def test_parse_recipients_are_lower_case_and_unique() -> None:
    parsed = parse_message(
        mail(
            'To: "Tamm, Mari" <Mari@X.ee>, support@Helpdesk.example\n'
            "Cc: a@x.ee,\n b@x.ee, A@X.EE\nCc: c@x.ee"
        )
    )
    assert parsed.to == ("mari@x.ee", "support@helpdesk.example")
    assert parsed.cc == ("a@x.ee", "b@x.ee", "c@x.ee")


@pytest.mark.parametrize(
    ("to_header", "expected"),
    [
        ("To: unlisted-recipients:; (no To-header on input)", ()),
        ("To: undisclosed-recipients:;", ()),
        ("To: Team: a@x.ee, b@x.ee;, c@x.ee", ("a@x.ee", "b@x.ee", "c@x.ee")),
    ],
    ids=["unlisted", "undisclosed", "group-with-members"],
)
def test_parse_group_syntax_does_not_crash(
    to_header: str, expected: tuple[str, ...]
) -> None:
    assert parse_message(mail(to_header)).to == expected


# --- dates ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected", "defect"),
    [
        (
            "Date: Mon, 05 Jan 2026 12:00:00 +0200",
            datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
            None,
        ),
        (
            "Date: Mon, 5 Jan 2026 07:00:00 -0500 (EST)",
            datetime(2026, 1, 5, 12, 0, tzinfo=UTC),
            None,
        ),
        (
            "Date: Mon, 5 Jan 2026 10:00:00 -0000",
            datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
            None,
        ),
        (
            "Date: Mon, 5 Jan 2026 10:00:00 Z",
            datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
            None,
        ),
        ("Date: 2026-01-05T10:00:00Z", datetime(2026, 1, 5, 10, 0, tzinfo=UTC), None),
        ("Date: yesterday afternoon", None, "bad-date"),
        ("Date: Mon, 45 Foo 2026 99:99:99 +0200", None, "bad-date"),
        ("Subject: undated", None, "missing-date"),
    ],
    ids=[
        "offset",
        "comment",
        "minus-zero",
        "zulu",
        "iso",
        "prose",
        "nonsense",
        "missing",
    ],
)
def test_parse_date_is_aware_utc_or_none(
    header: str, expected: datetime | None, defect: str | None
) -> None:
    parsed = parse_message(mail(header))
    assert parsed.date == expected
    if expected is not None:
        assert parsed.date.utcoffset().total_seconds() == 0
    if defect:
        assert defect in parsed.defects


# --- subjects -------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Subject: Plain subject", "Plain subject"),
        ("Subject: Folded\n   over\tlines", "Folded over lines"),
        (
            f"Subject: Re: {b_word('Päivitys epäonnistui', 'utf-8')}",
            "Re: Päivitys epäonnistui",
        ),
        (
            f"Subject: {q_word('Reklamacja zamówienia', 'iso-8859-2')}",
            "Reklamacja zamówienia",
        ),
        (
            f"Subject: {b_word('Vprašanje glede računa', 'windows-1250')}",
            "Vprašanje glede računa",
        ),
        (f"Subject: {q_word('Sąskaita faktūra', 'iso-8859-13')}", "Sąskaita faktūra"),
        (f"Subject: {q_word('Rēķins', 'windows-1257')}", "Rēķins"),
        ("Subject: =?utf-8?B?w6Q=?= =?utf-8?B?w7Y=?=", "äö"),
        # one character split across two encoded words (kopano-core fixture style)
        ("Subject: =?utf-8?B?4oI=?= =?utf-8?B?rA==?=", "€"),
        ("Subject: =?utf-8?Q?a?= b =?utf-8?Q?c?=", "a b c"),
        ("Subject: Odp:=?utf-8?Q?Faktura_nr_1?=", "Odp:Faktura nr 1"),
        ("Subject: =?x-unknown?Q?caf=C3=A9?=", "café"),
        ("Subject: caf\xe9 ok".encode("latin-1"), "café ok"),
    ],
    ids=[
        "plain",
        "folded",
        "b-utf8",
        "q-iso-8859-2",
        "b-windows-1250",
        "q-iso-8859-13",
        "q-windows-1257",
        "adjacent-words",
        "split-character",
        "mixed-text",
        "no-space-prefix",
        "unknown-charset",
        "raw-latin1",
    ],
)
def test_parse_subject_is_decoded_and_folded(
    header: str | bytes, expected: str
) -> None:
    assert parse_message(mail(header)).subject == expected


def test_decode_header_words_notes_unknown_charsets() -> None:
    notes: list[str] = []
    assert decode_header_words("=?utf-8-purple?Q?x?= y", notes) == "x y"
    assert "unknown-charset:utf-8-purple" in notes


# --- bodies ---------------------------------------------------------------


def test_parse_prefers_plain_text_over_html() -> None:
    raw = mail(
        'Content-Type: multipart/alternative; boundary="b"',
        "--b\nContent-Type: text/html; charset=utf-8\n\n<p>html</p>\n"
        "--b\nContent-Type: text/plain; charset=utf-8\n\nplain text\n--b--\n",
    )
    assert parse_message(raw).body_text == "plain text"


def test_parse_turns_an_html_only_body_into_text() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<script>alert(1)</script><h1>Tere!</h1><p>Arve&nbsp;nr&nbsp;12 &amp; "
        "m&#228;rge</p><div>rida<br>teine</div><ul><li>üks</li></ul></body></html>"
    )
    raw = mail(
        "Content-Type: text/html; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable",
        binascii.b2a_qp(html.encode()).decode(),
    )
    assert parse_message(raw).body_text == (
        "Tere!\n\nArve nr 12 & märge\n\nrida\nteine\n\n- üks"
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>a</p><p>b</p>", "a\n\nb"),
        ("<pre>  keep\n   lines</pre>", "keep\nlines"),
        ("<table><tr><td>a</td><td>b</td></tr></table>", "a b"),
        ("<head><meta charset=utf-8>text in head", "text in head"),
        ("<!--[if mso]>x<![endif]--><b>bold</b>", "bold"),
        ("", ""),
    ],
    ids=["paragraphs", "pre", "table", "unclosed-head", "comment", "empty"],
)
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


@pytest.mark.parametrize(
    ("charset", "payload", "expected", "defect"),
    [
        ("utf-8", "Tere, õun".encode(), "Tere, õun", None),
        ("iso-8859-2", "Żółć".encode("iso-8859-2"), "Żółć", None),
        ("iso-8859-13", "Ąžuolas".encode("iso-8859-13"), "Ąžuolas", None),
        ("windows-1250", "Šumnik".encode("cp1250"), "Šumnik", None),
        ("windows-1257", "Ąžuolas".encode("cp1257"), "Ąžuolas", None),
        ("iso-8859-1", "“smart” café".encode("cp1252"), "“smart” café", None),
        ("x-unknown", "café".encode(), "café", "unknown-charset:x-unknown"),
        ("utf-8-purple", "Ч".encode(), "Ч", "unknown-charset:utf-8-purple"),
        ("BALTIC", "ąž".encode("cp1257"), "ąž", "unknown-charset:baltic"),
        (
            "unicodebig",
            "dum my".encode("utf-16-be"),
            "dum my",
            "unknown-charset:unicodebig",
        ),
        ("iso-gb2312", "中文".encode("gb2312"), "中文", "unknown-charset:iso-gb2312"),
        (
            "windows-1252http-equivContent-Type",
            "mécanique".encode("cp1252"),
            "mécanique",
            "unknown-charset:windows-1252http-equivcontent-type",
        ),
        ("base64", b"plain", "plain", "unknown-charset:base64"),
        ("us-ascii", "õun".encode(), "õun", "8bit-in-ascii"),
        ("utf-8", b"caf\xe9", "café", "undecodable-text:utf-8"),
    ],
    ids=[
        "utf-8",
        "iso-8859-2",
        "iso-8859-13",
        "windows-1250",
        "windows-1257",
        "latin1-is-cp1252",
        "x-unknown",
        "utf-8-purple",
        "baltic",
        "unicodebig",
        "iso-gb2312",
        "glued-junk",
        "bytes-codec",
        "8bit-in-ascii",
        "bad-utf-8",
    ],
)
def test_parse_body_charsets_never_raise(
    charset: str, payload: bytes, expected: str, defect: str | None
) -> None:
    raw = mail(
        f'Content-Type: text/plain; charset="{charset}"\n'
        "Content-Transfer-Encoding: base64",
        base64.encodebytes(payload).decode(),
    )
    parsed = parse_message(raw)
    assert parsed.body_text.replace("\ufffd", "") == expected
    if defect:
        assert defect in parsed.defects
    else:
        assert not [d for d in parsed.defects if "charset" in d or "text" in d]


def test_decode_text_without_charset_guesses_utf8_then_cp1252() -> None:
    assert decode_text("õun".encode(), None) == "õun"
    assert decode_text("õun".encode("cp1252"), None) == "õun"


def test_parse_removes_control_characters_from_text() -> None:
    parsed = parse_message(mail("Subject: a\x1b[31mb", "nul\x00 and esc\x1b[2J\ttab\n"))
    assert parsed.subject == "a[31mb"
    assert parsed.body_text == "nul and esc[2J\ttab\n"


def test_parse_body_of_a_forwarded_message_only() -> None:
    raw = mail(
        'Content-Type: multipart/mixed; boundary="b"',
        "--b\nContent-Type: message/rfc822\n\nFrom: x@y\nSubject: inner\n\n"
        "inner text\n--b--\n",
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "inner text"
    assert parsed.reported_message_ids == ()


# --- attachments ----------------------------------------------------------


def _with_attachment(part_headers: str, payload: bytes = b"%PDF-1.4 data") -> bytes:
    return mail(
        'Content-Type: multipart/mixed; boundary="b"',
        "--b\nContent-Type: text/plain\n\nsee attached\n--b\n"
        + part_headers
        + "\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(payload).decode()
        + "--b--\n",
    )


@pytest.mark.parametrize(
    ("part_headers", "filename"),
    [
        (
            "Content-Type: application/pdf\nContent-Disposition: attachment; "
            'filename="arve.pdf"',
            "arve.pdf",
        ),
        (
            "Content-Type: application/pdf\nContent-Disposition: attachment;\n"
            " filename*0*=utf-8''%C3%95nnit;\n filename*1*=lus%20%C3%A4ri.pdf",
            "Õnnitlus äri.pdf",
        ),
        (
            "Content-Type: application/pdf\nContent-Disposition: attachment;\n"
            " filename*=iso-8859-2''%A3%F3d%BC.pdf",
            "Łódź.pdf",
        ),
        (
            'Content-Type: application/pdf; name="=?utf-8?B?UMOkcmluZy5wZGY=?="\n'
            'Content-Disposition: attachment; filename="=?utf-8?B?UMOkcmluZy5wZGY=?="',
            "Päring.pdf",
        ),
        ('Content-Type: application/pdf; name="only-name.pdf"', "only-name.pdf"),
        (
            "Content-Type: image/png\n"
            'Content-Disposition: inline; filename="logo.png"\n'
            "Content-ID: <logo>",
            "logo.png",
        ),
        (
            "Content-Type: application/pdf\nContent-Disposition: attachment; "
            'filename="../../etc/passwd"',
            "etc_passwd",
        ),
        (
            "Content-Type: application/pdf\nContent-Disposition: attachment; "
            'filename="C:\\\\Users\\\\mari\\\\arve.pdf"',
            "C__Users_mari_arve.pdf",
        ),
        (
            "Content-Type: image/jpeg\nContent-Disposition: attachment; "
            'filename="Hofjäger.jpg"',
            "Hofjäger.jpg",
        ),
        (
            "Content-Type: image/jpeg\nContent-Disposition: attachment;\n"
            " filename*=us-ascii''W%F6lbung.jpg",
            "Wölbung.jpg",
        ),
        (
            "Content-Type: application/pdf\nContent-Disposition: attachment",
            "attachment-1.pdf",
        ),
        (
            "Content-Type: application/x-weird\nContent-Disposition: attachment; "
            'filename="..."',
            "attachment-1.bin",
        ),
    ],
    ids=[
        "plain",
        "rfc2231-continuation",
        "rfc2231-iso-8859-2",
        "rfc2047-in-quotes",
        "content-type-name",
        "inline-image",
        "traversal",
        "windows-path",
        "raw-utf8",
        "rfc2231-wrong-charset",
        "no-name",
        "dots-only",
    ],
)
def test_parse_attachment_names(part_headers: str, filename: str) -> None:
    parsed = parse_message(_with_attachment(part_headers))
    assert parsed.body_text == "see attached"
    assert [a.filename for a in parsed.attachments] == [filename]


def test_parse_attachment_size_hash_and_data() -> None:
    payload = bytes(range(256)) * 10
    parsed = parse_message(
        _with_attachment(
            'Content-Type: application/octet-stream; name="blob.bin"', payload
        )
    )
    (attachment,) = parsed.attachments
    assert attachment.content_type == "application/octet-stream"
    assert attachment.size == len(payload)
    assert attachment.sha256 == hashlib.sha256(payload).hexdigest()
    assert attachment.data == payload


def test_parse_attached_message_is_one_attachment() -> None:
    raw = mail(
        'Content-Type: multipart/mixed; boundary="b"',
        "--b\nContent-Type: text/plain\n\nforwarding\n--b\n"
        "Content-Type: message/rfc822\nContent-Disposition: attachment\n\n"
        "From: x@y\nSubject: Old mail\n\nold text\n--b\n"
        'Content-Type: text/plain; name="log.txt"\n\nlog\n--b--\n',
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "forwarding"
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("Old mail.eml", "message/rfc822"),
        ("log.txt", "text/plain"),
    ]
    assert b"old text" in parsed.attachments[0].data


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../../etc/passwd", "etc_passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        (".bashrc", "bashrc"),
        ("a\x00b\x07c.txt", "ab_c.txt"),
        ("invoice\u202eFDP.exe", "invoice_FDP.exe"),
        ("a..b.txt", "a.b.txt"),
        ("CON.txt", "_CON.txt"),
        ("  spaced   name .pdf ", "spaced name .pdf"),
        ("x" * 300 + ".pdf", "x" * 176 + ".pdf"),
        ("õ" * 200 + ".docx", "õ" * 87 + ".docx"),
        ("", "attachment-3.png"),
        ("/", "attachment-3.png"),
        (None, "attachment-3.png"),
    ],
    ids=[
        "plain",
        "traversal",
        "backslash-traversal",
        "leading-dot",
        "controls",
        "bidi-override",
        "double-dot",
        "device-name",
        "whitespace",
        "long-ascii",
        "long-utf8",
        "empty",
        "separator-only",
        "none",
    ],
)
def test_sanitize_filename(name: str | None, expected: str) -> None:
    result = sanitize_filename(name, "image/png", 3)
    assert result == expected
    assert "/" not in result
    assert "\\" not in result
    assert ".." not in result
    assert len(result.encode()) <= 200


# --- headers, hashes, reports ---------------------------------------------


def test_parse_headers_are_lower_case_first_value_unfolded() -> None:
    parsed = parse_message(
        mail(
            "Received: from b\nReceived: from a\nAuto-Submitted: auto-replied\n"
            "List-Unsubscribe: <mailto:u@x>,\n <https://x/u>\nPrecedence: bulk\n"
            "X-Auto-Response-Suppress: All\nReturn-Path: <>\nX-Mailer: Test 1.0"
        )
    )
    headers = parsed.headers
    assert headers["received"] == "from b"
    assert headers["auto-submitted"] == "auto-replied"
    assert headers["list-unsubscribe"] == "<mailto:u@x>, <https://x/u>"
    assert headers["precedence"] == "bulk"
    assert headers["x-auto-response-suppress"] == "All"
    assert headers["return-path"] == "<>"
    assert headers["x-mailer"] == "Test 1.0"


_BASE = mail(
    "To: support@helpdesk.example\nSubject: Arve\n"
    "Date: Mon, 5 Jan 2026 10:00:00 +0200\nMessage-ID: <m1@x.ee>",
    "Tere!\nArve on vale.\n",
)


@pytest.mark.parametrize(
    "variant",
    [
        b"Received: from relay (relay [192.0.2.1]) by mx; Mon, 5 Jan 2026\r\n" + _BASE,
        b"Return-Path: <mari@example.ee>\r\nDelivered-To: support@helpdesk.example\r\n"
        b"X-Original-To: support@helpdesk.example\r\n"
        b"Authentication-Results: mx; dkim=pass\r\n"
        b"DKIM-Signature: v=1; a=rsa-sha256; d=x.ee;\r\n b=abc\r\n" + _BASE,
        _BASE.replace(b"\r\n", b"\n"),
        _BASE + b"\r\n\r\n",
    ],
    ids=["one-more-hop", "trace-headers", "lf-line-endings", "trailing-blank-lines"],
)
def test_parse_content_hash_same_for_another_delivery(variant: bytes) -> None:
    original, again = parse_message(_BASE), parse_message(variant)
    assert again.content_hash == original.content_hash
    assert again.raw_sha256 != original.raw_sha256
    assert again.size == len(variant)


@pytest.mark.parametrize(
    "variant",
    [
        _BASE.replace(b"Arve on vale", b"Arve on hea"),
        _BASE.replace(b"Subject: Arve", b"Subject: Leping"),
        _BASE.replace(b"10:00:00", b"10:00:01"),
        _BASE.replace(b"From: Mari Tamm <mari", b"From: Mari Tamm <jaan"),
    ],
    ids=["body", "subject", "date", "from"],
)
def test_parse_content_hash_differs_for_another_mail_with_the_same_id(
    variant: bytes,
) -> None:
    original, other = parse_message(_BASE), parse_message(variant)
    assert other.message_id == original.message_id
    assert other.content_hash != original.content_hash


def test_parse_raw_hash_and_size_are_of_the_exact_bytes() -> None:
    parsed = parse_message(_BASE)
    assert parsed.raw_sha256 == hashlib.sha256(_BASE).hexdigest()
    assert parsed.size == len(_BASE)
    assert parsed.content_type == "text/plain"


_DSN = (
    "From: MAILER-DAEMON@mx.example (Mail Delivery System)\n"
    "Return-Path: <>\nSubject: Undelivered Mail Returned to Sender\n"
    "Message-ID: <bounce@mx.example>\nAuto-Submitted: auto-replied\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"'
)


@pytest.mark.parametrize(
    ("original_type", "expected"),
    [
        ("message/rfc822", ("<orig@helpdesk.example>", "<parent@x.ee>")),
        ("text/rfc822-headers", ("<orig@helpdesk.example>", "<parent@x.ee>")),
    ],
    ids=["message-rfc822", "rfc822-headers"],
)
def test_parse_reported_message_ids_of_a_dsn(
    original_type: str, expected: tuple[str, ...]
) -> None:
    raw = mail(
        _DSN.encode(),
        "--b\nContent-Type: text/plain\n\nUser unknown\n"
        "--b\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; a@x.ee\n"
        "Action: failed\nStatus: 5.1.1\n"
        f"--b\nContent-Type: {original_type}\n\n"
        "From: support@helpdesk.example\nMessage-ID: <orig@helpdesk.example>\n"
        "In-Reply-To: <parent@x.ee>\nSubject: x\n\n"
        "--b--\n",
    )
    parsed = parse_message(raw)
    assert parsed.reported_message_ids == expected
    assert parsed.body_text == "User unknown"
    assert parsed.attachments == ()
    assert parsed.thread_ids[0] == "<orig@helpdesk.example>"


def test_parse_reported_message_id_of_a_plain_text_bounce() -> None:
    raw = mail(
        "From: MAILER-DAEMON@mx.example\nSubject: failure notice\nMessage-ID: <b@mx>",
        "Sorry.\n--- Below this line is a copy of the message.\n\n"
        "From: a@x\nMessage-ID: <orig@x>\n\nhello\n",
    )
    assert parse_message(raw).reported_message_ids == ("<orig@x>",)


def test_parse_reported_message_id_of_a_read_receipt() -> None:
    raw = mail(
        "Content-Type: multipart/report; report-type=disposition-notification; "
        'boundary="b"\nMessage-ID: <mdn@x>',
        "--b\nContent-Type: text/plain\n\nRead.\n"
        "--b\nContent-Type: message/disposition-notification\n\n"
        "Final-Recipient: rfc822; a@x\nOriginal-Message-ID: <orig@x>\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n--b--\n",
    )
    assert parse_message(raw).reported_message_ids == ("<orig@x>",)


# --- a generated mailbox --------------------------------------------------


def test_parse_generated_mailbox_matches_truth(gen_mailbox) -> None:
    out, truth = gen_mailbox(conversations=60, seed=3, fmt="eml-dir", noise=0.3)
    messages = truth["messages"]
    parsed = [parse_message((out / m["file"]).read_bytes()) for m in messages]
    for entry, mail_ in zip(messages, parsed, strict=True):
        assert mail_.message_id == entry["message_id"], entry["file"]
        assert mail_.date == datetime.fromisoformat(entry["date"]), entry["file"]
        if entry["kind"] in ("ticket", "autoreply"):
            assert mail_.from_address == entry["sender"], entry["file"]
        if entry["kind"] == "duplicate":
            original = parsed[entry["duplicate_of"]]
            assert mail_.content_hash == original.content_hash, entry["file"]
        if entry.get("anomaly") == "mid_collision":
            other = parsed[entry["collides_with"]]
            assert mail_.message_id == other.message_id
            assert mail_.content_hash != other.content_hash, entry["file"]
        if entry["kind"] == "bounce":
            assert mail_.reported_message_ids, entry["file"]
    kinds = {m["kind"] for m in messages}
    anomalies = {m.get("anomaly") for m in messages}
    assert {"duplicate", "bounce"} <= kinds
    assert "mid_collision" in anomalies


# --- the real-world corpus ------------------------------------------------


def test_parse_corpus_never_raises_anything_else() -> None:
    need_corpus()
    files = [
        p
        for p in sorted(CORPUS.rglob("*"))
        if p.is_file() and p.name not in ("index.tsv", "MANIFEST.md")
    ]
    assert len(files) > 700
    crashed, quarantined = [], []
    for path in files:
        try:
            parsed = parse_message(path.read_bytes())
        except MailParseError as exc:
            if not str(exc).strip():
                crashed.append(f"{path}: empty reason")
            quarantined.append(path)
            continue
        except Exception as exc:  # anything but MailParseError is the bug sought
            crashed.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        assert isinstance(parsed.body_text, str)
        for attachment in parsed.attachments:
            assert attachment.filename == sanitize_filename(attachment.filename)
    assert crashed == []
    # Only the files that are no mail at all (an Outlook .msg, bare prose).
    assert len(quarantined) <= 3


@pytest.mark.parametrize(
    ("path", "check"),
    [
        (
            "otrs/EmailParser/PostMaster-Test12.box",
            lambda m: "Обяснительная.jpg" in [a.filename for a in m.attachments],
        ),
        (
            "mimekit/messages/delivery-status.txt",
            lambda m: m.to == () and m.reported_message_ids,
        ),
        (
            "kopano-core/mails/zcp-13449-meca.eml",
            lambda m: m.subject == "Orange mécanique" and "Mécanique" in m.body_text,
        ),
        ("kopano-core/mails/iconvonly02.eml", lambda m: m.body_text == "iconvonly"),
        ("kopano-core/mails/zcp-11699-ub.eml", lambda m: m.body_text == "☺ dummy ☻"),
        (
            "ruby-mail/emails/plain_emails/raw_email10.eml",
            lambda m: "unknown-charset:x-unknown" in m.defects,
        ),
        (
            "sisimai/bsd/lhost-dragonfly-01.eml",
            lambda m: m.from_name == "MAILER-DAEMON" and m.from_address == "",
        ),
    ],
    ids=[
        "rfc2231-iso-2022-jp",
        "unlisted-recipients",
        "glued-charset",
        "baltic",
        "unicodebig",
        "x-unknown",
        "null-from",
    ],
)
def test_parse_corpus_known_troublemakers(path: str, check) -> None:
    need_corpus()
    assert check(parse_message((CORPUS / path).read_bytes()))


def test_parse_corpus_index_is_readable() -> None:
    need_corpus()
    with (CORPUS / "index.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert all((CORPUS / row["path"]).is_file() for row in rows)


def test_parse_drops_addresses_longer_than_smtp_allows() -> None:
    junk = "x" * 300
    mail = parse_message(
        f"From: Mari <{junk}@kund.ee>\r\nTo: support@acme.ee, {junk}@muu.ee\r\n"
        "Subject: s\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n".encode()
    )
    assert mail.from_address == ""
    assert mail.from_name == "Mari"
    assert mail.to == ("support@acme.ee",)
    assert "address-too-long" in mail.defects

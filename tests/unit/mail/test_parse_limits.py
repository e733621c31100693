"""parse_message bounds the work of one message (issue 13, DESIGN "What never
happens"): hostile sizes parse in well under a second, with a defect naming
the cap, and what comes before the junk is still read; normal mail parses as
it did, whichever way the stdlib is handed it."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import random
import time
from typing import TYPE_CHECKING

import pytest

from tests.conftest import CORPUS, need_corpus
from ticketcli.mail.parse import parse_message, scan
from ticketcli.mail.parse.digest import HASHED_HEADERS, content_hash

if TYPE_CHECKING:
    from collections.abc import Callable

    from ticketcli.mail.model import ParsedMail

HEAD = (
    b"From: Mari Tamm <mari@example.ee>\r\n"
    b"To: support@example.com\r\n"
    b"Subject: Printer on katki\r\n"
    b"Message-ID: <bomb@example.ee>\r\n"
    b"Date: Mon, 02 Mar 2026 10:00:00 +0200\r\n"
    b"MIME-Version: 1.0\r\n"
)
MIXED = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
TEXT = (
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    + "Tere, printer ei tööta.\r\n".encode()
)


def _parameters(count: int) -> bytes:
    return b"".join(b";\r\n p%d=v%d" % (i, i) for i in range(count))


def _fields(count: int) -> bytes:
    return b"".join(b"X-Junk-%d: v\r\n" % i for i in range(count))


def parameter_bomb() -> bytes:
    """The issue's 3 MB mail: 200,000 Content-Type parameters (40 s before)."""
    return (
        HEAD
        + b"Content-Type: text/plain; charset=utf-8"
        + _parameters(200_000)
        + "\r\n\r\nTere, printer ei tööta.\r\n".encode()
    )


def header_count_bomb() -> bytes:
    return HEAD + _fields(200_000) + "\r\nTere, printer ei tööta.\r\n".encode()


def header_length_bomb() -> bytes:
    return HEAD + b"X-Junk: " + b"a" * 3_000_000 + b"\r\n\r\nTere.\r\n"


def folded_header_bomb() -> bytes:
    return HEAD + b"X-Junk: a\r\n" + b"\t\r\n" * 1_000_000 + b"\r\nTere.\r\n"


def parts_bomb() -> bytes:
    return HEAD + MIXED + TEXT + b"--b\r\n\r\nx\r\n" * 100_000 + b"--b--\r\n"


def nested_header_bomb() -> bytes:
    return (
        HEAD
        + MIXED
        + TEXT
        + b"--b\r\nContent-Type: text/plain\r\n"
        + _fields(200_000)
        + b"\r\njunk\r\n--b--\r\n"
    )


def nested_parameter_bomb() -> bytes:
    return (
        HEAD
        + MIXED
        + TEXT
        + b"--b\r\nContent-Type: application/pdf"
        + _parameters(100_000)
        + b"\r\nContent-Disposition: attachment; filename=arve.pdf"
        + _parameters(100_000)
        + b"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"
    )


def nesting_bomb() -> bytes:
    """5,000 multiparts one in another (0.7 s and a quarantine before)."""
    levels = range(5_000)
    opening = b"".join(
        b"Content-Type: multipart/mixed; boundary=n%d\r\n\r\n--n%d\r\n" % (i, i)
        for i in levels
    )
    closing = b"".join(b"--n%d--\r\n" % i for i in reversed(levels))
    return HEAD + opening + b"Content-Type: text/plain\r\n\r\nTere.\r\n" + closing


def report_bomb() -> bytes:
    """A delivery report of 400,000 blocks: each one a part to the stdlib."""
    return (
        HEAD + b"Content-Type: multipart/report; report-type=delivery-status;"
        b" boundary=b\r\n\r\n"
        + TEXT
        + b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        + b"A: b\r\n\r\n" * 400_000
        + b"--b--\r\n"
    )


def line_bomb() -> bytes:
    """3 MB of empty lines: 1.5 million strings the stdlib collects one by one."""
    return HEAD + b"Content-Type: text/plain\r\n\r\nTere.\r\n" + b"\r\n" * 1_500_000


def near_boundary_bomb() -> bytes:
    """Lines that start like the boundary but are not one."""
    return HEAD + MIXED + TEXT + b"--bx\r\n" * 500_000 + b"--b--\r\n"


def html_bomb() -> bytes:
    return (
        HEAD
        + b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        + "<p>Tere, printer ei tööta.</p>".encode()
        + b"<b>x</b>" * 400_000
        + b"\r\n"
    )


BOMBS: dict[str, tuple[Callable[[], bytes], str | None]] = {
    "parameters": (parameter_bomb, "too-many-mime-parameters"),
    "header-count": (header_count_bomb, "too-many-headers"),
    "header-length": (header_length_bomb, "header-too-long"),
    "folded-header": (folded_header_bomb, "header-too-long"),
    "parts": (parts_bomb, "too-many-parts"),
    "nested-headers": (nested_header_bomb, "too-many-headers"),
    "nested-parameters": (nested_parameter_bomb, "too-many-mime-parameters"),
    "nesting": (nesting_bomb, "nested-too-deep"),
    "report-blocks": (report_bomb, "too-many-parts"),
    "empty-lines": (line_bomb, None),
    "near-boundaries": (near_boundary_bomb, None),
    "html-tags": (html_bomb, "html-too-long"),
}


@pytest.mark.parametrize("name", list(BOMBS), ids=list(BOMBS))
def test_hostile_mail_parses_in_under_a_second(name: str) -> None:
    build, defect = BOMBS[name]
    raw = build()
    assert len(raw) > 300_000
    started = time.perf_counter()
    mail = parse_message(raw)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{name}: {elapsed:.2f} s"
    if defect is not None:
        assert defect in mail.defects
    # What comes before the junk is read as ever.
    assert mail.from_address == "mari@example.ee"
    assert mail.subject == "Printer on katki"
    assert mail.message_id == "<bomb@example.ee>"
    assert mail.size == len(raw)
    assert mail.raw_sha256 == hashlib.sha256(raw).hexdigest()
    if name != "nesting":  # its text is 5,000 levels down, past the cap
        assert mail.body_text.startswith(("Tere, printer ei tööta.", "Tere."))


def test_parameters_past_the_cap_are_left_out_and_the_rest_is_read() -> None:
    mail = parse_message(nested_parameter_bomb())
    [pdf] = mail.attachments
    assert (pdf.filename, pdf.content_type) == ("arve.pdf", "application/pdf")
    assert pdf.data == base64.b64decode("JVBERi0xLjQK")
    assert mail.body_text == "Tere, printer ei tööta."


def test_parts_past_the_cap_are_left_out() -> None:
    attachment = (
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename=%d.bin\r\n\r\n%d\r\n"
    )
    raw = (
        HEAD
        + MIXED
        + TEXT
        + b"".join(attachment % (i, i) for i in range(1, 1_500))
        + b"--b--\r\n"
    )
    mail = parse_message(raw)
    assert "too-many-parts" in mail.defects
    names = [a.filename for a in mail.attachments]
    # The message, the text and 998 attachments make 1,000 parts.
    assert names == [f"{i}.bin" for i in range(1, 999)]
    assert mail.body_text == "Tere, printer ei tööta."


def test_header_caps_keep_the_headers_before_the_junk() -> None:
    raw = (
        HEAD
        + b"References: "
        + b" ".join(b"<r%d@example.ee>" % i for i in range(20_000))
        + b"\r\n"
        + _fields(2_000)
        + b"X-Late: never read\r\n\r\nTere.\r\n"
    )
    mail = parse_message(raw)
    assert {"header-too-long", "too-many-headers"} <= set(mail.defects)
    assert mail.references[:2] == ("<r0@example.ee>", "<r1@example.ee>")
    assert 3_000 < len(mail.references) < 20_000
    assert "x-late" not in mail.headers
    assert "x-junk-900" in mail.headers
    assert mail.body_text == "Tere.\n"


def _as_dict(mail: ParsedMail) -> dict[str, object]:
    data = dataclasses.asdict(mail)
    data["attachments"] = [
        (a.filename, a.content_type, a.size, a.sha256, a.data) for a in mail.attachments
    ]
    return data


@pytest.fixture
def every_body_a_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scan every message and hand every body line to the stdlib as a
    placeholder: the path a big mail takes, for any mail."""
    monkeypatch.setattr(scan, "SMALL_MESSAGE", -1)
    monkeypatch.setattr(scan, "INLINE_LINES", 0)
    monkeypatch.setattr(scan, "INLINE_BYTES", 0)


def _tricky_mails() -> dict[str, bytes]:
    rnd = random.Random(13)
    blob = base64.encodebytes(rnd.randbytes(30_000)).replace(b"\n", b"\r\n")
    nested = (
        b"Content-Type: multipart/alternative; boundary=inner\r\n\r\n"
        b"preamble\r\n\r\n--inner\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
        b"--inner\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--inner--\r\n"
        b"\r\nepilogue\r\n"
    )
    return {
        "attachment": HEAD
        + MIXED
        + TEXT
        + b"--b\r\nContent-Type: application/pdf; name=a.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + blob + b"--b--\r\n",
        "nested-with-preamble-epilogue": HEAD
        + MIXED
        + b"preamble\r\n--b\r\n"
        + nested
        + b"--b\r\n\r\n--b\r\n--b\r\nContent-Type: text/plain\r\n\r\ndouble\r\n"
        + b"--b--\r\n\r\n\r\nthe epilogue\r\n",
        "attached-message": HEAD
        + MIXED
        + TEXT
        + b"--b\r\nContent-Type: message/rfc822\r\n"
        b"Content-Disposition: attachment\r\n\r\n"
        + HEAD
        + MIXED
        + TEXT
        + b"--b--\r\n--b--\r\n",
        "no-close-boundary": HEAD + MIXED + TEXT + b"--b\r\n\r\n" + blob,
        "no-first-boundary": HEAD + MIXED + b"just text\r\n" * 50,
        "close-first": HEAD + MIXED + b"--b--\r\n" + b"after\r\n" * 50,
        "no-blank-line": HEAD + b"Content-Type: text/plain\r\n" + b"body line\r\n" * 50,
        "from-line-last": HEAD + b"From nobody\r\n\r\n" + b"body\r\n" * 50,
        "dsn": HEAD + b"Content-Type: multipart/report; report-type=delivery-status;"
        b" boundary=b\r\n\r\n"
        + TEXT
        + b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.ee\r\n\r\n\r\n"
        b"Final-Recipient: rfc822; x@example.ee\r\nnot a header\r\nmore\r\n\r\n"
        b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"Message-ID: <orig@example.ee>\r\n--b--\r\n",
        "digest": HEAD
        + b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\n"
        + HEAD
        + b"\r\nfirst\r\n--d\r\n\r\n"
        + HEAD
        + b"\r\nsecond\r\n--d--\r\n",
        "8bit-latin": HEAD + b"Content-Type: text/plain; charset=windows-1257\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        + "Tere päevast, Õie Šmidt!\r\n".encode("cp1257")
        * 40,
        "boundary-with-colon": HEAD
        + b'Content-Type: multipart/mixed; boundary="a:b"\r\n\r\n--a:b\r\n'
        b"Content-Type: text/plain\r\n\r\nx\r\n--a:b--\r\n",
    }


TRICKY = _tricky_mails()


@pytest.mark.parametrize("name", list(TRICKY), ids=list(TRICKY))
@pytest.mark.parametrize("eol", [b"\r\n", b"\n", b"\r"], ids=["crlf", "lf", "cr"])
def test_placeholders_read_back_what_the_stdlib_would_have_read(
    name: str, eol: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = TRICKY[name].replace(b"\r\n", eol)
    plain = _as_dict(parse_message(raw))
    monkeypatch.setattr(scan, "SMALL_MESSAGE", -1)
    monkeypatch.setattr(scan, "INLINE_LINES", 0)
    monkeypatch.setattr(scan, "INLINE_BYTES", 0)
    assert _as_dict(parse_message(raw)) == plain


def _mutants(count: int) -> list[bytes]:
    """Tricky mails with lines of structure copied, cut, re-ended at random."""
    rnd = random.Random(2026)
    snippets = [
        b"--b\r\n", b"--b--\r\n", b"--inner\r\n", b"\r\n", b"\n", b"\r",
        b"Content-Type: multipart/mixed; boundary=b\r\n", b"From x\r\n",
        b"Content-Type: message/rfc822\r\n", b" folded\r\n", b":\r\n",
        b"Content-Type: message/delivery-status\r\n", b"X: y\r\n",
    ]  # fmt: skip
    out = []
    for _ in range(count):
        data = bytearray(rnd.choice(list(TRICKY.values())))
        for _ in range(rnd.randint(1, 5)):
            pos = rnd.randrange(len(data) + 1)
            start = data.rfind(b"\n", 0, pos) + 1
            choice = rnd.random()
            if choice < 0.5:
                data[start:start] = rnd.choice(snippets)
            elif choice < 0.7:
                del data[pos : pos + rnd.randint(1, 100)]
            elif choice < 0.8:
                data = data[:pos]
            else:
                eol = rnd.choice([b"\r", b"\n", b"\r\n"])
                end = pos + rnd.randint(1, 3000)
                data[pos:end] = bytes(data[pos:end]).replace(b"\r\n", eol)
        if bytes(data).strip():
            out.append(bytes(data))
    return out


def test_placeholders_on_mutated_mail_change_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def read(raw: bytes) -> object:
        try:
            return _as_dict(parse_message(raw))
        except Exception as exc:  # noqa: BLE001 - compared, not raised
            return repr(exc)

    mutants = _mutants(400)
    plain = [read(raw) for raw in mutants]
    monkeypatch.setattr(scan, "SMALL_MESSAGE", -1)
    monkeypatch.setattr(scan, "INLINE_LINES", 0)
    monkeypatch.setattr(scan, "INLINE_BYTES", 0)
    differ = [i for i, raw in enumerate(mutants) if read(raw) != plain[i]]
    assert differ == []


@pytest.mark.usefixtures("every_body_a_placeholder")
def test_placeholders_on_the_real_world_corpus_change_nothing() -> None:
    need_corpus()
    files = sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name not in ("MANIFEST.md", "index.tsv")
    )
    differ = []
    for path in files:
        raw = path.read_bytes()
        if not raw.strip():
            continue
        try:
            scanned = _as_dict(parse_message(raw))
        except Exception as exc:  # noqa: BLE001 - compared, not raised
            scanned = {"error": repr(exc)}
        with pytest.MonkeyPatch.context() as undo:
            undo.setattr(scan, "SMALL_MESSAGE", 1 << 40)
            undo.setattr(scan, "INLINE_LINES", 1 << 40)
            undo.setattr(scan, "INLINE_BYTES", 1 << 40)
            try:
                whole = _as_dict(parse_message(raw))
            except Exception as exc:  # noqa: BLE001
                whole = {"error": repr(exc)}
        if scanned != whole:
            differ.append(path.name)
    # Both ways the caps apply; these are the corpus' own hostile mails.
    assert set(differ) <= {"long-header.eml", "stack-overflow.txt"}


def test_a_short_and_a_long_8bit_body_read_alike() -> None:
    """The stdlib's get_payload() decodes 8-bit bytes with the charset first;
    reading that as UTF-8 garbled short bodies (long ones are placeholders)."""
    line = "Tere päevast, Õie Šmidt!\r\n"
    for count in (1, 400):
        raw = (
            HEAD + b"Content-Type: text/plain; charset=windows-1257\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n" + (line * count).encode("cp1257")
        )
        mail = parse_message(raw)
        assert mail.body_text == line.replace("\r", "") * count
        assert not any(d.startswith("undecodable") for d in mail.defects)


def test_an_8bit_attachment_keeps_its_bytes() -> None:
    data = bytes(range(256)).replace(b"\r", b"").replace(b"\n", b"") * 4
    raw = (
        HEAD
        + MIXED
        + TEXT
        + b"--b\r\nContent-Type: application/octet-stream; charset=iso-8859-1\r\n"
        b"Content-Disposition: attachment; filename=a.bin\r\n"
        b"Content-Transfer-Encoding: binary\r\n\r\n" + data + b"\r\n--b--\r\n"
    )
    [attachment] = parse_message(raw).attachments
    assert attachment.data == data


def _reference_hash_of_body(data: bytes) -> bytes:
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    end = text.find(b"\n\n")
    return text[end + 2 :].rstrip() if end >= 0 else b""


@pytest.mark.parametrize(
    "data",
    [
        b"A: b\r\n\r\nbody\r\n\r\n  \r\n",
        b"A: b\r\n\r\n",
        b"A: b\r\n",
        b"A: b\n\r\nbody",
        b"A: b\r\rbody\r\r",
        b"A: b\r\n\nbody \t\x0b\x0c\r",
        b"\r\n\r\nx",
        b"A: b\r\n\r\n" + b"line\r\n" * 50 + b"\r\n" * 9,
        b"A: b\r" + b"\r\n" * 7 + b"x\r",
    ],
)
@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 1 << 20])
def test_content_hash_in_chunks_is_the_hash_of_the_whole(
    data: bytes, chunk: int
) -> None:
    first = {"from": "a@b.ee", "subject": "x"}
    expected = hashlib.sha256()
    for name in HASHED_HEADERS:
        value = first.get(name)
        if value is not None:
            expected.update(name.encode() + b":" + value.encode())
        expected.update(b"\n")
    expected.update(_reference_hash_of_body(data))
    assert content_hash(data, first, chunk) == expected.hexdigest()


def test_a_big_attachment_is_decoded_without_copies() -> None:
    """The body never reaches the stdlib as lines: a 20 MB attachment parses
    fast and comes out whole."""
    rnd = random.Random(5)
    payload = rnd.randbytes(15_000_000)
    blob = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    raw = (
        HEAD + MIXED + TEXT + b"--b\r\nContent-Type: application/pdf; name=big.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + blob + b"--b--\r\n"
    )
    started = time.perf_counter()
    mail = parse_message(raw)
    assert time.perf_counter() - started < 1.0
    [pdf] = mail.attachments
    assert pdf.sha256 == hashlib.sha256(payload).hexdigest()
    assert mail.body_text == "Tere, printer ei tööta."
    assert mail.defects == ()

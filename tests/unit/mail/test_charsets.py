"""Text as its writer meant it: declared, mislabelled and unlabelled charsets.

Each case is real bytes as the clients send them; ``read_text`` must say
which charset it used and why, and ``parse_message`` must read bodies and
headers (RFC 2047 words and raw 8-bit) the same way.
"""

from __future__ import annotations

import base64

import pytest

from ticketcli.mail.parse import parse_message
from ticketcli.mail.parse.charsets import read_text
from ticketcli.mail.parse.headers import decode_header_words, repair_header_block

ESTONIAN = "Tere! Arve on üle vaadatud, šokolaadi tellimus õnnestus. Aitäh, Jüri Õun"
POLISH = "Dzień dobry, proszę o fakturę za usługę. Pozdrawiam, Łukasz Żółć"
SLOVENIAN = "Lep pozdrav, račun še ni plačan. Hvala, Živa Čebašek"
FINNISH = "Hyvää päivää, lasku on myöhässä. Kiitos paljon, Äijö"
GERMAN = "Frösche und Grüße aus Köln, die Rechnung ist schön."
RUSSIAN = "Здравствуйте, пришлите, пожалуйста, счёт за услуги."
JAPANESE = "お問い合わせありがとうございます。請求書を送ってください。"
CHINESE = "您好，请把发票发给我们公司，谢谢。"
TAIWANESE = "您好，請把發票寄給我們公司，謝謝。"

CASES = [
    # label, bytes, expected text, expected how
    ("utf-8", ESTONIAN.encode(), ESTONIAN, "declared"),
    ("iso-8859-2", POLISH.encode("iso-8859-2"), POLISH, "declared"),
    ("windows-1250", SLOVENIAN.encode("cp1250"), SLOVENIAN, "declared"),
    ("windows-1257", ESTONIAN.encode("cp1257"), ESTONIAN, "declared"),
    ("koi8-r", RUSSIAN.encode("koi8-r"), RUSSIAN, "declared"),
    ("shift_jis", JAPANESE.encode("shift_jis"), JAPANESE, "declared"),
    ("gb2312", CHINESE.encode("gb2312"), CHINESE, "declared"),
    ("big5", TAIWANESE.encode("big5"), TAIWANESE, "declared"),
    ("iso-2022-jp", JAPANESE.encode("iso-2022-jp"), JAPANESE, "declared"),
    # UTF-8 labelled as something else (Apple Mail, webmail forms).
    ("iso-8859-1", GERMAN.encode(), GERMAN, "UTF-8"),
    ("us-ascii", ESTONIAN.encode(), ESTONIAN, "UTF-8"),
    ("windows-1252", FINNISH.encode(), FINNISH, "UTF-8"),
    ("iso-8859-2", POLISH.encode(), POLISH, "UTF-8"),
    # No label at all.
    (None, ESTONIAN.encode(), ESTONIAN, "UTF-8"),
    (None, GERMAN.encode("cp1252"), GERMAN, "detected"),
    (None, POLISH.encode("cp1250"), POLISH, "detected"),
    (None, RUSSIAN.encode("koi8-r"), RUSSIAN, "detected"),
    (None, RUSSIAN.encode("cp1251"), RUSSIAN, "detected"),
    (None, JAPANESE.encode("shift_jis"), JAPANESE, "detected"),
    (None, JAPANESE.encode("iso-2022-jp"), JAPANESE, "detected"),
    (None, CHINESE.encode("gbk"), CHINESE, "detected"),
    (None, TAIWANESE.encode("big5"), TAIWANESE, "detected"),
    # A label the bytes do not fit.
    ("utf-8", GERMAN.encode("cp1252"), GERMAN, "detected"),
    ("us-ascii", SLOVENIAN.encode("cp1250"), SLOVENIAN, "detected"),
    ("utf-8", RUSSIAN.encode("cp1251"), RUSSIAN, "detected"),
    ("x-unknown", POLISH.encode("cp1250"), POLISH, "detected"),
    # Windows-1250 labelled ISO-8859-1: "ł" would read as "³".
    ("iso-8859-1", POLISH.encode("cp1250"), POLISH, "detected"),
    # Plain ASCII needs no choosing.
    (None, b"Hello", "Hello", "ascii"),
]


@pytest.mark.parametrize(("label", "data", "text", "how"), CASES)
def test_read_text(label: str | None, data: bytes, text: str, how: str) -> None:
    reading = read_text(data, label)
    assert reading.text == text
    assert reading.how == how


def test_mixed_utf8_and_cp1252_is_read_piecewise() -> None:
    data = "Here it goes - äöü - 差出人".encode() + " - äöü".encode("cp1252")
    reading = read_text(data, "iso-gb2312")
    assert reading.text == "Here it goes - äöü - 差出人 - äöü"
    assert reading.how == "UTF-8"


def test_utf8_with_one_cut_character_keeps_the_rest() -> None:
    data = "Юникод запрещен".encode()[:-1]
    notes: list[str] = []
    assert read_text(data, None, notes).text == "Юникод запреще\ufffd"
    assert "broken-utf-8" in notes


def _mail(headers: bytes, body: bytes) -> bytes:
    return headers.replace(b"\n", b"\r\n") + b"\r\n" + body


@pytest.mark.parametrize(
    ("label", "body", "text", "why"),
    [
        (b"; charset=iso-8859-1", GERMAN.encode(), GERMAN, "(UTF-8; declared"),
        (b"", POLISH.encode("cp1250"), POLISH, "(detected)"),
        (b"; charset=iso-8859-2", POLISH.encode("iso-8859-2"), POLISH, "(declared)"),
        (b"", JAPANESE.encode("shift_jis"), JAPANESE, "(detected)"),
    ],
)
def test_parse_body_says_which_charset_and_why(
    label: bytes, body: bytes, text: str, why: str
) -> None:
    raw = _mail(
        b"From: mari@example.ee\nSubject: x\nContent-Type: text/plain" + label + b"\n",
        body,
    )
    mail = parse_message(raw)
    assert mail.body_text.strip() == text
    assert len(mail.charsets) == 1
    assert mail.charsets[0].startswith("body text/plain: ")
    assert why in mail.charsets[0]


@pytest.mark.parametrize(
    ("charset", "name", "subject"),
    [
        ("utf-8", "Jüri Õun", "Arve ei tööta"),
        ("iso-8859-1", "Jüri Õun", "Arve ei tööta"),
        ("windows-1257", "Jüri Õun", "Šokolaad ja žürii"),
        ("windows-1250", "Łukasz Żółć", "Proszę o fakturę"),
        ("iso-8859-2", "Łukasz Żółć", "Proszę o fakturę"),
        ("shift_jis", "山田太郎", "請求書について"),
        ("iso-2022-jp", "山田太郎", "請求書について"),
        ("gbk", "王小明", "关于发票的问题"),
    ],
)
def test_raw_8bit_headers_in_the_charset_of_the_text(
    charset: str, name: str, subject: str
) -> None:
    head = (
        b"From: " + name.encode(charset) + b" <jy@example.ee>\n"
        b"Subject: " + subject.encode(charset) + b"\n"
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\n"
    )
    mail = parse_message(_mail(head, "Tere".encode(charset) + b"\n"))
    assert mail.from_name == name
    assert mail.from_address == "jy@example.ee"
    assert mail.subject == subject
    assert any(line.startswith("header subject: ") for line in mail.charsets) or (
        charset == "iso-2022-jp"
    )


@pytest.mark.parametrize(
    ("charset", "text"),
    [("cp1252", GERMAN), ("cp1250", POLISH), ("koi8-r", RUSSIAN)],
)
def test_raw_8bit_headers_without_any_label(charset: str, text: str) -> None:
    head = b"From: mari@example.ee\nSubject: " + text.encode(charset) + b"\n"
    mail = parse_message(_mail(head, b"x\n"))
    assert mail.subject == text


@pytest.mark.parametrize(
    ("word", "text"),
    [
        # UTF-8 bytes in a word labelled ISO-8859-1 (webmail forms).
        ("=?iso-8859-1?Q?J=C3=BCri_=C3=95un?=", "Jüri Õun"),
        # Windows-1250 bytes in a word labelled UTF-8.
        (
            "=?utf-8?Q?Pro=9Cba_o_faktur=EA_dla_=A3ukasza?=",
            "Prośba o fakturę dla Łukasza",
        ),
        # Shift_JIS bytes in a word labelled ISO-2022-JP (zammad's mail093).
        ("=?ISO-2022-JP?B?g2OBW4OL?=", "ツール"),
        # A correct label is trusted.
        ("=?iso-8859-2?Q?Pro=B6ba?=", "Prośba"),
        (
            "=?koi8-r?B?" + base64.b64encode("Счёт".encode("koi8-r")).decode() + "?=",
            "Счёт",
        ),
    ],
)
def test_encoded_words_with_a_wrong_charset(word: str, text: str) -> None:
    assert decode_header_words(word) == text


def test_utf8_word_split_by_a_client_is_whole() -> None:
    assert decode_header_words("=?utf-8?Q?=C3?= =?utf-8?Q?=B5un?=") == "õun"


# --- header blocks other parsers still read ----------------------------------

TRACKER = (
    b"X-Brightmail-Tracker: H4sIAAAAAAAAA+NgFlrIKsWRWlGSWpSXmKPExsWi75nTrTtrwZM\n"
    b"Ig5drOCwmrVzP5sDoseXbDeYAxijWzLyk/IoE1owFz6ezFkxKrWjafpWpgfFOchcjF4eQwDZG\n"
    b"iZbLL1ggnEOMEg3T97FCOIcZJX7/WsDcxcgJ5GxmlDg5wwvEZhPwkPhx6DUbiC0iYChxfOFUd\n"
)


def test_unindented_continuation_keeps_from_and_subject() -> None:
    raw = (
        b"From mari@example.ee Wed Apr 19 20:56:33 2017\n"
        b"Received: from x by y; Wed, 5 Apr 2017 07:45:31 -0000\n"
        + TRACKER
        + b"From: Mari Tamm <mari@example.ee>\nSubject: Printer\n"
        b"Message-ID: <a@example.ee>\n\nIt is broken.\n"
    )
    mail = parse_message(raw)
    assert mail.from_address == "mari@example.ee"
    assert mail.subject == "Printer"
    assert mail.message_id == "<a@example.ee>"
    assert mail.body_text.strip() == "It is broken."
    assert "unindented-header-continuation" in mail.defects


def test_stray_line_is_never_glued_to_a_header_we_read() -> None:
    raw = (
        b"Return-Path: <>\n263a 0020 0076 0173\nFrom: <t@example.ee>\n"
        b"Subject: Hi\n\nbody\n"
    )
    mail = parse_message(raw)
    assert mail.headers["return-path"] == "<>"
    assert mail.subject == "Hi"
    assert "stray-header-line-dropped" in mail.defects


def test_nul_bytes_in_the_header_block() -> None:
    raw = b"From: mari@example.ee\n\x00X-Junk: 1\nSubject: Hel\x00lo\n\nbody\n"
    mail = parse_message(raw)
    assert mail.subject == "Hello"
    assert mail.from_address == "mari@example.ee"
    assert "nul-in-header" in mail.defects


def test_missing_blank_line_before_the_body() -> None:
    raw = b"From: mari@example.ee\nSubject: Hi\nThe printer is broken.\nReally.\n"
    mail = parse_message(raw)
    assert mail.subject == "Hi"
    assert mail.from_address == "mari@example.ee"
    assert "The printer is broken." in mail.body_text


def test_sound_header_blocks_are_not_copied() -> None:
    raw = b"From: a@b.ee\nSubject: x\n  folded\n\nbody\nnot: a header\n"
    data, notes = repair_header_block(raw)
    assert data is raw
    assert notes == []


def test_original_bytes_are_what_is_hashed() -> None:
    raw = b"Received: x\n" + TRACKER + b"From: a@b.ee\nSubject: x\n\nbody\n"
    import hashlib

    assert parse_message(raw).raw_sha256 == hashlib.sha256(raw).hexdigest()


def test_iso_2022_jp_with_microsoft_extensions() -> None:
    # "ЖД№41 от 28.09.2016": "№" is an NEC row-13 character that Outlook
    # writes in ISO-2022-JP (CP50220) and Python's strict codec refuses.
    word = "=?iso-2022-jp?B?GyRCJygnJS1iGyhCNDEgGyRCJ2AnZBsoQiAyOC4wOS4yMDE2?="
    assert decode_header_words(word) == "ЖД№41 от 28.09.2016"
    reading = read_text("請求書 ①".encode("cp932"), None)
    assert reading.text == "請求書 ①"

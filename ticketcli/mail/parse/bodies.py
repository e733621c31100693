"""The content of a leaf part: its payload bytes and, for the body, its text.

A payload is read from what the parser kept (or from the raw bytes behind a
placeholder, see ``scan``), undoing the transfer encoding leniently: a broken
base64 or QP body costs a note, not the mail. The text of the body part is
decoded with its charset (or an HTML ``<meta>`` one), HTML is turned into
text within the ``bounds``, and control characters are dropped.
"""

from __future__ import annotations

import binascii
import re
from typing import TYPE_CHECKING

from ticketcli.mail.parse.bounds import MAX_HTML, MAX_HTML_TAGS
from ticketcli.mail.parse.charsets import read_text
from ticketcli.mail.parse.headers import CONTROLS
from ticketcli.mail.parse.html_text import html_to_text

if TYPE_CHECKING:
    from email.message import Message

    from ticketcli.mail.parse.scan import Placeholders

__all__ = ["body_text", "part_charset", "payload_bytes"]


_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)


def payload_bytes(part: Message, notes: list[str], source: Placeholders) -> bytes:
    """The decoded payload bytes of a leaf part (base64, QP, uuencode, 8bit)."""
    # What the parser read, not get_payload(): that decodes 8-bit bytes with
    # the part's charset first, which garbled 8-bit text (decoded twice) and
    # the bytes of 8-bit and binary attachments.
    payload = part._payload
    if payload is None:
        return b""
    if not isinstance(payload, str):
        return b""
    cte = part.get("content-transfer-encoding") or ""
    cte = str(cte).strip().strip("\"'").lower()
    if cte == "base64":
        # A long body is decoded straight from the raw bytes, uncopied.
        span = source.only_span(payload)
        return _base64(span if span is not None else source.bytes_of(payload), notes)
    data = source.bytes_of(payload)
    if cte == "quoted-printable":
        return binascii.a2b_qp(data)
    if cte in ("x-uuencode", "uuencode", "uue", "x-uue"):
        part.set_payload(source.text_of(payload))
        decoded = part.get_payload(decode=True)
        return decoded if isinstance(decoded, bytes) else data
    return data


def _base64(data: bytes | memoryview, notes: list[str]) -> bytes:
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        pass
    notes.append("bad-base64")
    data = bytes(data)
    clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    rest = len(clean) % 4
    if rest == 1:
        clean = clean[:-1]
    elif rest:
        clean += b"=" * (4 - rest)
    try:
        return binascii.a2b_base64(clean)
    except binascii.Error:
        return data


def part_charset(part: Message) -> str | None:
    """The charset parameter of a part's Content-Type, if it has one."""
    try:
        charset = part.get_param("charset")
    except Exception:
        return None
    if isinstance(charset, tuple):  # RFC 2231 form: (charset, language, value)
        charset = charset[2]
    if not isinstance(charset, str):
        return None
    return charset.strip() or None


def body_text(
    part: Message,
    notes: list[str],
    source: Placeholders,
    used: list[str] | None = None,
) -> str:
    """The text of the body part: decoded, LF line breaks, HTML made text.

    ``used`` gets a line saying which charset was used and why (declared,
    UTF-8, detected), for ``parse`` to show.
    """
    data = payload_bytes(part, notes, source)
    charset = part_charset(part)
    is_html = part.get_content_type() == "text/html"
    if charset is None and is_html:
        found = _META_CHARSET.search(data[:4096])
        if found:
            charset = found.group(1).decode("ascii")
    reading = read_text(data, charset, notes)
    text = reading.text
    if used is not None:
        label = f"; declared {charset}" if charset and reading.how != "declared" else ""
        used.append(
            f"body {part.get_content_type()}: {reading.charset} ({reading.how}{label})"
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if is_html:
        if len(text) > MAX_HTML or text.count("<") > MAX_HTML_TAGS:
            notes.append("html-too-long")
            text = text[:MAX_HTML]
            at = 0
            if text.count("<") > MAX_HTML_TAGS:
                for _ in range(MAX_HTML_TAGS + 1):
                    at = text.index("<", at + 1)
                text = text[:at]
        text = html_to_text(text)
    return CONTROLS.sub("", text)

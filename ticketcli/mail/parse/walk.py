"""The MIME walk: one message's parts -> a ``ParsedMail``.

``parse_message`` reads the message once (``scan.read_bounded``, under
``compat32``), decodes the headers ticketcli needs (``headers``), then walks
the parts in document order: the body is the first text/plain outside any
embedded message, else the first text/html, else the same inside one; every
other part with a filename or ``Content-Disposition: attachment`` becomes an
``Attachment``; and for a bounce or a DSN the Message-IDs of the mail it
reports on are collected from the embedded headers. Only input that is not
a mail at all raises ``MailParseError``, so the pipeline can quarantine it;
everything short of that is read with best effort and listed in ``defects``.
"""

from __future__ import annotations

import hashlib
import re
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import TYPE_CHECKING

from ticketcli.errors import MailParseError
from ticketcli.mail.model import ParsedMail
from ticketcli.mail.parse.attachments import (
    make_attachment,
    message_bytes,
    read_disposition,
)
from ticketcli.mail.parse.bodies import body_text, part_charset, payload_bytes
from ticketcli.mail.parse.bounds import MAX_DEPTH, MAX_HEADER_LENGTH
from ticketcli.mail.parse.charsets import read_text
from ticketcli.mail.parse.digest import content_hash
from ticketcli.mail.parse.headers import (
    CONTROLS,
    address_pairs,
    canonical_ids,
    clean_header,
    decode_header_words,
    fold_whitespace,
    parse_date,
    raw_headers,
    recipients,
    repair_header_block,
)
from ticketcli.mail.parse.scan import read_bounded

if TYPE_CHECKING:
    from email.message import Message

    from ticketcli.mail.model import Attachment
    from ticketcli.mail.parse.scan import Placeholders

__all__ = ["parse_message"]


_HEADER_PARSER = BytesHeaderParser(policy=compat32)


# Parts whose children are report fields (or a lone header block), not
# content: the stdlib parses their fields as header-only sub-messages, which
# would otherwise look like text/plain bodies.
_EMBEDDED_MESSAGE_TYPES = frozenset(
    {"message/rfc822", "message/global", "message/news"}
)
_REPORT_PART_TYPES = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/global-disposition-notification",
        "message/feedback-report",
    }
)
_HEADER_BLOCK_TYPES = frozenset(
    {
        "text/rfc822-headers",
        "text/rfc822-header",
        "message/rfc822-headers",
        "message/global-headers",
    }
)


def _looks_reported(ctype: str, first: dict[str, str], saw_report: bool) -> bool:
    """Whether embedded messages are what this mail reports on (a bounce, a DSN)."""
    if ctype == "multipart/report" or saw_report or "x-failed-recipients" in first:
        return True
    if first.get("return-path", "").strip().replace(" ", "") == "<>":
        return True
    sender = first.get("from", "").lower()
    return "mailer-daemon" in sender or "postmaster@" in sender


_BODY_MESSAGE_ID = re.compile(
    r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE
)


def _ids_of_embedded(first: dict[str, str]) -> list[str]:
    ids = canonical_ids(clean_header(first.get("message-id", "")))[:1]
    ids += canonical_ids(clean_header(first.get("in-reply-to", "")))
    ids += reversed(canonical_ids(clean_header(first.get("references", ""))))
    return ids


_HEADER_LINE = re.compile(rb"[!-9;-~]+:[^\r\n]*(?:\r\n|\r|\n)")
_CORE_HEADER = re.compile(
    rb"(?:from|to|subject|date|message-id|received|return-path):", re.IGNORECASE
)


def _header_start(data: bytes) -> int | None:
    """Where the headers start when a line or two of junk precedes them.

    Saved mails sometimes begin with a banner ("---- Original email message
    ----") or a mangled first line; a real header a few lines down is worth
    reading rather than quarantining the mail.
    """
    pos = 0
    for _ in range(3):
        end = data.find(b"\n", pos, pos + 4096)
        if end < 0:
            return None
        pos = end + 1
        if _CORE_HEADER.match(data, pos) and _HEADER_LINE.match(data, pos):
            return pos
    return None


def parse_message(raw: bytes) -> ParsedMail:
    """Read one message; raise ``MailParseError`` only if it is not a mail.

    Everything short of that is read with best effort and the trouble is
    listed in ``defects``: a sync must never stop on one bad message.
    """
    if not raw or raw.isspace():  # (strip() would copy a big mail)
        raise MailParseError("empty message")
    try:
        return _parse(raw)
    except MailParseError:
        raise
    except RecursionError as exc:
        raise MailParseError("MIME structure nested too deeply to read") from exc
    except Exception as exc:  # the stdlib parser documents no exception set
        raise MailParseError(
            f"cannot read message: {type(exc).__name__}: {str(exc)[:200]}"
        ) from exc


def _parse(raw: bytes) -> ParsedMail:
    notes: list[str] = []
    # A byte-order mark or blank lines before the headers would make the
    # parser see no headers at all.
    data = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    data = data.lstrip(b"\r\n")
    data, repairs = repair_header_block(data)
    notes += repairs
    message, source, bounds = read_bounded(data)
    first, multi = raw_headers(message)
    if not first:
        start = _header_start(data)
        if start:
            notes.append("junk-before-headers")
            data = data[start:]
            message, source, bounds = read_bounded(data)
            first, multi = raw_headers(message)
    notes += bounds
    if not first:
        raise MailParseError("no header block: this does not look like a mail message")
    used: list[str] = []
    hint: str | None = None
    if any(not value.isascii() or "\x1b" in value for value in first.values()):
        if any(not value.isascii() for value in first.values()):
            notes.append("8bit-in-header")
        hint = _text_charset(message)
        used += _header_readings(first, hint)
    headers = {name: clean_header(value, hint) for name, value in first.items()}

    message_ids = canonical_ids(headers.get("message-id", ""))
    message_id = message_ids[0] if message_ids else None
    if message_id is None:
        notes.append(
            "missing-message-id" if "message-id" not in first else "bad-message-id"
        )

    # "From: MAILER-DAEMON <>" keeps its name: it says who sent the mail.
    senders = address_pairs(
        [clean_header(v, hint) for v in multi["from"]], notes, keep_nameonly=True
    )
    if not any(addr for _, addr in senders) and "sender" in headers:
        senders = address_pairs([headers["sender"]], notes) or senders
    if not senders:
        notes.append("missing-from")
    from_name, from_address = senders[0] if senders else ("", "")

    to = recipients(multi["to"], notes)
    cc = recipients(multi["cc"], notes)
    subject = decode_header_words(headers.get("subject", ""), notes)
    subject = fold_whitespace(CONTROLS.sub(" ", subject))
    date = parse_date(headers.get("date"), notes)
    in_reply_to = tuple(canonical_ids(headers.get("in-reply-to", "")))
    references = tuple(canonical_ids(headers.get("references", "")))
    thread_index = headers.get("thread-index") or None
    if thread_index is not None:
        thread_index = "".join(thread_index.split())

    body, attachments, reported, parts = _walk(message, first, notes, source, used)
    if reported and message_id in reported:
        reported = [mid for mid in reported if mid != message_id]

    defects: dict[str, None] = {}
    for part in parts:
        for defect in part.defects:
            defects.setdefault(type(defect).__name__, None)
    for note in notes:
        defects.setdefault(note, None)

    return ParsedMail(
        message_id=message_id,
        date=date,
        from_address=from_address,
        from_name=from_name,
        to=to,
        cc=cc,
        subject=subject,
        body_text=body,
        attachments=tuple(attachments),
        in_reply_to=in_reply_to,
        references=references,
        thread_index=thread_index,
        headers=headers,
        content_type=message.get_content_type(),
        content_hash=content_hash(data, first),
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        defects=tuple(defects),
        reported_message_ids=tuple(dict.fromkeys(reported)),
        auth_results=tuple(clean_header(v) for v in multi["authentication-results"]),
        x_loop=tuple(clean_header(v) for v in multi["x-loop"]),
        charsets=tuple(used),
    )


# Headers whose text a reader sees, so whose charset ``parse`` names.
_SHOWN_HEADERS = ("from", "subject", "to", "cc")


def _text_charset(message: Message) -> str | None:
    """The first 8-bit charset a text part of the mail declares, if any.

    A client writes raw 8-bit headers in the charset it writes the text
    in, so this is the likeliest reading of those that are not UTF-8.
    """
    for i, part in enumerate(message.walk()):
        if i >= 16:
            break
        charset = part_charset(part)
        if charset and charset.lower() not in ("us-ascii", "ascii", "utf-8", "utf8"):
            return read_text(b"", charset).charset
    return None


def _header_readings(first: dict[str, str], hint: str | None) -> list[str]:
    """Which charset the shown headers with raw 8-bit bytes were read in."""
    found = []
    for name in _SHOWN_HEADERS:
        value = first.get(name, "")
        if value.isascii() and "\x1b" not in value:
            continue
        data = value.encode("utf-8", "surrogateescape")
        reading = read_text(data, None, hint=hint)
        found.append(f"header {name}: {reading.describe()}")
    return found


def _walk(
    message: Message,
    first: dict[str, str],
    notes: list[str],
    source: Placeholders,
    used: list[str],
) -> tuple[str, list[Attachment], list[str], list[Message]]:
    """Body text, attachments, reported Message-IDs, and every part visited."""
    parts: list[Message] = []
    # (part, inside an embedded message?, filename, attachment?) in document
    # order; an attached message/rfc822 is one leaf.
    leaves: list[tuple[Message, bool, str | None, bool]] = []
    attachments: list[Attachment] = []
    embedded_headers: list[dict[str, str]] = []
    saw_report = False
    stack: list[tuple[Message, int, bool]] = [(message, 0, False)]
    while stack:
        part, depth, embedded = stack.pop()
        parts.append(part)
        ctype = part.get_content_type()
        if part.is_multipart():
            children = part.get_payload()
            if not isinstance(children, list):
                continue
            if ctype.startswith("message/") and ctype not in _EMBEDDED_MESSAGE_TYPES:
                saw_report = saw_report or ctype in _REPORT_PART_TYPES
                for child in children:
                    parts.append(child)
                    if ctype.endswith("disposition-notification"):
                        original = raw_headers(child)[0].get("original-message-id")
                        if original:
                            embedded_headers.append({"message-id": original})
                continue
            if depth >= MAX_DEPTH:
                notes.append("nested-too-deep")
                continue
            if ctype in _EMBEDDED_MESSAGE_TYPES:
                for child in children:
                    embedded_headers.append(raw_headers(child)[0])
                is_attachment, filename = read_disposition(part, notes)
                if is_attachment and children:
                    inner = children[0]
                    if not filename:
                        subject = decode_header_words(
                            clean_header(raw_headers(inner)[0].get("subject", "")),
                            notes,
                        )
                        filename = (subject[:80] + ".eml") if subject else None
                    leaves.append((part, embedded, filename, True))
                    parts.extend(inner.walk())
                    continue
                embedded = True
            stack.extend((child, depth + 1, embedded) for child in reversed(children))
            continue
        is_attachment, filename = read_disposition(part, notes)
        leaves.append((part, embedded, filename, is_attachment))

    body_part = _choose_body(leaves, embedded=False) or _choose_body(
        leaves, embedded=True
    )
    body = ""
    if body_part is not None:
        try:
            body = body_text(body_part, notes, source, used)
        except Exception as exc:  # best effort: the attachments still count
            notes.append(f"unreadable-body:{type(exc).__name__}")

    for part, _embedded, filename, is_attachment in leaves:
        ctype = part.get_content_type()
        if ctype in _HEADER_BLOCK_TYPES:
            # The original message's headers, or what is left of them.
            block = payload_bytes(part, notes, source)[:MAX_HEADER_LENGTH]
            try:
                embedded_headers.append(
                    raw_headers(_HEADER_PARSER.parsebytes(block))[0]
                )
            except Exception:
                notes.append("bad-rfc822-headers")
        if part is body_part or not is_attachment:
            continue
        if part.is_multipart():  # an attached message
            data = message_bytes(part.get_payload(0), source)
        else:
            data = payload_bytes(part, notes, source)
        attachments.append(make_attachment(data, ctype, filename, len(attachments) + 1))

    reported: list[str] = []
    if embedded_headers or body:
        if _looks_reported(message.get_content_type(), first, saw_report):
            for block in embedded_headers:
                reported += _ids_of_embedded(block)
            if not reported and body:
                # Old-style bounces quote the original's headers in the text.
                reported = _BODY_MESSAGE_ID.findall(body)[:1]
    return body, attachments, reported, parts


def _choose_body(
    leaves: list[tuple[Message, bool, str | None, bool]], embedded: bool
) -> Message | None:
    html: Message | None = None
    for part, inside, _filename, is_attachment in leaves:
        if inside != embedded or is_attachment:
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            return part
        if ctype == "text/html" and html is None:
            html = part
    return html

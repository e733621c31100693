"""Mail ticketcli writes: one finished ``EmailMessage``, built safely; pure.

Everything we send quotes mail we received -- a subject, a display name, a
Message-ID -- and all of that is hostile input. Each such value is therefore
decoded (RFC 2047, repeatedly: ``=?utf-8?b?...?=`` hiding a CR LF must not
come back to life when Python's header parser decodes it again), stripped
of control and line-break characters, and length-limited before it becomes
a header; the finished message is then re-read and its header names
compared with the ones we wrote, so header injection is impossible even
through a library bug. Names go through ``email.headerregistry.Address`` so
"Jõgi, Mart" is quoted and RFC 2047-encoded as the standards want.

Nothing here reads the store or the clock unless asked: callers pass the
thread headers (``ticketcli.store.sending.thread_headers``) and the date.
"""

from __future__ import annotations

import email.policy
import re
import secrets
import time
import unicodedata
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime
from typing import TYPE_CHECKING

from ticketcli.errors import ConfigError, UsageError
from ticketcli.mail.parse import decode_header_words, sanitize_filename
from ticketcli.mail.subject import with_own_token

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ticketcli.config import Config

__all__ = [
    "POLICY",
    "Recipient",
    "ascii_address",
    "needs_smtputf8",
    "clean_header_text",
    "clean_message_id",
    "compose",
    "make_message_id",
    "reply_subject",
]

# CRLF line ends, lines folded at 78, non-ASCII RFC 2047-encoded: what an
# SMTP server expects, and the very bytes the outbox stores and sends.
POLICY = email.policy.SMTP

MAX_SUBJECT = 250  # characters; the token is added after the cut
MAX_NAME = 100
MAX_REFERENCES = 20  # the first (thread root) and the last 19, as RFC 5322 suggests

# A recipient: "addr@example.com" or ("Display Name", "addr@example.com").
Recipient = str | tuple[str, str]

# Cc: controls; Zl/Zp: U+2028/U+2029 line and paragraph separators.
_BREAKING_CATEGORIES = ("Cc", "Zl", "Zp")
# Bidi overrides and isolates would reorder what the customer's client shows.
_BIDI = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
_ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bBqQ]\?[^?]*\?=")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,250}@[!-;=?-~]{1,250}>")
# RFC 5322 dot-atom local part (ASCII: no SMTPUTF8), a DNS domain.
_ADDR = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}")
# RFC 6531: the same with UTF-8 in the local part (no controls, no bidi).
_UTF8_ADDR = re.compile(
    r"(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]|[^\x00-\xa0\s\u2028-\u202e\u2066-\u2069])+"
    r"@[A-Za-z0-9.-]{1,253}"
)
# What a mail to such an address is written with: its headers in UTF-8.
UTF8_POLICY = email.policy.SMTPUTF8


def clean_header_text(value: str, limit: int = MAX_SUBJECT) -> str:
    """Text from mail made safe as one header value.

    Encoded words are decoded until nothing changes (at most a few rounds),
    so no decoder downstream can find a CR LF we did not see; every control
    and line-break character becomes a space; whitespace is folded; an
    encoded-word look-alike that still remains is broken up; the result is
    cut to ``limit`` characters.
    """
    text = value or ""
    for _ in range(4):
        decoded = decode_header_words(text)
        if decoded == text:
            break
        text = decoded
    text = "".join(
        " " if unicodedata.category(ch) in _BREAKING_CATEGORIES else ch
        for ch in text.translate(_BIDI)
    )
    text = " ".join(text.split())
    text = _ENCODED_WORD.sub(lambda m: "= ?" + m.group(0)[2:], text)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def clean_message_id(value: str | None) -> str | None:
    """A ``<local@domain>`` id fit for In-Reply-To/References, or None."""
    if not value:
        return None
    match = _MESSAGE_ID.fullmatch(value.strip())
    return match.group(0) if match else None


def make_message_id(config: Config) -> str:
    """A new, globally unique Message-ID on the sender's domain.

    Fixed before anything is sent: the outbox stores it with the bytes, so
    a retry sends the very same message and its answer threads by it.
    """
    sender = config.sender
    domain = sender.rpartition("@")[2] if sender else ""
    if not domain:
        domain = "ticketcli.invalid"
    stamp = format(int(time.time()), "x")
    return f"<ticketcli.{stamp}.{secrets.token_hex(10)}@{domain}>"


def ascii_address(address: str) -> str:
    """The address as SMTP without SMTPUTF8 takes it: an IDN domain in IDNA."""
    addr = address.strip()
    local, at, domain = addr.rpartition("@")
    if at and not domain.isascii():
        try:
            addr = f"{local}@{domain.encode('idna').decode('ascii')}"
        except UnicodeError:
            pass
    return addr


def needs_smtputf8(address: str) -> bool:
    """Whether an address cannot go out as ASCII: a non-ASCII local part
    (``jüri@…``) has no ASCII form, unlike an IDN domain (A-labels)."""
    return not ascii_address(address).isascii()


def _address(recipient: Recipient, header: str, utf8: bool = False) -> Address:
    name, addr = recipient if isinstance(recipient, tuple) else ("", recipient)
    addr = ascii_address(addr or "")
    pattern = _UTF8_ADDR if utf8 else _ADDR
    if not pattern.fullmatch(addr) or ".." in addr or len(addr.partition("@")[0]) > 64:
        raise UsageError(f"{header}: {addr!r} is not a mail address")
    local, _, domain = addr.rpartition("@")
    try:
        return Address(
            display_name=clean_header_text(name or "", MAX_NAME),
            username=local,
            domain=domain,
        )
    except (ValueError, TypeError) as exc:  # headerregistry's own checks
        raise UsageError(f"{header}: {addr!r} is not a mail address ({exc})") from None


def reply_subject(subject: str, prefix: str, number: int | None) -> str:
    """The subject we send: cleaned, cut, with the ticket's token and no other
    (``subject.with_own_token``)."""
    text = clean_header_text(subject, MAX_SUBJECT)
    if number is None or not prefix.strip():
        return text
    return with_own_token(text, prefix, number)


def _references(references: Iterable[str], in_reply_to: str | None) -> list[str]:
    ids = [i for i in (clean_message_id(r) for r in references) if i]
    if in_reply_to and in_reply_to not in ids:
        ids.append(in_reply_to)
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ids


def compose(
    config: Config,
    *,
    to: Sequence[Recipient],
    subject: str,
    body: str,
    cc: Sequence[Recipient] = (),
    ticket_number: int | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    auto_submitted: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    message_id: str | None = None,
    date: datetime | None = None,
    html: str | None = None,
    language: str | None = None,
    smtputf8: bool = False,
) -> EmailMessage:
    """One finished mail from the support address.

    ``to``/``cc`` take addresses or ``(name, address)`` pairs; ``subject``
    and names may come straight from a customer's mail (they are cleaned
    here). ``references`` are the parent's References; ``in_reply_to`` is
    appended to them. ``auto_submitted`` ("auto-replied" for answers to a
    mail, "auto-generated" for notices, RFC 3834) also asks Exchange not to
    answer (``X-Auto-Response-Suppress``). Every mail carries ``X-Loop``
    naming the sender address. ``attachments`` are
    ``(filename, content_type, data)``; names are sanitised like received
    ones. ``date`` defaults to now. ``html`` makes the mail
    multipart/alternative, ``body`` being its plain-text part (the morning
    report); ``language`` sets Content-Language. ``smtputf8``: a recipient
    may have a non-ASCII local part, and the headers are written in UTF-8
    (RFC 6532), for a server that offers SMTPUTF8. Raises ConfigError
    without a sender and UsageError for an unusable address.
    """
    sender = config.sender
    if not sender:
        raise ConfigError(
            "smtp.from: ticketcli needs a sender address to send mail; "
            "set [smtp] from or support_addresses"
        )
    if not to:
        raise UsageError("a mail needs at least one recipient")
    msg = EmailMessage(policy=UTF8_POLICY if smtputf8 else POLICY)
    expected = ["From", "To"]
    from_address = _address(sender, "From")
    msg["From"] = from_address
    msg["To"] = [_address(r, "To", smtputf8) for r in to]
    if cc:
        msg["Cc"] = [_address(r, "Cc", smtputf8) for r in cc]
        expected.append("Cc")
    msg["Subject"] = reply_subject(subject, config.token_prefix, ticket_number)
    moment = date or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    msg["Date"] = format_datetime(moment)
    own_id = clean_message_id(message_id) or make_message_id(config)
    msg["Message-ID"] = own_id
    # Every mail, a person's reply too, names the address it leaves from, as
    # procmail and list managers do: a copy that comes back (a forward, a
    # responder that keeps X-Loop and drops Auto-Submitted) is known as ours
    # and never answered (classify.is_looped).
    msg["X-Loop"] = from_address.addr_spec
    expected += ["Subject", "Date", "Message-ID", "X-Loop"]
    parent = clean_message_id(in_reply_to)
    refs = _references(references, parent)
    if parent:
        msg["In-Reply-To"] = parent
        expected.append("In-Reply-To")
    if refs:
        msg["References"] = " ".join(refs)
        expected.append("References")
    if auto_submitted:
        kind = clean_header_text(auto_submitted, 40)
        msg["Auto-Submitted"] = kind
        msg["X-Auto-Response-Suppress"] = "All"
        expected += ["Auto-Submitted", "X-Auto-Response-Suppress"]
    _set_body(msg, body)
    if html is not None:
        msg.add_alternative(
            html, subtype="html", charset="utf-8", cte="quoted-printable"
        )
    for index, (name, content_type, data) in enumerate(attachments, start=1):
        _attach(msg, name, content_type, data, index)
    if language:
        # After the parts: making an alternative moves Content-* headers down.
        msg["Content-Language"] = clean_header_text(language, 35)
        expected.append("Content-Language")
    _check_headers(msg, expected)
    return msg


def _set_body(msg: EmailMessage, body: str) -> None:
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    plain = text.isascii() and all(len(line) <= 78 for line in text.splitlines())
    # 8bit would need the server's 8BITMIME; quoted-printable goes anywhere.
    msg.set_content(text, charset="utf-8", cte=None if plain else "quoted-printable")


def _attach(
    msg: EmailMessage, name: str, content_type: str, data: bytes, index: int
) -> None:
    ctype = (content_type or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+", ctype):
        ctype = "application/octet-stream"
    maintype, subtype = ctype.split("/", 1)
    filename = sanitize_filename(clean_header_text(name, 200), ctype, index)
    # Bytes as they are (base64), whatever the type: a text file's charset
    # is not ours to guess or change.
    msg.add_attachment(data, maintype, subtype, filename=filename)


def _check_headers(msg: EmailMessage, expected: Sequence[str]) -> None:
    """Re-read what we would send: exactly the headers we set, each once."""
    parsed = BytesHeaderParser(policy=email.policy.compat32).parsebytes(bytes(msg))
    names = [name.lower() for name in parsed]
    wanted = {name.lower() for name in expected}
    extra = [n for n in names if n not in wanted and n not in _MIME_HEADERS]
    doubled = {n for n in names if names.count(n) > 1}
    if extra or doubled or not wanted <= set(names):
        # Only reachable through a bug in the cleaning above or in email.
        raise UsageError(
            "refusing to send a mail whose headers came out wrong "
            f"(unexpected: {', '.join(sorted(set(extra) | doubled)) or 'none'})"
        )


_MIME_HEADERS = frozenset({"mime-version", "content-type", "content-transfer-encoding"})

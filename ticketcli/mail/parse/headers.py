"""Header values: raw fields read, cleaned, RFC 2047 words decoded, parsed.

The message is parsed under ``compat32`` (see ``walk``), so header values
arrive as raw strings; these functions turn them into what ``ParsedMail``
holds (addresses, Message-IDs, a UTC date, display text) and never raise:
a header that cannot be read becomes a note for ``defects``.
"""

from __future__ import annotations

import binascii
import re
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from typing import TYPE_CHECKING

from ticketcli.mail.parse.charsets import decode_8bit_header, decode_text

if TYPE_CHECKING:
    from email.message import Message

__all__ = [
    "CONTROLS",
    "MAX_ADDRESS",
    "address_pairs",
    "canonical_ids",
    "clean_header",
    "decode_header_words",
    "fold_whitespace",
    "parse_date",
    "raw_headers",
    "recipients",
]


# C0 controls other than tab and newline: a NUL breaks PostgreSQL text
# columns and an ESC rewrites the terminal of whoever runs `show`.
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_header(value: str) -> str:
    """A raw header value unfolded, its 8-bit bytes decoded, stripped."""
    if not value.isascii():
        value = decode_8bit_header(value)
    if not value.isprintable():
        value = CONTROLS.sub("", value.replace("\r", "").replace("\n", ""))
    return value.strip()


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")


def decode_header_words(text: str, notes: list[str] | None = None) -> str:
    """Decode RFC 2047 encoded words in an already unfolded header value.

    Adjacent words in one charset are joined before decoding, so a character
    split across two words (as some clients write) comes out whole; the
    whitespace between encoded words is dropped, as RFC 2047 says.
    """
    if "=?" not in text:
        return text
    if notes is None:
        notes = []
    out: list[str] = []
    pending = b""
    pending_cs: str | None = None
    pos = 0
    last_was_word = False
    for match in _ENCODED_WORD.finditer(text):
        between = text[pos : match.start()]
        if between and not (last_was_word and between.isspace()):
            if pending_cs is not None:
                out.append(decode_text(pending, pending_cs, notes))
                pending, pending_cs = b"", None
            out.append(between)
        charset = match.group(1).split("*", 1)[0].lower()
        data = _decode_word(match.group(2), match.group(3), notes)
        if data is None:
            if pending_cs is not None:
                out.append(decode_text(pending, pending_cs, notes))
                pending, pending_cs = b"", None
            out.append(match.group(0))
            last_was_word = False
        else:
            if pending_cs is not None and pending_cs != charset:
                out.append(decode_text(pending, pending_cs, notes))
                pending = b""
            pending += data
            pending_cs = charset
            last_was_word = True
        pos = match.end()
    if pending_cs is not None:
        out.append(decode_text(pending, pending_cs, notes))
    out.append(text[pos:])
    return "".join(out)


def _decode_word(encoding: str, payload: str, notes: list[str]) -> bytes | None:
    raw = payload.encode("utf-8", "surrogateescape")
    if encoding in "qQ":
        return binascii.a2b_qp(raw, header=True)
    raw = raw.strip()
    try:
        return binascii.a2b_base64(raw + b"=" * (-len(raw) % 4))
    except binascii.Error:
        pass
    cut = raw.rstrip(b"=")
    cut = cut[: len(cut) - len(cut) % 4]
    try:
        return binascii.a2b_base64(cut)
    except binascii.Error:
        notes.append("bad-encoded-word")
        return None


def fold_whitespace(text: str) -> str:
    """Every run of whitespace one space, none at the ends."""
    return " ".join(text.split())


def canonical_ids(value: str) -> list[str]:
    """Message-IDs in a header value, each as ``<id>``, in order, no repeats.

    Comments are skipped (they may quote an address in angle brackets),
    whitespace inside an id is folding and is removed, and a value without
    any angle brackets still yields its bare ``local@domain`` tokens.
    """
    if not value:
        return []
    if "(" in value:
        value = _strip_comments(value)
    found: dict[str, None] = {}
    if "<" in value:
        for inner in re.findall(r"<([^<>]*)>", value):
            inner = "".join(inner.split())
            if inner:
                found.setdefault(f"<{inner}>", None)
    if not found:
        for token in re.split(r"[\s,;]+", value):
            token = token.strip("<>\"'[]")
            if "@" in token and len(token) > 2:
                found.setdefault(f"<{token}>", None)
    return list(found)


def _strip_comments(value: str) -> str:
    """Remove RFC 5322 comments that are outside angle brackets and quotes."""
    out: list[str] = []
    depth = 0
    quoted = False
    angle = False
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and (depth or quoted):
            i += 2
            continue
        if depth:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if not depth:
                    out.append(" ")
        elif quoted:
            out.append(ch)
            if ch == '"':
                quoted = False
        elif angle:
            out.append(ch)
            if ch == ">":
                angle = False
        elif ch == "(":
            depth = 1
        else:
            out.append(ch)
            if ch == '"':
                quoted = True
            elif ch == "<":
                angle = True
        i += 1
    return "".join(out)


_HIDDEN_WORD = re.compile(r"EncodedWord(\d+)X")


# The longest addr-spec kept; longer ones are junk (RFC 5321 paths are <= 256).
MAX_ADDRESS = 254


def address_pairs(
    values: list[str], notes: list[str], keep_nameonly: bool = False
) -> list[tuple[str, str]]:
    """(decoded display name, lower-case addr-spec) pairs; empty ones dropped.

    Encoded words are decoded after splitting, because a decoded name such
    as "Tamm, Mari" contains the comma that separates addresses.
    """
    if not values:
        return []
    words: list[str] = []
    if any("=?" in value for value in values):
        # Some clients leave a comma unencoded inside an encoded word
        # ("=?utf-8?Q?Tamm,_Mari?="); hide the words from the address parser.
        def hide(match: re.Match[str]) -> str:
            words.append(match.group(0))
            return f"EncodedWord{len(words) - 1}X"

        values = [_ENCODED_WORD.sub(hide, value) for value in values]
    try:
        pairs = getaddresses(values)
    except Exception:  # the stdlib address parser has crashed on odd groups
        notes.append("bad-address-header")
        pairs = []
        for value in values:
            pairs.extend(
                ("", m) for m in re.findall(r"[^\s<>,;:\"]+@[^\s<>,;:\"]+", value)
            )
    if words:

        def show(match: re.Match[str]) -> str:
            return words[int(match.group(1))]

        pairs = [
            (_HIDDEN_WORD.sub(show, name), _HIDDEN_WORD.sub(show, addr))
            for name, addr in pairs
        ]
    result: list[tuple[str, str]] = []
    for name, addr in pairs:
        addr = addr.strip().strip("<>").strip().lower()
        if len(addr) > MAX_ADDRESS:
            # RFC 5321 caps a path at 256 octets; a longer one is junk, and
            # it would not fit a PostgreSQL index entry.
            notes.append("address-too-long")
            addr = ""
        if not addr and not (keep_nameonly and name):
            continue
        if name:
            name = fold_whitespace(CONTROLS.sub(" ", decode_header_words(name, notes)))
            if len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"":
                name = name[1:-1].strip()
        result.append((name, addr))
    return result


def parse_date(value: str | None, notes: list[str]) -> datetime | None:
    """A Date header (RFC 5322, else ISO 8601) as an aware UTC datetime."""
    if not value:
        notes.append("missing-date")
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError, AttributeError):
        when = _iso_date(value)
        if when is None:
            notes.append("bad-date")
            return None
    if when.tzinfo is None:
        # "-0000" (or a bare ISO time): the time is UTC, the sender's zone unknown.
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except (OverflowError, ValueError):
        notes.append("bad-date")
        return None


def _iso_date(value: str) -> datetime | None:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def raw_headers(message: Message) -> tuple[dict[str, str], dict[str, list[str]]]:
    """First raw value of each header, and every value of To, Cc, From,
    Authentication-Results and X-Loop."""
    first: dict[str, str] = {}
    multi: dict[str, list[str]] = {
        "to": [],
        "cc": [],
        "from": [],
        "authentication-results": [],
        "x-loop": [],
    }
    for name, value in message.raw_items():
        key = name.strip().lower()
        if not isinstance(value, str):
            value = str(value)
        if key not in first:
            first[key] = value
        if key in multi:
            multi[key].append(value)
    return first, multi


def recipients(values: list[str], notes: list[str]) -> tuple[str, ...]:
    """The addr-specs of raw To or Cc values, in order, without repeats."""
    pairs = address_pairs([clean_header(value) for value in values], notes)
    return tuple(dict.fromkeys(addr for _, addr in pairs))

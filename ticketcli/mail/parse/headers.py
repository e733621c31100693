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
    "repair_header_block",
]


# C0 controls other than tab and newline: a NUL breaks PostgreSQL text
# columns and an ESC rewrites the terminal of whoever runs `show`.
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_header(value: str, hint: str | None = None) -> str:
    """A raw header value unfolded, its 8-bit bytes decoded, stripped.

    ``hint``: the charset the mail's text is in, which is the likeliest for
    8-bit bytes in its headers when they are not UTF-8.
    """
    if not value.isascii() or "\x1b" in value:
        value = decode_8bit_header(value, hint)
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
        pairs = getaddresses([_quote_odd_names(value) for value in values])
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


# An unquoted display name with brackets ("Mari Tamm [ACME] <mari@acme.ee>"),
# which mail clients show as a name and the strict parser splits apart.
_ODD_NAME = re.compile(r'(^|,)(\s*)([^,"<>@]*[\[\]][^,"<>@]*?)(\s*<)')


def _quote_odd_names(value: str) -> str:
    """Quote such names, so the address is the one in the angle brackets."""
    return _ODD_NAME.sub(
        lambda m: (
            f'{m.group(1)}{m.group(2)}"{m.group(3).replace(chr(92), "")}"{m.group(4)}'
        ),
        value,
    )


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


# --- header blocks other parsers still read --------------------------------

# A line that starts a header field ("Name: value"), continues one, or is
# the mbox "From " line; anything else inside a header block is damage.
_FIELD_LINE = re.compile(rb"[\t ]|From |[!-9;-~]+:")
_DAMAGED_LINE = re.compile(rb"\n(?![\t \r\n]|From |[!-9;-~]+:|\Z)")
# Headers that prove the header block goes on below a damaged line: a body
# that lost its blank line does not say "Subject:" a few lines down.
_CORE_FIELD = re.compile(
    rb"(?:from|to|cc|subject|date|message-id|mime-version|content-type|received"
    rb"|return-path|reply-to|in-reply-to|references|delivered-to|x-mailer"
    rb"|content-transfer-encoding|dkim-signature|authentication-results)[\t ]*:",
    re.IGNORECASE,
)
# Headers ticketcli reads a meaning from: a stray line is never glued onto
# one of these (a "Return-Path: <>" must stay the null sender).
_READ_FIELDS = frozenset(
    b"from to cc subject date message-id return-path reply-to in-reply-to"
    b" references content-type content-transfer-encoding mime-version sender"
    b" auto-submitted precedence list-id list-unsubscribe x-loop thread-index"
    b" x-autoreply x-autorespond x-autoresponder x-failed-recipients".split()
)
_REPAIR_SCAN = 256 * 1024  # a header block is never longer (bounds.MAX_HEADER_BLOCK)


def _block_end(data: bytes) -> int:
    """Where the top header block ends: its blank line, or the scan's end."""
    limit = min(len(data), _REPAIR_SCAN)
    lf = data.find(b"\n\n", 0, limit)
    crlf = data.find(b"\n\r\n", 0, lf if lf >= 0 else limit)
    ends = [i for i in (lf, crlf) if i >= 0]
    return min(ends) + 1 if ends else limit


def repair_header_block(data: bytes) -> tuple[bytes, list[str]]:
    """The message with a damaged top header block made readable, and notes.

    Broken gateways wrap a long value without indenting the continuation
    (a base64 ``X-Brightmail-Tracker:``), or leave a stray line or a NUL
    in the block; the stdlib then ends the headers there and From and
    Subject below it are lost. A line inside the block that is not
    ``Name: value`` continues the header above it, or is dropped when that
    header is one ticketcli reads a meaning from; a NUL is dropped. A line
    counts as inside the block when a core header ("Subject:", "From:",
    ...) follows before the blank line; otherwise it is the body of a mail
    that lost its blank line, as the stdlib reads it. Lines before the
    first header are left to the caller (a banner, junk). The bytes kept
    as the original are not these: only what is parsed.
    """
    end = _block_end(data)
    block = data[:end]
    if _DAMAGED_LINE.search(block) is None and b"\x00" not in block:
        return data, []  # the common case: one search, no copy
    notes: list[str] = []
    if b"\x00" in block:
        block = block.replace(b"\x00", b"")
        notes.append("nul-in-header")
    lines = block.splitlines(keepends=True)
    last_core = max(
        (i for i, line in enumerate(lines) if _CORE_FIELD.match(line)), default=-1
    )
    out: list[bytes] = []
    current: bytes | None = None  # lower-case name of the field above
    changed = False
    for i, line in enumerate(lines):
        if _FIELD_LINE.match(line):
            if line[:1] not in (b" ", b"\t"):
                current = line.split(b":", 1)[0].strip().lower()
            out.append(line)
            continue
        if current is None or not line.strip():
            out.append(line)  # junk before the headers, or the blank line
            continue
        if i > last_core:
            out.extend(lines[i:])  # the body starts here, without a blank line
            break
        changed = True
        if current in _READ_FIELDS:
            notes.append("stray-header-line-dropped")
        else:
            out.append(b" " + line)
            notes.append("unindented-header-continuation")
    if not changed and not notes:
        return data, []
    return b"".join(out) + data[end:], list(dict.fromkeys(notes))

"""Bytes -> ParsedMail: decoded headers, body text, attachments, hashes; pure.

The message is parsed once with the stdlib parser under ``compat32``. That
policy keeps header values as raw strings and builds no structured header
objects, which is where most of ``policy.default``'s time goes; it also
survives the inputs that make ``policy.default`` raise (an RFC 2231
``iso-2022-jp`` filename at parse time, ``To: unlisted-recipients:;`` on
access). The few headers ticketcli needs are decoded here with small
functions that never raise: unknown charsets, bad dates and broken encodings
become entries in ``defects`` instead of exceptions. Only input that is not a
mail at all raises ``MailParseError``, so the pipeline can quarantine it.
The work per message is bounded (see "Bounds" below): past a cap the rest is
left out of what is read, and ``defects`` names the cap.
"""

from __future__ import annotations

import binascii
import codecs
import hashlib
import mimetypes
import re
import secrets
import unicodedata
from datetime import UTC, datetime
from email.feedparser import FeedParser
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from ticketcli.errors import MailParseError
from ticketcli.mail.model import Attachment, ParsedMail

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "decode_header_words",
    "decode_text",
    "html_to_text",
    "parse_message",
    "sanitize_filename",
]

_HEADER_PARSER = BytesHeaderParser(policy=compat32)

# Headers that say the same mail was delivered again when everything else is
# equal; trace headers (Received, Return-Path, DKIM, ...) are deliberately not
# among them, so a second delivery with one more hop hashes the same.
_HASHED_HEADERS = ("from", "date", "subject", "message-id", "to", "cc")

# Deeper than this is an attack or a generator bug, not a mail a person wrote.
_MAX_DEPTH = 64

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


# ---------------------------------------------------------------------------
# Charsets
# ---------------------------------------------------------------------------

# Labels seen in real mail that Python does not know, or knows under a
# narrower meaning than the mail clients that wrote them.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-roman": "mac-roman",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-e": "iso-8859-6",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "windows-874": "cp874",
    "ansi_x3.4-1968": "ascii",
    "646": "ascii",
}
# Labels that are no charset name but that a known mail client meant as one;
# reading them is a repair, and is reported as a defect.
_CHARSET_REPAIRS = {
    "baltic": "cp1257",
    "unicodebig": "utf-16-be",
    "unicodefffe": "utf-16-be",
    "unicode": "utf-16-le",
    "unicode-1-1-utf-7": "utf-7",
    "iso-gb2312": "gb18030",
    "x-user-defined": "cp1252",
}
# Labels that name no charset at all: decode by guessing, and say so.
_NO_CHARSET = frozenset(
    {
        "x-unknown",
        "unknown",
        "unknown-8bit",
        "x-unknown-8bit",
        "8bit",
        "default",
        "none",
        "charset",
        "us",
    }
)
# Codecs that are "text encodings" to Python but never a mail charset.
_REFUSED_CODECS = frozenset(
    {
        "undefined",
        "unicode_escape",
        "raw_unicode_escape",
        "idna",
        "punycode",
        "mbcs",
        "oem",
    }
)
# A known charset at the start of a label that has junk glued to it
# ("utf-8-purple", "windows-1252http-equivContent-Type").
_CHARSET_PREFIX = re.compile(
    r"(utf-?8|utf-?16(?:-?[bl]e)?|utf-?32(?:-?[bl]e)?|windows-?12[5-9]\d|cp-?12[5-9]\d"
    r"|iso-?8859-?1[0-6]|iso-?8859-?[1-9]|koi8-?[ru]|us-ascii|ascii)",
    re.IGNORECASE,
)


@lru_cache(maxsize=512)
def _codec(label: str) -> tuple[str | None, bool]:
    """Python codec name for a charset label, and whether the label was sound.

    Returns ``(None, False)`` when nothing usable can be read from the label.
    """
    name = label.strip().strip("\"'").strip().lower()
    if not name or name in _NO_CHARSET:
        return None, False
    repaired = _CHARSET_REPAIRS.get(name)
    if repaired:
        return _lookup(repaired), False
    found = _lookup(_CHARSET_ALIASES.get(name, name))
    if found:
        return found, True
    match = _CHARSET_PREFIX.match(name)
    if match:
        found = _lookup(_CHARSET_ALIASES.get(match.group(1), match.group(1)))
        if found:
            return found, False
    return None, False


def _lookup(name: str) -> str | None:
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError, UnicodeError):
        return None
    try:
        # Refuses bytes-to-bytes codecs such as base64 (an empty input would
        # slip through this check).
        b"\0\0\0\0".decode(info.name)
    except UnicodeError:
        pass
    except (LookupError, ValueError, TypeError):
        return None
    if info.name in _REFUSED_CODECS:
        return None
    return info.name


def _guess(data: bytes) -> str:
    """Text of bytes in an unknown charset: UTF-8 if valid, else Windows-1252."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def decode_text(
    data: bytes, charset: str | None, notes: list[str] | None = None
) -> str:
    """Decode bytes labelled with ``charset``; never raises.

    An unknown label or bytes that do not fit the label are noted in
    ``notes`` and decoded as well as possible, because a wrong label must not
    cost the customer's text.
    """
    if notes is None:
        notes = []
    if not charset:
        return _guess(data) if not data.isascii() else data.decode("ascii")
    codec, sound = _codec(charset)
    if not sound:
        notes.append(f"unknown-charset:{charset.strip().lower()[:40]}")
    if codec is None:
        return _guess(data)
    if codec == "ascii":
        if data.isascii():
            return data.decode("ascii")
        notes.append("8bit-in-ascii")
        return _guess(data)
    if codec == "latin_1" or codec == "iso8859-1":
        # What clients mean by ISO-8859-1 is Windows-1252 (as WHATWG says).
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    try:
        return data.decode(codec)
    except Exception:  # UnicodeDecodeError, or worse from some CJK codecs
        notes.append(f"undecodable-text:{codec}")
    if not data.isascii():
        try:
            # A wrong label on UTF-8 text is the usual cause (Apple Mail,
            # webmail); ASCII-only data (broken ISO-2022 escapes) is not.
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(codec, "replace")
    except Exception:
        return _guess(data)


# ---------------------------------------------------------------------------
# Header values
# ---------------------------------------------------------------------------


def _from_8bit(value: str) -> str:
    """Header text whose undeclared 8-bit bytes are read as UTF-8 or cp1252."""
    return _guess(value.encode("utf-8", "surrogateescape"))


# C0 controls other than tab and newline: a NUL breaks PostgreSQL text
# columns and an ESC rewrites the terminal of whoever runs `show`.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean(value: str) -> str:
    """A raw header value unfolded, its 8-bit bytes decoded, stripped."""
    if not value.isascii():
        value = _from_8bit(value)
    if not value.isprintable():
        value = _CONTROLS.sub("", value.replace("\r", "").replace("\n", ""))
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


def _fold_ws(text: str) -> str:
    return " ".join(text.split())


def _canonical_ids(value: str) -> list[str]:
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


def _addresses(
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
            name = _fold_ws(_CONTROLS.sub(" ", decode_header_words(name, notes)))
            if len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"":
                name = name[1:-1].strip()
        result.append((name, addr))
    return result


def _parse_date(value: str | None, notes: list[str]) -> datetime | None:
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


# ---------------------------------------------------------------------------
# Bodies
# ---------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption center dd details div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main "
    "nav ol p pre section summary table tbody thead tfoot tr ul".split()
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template"})
_WS_RUN = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    """Collects the readable text of an HTML body, blocks on their own lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip: list[str] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip.append(tag)
        elif tag == "body":
            self.skip.clear()  # an unclosed <head> ends where the body starts
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n- " if tag == "li" else "\n")
            if tag == "pre":
                self.pre += 1
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            if tag in self.skip:
                del self.skip[len(self.skip) - 1 - self.skip[::-1].index(tag) :]
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
            if tag == "pre" and self.pre:
                self.pre -= 1

    def handle_data(self, data: str) -> None:
        if self.skip:
            if self.skip[-1] != "head" or data.isspace():
                return
            self.skip.pop()  # text in <head> starts the body, as browsers do
        self.parts.append(data if self.pre else _WS_RUN.sub(" ", data))


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body: no scripts or styles, one block a line."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; this guards the pathological rest
        pass
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    out: list[str] = []
    blank = False
    for line in lines:
        if line:
            if blank and out:
                out.append("")
            out.append(line)
            blank = False
        else:
            blank = True
    return "\n".join(out)


_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)


def _payload(part: Message, notes: list[str], source: _Source) -> bytes:
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


def _charset(part: Message) -> str | None:
    try:
        charset = part.get_param("charset")
    except Exception:
        return None
    if isinstance(charset, tuple):  # RFC 2231 form: (charset, language, value)
        charset = charset[2]
    if not isinstance(charset, str):
        return None
    return charset.strip() or None


def _text_of(part: Message, notes: list[str], source: _Source) -> str:
    data = _payload(part, notes, source)
    charset = _charset(part)
    is_html = part.get_content_type() == "text/html"
    if charset is None and is_html:
        found = _META_CHARSET.search(data[:4096])
        if found:
            charset = found.group(1).decode("ascii")
    text = decode_text(data, charset, notes)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if is_html:
        if len(text) > _MAX_HTML or text.count("<") > _MAX_HTML_TAGS:
            notes.append("html-too-long")
            text = text[:_MAX_HTML]
            at = 0
            if text.count("<") > _MAX_HTML_TAGS:
                for _ in range(_MAX_HTML_TAGS + 1):
                    at = text.index("<", at + 1)
                text = text[:at]
        text = html_to_text(text)
    return _CONTROLS.sub("", text)


# ---------------------------------------------------------------------------
# Attachments
# ---------------------------------------------------------------------------

_UNSAFE_CHARS = re.compile(
    r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|\u200e\u200f\u202a-\u202e'
    r"\u2066-\u2069\ufeff]"
)
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(10)]
    + [f"lpt{i}" for i in range(10)]
)
_MAX_NAME_BYTES = 180
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "application/ms-tnef": ".dat",
    "application/octet-stream": ".bin",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "text/rfc822-headers": ".txt",
    "message/delivery-status": ".txt",
}
_MIMETYPES: mimetypes.MimeTypes | None = None


def _extension(content_type: str) -> str:
    ext = _EXTENSIONS.get(content_type)
    if ext:
        return ext
    global _MIMETYPES
    if _MIMETYPES is None:
        # Only the built-in table: the host's /etc/mime.types must not change names.
        _MIMETYPES = mimetypes.MimeTypes(filenames=())
    return _MIMETYPES.guess_extension(content_type, strict=False) or ".bin"


def sanitize_filename(
    name: str | None, content_type: str = "application/octet-stream", index: int = 1
) -> str:
    """A name that is safe as one path component on any disk.

    Mail decides attachment names, so they are hostile input: separators,
    ``..``, control and bidi-override characters, device names and leading
    dots go, length is capped (keeping the extension), and an empty result
    becomes ``attachment-<index><ext>`` from the content type.
    """
    text = unicodedata.normalize("NFC", name or "")
    text = _UNSAFE_CHARS.sub("_", text.replace("\x00", ""))
    text = re.sub(r"\.{2,}", ".", text)
    text = _fold_ws(text).strip(". _")
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    if stem.split(".", 1)[0].strip().lower() in _WINDOWS_DEVICES:
        text = "_" + text
    if len(text.encode("utf-8")) > _MAX_NAME_BYTES:
        suffix = "." + ext if dot and 0 < len(ext.encode("utf-8")) <= 16 else ""
        budget = _MAX_NAME_BYTES - len(suffix.encode("utf-8"))
        head = text[: len(text) - len(suffix)] if suffix else text
        head = head.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(". ")
        text = head + suffix
    if not text.strip("._ "):
        return f"attachment-{index}{_extension(content_type)}"
    return text


def _filename(part: Message, notes: list[str]) -> str | None:
    """The decoded filename parameter (or Content-Type name) of a part, or None.

    Read here rather than with ``get_filename`` because the stdlib turns raw
    8-bit bytes and RFC 2231 values in a wrong charset (``us-ascii''W%F6``)
    into U+FFFD; ``decode_text`` recovers them as UTF-8 or Windows-1252.
    """
    for name, value in part.raw_items():
        if not value.isascii() and name.lower() in (
            "content-disposition",
            "content-type",
        ):
            part.replace_header(name, _from_8bit(value))
    for header, param in (
        ("content-disposition", "filename"),
        ("content-type", "name"),
    ):
        try:
            value = part.get_param(param, None, header)
        except Exception:  # a parameter list broken beyond what the parser mends
            notes.append("bad-filename")
            continue
        if value is None:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded)
            charset, _language, text = value
            try:
                data = bytes(str(text), "raw-unicode-escape")
            except UnicodeError:
                data = str(text).encode("utf-8", "replace")
            value = decode_text(data, charset or None, notes)
        value = str(value).replace("\r", "").replace("\n", "").strip()
        if "=?" in value:
            value = decode_header_words(value, notes)
        return value
    return None


def _is_attachment(part: Message, notes: list[str]) -> tuple[bool, str | None]:
    filename = _filename(part, notes)
    if filename is not None:
        return True, filename
    try:
        disposition = part.get_content_disposition()
    except Exception:
        disposition = None
    return disposition == "attachment", None


def _message_bytes(message: Message, source: _Source) -> bytes:
    source.restore(message)
    try:
        return message.as_bytes()
    except Exception:
        try:
            return message.as_string().encode("utf-8", "surrogateescape")
        except Exception:
            return b""


# ---------------------------------------------------------------------------
# Bounds: the work one message may cost
# ---------------------------------------------------------------------------

# One mail must not hold the sync lock for long. The stdlib parser does Python
# work for every line it reads, keeps every line of a body as a string until
# the part ends (an 85 MB mail took 776 MB), and reads MIME parameters in
# quadratic time: ``email.message._parseparam`` copies the rest of the header
# once per parameter and counts quotes from its start once per ``;``, so a
# 3 MB Content-Type of 200,000 parameters took 40 s. ``_Scan`` therefore
# reads the MIME structure first, as the stdlib will (its stack of boundaries,
# blank lines in a report), with byte searches that run in C and see every
# byte about once, and hands the stdlib a skeleton of the message:
#
# * header blocks are trimmed to the caps below; what is past a cap is left
#   out of the parse and a defect names the cap (``raw``, which is what is
#   stored, keeps every byte);
# * the message is cut at the part that goes past a cap on the whole message:
#   the open multiparts are closed there and the rest is left out;
# * a long run of body lines (a payload, a preamble, an epilogue) goes in as
#   one placeholder line and is read back from ``raw`` when it is used, so the
#   stdlib makes no list of its lines and no copy of it.
#
# A message under every cap whose bodies are short reaches the stdlib byte for
# byte; otherwise what is read back is what the stdlib would have read.

# One header field, folding included: Exchange writes 43 KB index fields.
_MAX_HEADER_LENGTH = 64 * 1024
# Parameters of one Content-Type or Content-Disposition field (real mail has
# a dozen at most). Every ``;`` counts, quoted or not, because the stdlib's
# cost is quadratic in both.
_MAX_MIME_PARAMETERS = 100
# One header block (every part has one): real mail has under 150 fields and
# a few hundred lines; Message.get() reads every field of its block.
_MAX_HEADER_FIELDS = 1000
_MAX_HEADER_LINES = 10_000
_MAX_HEADER_BLOCK = 256 * 1024
# How far into an over-cap header block a line that is no header line, or
# the end of an over-long field, is looked for: past it the lines up to the
# blank line are taken for header lines, and left out.
_HEADER_SCAN = 4 * 1024 * 1024
# All header blocks of a message together: the stdlib's work per header line,
# and ticketcli's per header per part, stay far below a second.
_MAX_HEADERS_TOTAL = 4 * 1024 * 1024
_MAX_HEADER_LINES_TOTAL = 50_000
# Parts of a message: multipart children, attached messages, report blocks.
# The largest real one in the corpus has 330.
_MAX_PARTS = 1000
# HTML read into body text: HTMLParser costs some 3 us per tag and text run,
# so a MB of bare tags takes over a second; real mail has a few thousand.
_MAX_HTML = 1024 * 1024
_MAX_HTML_TAGS = 50_000
# Runs of body lines longer than this reach the stdlib as one placeholder.
_INLINE_LINES = 32
_INLINE_BYTES = 8 * 1024
# A message this small, with this few lines and ``;``, is under every cap
# (but the nesting depth, which _walk bounds for it) and is cheap to parse
# whole, so it is not scanned.
_SMALL_MESSAGE = 64 * 1024

# A header line, as the stdlib's feedparser tells one (its ``headerRE``).
_FEED_HEADER_LINE = re.compile(rb"From |[\x21-\x39\x3b-\x7e]*:|[\t ]")
# A line break whose next line is no header line (a lone CR of a CRLF aside).
_NOT_HEADER = re.compile(rb"[\r\n](?![\t \r\n]|From |[\x21-\x39\x3b-\x7e]*:|\Z)")
# The line break that ends a header field: the next line is no continuation.
_FIELD_END = re.compile(rb"\r\n(?![\t ])|\r(?![\n\t ])|\n(?![\t ])")
# The same, as two searches led by a literal (which the regex engine runs
# fast): LF and CRLF endings, and CR alone.
_FIELD_END_LF = re.compile(rb"\n(?![\t ])")
_FIELD_END_CR = re.compile(rb"\r(?![\n\t ])")
# What may follow ``--boundary`` on a boundary line (the stdlib's boundaryre).
_BOUNDARY_END = re.compile(rb"(--)?[ \t]*(?:\r\n|\r|\n|\Z)")
_CR_LF = (0x0D, 0x0A)
# The two line breaks an empty line makes, in any of the three conventions;
# the likeliest first (for CRLF mail, then for the rest), so the others need
# only be looked for before it.
_EMPTY_LINE_PAIRS = ((b"\n\n", b"\n\r", b"\r\r"), (b"\n\r", b"\n\n", b"\r\r"))


class _OverCapError(Exception):
    """A cap on the whole message is reached at ``at``: the rest is left out."""

    def __init__(self, at: int, defect: str, open_boundaries: list[bytes]) -> None:
        super().__init__(defect)
        self.at = at
        self.defect = defect
        self.open_boundaries = list(open_boundaries)


class _Finder:
    """The first hit of a search at or after a position, remembered.

    There is no hit in ``[start, end)``; ``hit`` says whether there is one at
    ``end``. A scan that moves forward thus searches every byte once.
    """

    __slots__ = ("end", "hit", "search", "start")

    def __init__(self, search: Callable[[int, int], int | None]) -> None:
        self.search = search
        self.start = self.end = -1
        self.hit = False

    def next(self, pos: int, limit: int) -> int | None:
        """The first hit in ``[pos, limit)``, or None."""
        if self.start <= pos <= self.end:
            if self.hit or limit <= self.end:
                return self.end if self.hit and self.end < limit else None
            pos = self.end
        else:
            self.start = pos
        found = self.search(pos, limit)
        self.end, self.hit = (limit, False) if found is None else (found, True)
        return found


class _Boundary:
    """Where the lines ``--boundary`` of one multipart are."""

    def __init__(self, scan: _Scan, boundary: bytes) -> None:
        self.scan = scan
        self.separator = b"--" + boundary
        if scan.lone_cr is None:
            scan.lone_cr = scan.data.count(b"\r") != scan.data.count(b"\r\n")
        self.finders = [
            _Finder(lambda pos, limit, eol=eol: self._search(eol, pos, limit))
            for eol in ((b"\n", b"\r") if scan.lone_cr else (b"\n",))
        ]
        self.misses = 0
        self.patterns: dict[bytes, re.Pattern[bytes]] = {}

    def at(self, pos: int) -> re.Match[bytes] | None:
        """The rest of the line at ``pos`` if that line is one of ours."""
        data = self.scan.data
        if not data.startswith(self.separator, pos):
            return None
        return _BOUNDARY_END.match(data, pos + len(self.separator))

    def next(self, pos: int, limit: int) -> int | None:
        """The start of the first of our lines in ``[pos, limit)``."""
        found = None
        for finder in self.finders:
            hit = finder.next(pos, limit)
            if hit is not None:
                found = limit = hit
        return found

    def _search(self, eol: bytes, pos: int, limit: int) -> int | None:
        if pos == 0 and limit > 0 and self.at(0):
            return 0
        data = self.scan.data
        needle = eol + self.separator
        # From the line break before ``pos``, so a line at ``pos`` is found.
        pos = max(pos - 1, 0)
        end = min(len(data), limit - 1 + len(needle))
        while True:
            if self.misses > 64:
                # Many lines that start like ours but are not: let the regex
                # engine reject them, it does so in C.
                hit = self._pattern(needle).search(data, pos, end)
                at = hit.start() if hit else -1
            else:
                at = data.find(needle, pos, end)
            if at < 0 or at + 1 >= limit:
                return None
            if self.at(at + 1):
                return at + 1
            self.misses += 1
            pos = at + 1

    def _pattern(self, needle: bytes) -> re.Pattern[bytes]:
        pattern = self.patterns.get(needle)
        if pattern is None:
            pattern = re.compile(re.escape(needle) + _BOUNDARY_END.pattern)
            self.patterns[needle] = pattern
        return pattern


class _Ends:
    """The lines that end the part being read: the stdlib's stack of false
    EOF matchers, i.e. every enclosing boundary, and blank lines in a report."""

    def __init__(self, scan: _Scan, boundaries: tuple[_Boundary, ...], blank: bool):
        self.scan = scan
        self.boundaries = boundaries
        self.blank = blank

    def plus(self, boundary: _Boundary | None, blank: bool = False) -> _Ends:
        extra = (boundary,) if boundary is not None else ()
        return _Ends(self.scan, self.boundaries + extra, self.blank or blank)

    def at(self, pos: int) -> bool:
        """Whether the line at ``pos`` ends the part (False at the very end)."""
        data = self.scan.data
        if pos >= len(data):
            return False
        if self.blank and data[pos] in _CR_LF:
            return True
        return any(b.at(pos) for b in self.boundaries)

    def next(self, pos: int, limit: int | None = None) -> int:
        """The first line in ``[pos, limit)`` that ends the part, else ``limit``
        (the end of the message by default)."""
        end = len(self.scan.data) if limit is None else limit
        if self.blank:
            end = self.scan.blank(pos, end)
        # Innermost first: its line is the likeliest to come first, and then
        # the others need only be looked for before it.
        for boundary in reversed(self.boundaries):
            hit = boundary.next(pos, end)
            if hit is not None:
                end = hit
        return end


class _Scan:
    """Reads a message's MIME structure as the stdlib will, applying the caps;
    ``run`` gives the bytes to hand the stdlib."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)
        self.lone_cr: bool | None = None  # whether any line ends in a CR alone
        self.edits: list[tuple[int, int, bytes]] = []
        self.spans: list[tuple[int, int]] = []
        self.notes: list[str] = []
        self.parts = 0
        self.header_bytes = 0
        self.header_lines = 0
        self.open: list[bytes] = []
        self.marker = b""
        self.blanks: list[_Finder] = []

    def run(self) -> bytes:
        data = self.data
        if (
            self.size <= _SMALL_MESSAGE
            and max(data.count(b"\n"), data.count(b"\r")) < _MAX_HEADER_FIELDS
            and data.count(b";") <= _MAX_MIME_PARAMETERS
        ):
            return data
        self.blanks = [
            _Finder(lambda pos, limit, pair=pair: self._pair(pair, pos, limit))
            for pair in _EMPTY_LINE_PAIRS[data.find(b"\r\n", 0, 8192) >= 0]
        ]
        try:
            self.part(0, _Ends(self, (), False), "text/plain", 0, 0)
        except _OverCapError as cut:
            self.notes.append(cut.defect)
            self.edits = [edit for edit in self.edits if edit[1] <= cut.at]
            closing = b"".join(
                b"--" + boundary + b"--\r\n"
                for boundary in reversed(cut.open_boundaries)
            )
            self.edits.append((cut.at, self.size, closing))
        if not self.edits:
            return self.data
        view = memoryview(self.data)
        pieces: list[bytes | memoryview] = []
        pos = 0
        for start, end, new in self.edits:
            pieces += (view[pos:start], new)
            pos = end
        pieces.append(view[pos:])
        return b"".join(pieces)

    def source(self) -> _Source:
        return _Source(self.data, self.marker, self.spans)

    # -- lines ---------------------------------------------------------------

    def _pair(self, pair: bytes, pos: int, limit: int) -> int | None:
        at = self.data.find(pair, max(pos - 1, 0), limit)
        return None if at < 0 else at + 1

    def blank(self, pos: int, limit: int) -> int:
        """The first blank line in ``[pos, limit)``, else ``limit``."""
        if pos == 0 < limit and self.data[:1] in (b"\r", b"\n"):
            return 0
        for finder in self.blanks:
            hit = finder.next(pos, limit)
            if hit is not None:
                limit = hit
        return limit

    def _after_blank(self, pos: int) -> int:
        """Where the line after the blank line at ``pos`` starts."""
        return pos + (2 if self.data.startswith(b"\r\n", pos) else 1)

    # -- parts ---------------------------------------------------------------

    def part(self, pos: int, ends: _Ends, default: str, depth: int, cut_at: int) -> int:
        """Read the part at ``pos``; return where it ends.

        ``cut_at`` is where the message is cut if this part is one too many:
        the boundary line before it, so no empty part is left behind.
        """
        self.parts += 1
        if self.parts > _MAX_PARTS:
            raise _OverCapError(cut_at, "too-many-parts", self.open)
        if depth > _MAX_DEPTH:
            raise _OverCapError(cut_at, "nested-too-deep", self.open)
        block, body = self._headers(pos, ends, cut_at)
        ctype, boundary = _content_type(block, default)
        if ctype == "message/delivery-status":
            return self._blocks(body, ends, depth)
        maintype = ctype.partition("/")[0]
        if maintype == "message":
            return self.part(body, ends, "text/plain", depth + 1, body)
        if maintype == "multipart" and boundary is not None:
            return self._multipart(body, boundary, ends, ctype, depth)
        end = ends.next(body)
        self._inert(body, end)
        return end

    def _multipart(
        self, pos: int, boundary: str, ends: _Ends, ctype: str, depth: int
    ) -> int:
        try:
            own: _Boundary | None = _Boundary(
                self, boundary.encode("ascii", "surrogateescape")
            )
        except UnicodeError:  # a decoded RFC 2231 value: no line can match it
            own = None
        inner = ends.plus(own)
        default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
        line = inner.next(pos)
        self._inert(pos, line)  # the preamble, or the payload if no part follows
        if own is None or line >= self.size or ends.at(line):
            return line
        self.open.append(own.separator[2:])
        try:
            match = own.at(line)
            if match is not None and match.group(1):
                # A closing boundary before any part: the stdlib reads (and
                # drops) everything up to the end of the enclosing part.
                after = match.end()
                end = ends.next(after)
                self._inert(after, end)
                return end
            while match is not None:
                # An inter-part boundary, and any boundary lines right after.
                start = match.end()
                while start < self.size and not ends.at(start):
                    again = own.at(start)
                    if again is None:
                        break
                    start = again.end()
                end = self.part(start, inner, default, depth + 1, line)
                if end >= self.size or ends.at(end):
                    return end
                match = own.at(end)
                if match is not None and match.group(1):
                    after = match.end()
                    stop = ends.next(after)
                    self._inert(after, stop)  # the epilogue
                    return stop
                line = end
            return line
        finally:
            self.open.pop()

    def _blocks(self, pos: int, ends: _Ends, depth: int) -> int:
        """message/delivery-status: header blocks separated by blank lines."""
        blocks = ends.plus(None, blank=True)
        while True:
            end = self.part(pos, blocks, "text/plain", depth + 1, pos)
            if end >= self.size or ends.at(end):
                return end
            pos = self._after_blank(end)
            if pos >= self.size or ends.at(pos):
                return pos

    # -- headers -------------------------------------------------------------

    def _headers(self, pos: int, ends: _Ends, cut_at: int) -> tuple[bytes, int]:
        """The header block at ``pos`` as the stdlib will see it, and where the
        body starts."""
        data = self.data
        blank = self.blank(pos, self.size)
        stop = ends.next(pos, blank)
        end = self._header_lines_end(pos, stop)
        if end < stop:
            body = end  # a line that is no header line: the body starts there
        elif stop < blank or (ends.blank and blank < self.size):
            body = stop  # the line that ends the part ends the headers too
        else:
            body = self._after_blank(blank) if blank < self.size else blank
        lines = _MAX_HEADER_FIELDS
        if end - pos <= _MAX_HEADER_LENGTH:
            lines = max(data.count(b"\n", pos, end), data.count(b"\r", pos, end))
        if (
            lines < _MAX_HEADER_FIELDS
            and data.count(b";", pos, end) <= _MAX_MIME_PARAMETERS
        ):
            block = data[pos:end]
        else:
            block, lines = self._trim(pos, end)
        self.header_bytes += len(block)
        self.header_lines += lines
        if (
            self.header_bytes > _MAX_HEADERS_TOTAL
            or self.header_lines > _MAX_HEADER_LINES_TOTAL
        ):
            raise _OverCapError(cut_at, "too-many-headers", self.open)
        return block, body

    def _header_lines_end(self, pos: int, stop: int) -> int:
        """The first line in ``[pos, stop)`` that is no header line, else
        ``stop``. Looked for in the first ``_HEADER_SCAN`` bytes only: past
        them the lines are taken for header lines (and left out, a cap being
        reached)."""
        data = self.data
        if pos >= stop:
            return stop
        if not _FEED_HEADER_LINE.match(data, pos):
            return pos
        window = min(stop, pos + _HEADER_SCAN)
        found = _NOT_HEADER.search(data, pos, window)
        # A hit on the window's last, cut-off line may be no hit at all.
        if found and not _FEED_HEADER_LINE.match(data, found.start() + 1):
            return found.start() + 1
        return stop

    def _trim(self, pos: int, end: int) -> tuple[bytes, int]:
        """Apply the header caps to the header lines in ``[pos, end)``.

        Returns the block the stdlib will see and its lines. A field is read
        to its end, once, and only while fields are kept.
        """
        data = self.data
        kept: list[bytes] = []
        fields = lines = size = 0
        start = pos
        while start < end:
            if (
                fields >= _MAX_HEADER_FIELDS
                or lines >= _MAX_HEADER_LINES
                or size >= _MAX_HEADER_BLOCK
            ):
                self._note("too-many-headers")
                self.edits.append((start, end, b""))
                break
            fields += 1
            found = self._field_end(start, min(end, start + _HEADER_SCAN), end)
            # A field longer than all we look at ends the block too.
            field_end = end if found is None else found
            keep = field_end
            if keep - start > _MAX_HEADER_LENGTH:
                self._note("header-too-long")
                keep = start + _MAX_HEADER_LENGTH
            if (
                data[start : start + 20]
                .lower()
                .startswith((b"content-type:", b"content-disposition:"))
                and data.count(b";", start, keep) > _MAX_MIME_PARAMETERS
            ):
                self._note("too-many-mime-parameters")
                at = start
                for _ in range(_MAX_MIME_PARAMETERS + 1):
                    at = data.find(b";", at + 1, keep)
                keep = at
            if keep < field_end:
                while keep > start and data[keep - 1] in _CR_LF:
                    keep -= 1
                kept.append(data[start:keep] + b"\r\n")
                self.edits.append((keep, field_end, b"\r\n"))
            else:
                kept.append(data[start:keep])
            lines += max(kept[-1].count(b"\n"), kept[-1].count(b"\r"))
            size += len(kept[-1])
            start = field_end
        return b"".join(kept), lines

    def _field_end(self, start: int, limit: int, end: int) -> int | None:
        """Where the header field at ``start`` ends, if before ``limit``."""
        data = self.data
        if self.lone_cr is None:
            self.lone_cr = data.count(b"\r") != data.count(b"\r\n")
        patterns = (_FIELD_END_LF, _FIELD_END_CR) if self.lone_cr else (_FIELD_END_LF,)
        found = None
        for pattern in patterns:
            hit = pattern.search(data, start, limit if found is None else found)
            if hit:
                found = hit.end()
        if found is None:
            return end if limit == end else None
        if found == limit < end:  # the search saw no further than the limit
            again = _FIELD_END.match(data, found - 1)
            if again is None or again.end() != found:
                return None
        return found

    def _note(self, defect: str) -> None:
        if defect not in self.notes:
            self.notes.append(defect)

    # -- bodies --------------------------------------------------------------

    def _inert(self, start: int, end: int) -> None:
        """Lines the stdlib only collects: a long run goes in as a placeholder.

        A blank first line and the last line break stay, because the stdlib
        looks at those (an epilogue's first, the break before a boundary).
        """
        data = self.data
        if end - start <= _INLINE_BYTES and (
            max(data.count(b"\n", start, end), data.count(b"\r", start, end))
            <= _INLINE_LINES
        ):
            return
        if data[start : start + 1] in (b"\r", b"\n"):
            start = self._after_blank(start)
        stop = end
        if stop > start and data[stop - 1] == 0x0A:
            stop -= 1
        if stop > start and data[stop - 1] == 0x0D:
            stop -= 1
        if stop <= start:
            return
        if not self.marker:
            # Unguessable, so no mail can hold one on purpose.
            marker = b"\x00\x7fticketcli-" + secrets.token_hex(8).encode() + b"-"
            while marker in data:  # pragma: no cover - 2**-64
                marker = b"\x00\x7fticketcli-" + secrets.token_hex(8).encode() + b"-"
            self.marker = marker
        self.edits.append((start, stop, self.marker + b"%d\x7f" % len(self.spans)))
        self.spans.append((start, stop))


def _content_type(block: bytes, default: str) -> tuple[str, str | None]:
    """The content type and boundary the stdlib reads from a header block."""
    low = block.lower()
    at = low.find(b"content-type:")
    while at > 0 and block[at - 1] not in _CR_LF:
        at = low.find(b"content-type:", at + 1)
    if at < 0:
        return default, None
    end = _FIELD_END.search(block, at)
    raw = block[at + 13 : end.end() if end else len(block)]
    value = raw.decode("ascii", "surrogateescape").lstrip(" \t").rstrip("\r\n")
    if value.isascii():
        ctype = value.partition(";")[0].strip().lower()
        if ctype.count("/") != 1:
            return "text/plain", None
        if not ctype.startswith("multipart/"):
            return ctype, None
    message = Message(policy=compat32)
    message.set_default_type(default)
    message.set_raw("Content-Type", value)
    try:
        ctype = message.get_content_type()
        boundary = message.get_boundary() if ctype.startswith("multipart/") else None
    except Exception:  # the stdlib will fail on it too, and say so
        return "text/plain", None
    return ctype, boundary


_PLACEHOLDER = re.compile(r"\x00\x7fticketcli-[0-9a-f]{16}-(\d+)\x7f")


class _Source:
    """Reads the placeholders of a skeleton back from the raw bytes."""

    def __init__(self, data: bytes, marker: bytes, spans: list[tuple[int, int]]):
        self.view = memoryview(data)
        self.spans = spans
        self.marker = marker.decode("ascii")

    def _pieces(self, text: str) -> list[str | memoryview]:
        pieces: list[str | memoryview] = []
        pos = 0
        for match in _PLACEHOLDER.finditer(text):
            if not match.group(0).startswith(self.marker):
                continue  # pragma: no cover - not ours: left as it is
            start, end = self.spans[int(match.group(1))]
            pieces += (text[pos : match.start()], self.view[start:end])
            pos = match.end()
        pieces.append(text[pos:])
        return pieces

    def bytes_of(self, text: str) -> bytes:
        """What ``text.encode("utf-8", "surrogateescape")`` gave before the
        stdlib saw placeholders: the bytes of the original lines."""
        if not self.marker or self.marker not in text:
            return text.encode("utf-8", "surrogateescape")
        return b"".join(
            p.encode("utf-8", "surrogateescape") if isinstance(p, str) else p
            for p in self._pieces(text)
        )

    def only_span(self, text: str) -> memoryview | None:
        """The original bytes, uncopied, when ``text`` is one placeholder
        between line breaks (all a base64 decoder would skip anyway)."""
        if not self.marker or self.marker not in text:
            return None
        pieces = self._pieces(text)
        if len(pieces) != 3 or not all(
            not p.strip("\r\n") for p in pieces[::2] if isinstance(p, str)
        ):
            return None
        span = pieces[1]
        return span if isinstance(span, memoryview) else None

    def text_of(self, text: str) -> str:
        if not self.marker or self.marker not in text:
            return text
        return "".join(
            p if isinstance(p, str) else bytes(p).decode("ascii", "surrogateescape")
            for p in self._pieces(text)
        )

    def restore(self, message: Message) -> None:
        """Put the original lines back wherever the stdlib will read them
        itself (to write a message out, to uudecode)."""
        if not self.marker:
            return
        for part in message.walk():
            payload = part._payload
            if isinstance(payload, str):
                part.set_payload(self.text_of(payload))
            for name in ("preamble", "epilogue"):
                value = getattr(part, name, None)
                if isinstance(value, str):
                    setattr(part, name, self.text_of(value))


def _read(data: bytes) -> tuple[Message, _Source, list[str]]:
    """Parse ``data`` with the stdlib, within the bounds above."""
    scan = _Scan(data)
    skeleton = scan.run()
    parser = FeedParser(policy=compat32)
    # The chunks BytesParser feeds: the same message whatever the chunking.
    for start in range(0, len(skeleton), 8192):
        chunk = skeleton[start : start + 8192]
        parser.feed(chunk.decode("ascii", "surrogateescape"))
    return parser.close(), scan.source(), scan.notes


# ---------------------------------------------------------------------------
# The message
# ---------------------------------------------------------------------------


def _raw_headers(message: Message) -> tuple[dict[str, str], dict[str, list[str]]]:
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


def _content_hash(data: bytes, first: dict[str, str], chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    for name in _HASHED_HEADERS:
        value = first.get(name)
        if value is not None:
            value = " ".join(value.split())
            digest.update(
                name.encode() + b":" + value.encode("utf-8", "surrogateescape")
            )
        digest.update(b"\n")
    # The body after the first empty line, line breaks made LF, trailing
    # whitespace dropped (stores and mbox writers add or drop trailing blank
    # lines: not a new mail). Read in chunks, so a big mail is not copied.
    pos = _after_first_empty_line(data)
    end = len(data)
    while pos is not None and end > pos:
        start = max(pos, end - chunk)
        kept = len(data[start:end].rstrip())
        end = start + kept
        if kept:
            break
    while pos is not None and pos < end:
        stop = min(pos + chunk, end)
        if data[stop - 1 : stop + 1] == b"\r\n":
            stop += 1  # never split a CRLF
        digest.update(data[pos:stop].replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        pos = stop
    return digest.hexdigest()


def _after_first_empty_line(data: bytes) -> int | None:
    """Where the text after the first empty line starts, whatever the line
    breaks (CRLF, LF, CR); None if there is no empty line."""
    first = len(data)
    for pair in _EMPTY_LINE_PAIRS[data.find(b"\r\n", 0, 8192) >= 0]:
        at = data.find(pair, 0, first + 1)
        if at >= 0:
            first = at
    if first == len(data):
        return None
    return first + (3 if data[first + 1 : first + 3] == b"\r\n" else 2)


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
    ids = _canonical_ids(_clean(first.get("message-id", "")))[:1]
    ids += _canonical_ids(_clean(first.get("in-reply-to", "")))
    ids += reversed(_canonical_ids(_clean(first.get("references", ""))))
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


def _recipients(values: list[str], notes: list[str]) -> tuple[str, ...]:
    pairs = _addresses([_clean(value) for value in values], notes)
    return tuple(dict.fromkeys(addr for _, addr in pairs))


def _parse(raw: bytes) -> ParsedMail:
    notes: list[str] = []
    # A byte-order mark or blank lines before the headers would make the
    # parser see no headers at all.
    data = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    data = data.lstrip(b"\r\n")
    message, source, bounds = _read(data)
    first, multi = _raw_headers(message)
    if not first:
        start = _header_start(data)
        if start:
            notes.append("junk-before-headers")
            data = data[start:]
            message, source, bounds = _read(data)
            first, multi = _raw_headers(message)
    notes += bounds
    if not first:
        raise MailParseError("no header block: this does not look like a mail message")
    headers = {name: _clean(value) for name, value in first.items()}
    if any(not value.isascii() for value in first.values()):
        notes.append("8bit-in-header")

    message_ids = _canonical_ids(headers.get("message-id", ""))
    message_id = message_ids[0] if message_ids else None
    if message_id is None:
        notes.append(
            "missing-message-id" if "message-id" not in first else "bad-message-id"
        )

    # "From: MAILER-DAEMON <>" keeps its name: it says who sent the mail.
    senders = _addresses([_clean(v) for v in multi["from"]], notes, keep_nameonly=True)
    if not any(addr for _, addr in senders) and "sender" in headers:
        senders = _addresses([headers["sender"]], notes) or senders
    if not senders:
        notes.append("missing-from")
    from_name, from_address = senders[0] if senders else ("", "")

    to = _recipients(multi["to"], notes)
    cc = _recipients(multi["cc"], notes)
    subject = decode_header_words(headers.get("subject", ""), notes)
    subject = _fold_ws(_CONTROLS.sub(" ", subject))
    date = _parse_date(headers.get("date"), notes)
    in_reply_to = tuple(_canonical_ids(headers.get("in-reply-to", "")))
    references = tuple(_canonical_ids(headers.get("references", "")))
    thread_index = headers.get("thread-index") or None
    if thread_index is not None:
        thread_index = "".join(thread_index.split())

    body, attachments, reported, parts = _walk(message, first, notes, source)
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
        content_hash=_content_hash(data, first),
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        defects=tuple(defects),
        reported_message_ids=tuple(dict.fromkeys(reported)),
        auth_results=tuple(_clean(v) for v in multi["authentication-results"]),
        x_loop=tuple(_clean(v) for v in multi["x-loop"]),
    )


def _walk(
    message: Message,
    first: dict[str, str],
    notes: list[str],
    source: _Source,
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
                        original = _raw_headers(child)[0].get("original-message-id")
                        if original:
                            embedded_headers.append({"message-id": original})
                continue
            if depth >= _MAX_DEPTH:
                notes.append("nested-too-deep")
                continue
            if ctype in _EMBEDDED_MESSAGE_TYPES:
                for child in children:
                    embedded_headers.append(_raw_headers(child)[0])
                is_attachment, filename = _is_attachment(part, notes)
                if is_attachment and children:
                    inner = children[0]
                    if not filename:
                        subject = decode_header_words(
                            _clean(_raw_headers(inner)[0].get("subject", "")), notes
                        )
                        filename = (subject[:80] + ".eml") if subject else None
                    leaves.append((part, embedded, filename, True))
                    parts.extend(inner.walk())
                    continue
                embedded = True
            stack.extend((child, depth + 1, embedded) for child in reversed(children))
            continue
        is_attachment, filename = _is_attachment(part, notes)
        leaves.append((part, embedded, filename, is_attachment))

    body_part = _choose_body(leaves, embedded=False) or _choose_body(
        leaves, embedded=True
    )
    body = ""
    if body_part is not None:
        try:
            body = _text_of(body_part, notes, source)
        except Exception as exc:  # best effort: the attachments still count
            notes.append(f"unreadable-body:{type(exc).__name__}")

    for part, _embedded, filename, is_attachment in leaves:
        ctype = part.get_content_type()
        if ctype in _HEADER_BLOCK_TYPES:
            # The original message's headers, or what is left of them.
            block = _payload(part, notes, source)[:_MAX_HEADER_LENGTH]
            try:
                embedded_headers.append(
                    _raw_headers(_HEADER_PARSER.parsebytes(block))[0]
                )
            except Exception:
                notes.append("bad-rfc822-headers")
        if part is body_part or not is_attachment:
            continue
        if part.is_multipart():  # an attached message
            data = _message_bytes(part.get_payload(0), source)
        else:
            data = _payload(part, notes, source)
        attachments.append(_attachment(data, ctype, filename, len(attachments) + 1))

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


def _attachment(
    data: bytes, content_type: str, filename: str | None, index: int
) -> Attachment:
    return Attachment(
        filename=sanitize_filename(filename, content_type, index),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )

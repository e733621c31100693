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
"""

from __future__ import annotations

import binascii
import codecs
import hashlib
import mimetypes
import re
import unicodedata
from datetime import UTC, datetime
from email.parser import BytesHeaderParser, BytesParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from ticketcli.errors import MailParseError
from ticketcli.mail.model import Attachment, ParsedMail

if TYPE_CHECKING:
    from email.message import Message

__all__ = [
    "decode_header_words",
    "decode_text",
    "html_to_text",
    "parse_message",
    "sanitize_filename",
]

_PARSER = BytesParser(policy=compat32)
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


def _payload(part: Message, notes: list[str]) -> bytes:
    """The decoded payload bytes of a leaf part (base64, QP, uuencode, 8bit)."""
    payload = part.get_payload()
    if payload is None:
        return b""
    if not isinstance(payload, str):
        return b""
    data = payload.encode("utf-8", "surrogateescape")
    cte = part.get("content-transfer-encoding") or ""
    cte = str(cte).strip().strip("\"'").lower()
    if cte == "base64":
        return _base64(data, notes)
    if cte == "quoted-printable":
        return binascii.a2b_qp(data)
    if cte in ("x-uuencode", "uuencode", "uue", "x-uue"):
        decoded = part.get_payload(decode=True)
        return decoded if isinstance(decoded, bytes) else data
    return data


def _base64(data: bytes, notes: list[str]) -> bytes:
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        pass
    notes.append("bad-base64")
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


def _text_of(part: Message, notes: list[str]) -> str:
    data = _payload(part, notes)
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


def _message_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes()
    except Exception:
        try:
            return message.as_string().encode("utf-8", "surrogateescape")
        except Exception:
            return b""


# ---------------------------------------------------------------------------
# The message
# ---------------------------------------------------------------------------


def _raw_headers(message: Message) -> tuple[dict[str, str], dict[str, list[str]]]:
    """First raw value of each header, and every value of To, Cc and From."""
    first: dict[str, str] = {}
    multi: dict[str, list[str]] = {"to": [], "cc": [], "from": []}
    for name, value in message.raw_items():
        key = name.strip().lower()
        if not isinstance(value, str):
            value = str(value)
        if key not in first:
            first[key] = value
        if key in multi:
            multi[key].append(value)
    return first, multi


def _content_hash(data: bytes, first: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in _HASHED_HEADERS:
        value = first.get(name)
        if value is not None:
            value = " ".join(value.split())
            digest.update(
                name.encode() + b":" + value.encode("utf-8", "surrogateescape")
            )
        digest.update(b"\n")
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    end = text.find(b"\n\n")
    # Stores and mbox writers add or drop trailing blank lines: not a new mail.
    digest.update(text[end + 2 :].rstrip() if end >= 0 else b"")
    return digest.hexdigest()


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
    if not raw or not raw.strip():
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
    message = _PARSER.parsebytes(data)
    first, multi = _raw_headers(message)
    if not first:
        start = _header_start(data)
        if start:
            notes.append("junk-before-headers")
            data = data[start:]
            message = _PARSER.parsebytes(data)
            first, multi = _raw_headers(message)
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

    body, attachments, reported, parts = _walk(message, first, notes)
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
    )


def _walk(
    message: Message,
    first: dict[str, str],
    notes: list[str],
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
            body = _text_of(body_part, notes)
        except Exception as exc:  # best effort: the attachments still count
            notes.append(f"unreadable-body:{type(exc).__name__}")

    for part, _embedded, filename, is_attachment in leaves:
        ctype = part.get_content_type()
        if ctype in _HEADER_BLOCK_TYPES:
            block = _payload(part, notes)
            try:
                embedded_headers.append(
                    _raw_headers(_HEADER_PARSER.parsebytes(block))[0]
                )
            except Exception:
                notes.append("bad-rfc822-headers")
        if part is body_part or not is_attachment:
            continue
        if part.is_multipart():  # an attached message
            data = _message_bytes(part.get_payload(0))
        else:
            data = _payload(part, notes)
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

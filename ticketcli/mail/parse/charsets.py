"""Bytes in a declared (or undeclared) charset -> text; never raises.

Mail labels its text with charset names that Python does not know, knows
under a narrower meaning, or that are no charset at all, and sends 8-bit
bytes with no label. Reading them is one job, kept here, so that body text,
RFC 2047 words and RFC 2231 filenames are all decoded the same way; a label
that had to be repaired or guessed around is noted for ``defects``. (Charset
detection, when it comes, belongs here too.)
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

__all__ = ["decode_8bit_header", "decode_text"]


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


def decode_8bit_header(value: str) -> str:
    """Header text whose undeclared 8-bit bytes are read as UTF-8 or cp1252."""
    return _guess(value.encode("utf-8", "surrogateescape"))

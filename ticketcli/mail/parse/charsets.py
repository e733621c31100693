"""Bytes in a declared (or undeclared) charset -> text; never raises.

Mail labels its text with charset names that Python does not know, knows
under a narrower meaning, or that are no charset at all, and sends 8-bit
bytes with no label. Reading them is one job, kept here, so that body text,
RFC 2047 words and RFC 2231 filenames are all decoded the same way; a label
that had to be repaired or guessed around is noted for ``defects``. Bytes
with no label, or that do not fit theirs, go to a detector (charset-
normalizer); only those, so ordinary mail pays nothing for it.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from typing import NamedTuple

__all__ = ["TextReading", "decode_8bit_header", "decode_text", "read_text"]


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


class TextReading(NamedTuple):
    """Text decoded from bytes, the charset it was read in, and why.

    ``how`` is ``declared`` (the label was trusted), ``UTF-8`` (valid UTF-8
    although labelled otherwise or not at all), ``detected`` (the label was
    missing or wrong, the detector chose), or ``ascii`` (no 8-bit bytes and
    no label: nothing to choose).
    """

    text: str
    charset: str
    how: str

    def describe(self) -> str:
        """``iso8859-2 (declared)``: what ``parse`` shows for a part."""
        return f"{self.charset} ({self.how})"


# Codecs in which a run of bytes is rarely valid by chance, and whose text
# could also happen to be valid UTF-8 when short: a label naming one is
# trusted whenever the bytes decode in it (a GBK subject of two characters
# can be valid UTF-8 too; a Latin-1 text that is valid UTF-8 is UTF-8).
_MULTIBYTE = re.compile(
    r"^(?:utf-(?:16|32|7)|gb|big5|cp9(?:32|36|49|50)|shift_jis|euc_|iso2022|hz|johab)"
)
# What the detector may choose between: the charsets the mail of our users'
# customers comes in (Latin, Baltic, Central European, Cyrillic, Greek,
# Turkish, Japanese, Chinese, Korean), in the order that breaks a tie (two
# readings equally plausible): the commonest first.
_CANDIDATES = (
    "cp1252",
    "cp1257",
    "cp1250",
    "iso8859_2",
    "iso8859_13",
    "iso8859_15",
    "cp1251",
    "koi8_r",
    "koi8_u",
    "cp1253",
    "cp1254",
    "cp932",
    "euc_jp",
    "iso2022_jp",
    "gb18030",
    "big5",
    "cp949",
)
# Characters a reader expects in text: ASCII, the letters of the European
# languages our users' customers write, common symbols and punctuation,
# Cyrillic, Greek and the CJK scripts. Anything else (C1 controls, "³" or
# "¿" inside a word, box drawing) marks a reading as doubtful.
_PLAUSIBLE = (
    "\t\n\r\x20-\x7e\u00a0"
    "äöüõšžÄÖÜÕŠŽåÅæÆøØéèêëàâîïôûùçœÉÈÊËÀÂÎÏÔÛÙÇŒßáíóúýÁÍÓÚÝ"
    "ąćęłńśźżĄĆĘŁŃŚŹŻčđČĐěřůťďňĚŘŮŤĎŇľĺŕĽĹŔőűŐŰāēīūļķņģĀĒĪŪĻĶŅĢėįųĖĮŲ"
    "ğışĞİŞñÑãÃìòÌÒðÐþÞâÂ"
    "«»„“”‘’‚–—…•·°€£¥©®™§±×÷¼½¾¹²"
    "\u0370-\u03ff\u0400-\u04ff"
    "\u2100-\u21ff\u2460-\u24ff\u3200-\u32ff"
    "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef"
)
_IMPLAUSIBLE = re.compile(f"[^{_PLAUSIBLE}]")
# Enough of a text for the detector to judge it; the rest is not looked at.
_DETECT_SAMPLE = 32 * 1024


# A symbol glued to a letter ("£ukasz", "Pro¹ba"): a letter of another
# charset, read in the wrong one.
_GLUED_SYMBOL = re.compile(
    r"(?<=[^\W\d_])[£¥©®™§±×÷¼½¾¹²³°€¤¦¨¬¯´¸µ¶ºª]|[£¥©®™§±×÷¼½¾¹²³°€¤¦¨¬¯´¸µ¶ºª](?=[^\W\d_])"
)
# Letters that are real but rare in our customers' languages: what a
# Central European or Baltic letter turns into when read as Windows-1252
# ("raèun" for "račun") or the reverse ("Ĺsa" for "Åsa"). Only breaks ties.
_RARE_LETTERS = re.compile("[èÈìÌòÒùÙœŒÿðÐþÞĺĹŕŔľĽőŐűŰťŤ]")


def _doubts(text: str) -> int:
    """How many characters of ``text`` a reader would not expect there."""
    return len(_IMPLAUSIBLE.findall(text)) + len(_GLUED_SYMBOL.findall(text))


def _rarity(text: str) -> int:
    return len(_RARE_LETTERS.findall(text))


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except Exception:  # UnicodeDecodeError, or worse from some CJK codecs
        return None


def _lenient(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec, "replace")
    except Exception:
        return data.decode("ascii", "replace")


# ISO-2022-JP's escapes: to ASCII (or JIS-Roman), to JIS X 0208, to
# half-width katakana.
_JIS_ESCAPE = re.compile(rb"\x1b(\(B|\(J|\$B|\$@|\(I)")


def _jis_as_cp932(data: bytes) -> str | None:
    """ISO-2022-JP as Microsoft writes it (CP50220): with the NEC and IBM
    extensions ("№", "①", "㈱") that Python's strict codec refuses.

    The JIS pairs are turned into Shift_JIS and read as CP932, which holds
    those extensions; None when the escapes are not ISO-2022-JP's.
    """
    out = bytearray()
    mode = b"(B"
    pos = 0
    for match in [*_JIS_ESCAPE.finditer(data), None]:
        chunk = data[pos : match.start() if match else len(data)]
        if b"\x1b" in chunk:
            return None
        if mode in (b"$B", b"$@"):
            for i in range(0, len(chunk) - 1, 2):
                j1, j2 = chunk[i], chunk[i + 1]
                if not (0x21 <= j1 <= 0x7E and 0x21 <= j2 <= 0x7E):
                    return None
                s1 = (j1 + 1) // 2 + 0x70
                s1 += 0x40 if s1 >= 0xA0 else 0
                s2 = j2 + (0x1F + (j2 >= 0x60) if j1 % 2 else 0x7E)
                out += bytes((s1, s2))
        elif mode == b"(I":
            out += bytes(b + 0x80 for b in chunk)
        else:
            out += chunk
        if match is None:
            break
        mode = match.group(1)
        pos = match.end()
    return bytes(out).decode("cp932", "replace")


def _single_byte(data: bytes, codec: str) -> str | None:
    if codec in ("latin_1", "iso8859-1"):
        # What clients mean by ISO-8859-1 is Windows-1252 (as WHATWG says).
        return _strict(data, "cp1252") or data.decode("latin-1")
    return _strict(data, codec)


def _detect(data: bytes, hint: str | None = None) -> tuple[str, str]:
    """Text and codec of 8-bit bytes that are not UTF-8 and carry no good label.

    charset-normalizer proposes the readings without chaos; of those the
    one with the fewest unexpected characters wins, ties going to ``hint``
    (the charset the rest of the mail is in), then to the commoner charset.
    Short texts (a name, a subject) give the detector little to judge, so
    it is asked only about the charsets above.
    """
    from charset_normalizer import from_bytes  # costs 25 ms: only when needed

    sample = data[:_DETECT_SAMPLE]
    if hint:
        text = _strict(sample, hint)
        if text is not None and not _doubts(text):
            return _strict(data, hint) or data.decode(hint, "replace"), hint
    try:
        results = list(from_bytes(sample, cp_isolation=list(_CANDIDATES)))
    except Exception:  # a detector bug must not cost the mail
        results = []
    if not results:
        return _guess(data), "cp1252"
    least = min(result.chaos for result in results)
    order = {name: i for i, name in enumerate(_CANDIDATES)}
    best = min(
        (result for result in results if result.chaos <= least + 0.02),
        key=lambda result: (
            _doubts(str(result)),
            _rarity(str(result)),
            result.encoding != hint,
            -result.coherence,
            order.get(result.encoding, len(order)),
        ),
    )
    codec = best.encoding
    return data.decode(codec, "replace"), codec


def read_text(
    data: bytes,
    charset: str | None,
    notes: list[str] | None = None,
    hint: str | None = None,
) -> TextReading:
    """Decode bytes labelled with ``charset`` as a careful reader would.

    A declared charset is trusted when the bytes are valid in it and are
    not plainly UTF-8; valid UTF-8 is read as UTF-8 whatever the label
    says; anything else (no label, a label the bytes do not fit) is given
    to the detector, so the detector's cost is paid only by those parts.
    ``hint`` is the charset of the rest of the mail, for a tie. Never
    raises; a label that had to be repaired or overruled is noted.
    """
    if notes is None:
        notes = []
    codec: str | None = None
    if charset:
        codec, sound = _codec(charset)
        if not sound:
            notes.append(f"unknown-charset:{charset.strip().lower()[:40]}")
    if data.isascii():
        if codec is not None and codec != "ascii":
            text = _strict(data, codec)
            if text is not None:
                return TextReading(text, codec, "declared")
            notes.append(f"undecodable-text:{codec}")
            if codec.startswith("iso2022_jp"):
                text = _jis_as_cp932(data)
                if text is not None:
                    return TextReading(text, "cp50220", "declared")
            return TextReading(_lenient(data, codec), codec, "declared")
        if codec is None and b"\x1b" in data:
            # ISO-2022-JP is 7-bit: its escapes are the only sign of it.
            text = _strict(data, "iso2022_jp") or _jis_as_cp932(data)
            if text is not None:
                return TextReading(text, "iso2022_jp", "detected")
        text = data.decode("ascii")
        return TextReading(text, "us-ascii", "declared" if codec else "ascii")
    if codec is not None and (codec == "utf-8" or _MULTIBYTE.match(codec)):
        text = _strict(data, codec)
        if text is not None:
            return TextReading(text, codec, "declared")
        notes.append(f"undecodable-text:{codec}")
    if codec == "ascii":
        notes.append("8bit-in-ascii")
    text = _strict(data, "utf-8")
    if text is not None:
        return TextReading(text, "utf-8", "UTF-8")
    text = _mostly_utf8(data, notes)
    if text is not None:
        # The rest is plainly UTF-8: no other reading would be better.
        return TextReading(text, "utf-8", "UTF-8")
    if (
        codec is not None
        and codec not in ("ascii", "utf-8")
        and not _MULTIBYTE.match(codec)
    ):
        text = _single_byte(data, codec)
        if text is not None and not _doubts(text[:_DETECT_SAMPLE]):
            return TextReading(text, _name(codec), "declared")
        if text is None:
            notes.append(f"undecodable-text:{codec}")
        found, found_codec = _detect(data, hint=codec)
        if text is not None and _doubts(found[:_DETECT_SAMPLE]) >= _doubts(
            text[:_DETECT_SAMPLE]
        ):
            return TextReading(text, _name(codec), "declared")
        return TextReading(found, found_codec, "detected")
    found, found_codec = _detect(data, hint=hint)
    return TextReading(found, found_codec, "detected")


# A UTF-8 multi-byte sequence, and a byte that starts none (or is cut).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _stray_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are no UTF-8 read as Windows-1252."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", "replace"), error.end


codecs.register_error("ticketcli-stray-cp1252", _stray_as_cp1252)


def _mostly_utf8(data: bytes, notes: list[str]) -> str | None:
    """The reading of bytes that are UTF-8 but for a few bytes, else None.

    Eight well-formed multi-byte sequences or more for each broken byte:
    the broken ones were cut or damaged (a legacy charset almost never
    makes even one sequence), so they stay U+FFFD. Fewer, but at least as
    many: text pasted together from UTF-8 and Windows-1252 (Apple Mail
    quoting an old mail), whose stray bytes are read as Windows-1252.
    """
    sample = data[:_DETECT_SAMPLE]
    good = len(_UTF8_SEQUENCE.findall(sample))
    if good < 4:
        return None
    text = sample.decode("utf-8", "replace")
    broken = text.count("\ufffd") - sample.count(b"\xef\xbf\xbd")
    if good >= 8 * broken:
        notes.append("broken-utf-8")
        return data.decode("utf-8", "replace")
    if good >= broken:
        notes.append("mixed-utf-8")
        return data.decode("utf-8", "ticketcli-stray-cp1252")
    return None


def _name(codec: str) -> str:
    return "cp1252" if codec in ("latin_1", "iso8859-1") else codec


def decode_text(
    data: bytes, charset: str | None, notes: list[str] | None = None
) -> str:
    """Decode bytes labelled with ``charset``; never raises (see ``read_text``)."""
    return read_text(data, charset, notes).text


def decode_8bit_header(value: str, hint: str | None = None) -> str:
    """Header text whose undeclared 8-bit bytes are read as UTF-8 if valid,
    else in ``hint`` (the charset of the mail's text) if they fit it, else
    in the charset the detector finds; a raw ISO-2022-JP header (7-bit,
    escapes) too."""
    data = value.encode("utf-8", "surrogateescape")
    if data.isascii() and b"\x1b" not in data:
        return value
    return read_text(data, None, hint=hint).text

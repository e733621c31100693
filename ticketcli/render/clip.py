"""Mail-derived text cut to a length a report can hold.

A spam subject may be 5,000 characters; the report shows the start of it
(``ticketcli show`` has the rest). The cut is made on the raw text, before
any escaping, so it never falls inside an HTML entity; it never separates a
letter from its accents, the halves of a surrogate pair, the parts of an
emoji sequence or of a flag; it prefers the last space near the end.

Length is counted in units that bound both the room and the bytes: a
character below U+0800 (Latin, Greek, Cyrillic, Hebrew, Arabic; at most two
bytes of UTF-8) counts 1, any other (CJK, emoji; three or four bytes, and
mostly twice as wide on screen) counts 2. So ``clip(text, n)`` is at most
``2 * n`` bytes of UTF-8, whatever the script.
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"
ZWJ = "\u200d"
# A space this close to the cut (a share of the kept length) ends the text
# there instead: "Printer does not…", not "Printer does no…".
WORD_SHARE = 0.7


def cost(char: str) -> int:
    """1 for a character of at most two UTF-8 bytes, else 2."""
    return 1 if ord(char) < 0x800 else 2


def _is_regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _extends(char: str) -> bool:
    """Whether ``char`` belongs to the character before it: accents and
    other marks, joiners, variation selectors, skin tones, emoji tags, the
    low half of a surrogate pair, a Hangul vowel or final jamo."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char in ("\u200c", ZWJ)
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
        or 0xDC00 <= code <= 0xDFFF  # a low surrogate
        or 0x1160 <= code <= 0x11FF  # Hangul vowel and final jamo
    )


def boundary(text: str, end: int) -> int:
    """The last position at or before ``end`` where a cut splits no
    character (``text[:boundary]`` keeps every cluster whole)."""
    while 0 < end < len(text) and (_extends(text[end]) or text[end - 1] == ZWJ):
        end -= 1
    if 0 < end < len(text) and _is_regional(text[end]):
        # Flags are pairs of regional indicators: count the run before the cut.
        run = end
        while run > 0 and _is_regional(text[run - 1]):
            run -= 1
        if (end - run) % 2:
            end = boundary(text, end - 1)
    return end


def clip(text: str | None, limit: int) -> str | None:
    """``text`` on one line (runs of white space as one space) and, when it
    is longer than ``limit`` units, its start cut with "…" (``limit``
    units in all, the ellipsis' two included). None stays None."""
    if text is None:
        return None
    if hasattr(text, "__html__") and hasattr(text, "striptags"):
        # Markup (HTML already): cut its text, never its tags or entities.
        return type(text).escape(clip(text.striptags(), limit))
    flat = " ".join(str(text).split())
    room = limit - cost(ELLIPSIS)
    used, end = 0, 0  # flat[:end] fits in the room the ellipsis leaves
    for index, char in enumerate(flat):
        used += cost(char)
        if used <= room:
            end = index + 1
        elif used > limit:
            break
    else:
        return flat  # it fits whole
    end = boundary(flat, end)
    space = flat.rfind(" ", 0, end + 1)
    if space > 0 and space >= WORD_SHARE * end:
        end = space
    return flat[:end].rstrip() + ELLIPSIS

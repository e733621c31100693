"""render.clip: mail text cut for the report -- at a word where it can, never
inside a character (accents, surrogate pairs, emoji sequences, flags), and
never longer in bytes than its limit allows, whatever the script."""

from __future__ import annotations

import re
import unicodedata
from html import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from ticketcli.render.clip import ELLIPSIS, clip, cost

ZWJ = "\u200d"
FAMILY = f"\U0001f468{ZWJ}\U0001f469{ZWJ}\U0001f467"  # one emoji of five code points
FLAGS = "\U0001f1ea\U0001f1ea\U0001f1eb\U0001f1ee"  # EE FI: two flags, four indicators


def units(text: str) -> int:
    return sum(map(cost, text))


@pytest.mark.parametrize(
    ("text", "limit", "cut"),
    [
        ("Printer does not work", 40, "Printer does not work"),
        ("Printer does not work at all today", 20, "Printer does not…"),
        ("x" * 30, 10, "x" * 8 + ELLIPSIS),  # no space: inside the word; "…" is 2
        ("  two\n\tlines  ", 10, "two lines"),  # one line, whatever the mail
        ("", 5, ""),
        ("e\u0301" * 20, 7, "e\u0301" * 2 + ELLIPSIS),  # é as e + accent
        ("ab" + FAMILY + "cd", 7, "ab" + ELLIPSIS),
        ("ab" + FAMILY + "cd", 14, "ab" + FAMILY + "cd"),  # ZWJ: 3 bytes, 2 units
        ("a" + FLAGS, 7, "a\U0001f1ea\U0001f1ea" + ELLIPSIS),
        ("a" + FLAGS, 6, "a" + ELLIPSIS),  # half a flag is no flag
        ("\U0001f44d\U0001f3fd" * 3, 6, "\U0001f44d\U0001f3fd" + ELLIPSIS),  # skin tone
        ("\ud83d\ude00" * 3, 6, "\ud83d\ude00" + ELLIPSIS),  # a pair as two code points
        ("漢字" * 50, 9, "漢字漢" + ELLIPSIS),  # wide letters count twice
        ("Привет " * 40, 20, "Привет Привет…"),
    ],
)
def test_clip_examples(text: str, limit: int, cut: str) -> None:
    assert clip(text, limit) == cut


def test_none_stays_none() -> None:
    assert clip(None, 10) is None


def test_html_is_cut_as_its_text() -> None:
    html = Markup("<b>Tom &amp; Jerry</b> &lt;3 ") + "x" * 30
    cut = clip(html, 14)
    assert isinstance(cut, Markup)
    assert cut == Markup("Tom &amp; Jerry…")


def test_a_cluster_longer_than_the_limit_is_left_out_whole() -> None:
    zalgo = "a" + "\u0301" * 500 + " tail"
    assert clip(zalgo, 50) == ELLIPSIS


TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(
            ["\u0301", "\u0308", ZWJ, "\ufe0f", "\U0001f3fd", " ", "&", '"']
        ),
        st.sampled_from(["\U0001f1ea", "\U0001f1ee", "\U0001f468", "漢", "Ж", "<"]),
    ),
    max_size=400,
)


def splits_a_character(text: str, at: int) -> bool:
    """Whether text[:at] ends inside a character a reader sees as one."""
    if at in (0, len(text)):
        return False
    after, before = text[at], text[at - 1]
    if unicodedata.category(after) in ("Mn", "Me", "Mc") or before == ZWJ:
        return True
    if after in (ZWJ, "\ufe0f") or 0x1F3FB <= ord(after) <= 0x1F3FF:
        return True
    if 0xDC00 <= ord(after) <= 0xDFFF:  # the low half of a surrogate pair
        return True
    regional = re.search("[\U0001f1e6-\U0001f1ff]*$", text[:at])
    assert regional is not None
    return "\U0001f1e6" <= after <= "\U0001f1ff" and len(regional.group(0)) % 2 == 1


@given(TEXT, st.integers(min_value=2, max_value=150))
def test_clip_fits_its_limit_and_splits_no_character(text: str, limit: int) -> None:
    cut = clip(text, limit)
    assert cut is not None
    flat = " ".join(text.split())
    assert units(cut) <= limit
    assert len(cut.encode("utf-8", "surrogatepass")) <= 2 * limit
    if cut == flat:
        return
    assert units(flat) > limit
    assert cut.endswith(ELLIPSIS)
    kept = cut[: -len(ELLIPSIS)]
    assert flat.startswith(kept)
    assert not splits_a_character(flat, len(kept))


@given(st.text(st.sampled_from("&<>\"'aé "), max_size=300), st.integers(2, 80))
def test_escaping_after_the_cut_leaves_whole_entities(text: str, limit: int) -> None:
    html = escape(clip(text, limit) or "")
    assert re.sub(r"&(amp|lt|gt|quot|#x27);", "", html).count("&") == 0

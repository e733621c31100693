"""Catalogues: the compiler, the shipped Estonian one, and what it translates."""

from __future__ import annotations

import gettext
import io
import re
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from ticketcli.errors import ConfigError
from ticketcli.i18n import (
    PoError,
    catalogue_paths,
    compile_po,
    extract_messages,
    parse_po,
    translations,
)

if TYPE_CHECKING:
    from pathlib import Path

PLACEHOLDER = re.compile(r"%\(\w+\)[0-9]*[sd]")
PO = r"""
# a comment
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

msgid "Open"
msgstr "Avatud"

#, fuzzy
msgid "Closed"
msgstr "Suletud?"

msgid "Untranslated"
msgstr ""

msgid "Long "
"line"
msgstr "Pikk "
"rida \"jutumärkides\"\n"
msgid "%(num)d ticket"
msgid_plural "%(num)d tickets"
msgstr[0] "%(num)d pöördumine"
msgstr[1] "%(num)d pöördumist"
"""


def _catalogue(text: str) -> gettext.GNUTranslations:
    return gettext.GNUTranslations(io.BytesIO(compile_po(text)))


def test_compiled_catalogue_translates_like_gettext() -> None:
    t = _catalogue(PO)
    assert t.gettext("Open") == "Avatud"
    assert t.gettext("Long line") == 'Pikk rida "jutumärkides"\n'
    assert t.ngettext("%(num)d ticket", "%(num)d tickets", 1) == "%(num)d pöördumine"
    assert t.ngettext("%(num)d ticket", "%(num)d tickets", 5) == "%(num)d pöördumist"
    # Fuzzy and empty translations are left out, as msgfmt leaves them out.
    assert t.gettext("Closed") == "Closed"
    assert t.gettext("Untranslated") == "Untranslated"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('msgid "a"\nmsgstr "b"\nmsgid "a"\nmsgstr "c"\n', "appears twice"),
        ('msgid "a"\nmsgstr b\n', "quoted string"),
        ('"stray"\n', "outside an entry"),
        ('msgctxt "x"\nmsgid "a"\nmsgstr "b"\n', "msgctxt"),
        ('msgid "a"\nmsgfoo "b"\n', "unexpected"),
    ],
)
def test_broken_catalogue_names_the_line(text: str, says: str) -> None:
    with pytest.raises(PoError, match=says):
        parse_po(text)


def test_committed_mo_files_equal_a_fresh_compile() -> None:
    """`python3 -m ticketcli.i18n` was run after the last .po edit."""
    pairs = list(catalogue_paths())
    assert [po.parent.parent.name for po, _ in pairs] == ["et"]
    for po, mo in pairs:
        assert mo.read_bytes() == compile_po(po.read_text(encoding="utf-8")), po


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext not installed")
def test_compiler_matches_gnu_msgfmt(tmp_path: Path) -> None:
    for po, mo in catalogue_paths():
        out = tmp_path / "gnu.mo"
        subprocess.run(
            ["msgfmt", "--check", "--no-hash", "-o", str(out), str(po)],
            check=True,
            capture_output=True,
        )
        assert out.read_bytes() == mo.read_bytes()


def test_estonian_translates_every_report_string_and_nothing_else() -> None:
    [(po, _)] = catalogue_paths()
    have = parse_po(po.read_text(encoding="utf-8"))
    wanted = set(extract_messages())
    assert len(wanted) > 60
    assert wanted - set(have) == set(), "untranslated"
    assert set(have) - wanted - {""} == set(), "obsolete"
    et = translations("et")
    for message in wanted:
        singular = message.split("\0")[0]
        translated = (
            et.ngettext(singular, message.split("\0")[1], 2)
            if "\0" in message
            else et.gettext(message)
        )
        assert translated.strip(), message
        # Placeholders survive translation, each one.
        assert sorted(PLACEHOLDER.findall(translated)) == sorted(
            PLACEHOLDER.findall(singular)
        ), (message, translated)


def test_english_is_the_source_and_unknown_languages_are_refused() -> None:
    assert translations("en").gettext("Summary") == "Summary"
    assert translations("et").gettext("Summary") == "Kokkuvõte"
    with pytest.raises(ConfigError, match="'xx'"):
        translations("xx")


@pytest.mark.parametrize(
    ("seconds", "en", "et"),
    [
        (None, "–", "–"),
        (42, "42 s", "42 s"),
        (600, "10 min", "10 min"),
        (3900, "1 h 05 min", "1 t 05 min"),
        # Hours however many: a business day is not 24 of them.
        (2 * 86400, "48 h 00 min", "48 t 00 min"),
        (2 * 86400 + 3 * 3600 + 59, "51 h 00 min", "51 t 00 min"),
    ],
)
def test_durations_read_in_each_language(seconds: int | None, en: str, et: str) -> None:
    from zoneinfo import ZoneInfo

    from ticketcli.render.html import Formats

    zone = ZoneInfo("Europe/Tallinn")
    assert Formats("en", translations("en"), zone).duration(seconds) == en
    assert Formats("et", translations("et"), zone).duration(seconds) == et
    # In HTML a number keeps its unit; the units may part.
    tight = Formats("en", translations("en"), zone, tight=True).duration(seconds)
    assert tight.replace("\u00a0", " ") == en
    assert " " not in tight or tight.count(" ") == en.count(" ") // 2


def test_numbers_dates_and_weekdays_follow_the_language() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from ticketcli.render.html import Formats

    zone = ZoneInfo("Europe/Tallinn")
    en = Formats("en", translations("en"), zone)
    et = Formats("et", translations("et"), zone)
    assert (en.number(1.43), et.number(1.43), et.number(7)) == ("1.4", "1,4", "7")
    assert (en.percent(0.875), et.percent(0.875), en.percent(None)) == (
        "88%",
        "88 %",
        "–",
    )
    winter = datetime(2026, 1, 5, 22, 30)  # naive UTC, as the store keeps it
    assert en.as_datetime(winter) == "2026-01-06 00:30"
    assert en.as_date("2026-01-05T22:30:00Z") == "2026-01-06"
    assert en.as_date("2026-01-05") == "2026-01-05"  # a local day stays
    assert [et.weekday(d) for d in range(7)] == ["E", "T", "K", "N", "R", "L", "P"]

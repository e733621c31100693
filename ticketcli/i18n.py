"""Message catalogues for what people read: the report and its mail.

English is the source language: every msgid is the English text, so "en"
needs no catalogue. Other languages ship as gettext catalogues in the
package, ``ticketcli/locale/<lang>/LC_MESSAGES/ticketcli.po`` beside the
compiled ``.mo`` that is loaded at run time.

The compiler lives here (``compile_po``) because neither Babel nor
CPython's ``msgfmt.py`` is installed where ticketcli runs; a test checks
that each committed ``.mo`` equals a fresh compile of its ``.po``, and
``python3 -m ticketcli.i18n`` rewrites them after a catalogue edit.
"""

from __future__ import annotations

import ast
import functools
import gettext
import re
import struct
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ticketcli.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterator

DOMAIN = "ticketcli"
SOURCE_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Marks a msgid that is translated later (at render time, in a language
    chosen then); the string itself is returned unchanged."""
    return message


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue for ``lang``; English (the source) needs none."""
    if lang == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    mo = resources.files("ticketcli").joinpath(
        "locale", lang, "LC_MESSAGES", f"{DOMAIN}.mo"
    )
    try:
        data = mo.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(f"lang: no {lang!r} catalogue in ticketcli") from None
    import io

    return gettext.GNUTranslations(io.BytesIO(data))


# --- .po -> .mo ---------------------------------------------------------------


class PoError(ValueError):
    """A catalogue that cannot be compiled; the message names the line."""


def parse_po(text: str) -> dict[str, str]:
    """Catalogue entries as {msgid: msgstr}; plural entries use the .mo
    convention (forms joined by NUL). Fuzzy and untranslated entries are
    left out, as msgfmt leaves them out; the header (msgid "") is kept."""
    entries: dict[str, str] = {}
    for fuzzy, fields, line in _po_entries(text):
        if "msgctxt" in fields:
            raise PoError(f"line {line}: msgctxt is not supported")
        if "msgid" not in fields:
            raise PoError(f"line {line}: an entry without msgid")
        msgid = fields["msgid"]
        if "msgid_plural" in fields:
            forms = [fields[k] for k in sorted(fields) if k.startswith("msgstr[")]
            msgid = f"{msgid}\0{fields['msgid_plural']}"
            msgstr = "\0".join(forms)
            translated = bool(forms) and all(forms)
        else:
            msgstr = fields.get("msgstr", "")
            translated = bool(msgstr)
        if msgid in entries:
            raise PoError(f"line {line}: msgid {msgid!r} appears twice")
        if translated and (not fuzzy or msgid == ""):
            entries[msgid] = msgstr
    return entries


def _po_entries(text: str) -> Iterator[tuple[bool, dict[str, str], int]]:
    """(fuzzy, {keyword: string}, first line) per entry. An entry ends at a
    blank line, a comment, or the msgid of the next one."""
    fuzzy, fields, key, start = False, {}, None, 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        ends = not line or line.startswith("#") or line.startswith("msgctxt ")
        ends = ends or (line.startswith("msgid ") and "msgid" in fields)
        if ends and fields:
            yield fuzzy, fields, start
            fuzzy, fields, key = False, {}, None
        if not line:
            continue
        if line.startswith("#"):
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
            continue
        if line.startswith('"'):
            if key is None:
                raise PoError(f"line {number}: a string outside an entry")
            fields[key] += _po_string(line, number)
            continue
        keyword, _, rest = line.partition(" ")
        if not re.fullmatch(r"msgctxt|msgid|msgid_plural|msgstr(\[\d+\])?", keyword):
            raise PoError(f"line {number}: unexpected {keyword!r}")
        if not fields:
            start = number
        key = keyword
        fields[key] = _po_string(rest.strip(), number)
    if fields:
        yield fuzzy, fields, start


def _po_string(token: str, number: int) -> str:
    if len(token) < 2 or not (token.startswith('"') and token.endswith('"')):
        raise PoError(f"line {number}: expected a quoted string, got {token!r}")
    try:
        value = ast.literal_eval(token)
    except (SyntaxError, ValueError):
        raise PoError(f"line {number}: bad string {token!r}") from None
    if not isinstance(value, str):
        raise PoError(f"line {number}: bad string {token!r}")
    return value


def compile_po(text: str) -> bytes:
    """The GNU .mo file for a .po catalogue (little-endian, no hash table),
    entries sorted by msgid as msgfmt writes them."""
    entries = sorted(
        (k.encode("utf-8"), v.encode("utf-8")) for k, v in parse_po(text).items()
    )
    count = len(entries)
    header_size = 7 * 4
    ids_at = header_size
    strs_at = ids_at + count * 8
    data_at = strs_at + count * 8
    ids_table, strs_table, blob = [], [], bytearray()
    for msgid, _ in entries:
        ids_table.append((len(msgid), data_at + len(blob)))
        blob += msgid + b"\0"
    for _, msgstr in entries:
        strs_table.append((len(msgstr), data_at + len(blob)))
        blob += msgstr + b"\0"
    # An empty hash table placed where the strings begin, as GNU msgfmt
    # --no-hash writes it: the two compilers' output is byte-identical.
    out = bytearray(
        struct.pack("<7I", 0x950412DE, 0, count, ids_at, strs_at, 0, data_at)
    )
    for length, offset in ids_table + strs_table:
        out += struct.pack("<2I", length, offset)
    return bytes(out + blob)


# Where msgids live: the report templates, and every Python module of the
# package that marks strings with N_() or translates them with a ``_``
# method -- all of them, so that a string marked in a new module cannot be
# left out of the catalogues.
TEMPLATE_SOURCES = ("render/templates",)


def python_sources() -> list[Path]:
    """Every module of the package that takes its words from these
    catalogues (one that binds ``_`` to the standard library's gettext, for
    click's own words, does not)."""
    return sorted(
        path
        for path in Path(__file__).resolve().parent.rglob("*.py")
        if "ticketcli.i18n import" in path.read_text(encoding="utf-8")
    )


def extract_messages() -> list[str]:
    """Every msgid the package uses, sorted: what a catalogue must translate."""
    import jinja2

    root = Path(__file__).resolve().parent
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    found: set[str] = set()
    for folder in TEMPLATE_SOURCES:
        for path in sorted((root / folder).glob("*.*")):
            source = path.read_text(encoding="utf-8")
            for _, _, message in env.extract_translations(source):  # type: ignore[attr-defined]
                if isinstance(message, tuple):  # ngettext: singular, plural
                    message = "\0".join(m for m in message if isinstance(m, str))
                if message:
                    found.add(message)
    for path in python_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and _marks(node.func):
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(first.value)
    found.discard("")
    return sorted(found)


def _marks(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id in ("N_", "_")) or (
        isinstance(func, ast.Attribute) and func.attr == "_"
    )


def catalogue_paths() -> Iterator[tuple[Path, Path]]:
    """(.po, .mo) for every shipped language."""
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        yield po, po.with_suffix(".mo")


def main() -> int:
    """Recompile every shipped catalogue (run after editing a .po); name
    the msgids a catalogue lacks."""
    wanted = extract_messages()
    for po, mo in catalogue_paths():
        have = parse_po(po.read_text(encoding="utf-8"))
        for message in wanted:
            if message not in have:
                print(f"{po}: untranslated: {message!r}", file=sys.stderr)
        try:
            mo.write_bytes(compile_po(po.read_text(encoding="utf-8")))
        except PoError as exc:
            print(f"{po}: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

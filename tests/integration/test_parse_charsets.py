"""`ticketcli parse` shows per part which charset it used and why."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from click.testing import CliRunner

from ticketcli.cli import cli

if TYPE_CHECKING:
    from pathlib import Path

MAIL = (
    "From: Jüri Õun <jyri@kund.ee>\r\n"
    "Subject: Arve ei tööta\r\n"
    "Message-ID: <c1@kund.ee>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/alternative; boundary="b"\r\n'
    "\r\n--b\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n\r\n"
).encode("cp1257")


def _parse(tmp_path: Path, body: bytes, *args: str) -> str:
    path = tmp_path / "m.eml"
    path.write_bytes(MAIL + body + b"\r\n--b--\r\n")
    db = f"sqlite:///{tmp_path / 's.db'}"
    result = CliRunner().invoke(cli, ["--db", db, "parse", str(path), *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_parse_names_the_charset_and_why(tmp_path: Path) -> None:
    # The body is UTF-8 although labelled ISO-8859-1; the raw 8-bit headers
    # are Windows-1257 (the detector, as nothing says so).
    out = _parse(tmp_path, "Aitäh, šokolaad!".encode())
    assert "charsets: " in out
    line = next(x for x in out.splitlines() if x.startswith("charsets: "))
    assert "body text/plain: utf-8 (UTF-8; declared iso-8859-1)" in line
    assert "header from: " in line
    assert "header subject: " in line
    assert "  Aitäh, šokolaad!" in out
    assert "subject: Arve ei tööta" in out


def test_parse_json_lists_charsets(tmp_path: Path) -> None:
    out = _parse(tmp_path, "Aitäh".encode("cp1252"), "--format", "json")
    row = json.loads(out)
    assert row["body_text"].strip() == "Aitäh"
    assert "body text/plain: cp1252 (declared)" in row["charsets"]
    assert row["from_name"] == "Jüri Õun"

"""`attachments N`, `attachments save N` and `show N --raw MSG`: what a
hostile filename from mail cannot do (leave DIR, replace a file, name a
device or a dotfile), and the original bytes byte for byte."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pty
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from tests.cli.test_tags import dump, refused
from tests.helpers import SUPPORT, Desk, eml
from ticketcli.desk.attachments import MAX_NAME_BYTES, safe_name

if TYPE_CHECKING:
    from pathlib import Path

HOSTILE_NAMES = {
    "../../evil.sh": "evil.sh",
    "/etc/passwd": "passwd",
    "..\\..\\win.ini": "win.ini",
    "a\x00b.txt": "a_b.txt",
    "CON": "_CON",
    "con.txt": "_con.txt",
    "LPT1": "_LPT1",
    ".bashrc": "bashrc",
    "...": "attachment",
    "": "attachment",
    "-rf": "rf",
    "~root": "root",
    "a\x1b[31mred.txt": "a_[31mred.txt",
    "Arve märts.pdf": "Arve märts.pdf",
}


@pytest.mark.parametrize(("name", "safe"), HOSTILE_NAMES.items())
def test_safe_name(name: str, safe: str) -> None:
    assert safe_name(name) == safe


def test_a_long_name_keeps_its_extension() -> None:
    name = safe_name("ä" * 300 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) <= MAX_NAME_BYTES


def _part(name: str, data: bytes) -> str:
    encoded = "".join(f"%{b:02X}" for b in name.encode())
    return (
        "--XX\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Disposition: attachment; filename*=utf-8''{encoded}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{base64.b64encode(data).decode()}\r\n"
    )


NAMES = ["../../evil.sh", "/etc/passwd", "a\x00b.txt", "x" * 300 + ".pdf", "CON",
         ".bashrc", "report.pdf", "report.pdf"]  # fmt: skip


def mail_with_attachments(mid: str) -> bytes:
    parts = "".join(_part(n, f"data {i}".encode()) for i, n in enumerate(NAMES))
    return (
        f"From: Mari <mari@kund.ee>\r\nTo: {SUPPORT}\r\nSubject: Failid\r\n"
        f"Date: Mon, 02 Mar 2026 10:00:00 +0200\r\nMessage-ID: {mid}\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n'
        "--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVaata faile.\r\n"
        f"{parts}--XX--\r\n"
    ).encode()


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    desk = Desk(tmp_path)
    desk.deliver(
        mail_with_attachments("<files@kund.ee>"), eml("<plain@x.ee>", sender="x@x.ee")
    )
    return desk


def listed(desk: Desk, number: str = "1") -> list[dict[str, Any]]:
    result = desk.run("attachments", number, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_attachments_lists_message_name_size_type_sha256(desk: Desk) -> None:
    rows = listed(desk)
    assert len(rows) == len(NAMES)
    short = json.loads(desk.run("show", "1", "--format", "json").stdout)["messages"][0]
    for i, row in enumerate(rows):
        data = f"data {i}".encode()
        assert row["message"] == short["short_id"]
        assert row["size"] == len(data)
        assert row["sha256"] == hashlib.sha256(data).hexdigest()
        assert row["content_type"] == "application/octet-stream"
    assert f"[{short['short_id']}]" in desk.run("show", "1").stdout
    assert listed(desk, "2") == []


def test_save_writes_only_inside_dir_never_over_a_file(
    desk: Desk, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.pdf").write_bytes(b"mine")
    os.symlink("/etc/hostname", out / "passwd")  # a trap: a link to follow
    before = {p.name for p in tmp_path.iterdir()}
    result = desk.run("attachments", "save", "1", "--dir", str(out))
    assert result.exit_code == 0, result.stderr
    written = sorted(p.name for p in out.iterdir())
    assert (out / "report.pdf").read_bytes() == b"mine"
    assert os.readlink(out / "passwd") == "/etc/hostname"
    assert {p.name for p in tmp_path.iterdir()} == before  # nothing beside DIR
    for name in written:
        assert not name.startswith(".")
        assert "/" not in name
        assert "\x00" not in name
        assert len(name.encode()) <= MAX_NAME_BYTES
    assert len(written) == len(NAMES) + 2  # beside report.pdf and the link
    stored = [row["filename"] for row in listed(desk)]
    for name in stored:  # each as its safe name, or numbered when taken
        stem, dot, ext = safe_name(name).rpartition(".")
        assert any(
            w == safe_name(name) or w.startswith(f"{stem or ext} (") for w in written
        )
    assert "report (2).pdf" in written
    assert "report (3).pdf" in written
    assert "bashrc" in written
    assert "_CON" in written
    contents = sorted(
        p.read_bytes() for p in out.iterdir() if p.is_file() and not p.is_symlink()
    )
    assert sorted(f"data {i}".encode() for i in range(len(NAMES))) == sorted(
        c for c in contents if c != b"mine"
    )
    assert result.stdout.count("\n") == len(NAMES)
    # Again: every name is taken now, so each gets the next number.
    again = desk.run(
        "attachments", "save", "1", "--dir", str(out), "--message", "<files@kund.ee>"
    )
    assert again.exit_code == 0
    assert len(list(out.iterdir())) == len(written) + len(NAMES)


def test_save_defaults_to_the_current_folder(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    short = listed(desk)[0]["message"]
    assert desk.run("attachments", "save", "1", "--message", short).exit_code == 0
    assert len(list(here.iterdir())) == len(NAMES)


def test_show_raw_is_byte_for_byte(desk: Desk) -> None:
    original = mail_with_attachments("<files@kund.ee>")
    short = listed(desk)[0]["message"]
    for ref in (short, "<files@kund.ee>", "files@kund.ee"):
        result = desk.runner.invoke(
            __import__("ticketcli.cli", fromlist=["cli"]).cli,
            ["--config", str(desk.config), "--db", desk.db, "show", "1", "--raw", ref],
        )
        assert result.exit_code == 0, result.stderr
        assert result.stdout_bytes == original


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("attachments", "99"), "ticket #99 does not exist"),
        (("attachments", "save", "99"), "ticket #99 does not exist"),
        (("attachments", "save", "2"), "ticket #2 has no attachments"),
        (
            ("attachments", "save", "1", "--message", "m999999"),
            "message 'm999999' does not exist",
        ),
        (("attachments", "save", "1", "--message", "<nope@x>"), "does not exist"),
        (
            ("attachments", "save", "1", "--message", "<plain@x.ee>"),
            "is not on ticket #1",
        ),
        (("attachments", "save", "1", "--dir", "/no/such/dir"), "--dir: cannot open"),
        (("attachments", "x"), "not a valid integer"),
        (("show", "1", "--raw", "m999999"), "does not exist"),
        (("show", "1", "--raw", "<plain@x.ee>"), "is not on ticket #1"),
        (("show", "99", "--raw", "m1"), "ticket #99 does not exist"),
        (("show", "1", "--raw", "x" * 300), "does not exist"),
    ],
)
def test_wrong_attachments_and_raw_change_nothing(
    desk: Desk, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    def files() -> list[str]:
        return sorted(p.name for p in tmp_path.iterdir() if "store.db" not in p.name)

    before = files()
    refused(desk, *args, says=says)
    assert files() == before


def test_a_file_in_dir_is_never_replaced_even_by_a_dotfile_name(
    desk: Desk, tmp_path: Path
) -> None:
    out = tmp_path / "saved-home"
    out.mkdir()
    (out / ".bashrc").write_text("safe")
    before = dump(desk)
    assert desk.run("attachments", "save", "1", "--dir", str(out)).exit_code == 0
    assert (out / ".bashrc").read_text() == "safe"
    assert dump(desk) == before


def test_show_raw_refuses_a_terminal(desk: Desk) -> None:
    leader, follower = pty.openpty()
    args = [sys.executable, "-m", "ticketcli", "--config", str(desk.config),
            "--db", desk.db, "show", "1", "--raw", "<files@kund.ee>"]  # fmt: skip
    proc = subprocess.run(args, stdout=follower, stderr=subprocess.PIPE, check=False)
    os.close(follower)
    os.close(leader)
    assert proc.returncode == 2
    assert b"is raw mail; redirect to a file" in proc.stderr
    assert proc.stderr.count(b"\n") == 1

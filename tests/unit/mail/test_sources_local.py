"""Local mail sources: mbox, Maildir, folder of files, stdin, and the factory."""

from __future__ import annotations

import email
import hashlib
import io
import json
import mailbox
import os
import re
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ticketcli.errors import SourceError
from ticketcli.mail.sources.local import (
    EmlDirSource,
    EmlFileSource,
    MaildirSource,
    MboxSource,
    StdinSource,
    detect_kind,
    open_local_source,
)
from ticketcli.mail.sources.maildir import maildir_key

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ticketcli.mail.model import RawMail
    from ticketcli.mail.sources.base import Source

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
GEN = SHARED / "tools" / "gen_mailbox.py"
CORPUS = SHARED / "corpus" / "realworld"
BOM = b"\xef\xbb\xbf"
ENVELOPE = b"From sender@example.test Thu Jul  2 12:05:05 2020"


class FakeState:
    """The store's view of one source: saved checkpoints and stored keys."""

    def __init__(self) -> None:
        self.checkpoints: dict[str, str] = {}
        self.keys: set[str] = set()

    def get(self, name: str) -> str | None:
        return self.checkpoints.get(name)

    def seen(self, key: str) -> bool:
        return key in self.keys

    def commit(self, mail: RawMail) -> None:
        self.keys.add(mail.key)
        self.checkpoints.update(mail.checkpoint)


def drain(source: Source, state: FakeState | None = None) -> list[RawMail]:
    """Run a source as the pipeline does: store, then acknowledge, then close."""
    state = state if state is not None else FakeState()
    out = []
    try:
        for mail in source.fetch(state):
            state.commit(mail)
            source.acknowledge(mail)
            out.append(mail)
    finally:
        source.close()
    return out


def message_id(data: bytes) -> str | None:
    value = email.message_from_bytes(data).get("Message-ID")
    return None if value is None else str(value).strip()


def make_message(n: int, eol: bytes = b"\n", body: bytes = b"") -> bytes:
    lines = [
        b"From: a@example.test",
        b"Message-ID: <%d@example.test>" % n,
        b"Subject: message %d" % n,
        b"",
        body or b"body %d" % n,
        b"",
    ]
    return eol.join(lines)


def make_mbox(messages: Iterable[bytes], eol: bytes = b"\n") -> bytes:
    """An mbox as Postfix writes one: envelope line, message, blank line."""
    return b"".join(ENVELOPE + eol + m + eol for m in messages)


# -- generated mailbox: the same mail as mbox, Maildir and a folder --------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict]]:
    root = tmp_path_factory.mktemp("generated")
    out = {}
    for fmt in ("mbox", "maildir", "eml-dir"):
        path, truth = root / fmt, root / f"{fmt}.json"
        subprocess.run(
            [
                sys.executable,
                str(GEN),
                "--conversations",
                "40",
                "--seed",
                "11",
                "--format",
                fmt,
                "--out",
                str(path),
                "--truth",
                str(truth),
                "--quiet",
            ],
            check=True,
            capture_output=True,
        )
        out[fmt] = (path, json.loads(truth.read_text()))
    return out


@pytest.mark.parametrize("fmt", ["mbox", "maildir", "eml-dir"])
def test_source_yields_truth_messages_in_delivery_order(
    generated: dict[str, tuple[Path, dict]], fmt: str
) -> None:
    path, truth = generated[fmt]
    mails = drain(open_local_source(str(path)))
    assert [message_id(m.data) for m in mails] == [
        m["message_id"] for m in truth["messages"]
    ]
    if fmt != "mbox":
        assert [m.key for m in mails] == [
            maildir_key(Path(m["file"]).name) if fmt == "maildir" else m["file"]
            for m in truth["messages"]
        ]


def test_mbox_bytes_equal_the_same_mail_in_maildir_and_folder(
    generated: dict[str, tuple[Path, dict]],
) -> None:
    """Separator line, its blank line and quoting are all that mbox adds."""
    mbox = [m.data for m in drain(open_local_source(str(generated["mbox"][0])))]
    maildir = [m.data for m in drain(open_local_source(str(generated["maildir"][0])))]
    emldir = [m.data for m in drain(open_local_source(str(generated["eml-dir"][0])))]
    assert mbox == maildir
    assert emldir == [m.replace(b"\n", b"\r\n") for m in maildir]


@pytest.mark.parametrize("chunk_size", [16, 777, 1 << 20], ids=["16", "777", "1MiB"])
def test_mbox_chunk_size_does_not_change_messages(
    generated: dict[str, tuple[Path, dict]], chunk_size: int
) -> None:
    path, truth = generated["mbox"]
    mails = drain(MboxSource("m", path, chunk_size=chunk_size))
    reference = mailbox.mbox(str(path))
    assert [m.data for m in mails] == [
        reference.get_bytes(k) for k in reference.iterkeys()
    ]
    assert len(mails) == len(truth["messages"])


def test_mbox_streams_in_bounded_memory(
    generated: dict[str, tuple[Path, dict]], tmp_path: Path
) -> None:
    one = generated["mbox"][0].read_bytes()
    big = tmp_path / "big.mbox"
    with big.open("wb") as f:
        for _ in range(16):
            f.write(one)
    tracemalloc.start()
    try:
        count = sum(
            1 for _ in MboxSource("m", big, chunk_size=64 * 1024).fetch(FakeState())
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 16 * one.count(b"\nFrom ") + 16
    assert big.stat().st_size > 8 * 1024 * 1024
    assert peak < 1024 * 1024


# -- mbox format details ------------------------------------------------------


def test_mbox_unquotes_mboxrd_from_lines(tmp_path: Path) -> None:
    body = (
        b">From the start of a line\n"
        b">>From twice quoted\n"
        b">>>From thrice\n"
        b"> From a reply quote, not mboxrd\n"
        b"text >From in the middle\n"
        b">Fromage\n"
    )
    path = tmp_path / "rd.mbox"
    path.write_bytes(make_mbox([make_message(1, body=body), make_message(2)]))
    first, second = drain(MboxSource("m", path))
    assert first.data.split(b"\n\n", 1)[1] == (
        b"From the start of a line\n"
        b">From twice quoted\n"
        b">>From thrice\n"
        b"> From a reply quote, not mboxrd\n"
        b"text >From in the middle\n"
        b">Fromage\n"
        b"\n"
    )
    assert not first.data.startswith(b"From ")
    assert second.data == make_message(2)


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_mbox_keeps_line_endings(tmp_path: Path, eol: bytes) -> None:
    messages = [make_message(n, eol) for n in range(3)]
    path = tmp_path / "eol.mbox"
    path.write_bytes(make_mbox(messages, eol))
    mails = drain(MboxSource("m", path, chunk_size=16))
    assert [m.data for m in mails] == messages
    step = len(ENVELOPE + eol) + len(messages[0]) + len(eol)
    assert [m.key for m in mails] == [str(n * step) for n in range(3)]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"From a@x\n\nbody\n\nFrom b@x\n\nbody\n", 2),
        (
            b"From - \nA: 1\n\nbody\n--b--\n"
            b"From - Mon Jun  3 12:50:27 1996\nA: 2\n\nx\n",
            2,
        ),
        (b"From a@x\nA: 1\n\nbody\nFrom Russia with love\n", 1),
        (b"From a@x\nA: 1\n\nbody\n\nFrom Russia with love\n", 2),
        (b"From a@x\nA: 1\n\nsee From b@x Mon Jun  3 12:50:27 1996\n", 1),
        (b"From 1844347792267117879@xxx\nA: 1\n\nb\nFrom 18443478@xxx\nA: 2\n", 2),
        (BOM + b"From -\nA: 1\n\nb\n", 1),
        (b"\n\r\nFrom a@x\nA: 1\n\nb\n", 1),
        (b"A: 1\n\nno envelope at all\n", 1),
        (b"", 0),
        (b"\n\n", 0),
    ],
    ids=[
        "blank-line-before",
        "envelope-after-text",
        "from-word-after-text",
        "from-word-after-blank",
        "from-mid-line",
        "gmail-no-date",
        "bom",
        "leading-blank-lines",
        "no-envelope-preamble",
        "empty",
        "only-blank",
    ],
)
def test_mbox_separator_rule(tmp_path: Path, content: bytes, expected: int) -> None:
    path = tmp_path / "sep.mbox"
    path.write_bytes(content)
    mails = drain(MboxSource("m", path))
    assert len(mails) == expected
    assert all(not m.data.startswith((b"From ", BOM)) for m in mails)


def test_mbox_received_at_comes_from_the_envelope_line(tmp_path: Path) -> None:
    path = tmp_path / "dates.mbox"
    path.write_bytes(
        b"From a@x Thu Jul  2 12:05:05 2020\nA: 1\n\n"
        b"From b@x Thu Jul  2 12:05:05 EDT 2020\nA: 2\n\n"
        b"From c@x\nA: 3\n\n"
    )
    assert [m.received_at for m in drain(MboxSource("m", path))] == [
        datetime(2020, 7, 2, 12, 5, 5, tzinfo=UTC),
        datetime(2020, 7, 2, 16, 5, 5, tzinfo=UTC),
        None,
    ]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_mbox_resumes_after_appended_messages(tmp_path: Path, eol: bytes) -> None:
    path = tmp_path / "spool"
    path.write_bytes(make_mbox([make_message(n, eol) for n in (1, 2)], eol))
    state = FakeState()
    assert len(drain(MboxSource("m", path), state)) == 2
    size = path.stat().st_size
    assert state.checkpoints[f"mbox-offset:{path}"] == str(size)

    with path.open("ab") as f:
        f.write(make_mbox([make_message(n, eol) for n in (3, 4)], eol))
    again = drain(MboxSource("m", path), state)
    assert [message_id(m.data) for m in again] == [
        "<3@example.test>",
        "<4@example.test>",
    ]
    assert again[0].key == str(size)
    assert drain(MboxSource("m", path), state) == []


def test_mbox_checkpoint_is_where_the_message_ends(tmp_path: Path) -> None:
    """A crash after message 1 is stored resumes at message 2, not after it."""
    path = tmp_path / "spool"
    path.write_bytes(make_mbox([make_message(n) for n in (1, 2, 3)]))
    state = FakeState()
    first = next(MboxSource("m", path).fetch(state))
    state.commit(first)
    rest = drain(MboxSource("m", path), state)
    assert [message_id(m.data) for m in rest] == [
        "<2@example.test>",
        "<3@example.test>",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p: p.write_bytes(make_mbox([make_message(1)])), [1]),
        (
            lambda p: p.write_bytes(make_mbox([make_message(n) for n in (7, 8, 9)])),
            [7, 8, 9],
        ),
        (
            lambda p: p.write_bytes(make_mbox([make_message(n) for n in (2, 3, 1)])),
            [2, 3, 1],
        ),
        (lambda p: p.write_bytes(b""), []),
    ],
    ids=["truncated", "replaced", "reordered", "emptied"],
)
def test_mbox_rescans_a_replaced_file(tmp_path: Path, change, expected) -> None:
    path = tmp_path / "spool"
    path.write_bytes(make_mbox([make_message(n) for n in (1, 2, 3)]))
    state = FakeState()
    drain(MboxSource("m", path), state)
    change(path)
    assert [message_id(m.data) for m in drain(MboxSource("m", path), state)] == [
        f"<{n}@example.test>" for n in expected
    ]


def test_mbox_rescans_when_mail_before_the_checkpoint_was_expunged(
    tmp_path: Path,
) -> None:
    """A client deleted message 2, then 4 and 5 arrived.

    The first 4 KiB are unchanged (message 1 is big), the file grew, and
    since 4 has the size of 2 a message starts right at the old offset:
    only the fingerprint of the bytes before the offset can tell.
    """
    big = make_message(1, body=b"x" * 8000 + b"\n")
    path = tmp_path / "spool"
    path.write_bytes(make_mbox([big, make_message(2), make_message(3)]))
    state = FakeState()
    drain(MboxSource("m", path), state)
    path.write_bytes(
        make_mbox([big, make_message(3), make_message(4), make_message(5)])
    )
    assert [message_id(m.data) for m in drain(MboxSource("m", path), state)] == [
        f"<{n}@example.test>" for n in (1, 3, 4, 5)
    ]


@pytest.mark.parametrize("saved", ["garbage", "-5", "999999"], ids=str)
def test_mbox_unusable_checkpoint_rescans(tmp_path: Path, saved: str) -> None:
    path = tmp_path / "spool"
    path.write_bytes(make_mbox([make_message(n) for n in (1, 2)]))
    state = FakeState()
    state.checkpoints[f"mbox-offset:{path}"] = saved
    assert len(drain(MboxSource("m", path), state)) == 2


CORPUS_MBOXES = [
    ("mimekit/mbox/content-length.mbox.txt", 29),  # no blank line before From_
    ("mimekit/mbox/issue1189.mbox.txt", 4),  # Gmail takeout, no date
    ("mimekit/mbox/simple.mbox.txt", 3),
    ("mimekit/mbox/unmunged.mbox.txt", 4),  # BOM; MimeKit's own test expects 4
    ("roundcube/src/import.mbox", 3),  # CRLF, mboxrd >From
    ("sisimai/bsd/rhost-cox-01.eml", 2),
    ("sisimai/not/rb-issue-368-bug.eml", 2),  # unquoted From_ after a blank line
]


@pytest.mark.parametrize(
    ("relpath", "expected"), CORPUS_MBOXES, ids=[p for p, _ in CORPUS_MBOXES]
)
def test_mbox_corpus_splits_into_messages(relpath: str, expected: int) -> None:
    path = CORPUS / relpath
    if not path.exists():
        pytest.skip(f"corpus file {path} is absent")
    data = path.read_bytes()
    source = open_local_source(str(path))
    assert isinstance(source, MboxSource)
    mails = drain(source)

    # Oracle 1: every line that starts with "From " (none is a body line here).
    assert len(re.findall(rb"(?m)^From ", data.removeprefix(BOM))) == expected
    assert len(mails) == expected
    assert all(not m.data.startswith(b"From ") for m in mails)
    # Oracle 2: the standard library's mbox, where it can read the file.
    if not data.startswith(BOM):
        reference = mailbox.mbox(str(path))
        assert [message_id(m.data) for m in mails] == [
            message_id(reference.get_bytes(k)) for k in reference.iterkeys()
        ]


def test_mbox_waits_for_a_fresh_dotlock_and_ignores_a_stale_one(tmp_path: Path) -> None:
    path = tmp_path / "spool"
    path.write_bytes(make_mbox([make_message(1)]))
    lock = tmp_path / "spool.lock"
    lock.write_bytes(b"")
    with pytest.raises(SourceError, match="locked") as exc:
        MboxSource("m", path, lock_timeout=0.1).fetch(FakeState())
    assert str(path) in exc.value.message

    old = time.time() - 3600
    os.utime(lock, (old, old))
    assert len(drain(MboxSource("m", path, lock_timeout=0.1))) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="fcntl locks are POSIX")
def test_mbox_waits_for_a_delivering_mda(tmp_path: Path) -> None:
    path = tmp_path / "spool"
    path.write_bytes(make_mbox([make_message(1)]))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys\n"
            "f = open(sys.argv[1], 'r+b')\n"
            "fcntl.lockf(f, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"locked\n"
        with pytest.raises(SourceError, match="locked by another process"):
            MboxSource("m", path, lock_timeout=0.2).fetch(FakeState())
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
    assert len(drain(MboxSource("m", path, lock_timeout=0.2))) == 1


# -- Maildir ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "key"),
    [
        ("1767605888.M0000000P1.mx", "1767605888.M0000000P1.mx"),
        ("1767605888.M1P1.mx:2,RS", "1767605888.M1P1.mx"),
        ("1767605888.M1P1.mx:2,", "1767605888.M1P1.mx"),
        ("1767605888.M1P1.mx!2,S", "1767605888.M1P1.mx"),
        ("1767605888.M1P1.mx,S=1234,W=1260:2,S", "1767605888.M1P1.mx,S=1234,W=1260"),
        ("odd!name", "odd!name"),
    ],
    ids=["new", "flags", "no-flags", "bang", "dovecot-size", "bang-not-info"],
)
def test_maildir_key_is_the_unique_part(filename: str, key: str) -> None:
    assert maildir_key(filename) == key


def make_maildir(root: Path, files: dict[str, bytes]) -> Path:
    for sub in ("tmp", "new", "cur"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        (root / rel).write_bytes(data)
    return root


def test_maildir_reads_new_and_cur_in_delivery_order(tmp_path: Path) -> None:
    box = make_maildir(
        tmp_path / "md",
        {
            "new/1700000001.M10P1.mx": make_message(4),
            "cur/1700000001.M9P1.mx:2,S": make_message(3),
            "new/1700000000.M5P1.mx": make_message(1),
            "cur/1700000000.M6P1.mx:2,": make_message(2),
            "tmp/1700000000.M1P1.mx": make_message(99),
            "new/.hidden": make_message(98),
        },
    )
    mails = drain(open_local_source(str(box)))
    assert [message_id(m.data) for m in mails] == [
        f"<{n}@example.test>" for n in (1, 2, 3, 4)
    ]
    assert mails[0].key == "1700000000.M5P1.mx"
    assert mails[0].source == f"maildir:{box}"


def test_maildir_skips_seen_keys_even_after_a_client_moved_them(tmp_path: Path) -> None:
    box = make_maildir(
        tmp_path / "md",
        {
            "new/1700000000.M1P1.mx": make_message(1),
            "new/1700000000.M2P1.mx": make_message(2),
        },
    )
    state = FakeState()
    assert len(drain(MaildirSource("md", box), state)) == 2
    os.rename(box / "new/1700000000.M1P1.mx", box / "cur/1700000000.M1P1.mx:2,S")
    (box / "new/1700000000.M3P1.mx").write_bytes(make_message(3))
    assert [m.key for m in drain(MaildirSource("md", box), state)] == [
        "1700000000.M3P1.mx"
    ]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("keep", ["new/1.M1P1.mx", "cur/1.M2P1.mx:2,F"]),
        ("seen", ["cur/1.M1P1.mx:2,S", "cur/1.M2P1.mx:2,FS"]),
    ],
    ids=["keep", "seen"],
)
def test_maildir_acknowledge(tmp_path: Path, after: str, expected: list[str]) -> None:
    box = make_maildir(
        tmp_path / "md",
        {
            "new/1.M1P1.mx": make_message(1),
            "cur/1.M2P1.mx:2,F": make_message(2),
        },
    )
    source = MaildirSource("md", box, after=after)  # type: ignore[arg-type]
    mails = source.fetch(FakeState())
    first = next(mails)
    assert (box / "new/1.M1P1.mx").exists(), "moved before the commit"
    source.acknowledge(first)
    source.acknowledge(next(mails))
    source.close()
    files = sorted(
        f"{sub}/{name}" for sub in ("new", "cur") for name in os.listdir(box / sub)
    )
    assert files == sorted(expected)


def test_maildir_received_at_is_the_file_mtime(tmp_path: Path) -> None:
    box = make_maildir(tmp_path / "md", {"new/1.M1P1.mx": make_message(1)})
    os.utime(box / "new/1.M1P1.mx", (1700000000, 1700000000))
    (mail,) = drain(MaildirSource("md", box))
    assert mail.received_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


# -- folder of files, single file, stdin ------------------------------------


def test_emldir_recurses_in_path_order_and_skips_hidden(tmp_path: Path) -> None:
    root = tmp_path / "saved"
    for rel, n in [
        ("10.eml", 3),
        ("2.eml", 2),
        ("a/1.msg", 4),
        ("b/noext", 5),
        ("1.txt", 1),
        (".DS_Store", 98),
        (".git/HEAD", 99),
    ]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(make_message(n))
    mails = drain(open_local_source(str(root)))
    assert [m.key for m in mails] == ["1.txt", "2.eml", "10.eml", "a/1.msg", "b/noext"]
    assert [message_id(m.data) for m in mails] == [
        f"<{n}@example.test>" for n in (1, 2, 3, 4, 5)
    ]
    assert all(m.received_at is not None for m in mails)


def test_emldir_skips_seen_keys(tmp_path: Path) -> None:
    root = tmp_path / "saved"
    root.mkdir()
    (root / "1.eml").write_bytes(make_message(1))
    state = FakeState()
    drain(EmlDirSource("d", root), state)
    (root / "2.eml").write_bytes(make_message(2))
    assert [m.key for m in drain(EmlDirSource("d", root), state)] == ["2.eml"]


def test_eml_file_key_is_path_and_hash(tmp_path: Path) -> None:
    path = tmp_path / "one.eml"
    path.write_bytes(make_message(1, b"\r\n"))
    state = FakeState()
    (mail,) = drain(open_local_source(str(path)), state)
    digest = hashlib.sha256(make_message(1, b"\r\n")).hexdigest()
    assert mail.key == f"{path}:{digest}"
    assert mail.data == make_message(1, b"\r\n")
    assert drain(open_local_source(str(path)), state) == []
    path.write_bytes(make_message(2, b"\r\n"))
    assert len(drain(open_local_source(str(path)), state)) == 1


def test_stdin_yields_one_message_keyed_by_its_hash() -> None:
    data = make_message(1, b"\r\n")
    state = FakeState()
    (mail,) = drain(StdinSource("stdin", io.BytesIO(data)), state)
    assert mail.data == data
    assert mail.received_at is None
    # The MTA retries the same delivery: already stored.
    assert drain(StdinSource("stdin", io.BytesIO(data)), state) == []


def test_stdin_drops_an_mta_envelope_line() -> None:
    data = make_message(1)
    (mail,) = drain(StdinSource("stdin", io.BytesIO(ENVELOPE + b"\n" + data)))
    assert mail.data == data
    assert mail.received_at == datetime(2020, 7, 2, 12, 5, 5, tzinfo=UTC)
    assert mail.key == drain(StdinSource("stdin", io.BytesIO(data)))[0].key


def test_stdin_empty_input_is_an_error() -> None:
    with pytest.raises(SourceError, match="stdin"):
        StdinSource("stdin", io.BytesIO(b"")).fetch(FakeState())


# -- the factory, errors, hints, files ----------------------------------------


def _maildir_without_cur(path: Path) -> None:
    make_maildir(path, {})
    (path / "cur").rmdir()


@pytest.mark.parametrize(
    ("setup", "kind", "cls"),
    [
        (lambda p: make_maildir(p, {}), "maildir", MaildirSource),
        (lambda p: (p / "new").mkdir(parents=True), "emldir", EmlDirSource),
        (_maildir_without_cur, "maildir", MaildirSource),
        (lambda p: p.mkdir(), "emldir", EmlDirSource),
        (lambda p: p.write_bytes(make_mbox([make_message(1)])), "mbox", MboxSource),
        (
            lambda p: p.write_bytes(BOM + make_mbox([make_message(1)])),
            "mbox",
            MboxSource,
        ),
        (lambda p: p.write_bytes(b""), "mbox", MboxSource),
        (lambda p: p.write_bytes(make_message(1)), "file", EmlFileSource),
    ],
    ids=[
        "maildir",
        "folder-with-new-only",
        "maildir-without-cur",
        "folder",
        "mbox",
        "mbox-bom",
        "empty-file",
        "eml",
    ],
)
def test_open_local_source_detects_the_kind(tmp_path: Path, setup, kind, cls) -> None:
    path = tmp_path / "box"
    setup(path)
    assert detect_kind(str(path)) == kind
    source = open_local_source(str(path))
    assert isinstance(source, cls)
    assert source.name == f"{kind}:{path}"
    assert open_local_source(str(path), name="support").name == "support"


def test_open_local_source_dash_is_stdin() -> None:
    source = open_local_source("-", stdin=io.BytesIO(make_message(1)))
    assert isinstance(source, StdinSource)
    assert source.name == "stdin"
    assert len(drain(source)) == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda p: open_local_source(str(p)),
        lambda p: MboxSource("m", p).fetch(FakeState()),
        lambda p: MaildirSource("m", p).fetch(FakeState()),
        lambda p: EmlDirSource("m", p).fetch(FakeState()),
        lambda p: EmlFileSource("m", p).fetch(FakeState()),
    ],
    ids=["factory", "mbox", "maildir", "emldir", "file"],
)
def test_missing_path_is_a_source_error_naming_it(tmp_path: Path, make) -> None:
    path = tmp_path / "nowhere" / "box"
    with pytest.raises(SourceError) as exc:
        make(path)
    assert exc.value.message == f"cannot read {path}: No such file or directory"


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0,
    reason="root reads files whatever their mode",
)
def test_unreadable_file_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "spool"
    path.write_bytes(make_mbox([make_message(1)]))
    path.chmod(0)
    with pytest.raises(SourceError, match="Permission denied"):
        open_local_source(str(path))


def test_maildir_without_new_or_cur_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a Maildir"):
        MaildirSource("m", tmp_path).fetch(FakeState())


def test_total_hint_counts_what_fetch_yields(tmp_path: Path) -> None:
    box = make_maildir(
        tmp_path / "md",
        {
            "new/1.M1P1.mx": make_message(1),
            "cur/1.M2P1.mx:2,S": make_message(2),
        },
    )
    state = FakeState()
    state.keys.add("1.M1P1.mx")
    source = MaildirSource("md", box)
    assert source.total_hint() == 2  # before fetch: every message there
    mails = source.fetch(state)
    assert source.total_hint() == 1  # this fetch: only the unseen one
    assert len(list(mails)) == 1
    assert MboxSource("m", tmp_path / "x").total_hint() is None
    assert StdinSource("s", io.BytesIO(b"x")).total_hint() == 1


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_mbox_close_releases_the_file(tmp_path: Path) -> None:
    path = tmp_path / "spool"
    path.write_bytes(make_mbox([make_message(n) for n in (1, 2)]))
    before = len(os.listdir("/proc/self/fd"))
    source = MboxSource("m", path)
    mails = source.fetch(FakeState())
    next(mails)  # stopped half-way, as after a failure in the pipeline
    assert len(os.listdir("/proc/self/fd")) == before + 1
    source.close()
    assert len(os.listdir("/proc/self/fd")) == before

"""How long and how much memory one hostile or big mail costs parse_message.

Builds the mails of issue 13 (a 3 MB and a 20 MB Content-Type of parameters,
header and part bombs, deep nesting, plain big mails of 5 MB and 50 MB with a
base64 attachment that is 80 % of them) and parses each in a fresh Python
process, so the peak RSS (VmHWM, else ``ru_maxrss``) is that case's alone. The first row
is the floor: a normal small mail in the same kind of process (interpreter,
imports, the raw bytes). ``--before REV`` also runs every case with the
parser as it is in that commit (``git archive``), killed after ``--timeout``
seconds.

    python bench/hostile_mail.py [--before 286846a] [--timeout 120] [--only NAME ...]

Prints, per case: the mail's size, the parse time, the peak RSS, the RSS the
parse added to the process that had read the mail, and the defects.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MB = 1_000_000

HEAD = (
    b"From: Mari Tamm <mari@example.ee>\r\nTo: support@example.com\r\n"
    b"Subject: Printer on katki\r\nMessage-ID: <bench@example.ee>\r\n"
    b"Date: Mon, 02 Mar 2026 10:00:00 +0200\r\nMIME-Version: 1.0\r\n"
)
MIXED = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
TEXT = (
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTere, printer ei toota.\r\n"
)


def _parameters(size: int) -> bytes:
    return b"".join(b";\r\n p%d=v%d" % (i, i) for i in range(size // 14))


def _fields(size: int) -> bytes:
    return b"".join(b"X-Junk-%07d: v\r\n" % i for i in range(size // 17))


def normal(size: int) -> bytes:
    return HEAD + b"Content-Type: text/plain; charset=utf-8\r\n\r\nTere!\r\n"


def parameters(size: int) -> bytes:
    return HEAD + b"Content-Type: text/plain" + _parameters(size) + b"\r\n\r\nTere!\r\n"


def header_count(size: int) -> bytes:
    return HEAD + _fields(size) + b"\r\nTere!\r\n"


def header_length(size: int) -> bytes:
    return HEAD + b"X-Junk: " + b"a" * size + b"\r\n\r\nTere!\r\n"


def folded_header(size: int) -> bytes:
    return HEAD + b"X-Junk: a\r\n" + b"\t\r\n" * (size // 3) + b"\r\nTere!\r\n"


def parts(size: int) -> bytes:
    one = b"--b\r\n\r\nx\r\n"
    return HEAD + MIXED + TEXT + one * (size // len(one)) + b"--b--\r\n"


def nested_headers(size: int) -> bytes:
    return HEAD + MIXED + TEXT + b"--b\r\n" + _fields(size) + b"\r\nx\r\n--b--\r\n"


def nesting(size: int) -> bytes:
    levels = range(size // 60)
    return (
        HEAD
        + b"".join(
            b"Content-Type: multipart/mixed; boundary=n%d\r\n\r\n--n%d\r\n" % (i, i)
            for i in levels
        )
        + b"Content-Type: text/plain\r\n\r\nTere!\r\n"
        + b"".join(b"--n%d--\r\n" % i for i in reversed(levels))
    )


def report_blocks(size: int) -> bytes:
    return (
        HEAD + b"Content-Type: multipart/report; report-type=delivery-status;"
        b" boundary=b\r\n\r\n"
        + TEXT
        + b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        + b"A: b\r\n\r\n" * (size // 8)
        + b"--b--\r\n"
    )


def empty_lines(size: int) -> bytes:
    return HEAD + b"Content-Type: text/plain\r\n\r\nTere!\r\n" + b"\r\n" * (size // 2)


def near_boundaries(size: int) -> bytes:
    return HEAD + MIXED + TEXT + b"--bx\r\n" * (size // 6) + b"--b--\r\n"


def html_tags(size: int) -> bytes:
    return (
        HEAD
        + b"Content-Type: text/html\r\n\r\n<p>Tere!</p>"
        + b"<b>x</b>" * (size // 8)
    )


def plain(size: int) -> bytes:
    """A text body of 20 % and a base64 attachment of 80 % of the size."""
    rnd = random.Random(size)
    line = b"Tere, see on pikk kiri printeri kohta, mis ei toota enam.\r\n"
    text = line * (size // 5 // len(line))
    blob = base64.encodebytes(rnd.randbytes(size * 4 // 5 * 3 // 4))
    return (
        HEAD
        + MIXED
        + b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + text
        + b"--b\r\nContent-Type: application/pdf; name=arve.pdf\r\n"
        b"Content-Disposition: attachment; filename=arve.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + blob.replace(b"\n", b"\r\n")
        + b"--b--\r\n"
    )


CASES = [
    ("floor: normal mail", normal, 0),
    ("parameters 3 MB", parameters, 3 * MB),
    ("parameters 20 MB", parameters, 20 * MB),
    ("header count 3 MB", header_count, 3 * MB),
    ("header length 3 MB", header_length, 3 * MB),
    ("folded header 3 MB", folded_header, 3 * MB),
    ("100,000 parts", parts, 1 * MB),
    ("nested part headers 3 MB", nested_headers, 3 * MB),
    ("5,000 levels deep", nesting, 300_000),
    ("report blocks 3 MB", report_blocks, 3 * MB),
    ("empty lines 3 MB", empty_lines, 3 * MB),
    ("near boundaries 3 MB", near_boundaries, 3 * MB),
    ("html tags 3 MB", html_tags, 3 * MB),
    ("plain 5 MB", plain, 5 * MB),
    ("plain 50 MB", plain, 50 * MB),
]


def _peak_kib() -> int:
    """This process's peak RSS. Linux keeps ``ru_maxrss`` across exec, so a
    child started by a big parent would report the parent's; VmHWM is the
    peak of this process image alone."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(path: str, before: str | None) -> None:
    """Parse one file in this process and print what it cost, as JSON."""
    sys.path.insert(0, before or str(REPO))
    module = importlib.import_module("ticketcli.mail.parse")
    raw = Path(path).read_bytes()
    read = _peak_kib()
    started = time.perf_counter()
    try:
        mail = module.parse_message(raw)
        outcome = {
            "defects": [d for d in mail.defects if not d[0].isupper()],
            "subject": mail.subject,
            "attachments": len(mail.attachments),
        }
    except Exception as exc:  # noqa: BLE001 - reported, as sync would quarantine
        outcome = {"error": f"{type(exc).__name__}: {str(exc)[:60]}"}
    seconds = time.perf_counter() - started
    peak = _peak_kib()
    print(
        json.dumps({"seconds": seconds, "read_kib": read, "peak_kib": peak, **outcome})
    )


def run_case(path: Path, before: Path | None, timeout: float) -> dict | None:
    command = [sys.executable, __file__, "--child", str(path)]
    if before:
        command += ["--before-file", str(before)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=True
        )
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout)


def _row(name: str, size: int, result: dict | None, timeout: float) -> str:
    if result is None:
        return f"{name:26s} {size / MB:7.1f}  > {timeout:.0f} s (killed)"
    said = result.get("error") or ", ".join(result["defects"]) or "-"
    added = (result["peak_kib"] - result["read_kib"]) / 1024
    return (
        f"{name:26s} {size / MB:7.1f} {result['seconds']:8.3f} "
        f"{result['peak_kib'] / 1024:9.1f} {added:9.1f}  {said}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REV", help="also the parser of commit REV")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--only", nargs="*", help="cases whose name starts so")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--before-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.before_file)
        return

    cases = [
        c for c in CASES if not args.only or any(c[0].startswith(o) for o in args.only)
    ]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        before = None
        if args.before:
            before = tmp / "before"
            before.mkdir()
            tree = subprocess.run(
                ["git", "-C", str(REPO), "archive", args.before, "ticketcli"],
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(before)], input=tree, check=True)
        print(
            f"{'case':26s} {'MB':>7s} {'seconds':>8s} {'peak MiB':>9s} "
            f"{'+parse':>9s}  defects"
        )
        for index, (name, build, size) in enumerate(cases):
            path = tmp / f"{index}.eml"
            data = build(size)
            path.write_bytes(data)
            del data
            size = path.stat().st_size
            print(_row(name, size, run_case(path, None, args.timeout), args.timeout))
            if before:
                result = run_case(path, before, args.timeout)
                print(_row("  before", size, result, args.timeout))
            path.unlink()
    print(
        "peak MiB: the process's peak RSS (interpreter, imports, the raw mail "
        "read once, the parse); +parse: what parsing added to it."
    )


if __name__ == "__main__":
    main()

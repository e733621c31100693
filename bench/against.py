"""Run one benchmark on this tree and on an older commit, side by side.

The machine is shared and noisy, so a figure measured an hour ago says
little about a change. This checks the older commit out into a temporary
worktree, then runs the same benchmark script of each tree in turn
(``--rounds`` times, alternating, so both see the same noise), and prints
every figure line of both with the ratio of their first numbers.

    python3 bench/against.py 71daced bench/ingest.py --conversations 500
    python3 bench/against.py --rounds 2 --new HEAD HEAD~3 bench/stats.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)")


def _run(tree: Path, script: str, args: list[str]) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    result = subprocess.run(
        [sys.executable, str(tree / script), *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"{tree}: {script} failed:\n{result.stderr}")
    return result.stdout.splitlines()


def _label(line: str) -> str:
    """A figure line without its figures: what pairs the two runs' lines."""
    return NUMBER.sub("#", line).split("#")[0].strip()


def _first_number(line: str) -> float | None:
    _, _, rest = line.partition(":")
    match = NUMBER.search(rest if rest else line)
    return float(match.group(1)) if match else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the older commit to compare with")
    parser.add_argument("script", help="a benchmark, e.g. bench/ingest.py")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--new", metavar="REV", help="compare this commit, not the working tree"
    )
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ticketcli-against-") as tmp:
        old = Path(tmp) / "old"
        # The benchmarks find shared/ (the mailbox generator) beside the repo.
        (Path(tmp) / "shared").symlink_to(REPO.parent / "shared")
        git = ["git", "-C", str(REPO), "worktree"]
        subprocess.run([*git, "add", "-q", "--detach", str(old), opts.rev], check=True)
        trees = [old]
        new = REPO
        if opts.new:
            new = Path(tmp) / "new"
            subprocess.run(
                [*git, "add", "-q", "--detach", str(new), opts.new], check=True
            )
            trees.append(new)
        name = opts.new or "this tree"
        try:
            for round_ in range(1, opts.rounds + 1):
                before = {
                    _label(line): line for line in _run(old, opts.script, opts.args)
                }
                after = _run(new, opts.script, opts.args)
                print(f"--- round {round_}: {opts.rev} | {name} | new/old")
                for now in after:
                    was = before.get(_label(now), "")
                    a, b = _first_number(was), _first_number(now)
                    ratio = f"{b / a:6.2f}x" if a and b is not None else ""
                    print(f"{was:<56} | {now:<56} {ratio}")
        finally:
            for tree in trees:
                subprocess.run([*git, "remove", "--force", str(tree)], check=False)


if __name__ == "__main__":
    main()

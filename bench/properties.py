"""The pipeline properties (tests/property) with a large budget, for a long run.

CI runs each property with a small fixed budget; this runs the same tests with
many more examples (still derandomized unless --seed is given), so a rarer
order -- the merge crash needs two strangers' replies read before the mail
between them -- has a fair chance to show up.

    python bench/properties.py [--examples 500] [--seed N] [-k EXPR]

Prints pytest's report and the elapsed time; exits with pytest's code.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODULE = REPO / "tests" / "property" / "test_pipeline_properties.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500)
    parser.add_argument(
        "--seed", type=int, help="a random run (hypothesis --hypothesis-seed)"
    )
    parser.add_argument("-k", dest="select", help="pytest -k expression")
    args = parser.parse_args()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command.append(str(MODULE))
    if args.select:
        command += ["-k", args.select]
    if args.seed is not None:
        command += [f"--hypothesis-seed={args.seed}"]
    env = {**os.environ, "TICKETCLI_PROPERTY_EXAMPLES": str(args.examples)}
    started = time.monotonic()
    code = subprocess.run(command, cwd=REPO, env=env, check=False).returncode
    elapsed = time.monotonic() - started
    print(f"{args.examples} examples per property: {elapsed:.0f} s", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())

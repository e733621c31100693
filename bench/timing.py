"""Wall and CPU time of a command run as a subprocess: the one way benches time.

CPU seconds are the figure that holds on a shared, busy machine (issue 18:
the machine is small and others run beside a bench); wall time is printed
beside them.
"""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


def as_installed(pyc: str | Path = "", **variables: str) -> dict[str, str]:
    """This process's environment plus ``variables``, for a child that runs
    ticketcli as an installed copy does: its modules compiled once and the
    bytecode kept (under ``pyc``, a name below the temporary directory or a
    path). Some machines set PYTHONDONTWRITEBYTECODE (this one does); a
    start-up figure would then carry every module's compiling, ~10-140 ms
    that no installed ticketcli pays."""
    env = dict(os.environ, **variables)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(
        Path(tempfile.gettempdir(), "ticketcli-bench-pyc", pyc)
    )
    return env


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(
    cmd: list[str], env: Mapping[str, str], cwd: str | None = None
) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``cmd``; its output is discarded and
    a failure stops the bench."""
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run(cmd, env=dict(env), check=True, capture_output=True, cwd=cwd)
    return time.perf_counter() - start, children_cpu() - cpu

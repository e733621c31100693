"""A large store built once per size and kept: the benches that time reads
(report.py, stats.py) would otherwise spend most of a run writing rows."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def cached_store(path: Path, build: Callable[[Path], None]) -> Path:
    """``path``, built by ``build`` into a side file first, so an interrupted
    build never leaves a half store that a later run would trust."""
    if not path.exists():
        start = time.perf_counter()
        partial = path.with_suffix(".part")
        partial.unlink(missing_ok=True)
        build(partial)
        partial.rename(path)
        print(f"built {path} in {time.perf_counter() - start:.1f} s")
    return path

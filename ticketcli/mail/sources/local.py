"""Open a local mail source from a path: ``-``, an mbox, a Maildir, a folder, a file.

``sync`` and the ``[[sources]]`` config take a path; this decides what it
is so the user does not have to say. The default source name is the kind
plus the absolute path: the store remembers what it read per (source name,
key), so the name must stay the same from one run to the next.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, BinaryIO

from ticketcli.mail.sources._common import BOM, FROM_PREFIX, require, source_error
from ticketcli.mail.sources.eml import EmlDirSource, EmlFileSource
from ticketcli.mail.sources.maildir import MaildirSource
from ticketcli.mail.sources.mbox import MboxSource
from ticketcli.mail.sources.stdin import StdinSource

if TYPE_CHECKING:
    from ticketcli.mail.sources.base import Source

__all__ = [
    "EmlDirSource",
    "EmlFileSource",
    "MaildirSource",
    "MboxSource",
    "StdinSource",
    "detect_kind",
    "open_local_source",
]


def detect_kind(path: str) -> str:
    """``stdin``, ``maildir``, ``emldir``, ``mbox`` or ``file`` for ``path``.

    A folder with two of ``cur/``, ``new/`` and ``tmp/`` is a Maildir: one
    alone could be an ordinary subfolder of saved mail (reading only it
    would skip the rest), and a Maildir without ``cur/`` still must not have
    its ``tmp/`` read as finished mail. A file is an mbox when it starts
    with ``From `` (after a BOM or blank lines) or is empty: an emptied
    spool is still a spool.
    """
    if path == "-":
        return "stdin"
    try:
        is_dir = os.path.isdir(path)
        if is_dir:
            subdirs = ("cur", "new", "tmp")
            found = sum(os.path.isdir(os.path.join(path, d)) for d in subdirs)
            return "maildir" if found >= 2 else "emldir"
        require(path, folder=False)
        with open(path, "rb") as f:
            start = f.read(1024)
    except OSError as exc:
        raise source_error(os.path.abspath(path), exc) from None
    start = start.removeprefix(BOM).lstrip(b"\r\n")
    return "mbox" if not start or start.startswith(FROM_PREFIX) else "file"


def open_local_source(
    path_or_dash: str,
    name: str | None = None,
    stdin: BinaryIO | None = None,
) -> Source:
    """The source for a path (``-`` is ``stdin``, default ``sys.stdin``).

    Raises ``SourceError`` with one line naming the path when it is missing,
    unreadable or neither a file nor a folder.
    """
    kind = detect_kind(path_or_dash)
    if kind == "stdin":
        return StdinSource(
            name or "stdin", stdin if stdin is not None else sys.stdin.buffer
        )
    path = os.path.abspath(path_or_dash)
    source_name = name or f"{kind}:{path}"
    if kind == "maildir":
        return MaildirSource(source_name, path)
    if kind == "emldir":
        return EmlDirSource(source_name, path)
    if kind == "mbox":
        return MboxSource(source_name, path)
    return EmlFileSource(source_name, path)

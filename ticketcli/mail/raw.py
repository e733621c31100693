"""A message as a source yields it, before anything is parsed: all a source
needs of the mail layer, so that a sync that finds no new mail loads none
of the rest (``mail.model`` is what parsing makes of it).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime


class RawMail(NamedTuple):
    """A message as a source yields it, before anything is parsed.

    ``key`` identifies the message inside its source (``uidvalidity/folder/uid``
    for IMAP, a path or path+offset locally) so the source can remember what it
    has read. ``received_at`` is the source's arrival time when it knows one
    (IMAP INTERNALDATE, file mtime), used when the Date header is unusable.

    A NamedTuple, not a frozen dataclass: every sync loads this, the one
    that finds nothing too, and a dataclass costs ~0.5 ms to define (issue
    18). The default checkpoint is shared, so read-only.
    """

    source: str
    key: str
    data: bytes
    received_at: datetime | None = None
    # Source state to save in the same transaction as this message, so that
    # a crash can never leave the state ahead of (or behind) the store:
    # e.g. {"mbox:/var/mail/support": "123456"} for an mbox read up to there.
    checkpoint: Mapping[str, str] = MappingProxyType({})

    def __repr__(self) -> str:  # the bytes would fill a screen
        return f"RawMail(source={self.source!r}, key={self.key!r})"

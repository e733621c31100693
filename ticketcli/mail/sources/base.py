"""The contract between a mail source and the ingest pipeline.

A source yields ``RawMail`` one at a time (it must stream: never hold a
mailbox in memory). The pipeline stores each message in its own
transaction, together with the message's ``checkpoint``, and only then calls
``acknowledge`` -- the one place a source may mark, move or delete anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ticketcli.mail.raw import RawMail


class SourceState(Protocol):
    """What a source may ask the store about its own past."""

    def get(self, name: str) -> str | None:
        """A checkpoint value saved with an earlier message, or None."""

    def seen(self, key: str) -> bool:
        """Whether a message with this source key is already stored."""


class FolderState(SourceState, Protocol):
    """What the store's ``SourceState`` can do besides, for the local
    folders (``sources.folders``): a source checks for these with
    ``getattr`` and asks key by key without them (the fakes in tests)."""

    def seen_keys(self) -> set[str]:
        """Every key of this source already stored, in one query."""

    def remember(self, name: str, value: str) -> None:
        """Save a checkpoint value outside any message's transaction: what
        a folder held once every mail in it is stored."""


class Source(Protocol):
    name: str

    def fetch(self, state: SourceState) -> Iterator[RawMail]:
        """Yield the messages not read before, oldest first."""

    def acknowledge(self, mail: RawMail) -> None:
        """Called after ``mail`` is committed to the store."""

    def close(self) -> None:
        """Release connections and files; called even after a failure."""

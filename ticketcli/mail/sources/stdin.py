"""Read exactly one message from a binary stream: ``sync -`` behind an MTA pipe.

Like rt-mailgate, the MTA runs ticketcli once per delivery with the message
on stdin. The key is the sha256 of the message, so a delivery the MTA
retries (after a timeout, say) is recognised as already stored.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, BinaryIO

from ticketcli.errors import SourceError
from ticketcli.mail.raw import RawMail
from ticketcli.mail.sources._common import from_line_date, split_from_line

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ticketcli.mail.sources.base import SourceState


class StdinSource:
    """One message from ``stream`` (a binary file object, or one with ``.buffer``).

    A leading ``From `` envelope line (Postfix ``pipe`` flag ``F``) is removed
    and its date becomes ``received_at``; the key is the hash of what is left,
    so the same mail piped twice with different envelope dates is one mail.
    The stream is not closed: it belongs to the caller.
    """

    def __init__(self, name: str, stream: BinaryIO) -> None:
        self.name = name
        self.stream: BinaryIO = getattr(stream, "buffer", stream)

    def fetch(self, state: SourceState) -> Iterator[RawMail]:
        """Read the whole stream now; an empty one is an error the MTA should see."""
        try:
            raw = self.stream.read()
        except OSError as exc:
            raise SourceError(f"cannot read stdin: {exc.strerror or exc}") from None
        if not raw or not raw.strip():
            raise SourceError("cannot read stdin: no message (empty input)")
        line, data = split_from_line(raw)
        key = hashlib.sha256(data).hexdigest()
        if state.seen(key):
            return iter(())
        received_at = from_line_date(line) if line else None
        return iter((RawMail(self.name, key, data, received_at=received_at),))

    def acknowledge(self, mail: RawMail) -> None:
        """Nothing: the MTA considers the mail delivered when we exit 0."""

    def close(self) -> None:
        """Nothing: stdin belongs to the process, not to this source."""

    def total_hint(self) -> int | None:
        return 1

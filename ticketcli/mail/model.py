"""The values the mail layer hands to the rest of ticketcli.

They are frozen so the pure rules (classify, thread, identify) can be
tested with hand-made instances and can never change what was parsed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ticketcli.mail.raw import RawMail

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

__all__ = ["Attachment", "Kind", "ParsedMail", "RawMail"]


class Kind(enum.StrEnum):
    """What a message is; only ``ticket`` mail may open or reopen tickets."""

    TICKET = "ticket"
    AUTOREPLY = "autoreply"
    BOUNCE = "bounce"
    BULK = "bulk"
    NOTE = "note"

    @property
    def is_noise(self) -> bool:
        return self in (Kind.AUTOREPLY, Kind.BOUNCE, Kind.BULK)


@dataclass(frozen=True)
class Attachment:
    filename: str  # already sanitised: safe as a single path component
    content_type: str
    size: int
    sha256: str
    data: bytes = field(repr=False, compare=False)


@dataclass(frozen=True)
class ParsedMail:
    """One message as ticketcli reads it.

    Message-IDs (own, In-Reply-To, References, reported) are kept in their
    canonical ``<local@domain>`` form. Addresses are lower-cased addr-specs.
    ``date`` is timezone-aware UTC, or None when the header is missing or
    unreadable (the pipeline then uses the time the message was received).
    """

    message_id: str | None
    date: datetime | None
    from_address: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body_text: str
    attachments: tuple[Attachment, ...]
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    thread_index: str | None  # the raw base64 header value
    # Top-level headers that classification needs, lower-case names, first
    # value, unfolded: auto-submitted, x-autoreply, x-autorespond, precedence,
    # list-id, list-unsubscribe, return-path, x-auto-response-suppress, ...
    headers: Mapping[str, str]
    content_type: str  # of the top-level part, e.g. "multipart/report"
    content_hash: str  # sha256 of what makes two deliveries the same mail
    raw_sha256: str  # sha256 of the exact bytes
    size: int
    defects: tuple[str, ...] = ()
    # Message-IDs of the original message a bounce or DSN reports on.
    reported_message_ids: tuple[str, ...] = ()
    # Every Authentication-Results value of the top-level header block,
    # unfolded, topmost (added last) first: see mail/authres.py.
    auth_results: tuple[str, ...] = ()
    # Every X-Loop value of the top-level header block, unfolded, as written
    # ("support@acme.example", "Support <support@acme.example>", "yes"):
    # the systems this mail went through say so there (classify.is_looped).
    x_loop: tuple[str, ...] = ()
    # Which charset each decoded text was read in and why, for `parse`:
    # "body text/plain: iso8859-2 (declared)", "body text/html: utf-8
    # (UTF-8; declared iso-8859-1)", "header subject: cp1250 (detected)".
    charsets: tuple[str, ...] = ()

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Every id this message names, nearest parent first."""
        seen: dict[str, None] = {}
        for mid in (
            *self.in_reply_to,
            *reversed(self.references),
            *self.reported_message_ids,
        ):
            if mid != self.message_id:
                seen.setdefault(mid, None)
        return tuple(seen)

"""Build sources from `[[sources]]` settings or a path on the command line.

The IMAP source (with TLS, OAuth2 and their imports) is loaded only for a
configured IMAP source: a sync of local folders need not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ticketcli import lazy
from ticketcli.errors import SourceError
from ticketcli.mail.sources.eml import EmlDirSource
from ticketcli.mail.sources.local import open_local_source
from ticketcli.mail.sources.maildir import MaildirSource
from ticketcli.mail.sources.mbox import MboxSource

if TYPE_CHECKING:
    from ticketcli.config import SourceConfig
    from ticketcli.mail.sources.base import Source

__all__ = ["open_configured_source", "open_local_source"]


def open_configured_source(spec: SourceConfig) -> Source:
    """The source a `[[sources]]` entry describes; its name is the entry's name."""
    if spec.type == "mbox":
        return MboxSource(spec.name, spec.path or "")
    if spec.type == "maildir":
        return MaildirSource(
            spec.name, spec.path or "", after="seen" if spec.after == "seen" else "keep"
        )
    if spec.type == "emldir":
        return EmlDirSource(spec.name, spec.path or "")
    if spec.type == "imap":
        return lazy.load("ticketcli.mail.sources.imap:ImapSource").from_config(spec)
    raise SourceError(
        f"{spec.name}: sources of type {spec.type!r} are not supported by this version"
    )

"""Whether ticketcli may answer a mail automatically; pure, the loop guard.

An automatic answer to the wrong mail starts a loop: with another helpdesk,
a vacation responder, a mailing list, a bounce. The rule therefore says no
to everything that is not plainly a person writing to us, and on top of
that caps how many acknowledgements one address gets in an hour -- the one
guard that also stops a responder that looks exactly like a person.

``should_acknowledge`` returns None when an acknowledgement may go out, or
the reason it may not (logged, and named by tests).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ticketcli.mail.classify import (
    is_autoreply,
    is_bounce,
    is_bulk,
    is_looped,
    is_null_sender,
)
from ticketcli.mail.model import Kind

if TYPE_CHECKING:
    from collections.abc import Callable

    from ticketcli.mail.model import ParsedMail

__all__ = ["MAX_AGE", "is_unanswerable_address", "should_acknowledge"]

# Mail older than this is not acknowledged: the first sync of an old mailbox
# must not write "we got it" to every customer of the last years.
MAX_AGE = timedelta(days=3)

# Local parts of addresses nobody reads answers at.
_UNANSWERABLE = frozenset(
    """
    mailer-daemon mailerdaemon mailer_daemon mail-daemon postmaster daemon
    noreply no-reply no_reply donotreply do-not-reply do_not_reply
    noanswer no-answer bounce bounces bounce-handler nobody root
    """.split()
)


def is_unanswerable_address(address: str) -> bool:
    """Null, malformed, or a system/no-reply address (a ``+tag`` is ignored).

    A non-ASCII local part counts as unanswerable: it needs SMTPUTF8, which
    ticketcli does not speak.
    """
    local, at, domain = (address or "").strip().lower().rpartition("@")
    if not at or not local or not domain or "." not in domain:
        return True
    if not local.isascii() or " " in local:
        return True
    base = local.split("+", 1)[0]
    return base in _UNANSWERABLE or base.startswith(("noreply", "no-reply", "bounce"))


def should_acknowledge(
    mail: ParsedMail,
    *,
    kind: Kind,
    is_own: Callable[[str], bool],
    own_domain: str | None,
    recent_acks: int | Callable[[], int],
    max_per_hour: int,
    now: datetime,
    max_age: timedelta = MAX_AGE,
) -> str | None:
    """None if this new ticket's first mail may be acknowledged, else why not.

    ``kind`` is what classification said; the header rules are asked again
    here so a change there can never open a loop. ``is_own`` tells our
    support, sender and staff addresses (as senders, and as the X-Loop
    names of a mail that has been through us); ``own_domain`` is the domain of
    the Message-IDs we make; ``recent_acks`` the acknowledgements the sender
    got in the hour before ``now`` (or how to count them: a query, asked
    only once every rule about the mail itself has passed). ``now`` and the
    mail's date are naive UTC or aware alike.
    """
    sender = mail.from_address
    if kind is not Kind.TICKET:
        return f"it is {kind.value} mail"
    if is_bounce(mail):
        return "it is a bounce"
    if is_autoreply(mail):
        return "it is an automatic reply"
    if is_bulk(mail):
        return "it is bulk or list mail"
    if is_looped(mail, is_own):
        return "it has been through us before (X-Loop names our address)"
    if is_null_sender(mail) or not sender:
        return "the sender is the mail system"
    if is_own(sender):
        return "it comes from our own address"
    if is_unanswerable_address(sender):
        return f"{sender} is a no-reply or system address"
    mid = mail.message_id or ""
    if own_domain and mid.startswith("<ticketcli.") and mid.endswith(f"@{own_domain}>"):
        return "it is a mail we sent"
    recent = recent_acks() if callable(recent_acks) else recent_acks
    if recent >= max_per_hour:
        return f"{sender} got {recent} acknowledgements in the last hour"
    if mail.date is not None and now - _like(mail.date, now) > max_age:
        return "the mail is older than a few days"
    return None


def _like(moment: datetime, other: datetime) -> datetime:
    """``moment`` naive UTC or aware, as ``other`` is, to subtract them."""
    if other.tzinfo is None and moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    if other.tzinfo is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment

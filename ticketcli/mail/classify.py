"""What kind of mail this is: a ticket, or noise (bounce, auto-reply, bulk); pure.

Noise never opens, reopens or answers a ticket, so a false "ticket" only
costs a stray ticket while a reply loop or a bounce storm costs much more;
the rules below therefore accept the usual signs of each kind, header or
subject, in every language the customers write. A bounce is checked before
an auto-reply because bounces usually carry ``Auto-Submitted`` too.
``Kind.NOTE`` is for mail ticketcli writes itself and is never returned.
"""

from __future__ import annotations

import re
from email.utils import getaddresses
from typing import TYPE_CHECKING

from ticketcli.mail.languages import every
from ticketcli.mail.model import Kind
from ticketcli.mail.subject import strip_prefixes

if TYPE_CHECKING:
    from collections.abc import Callable

    from ticketcli.mail.model import ParsedMail

__all__ = [
    "classify",
    "is_autoreply",
    "is_bounce",
    "is_bulk",
    "is_looped",
    "is_null_sender",
    "is_out_of_office_subject",
    "is_out_of_office_text",
    "loop_addresses",
]

_DAEMONS = frozenset(
    {
        "mailer-daemon",
        "postmaster",
        "mail-daemon",
        "maildaemon",
        "mailerdaemon",
        "mail.daemon",
        "mailer_daemon",
    }
)

# Subjects of delivery failures and delays, as MTAs and Exchange write them.
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|not\s+delivered|delivery\s+(?:status|fail|has\s+failed|"
    r"problem|notification|report|error|incomplete|delayed|warning)|"
    r"returned\s+(?:mail|to\s+sender)|failure\s+notice|mail\s+delivery|"
    r"non[- ]?delivery|could\s+not\s+(?:be\s+)?(?:deliver|send)|unable\s+to\s+deliver|"
    r"delivery\s+to\s+the\s+following|mail\s+system\s+error|message\s+(?:delayed|"
    r"rejected|blocked)|failed\s+(?:mail|delivery)|delivery\s+failure|"
    r"rejected|bounce|nicht\s+zustellbar|unzustellbar|zustellung|nondeliverable|"
    r"no\s+se\s+puede\s+entregar|non\s+remis|non\s+recapitabile|onnistunut|"
    r"toimitus\s+ep|niedostarcz|nedoručiteľ|nedostavljiv|kézbesít|"
    r"warning:\s+could\s+not|mail\s+could\s+not|dsn|permanent\s+error|"
    r"temporary\s+error|mailbox\s+(?:full|unavailable)|returned\s+mail|"
    r"undelivered\s+mail",
    re.IGNORECASE,
)

# Out-of-office phrases that start a subject ("Automatic reply: <subject>"),
# one table per language in ``languages``.
_OOO_PHRASES = every("autoreply")
_OOO_LEAD = "|".join(
    sorted((re.escape(p) for p in set(_OOO_PHRASES)), key=len, reverse=True)
)
# The phrase must end the subject or be followed by a colon, so "Out of
# office hours support" stays a ticket; Outlook's short "Auto:" is one too.
# An optional "[tag]" may come first.
_OOO_SUBJECT = re.compile(
    rf"^\s*(?:\[[^\]]{{0,40}}\]\s*)?(?:(?:{_OOO_LEAD})"
    rf"(?:\s+(?:autoreply|auto-reply|reply|message|notice|notification))?"
    rf"\s*(?:[:：(]|$)|auto\s*:)",
    re.IGNORECASE,
)
# Phrases that mean an auto-reply wherever they stand in the subject; only
# ones a person would not write ("Question about automatic reply settings"
# is a ticket).
_OOO_ANYWHERE = re.compile(
    r"\bis\s+out\s+of\s+(?:the\s+)?office\b|\bout\s+of\s+office\s+auto-?reply\b|"
    r"\babwesenheitsnotiz\b|\bautomatische\s+antwort\s*:",
    re.IGNORECASE,
)

# The first line of a responder that sets no header at all: its subject
# phrase on a line of its own ("Automaatvastus: ..."), or a sentence saying
# the writer is away ("Olen puhkusel kuni 12.08."). Read only when the mail
# answers something (a reply prefix, In-Reply-To, or no subject), so a
# customer's new mail that starts "I am on holiday, but ..." stays a ticket.
_OOO_LINE = re.compile(rf"^\s*(?:{_OOO_LEAD})\s*(?::|$)", re.IGNORECASE)
_AWAY_LINE = re.compile(
    r"^\s*(?:" + "|".join(re.escape(p) for p in every("away")) + r")(?!\w)",
    re.IGNORECASE,
)

_REPORT_TYPE = re.compile(r"report-type\s*=\s*\"?\s*([A-Za-z0-9_.-]+)", re.IGNORECASE)
_FALSE = frozenset({"no", "false", "0", "off", "none"})


def _header(mail: ParsedMail, name: str) -> str:
    return (mail.headers.get(name) or "").strip()


def _token(value: str) -> str:
    """The first word of a structured value: "auto-replied; x=y" -> "auto-replied"."""
    return re.split(r"[\s;(]", value.strip().lower(), maxsplit=1)[0]


def _local_part(address: str) -> str:
    return address.rpartition("@")[0] if "@" in address else address


def _daemon(mail: ParsedMail) -> str | None:
    """ "mailer-daemon", "postmaster" (...) when the From names the mail system."""
    if mail.from_address:
        local = _local_part(mail.from_address.lower())
    else:  # "From: MAILER-DAEMON <>"
        local = "-".join(mail.from_name.lower().split())
    return local if local in _DAEMONS else None


def is_null_sender(mail: ParsedMail) -> bool:
    """Whether the mail comes from the mail system, not a person.

    The SMTP null sender (``Return-Path: <>``) or a mailer-daemon/postmaster
    From address: mail that must never be answered.
    """
    if "".join(_header(mail, "return-path").split()) == "<>":
        return True
    return _daemon(mail) is not None


def _report_type(mail: ParsedMail) -> str | None:
    if mail.content_type != "multipart/report":
        return None
    match = _REPORT_TYPE.search(_header(mail, "content-type"))
    return match.group(1).lower() if match else ""


def is_bounce(mail: ParsedMail) -> bool:
    """A delivery failure or delay report (DSN, NDR, or an MTA's plain bounce)."""
    report = _report_type(mail)
    if report is not None:
        # Read receipts (MDNs) are auto-replies, everything else reported by
        # the mail system (delivery-status, feedback reports) a bounce.
        return report not in ("disposition-notification",)
    if mail.content_type in (
        "message/delivery-status",
        "message/global-delivery-status",
    ):
        return True
    if _header(mail, "x-failed-recipients"):
        return True
    if any(
        a.content_type in ("message/delivery-status", "message/global-delivery-status")
        for a in mail.attachments
    ):
        return True
    if not is_null_sender(mail):
        return False
    daemon = _daemon(mail)
    if daemon is not None and daemon != "postmaster":
        return True  # postmaster is also a person who writes to support
    return bool(_BOUNCE_SUBJECT.search(mail.subject) or mail.reported_message_ids)


def is_out_of_office_subject(subject: str) -> bool:
    """Whether the subject is an out-of-office or automatic-reply subject."""
    return bool(_OOO_SUBJECT.match(subject) or _OOO_ANYWHERE.search(subject))


def is_out_of_office_text(subject: str, body: str, answers: bool = False) -> bool:
    """Whether a mail without auto-reply headers reads as an out-of-office.

    The subject decides first; the body's first line only when the mail
    answers something (``answers``: it has In-Reply-To or References), its
    subject has a reply prefix, or it has no subject.
    """
    if is_out_of_office_subject(subject):
        return True
    if not (answers or not subject.strip() or strip_prefixes(subject) != subject):
        return False
    first = next((line for line in body.split("\n", 30)[:30] if line.strip()), "")
    return bool(_OOO_LINE.match(first) or _AWAY_LINE.match(first))


def is_autoreply(mail: ParsedMail) -> bool:
    """RFC 3834 and vendor auto-reply headers, read receipts, or an OOO subject.

    ``X-Auto-Response-Suppress`` alone is not one: Outlook sets it on mail
    that people write.
    """
    submitted = _token(_header(mail, "auto-submitted"))
    if submitted and submitted != "no":
        return True
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        if name in mail.headers and _token(mail.headers[name]) not in _FALSE:
            return True
    if _token(_header(mail, "precedence")) == "auto_reply":
        return True
    if _report_type(mail) == "disposition-notification":
        return True
    return is_out_of_office_text(
        mail.subject, mail.body_text, bool(mail.in_reply_to or mail.references)
    )


def is_bulk(mail: ParsedMail) -> bool:
    """Newsletters and list mail: ``Precedence: bulk|list|junk``, List-Id or
    List-Unsubscribe."""
    if _token(_header(mail, "precedence")) in ("bulk", "list", "junk"):
        return True
    return bool(_header(mail, "list-id") or _header(mail, "list-unsubscribe"))


# Where this copy of the mail was delivered, as the receiving MTA writes it.
_DELIVERED_TO = ("delivered-to", "x-original-to", "envelope-to")


def _addr_specs(values: list[str]) -> set[str]:
    try:
        pairs = getaddresses(values)
    except Exception:  # the stdlib address parser has crashed on odd values
        return set()
    return {addr.lower() for _, addr in pairs if "@" in addr}


def loop_addresses(mail: ParsedMail) -> frozenset[str]:
    """The addresses the mail's X-Loop headers name, lower-case; values that
    are no address (Zammad's and OTRS's "yes") are left out."""
    return frozenset(_addr_specs(list(mail.x_loop)))


def is_looped(mail: ParsedMail, ours: Callable[[str], bool] | None = None) -> bool:
    """Whether an X-Loop header names us: the mail has been through us before.

    Every mail ticketcli sends names its sender in X-Loop (as procmail, list
    managers and other helpdesks do with theirs), so one that comes back --
    forwarded by a rule, answered by a responder that copies X-Loop but not
    Auto-Submitted -- is known. ``ours`` tells our own addresses (support,
    sender, staff: the config's). With or without it, an X-Loop naming an
    address this very copy was addressed or delivered to (To, Cc,
    Delivered-To, X-Original-To, Envelope-To) counts too: whoever stamped it
    with that address has handled it there once already.
    """
    named = loop_addresses(mail)
    if not named:
        return False
    if ours is not None and any(ours(address) for address in named):
        return True
    delivered = {*mail.to, *mail.cc}
    delivered |= _addr_specs([_header(mail, name) for name in _DELIVERED_TO])
    return not named.isdisjoint(delivered)


def classify(mail: ParsedMail, ours: Callable[[str], bool] | None = None) -> Kind:
    """The kind of a parsed mail: bounce, then auto-reply, then bulk, then a
    mail back from a loop through us (an auto-reply: kept, never answered,
    never opens or reopens), else ticket. ``ours``: see ``is_looped``."""
    if is_bounce(mail):
        return Kind.BOUNCE
    if is_autoreply(mail):
        return Kind.AUTOREPLY
    if is_bulk(mail):
        return Kind.BULK
    if is_looped(mail, ours):
        return Kind.AUTOREPLY
    return Kind.TICKET

"""Subjects: reply/forward prefixes of every client language, the ticket token.

``normalize_subject`` gives the key the subject-fallback rule compares, so
"AW: RE: Vast: Odp:Invoice 12 [ACME #7]" and "Invoice 12" meet. Pure, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ticketcli.mail.languages import every

__all__ = [
    "find_ticket_token",
    "format_token",
    "normalize_subject",
    "strip_prefixes",
    "with_own_token",
]

# Reply and forward markers as mail clients write them, one table per
# language in ``languages`` (Outlook, Gmail, Apple Mail, Thunderbird, the
# local webmails). "Automatic reply:" and friends are deliberately absent: an
# auto-reply is a different mail and classification must still see its phrase.
_MARKERS = (*every("reply"), *every("forward"))
_MARKER = "|".join(sorted((re.escape(m) for m in set(_MARKERS)), key=len, reverse=True))
# One prefix: a marker, an optional counter ("Re[2]", "Re(2)", "Re^2"), a colon
# (ASCII or full-width), optional space. "Odp:Invoice" has no space at all.
_PREFIX = re.compile(
    rf"^\s*(?:{_MARKER})\s*(?:\[\d{{1,4}}\]|\(\d{{1,4}}\)|\^\d{{1,4}})?\s*[:：]\s*",
    re.IGNORECASE,
)
# Mozilla's old forward form "[Fwd: subject]" and Pine's "subject (fwd)".
_BRACKET_FORWARD = re.compile(r"^\s*\[\s*(?:fwd?|fw)\s*:\s*(.*)\]\s*$", re.IGNORECASE)
_TRAILING_FWD = re.compile(r"\s*\((?:fwd?|fw)\)\s*$", re.IGNORECASE)


@lru_cache(maxsize=32)
def _token_re(prefix: str) -> re.Pattern[str]:
    # Whitespace inside the configured prefix may be written any way at all.
    words = [re.escape(word) for word in prefix.split()]
    body = r"\s*".join(words)
    return re.compile(rf"\[\s*{body}\s*#\s*(\d{{1,18}})\s*\]", re.IGNORECASE)


def format_token(prefix: str, number: int) -> str:
    """The token ticketcli writes into subjects, e.g. ``[ACME #123]``."""
    return f"[{prefix} #{number}]"


def find_ticket_token(subject: str, token_prefix: str) -> int | None:
    """The ticket number of the first ``[PREFIX #n]`` token in ``subject``.

    Clients and people retype the token: case, and spaces around ``#`` or
    inside the brackets, do not matter.
    """
    if not subject or not token_prefix.strip():
        return None
    match = _token_re(token_prefix).search(subject)
    return int(match.group(1)) if match else None


def with_own_token(subject: str, token_prefix: str, number: int) -> str:
    """``subject`` carrying exactly one token: ticket ``number``'s.

    Another ticket's token in what we send would lead the answer there (a
    stranger's reply to her own ticket's acknowledgement naming the ticket
    she first wrote to); our own token stays where it stands, else it is
    added at the end.
    """
    pattern = _token_re(token_prefix)
    kept = False

    def keep_first_own(match: re.Match[str]) -> str:
        nonlocal kept
        if int(match.group(1)) == number and not kept:
            kept = True
            return match.group(0)
        return " "

    text = " ".join(pattern.sub(keep_first_own, subject).split())
    return text if kept else f"{text} {format_token(token_prefix, number)}".strip()


def strip_prefixes(subject: str) -> str:
    """``subject`` without its leading reply/forward prefixes, however nested.

    Only prefixes at the start go: "Question about Re: in subjects" keeps its
    inner "Re:".
    """
    text = subject
    while True:
        bracket = _BRACKET_FORWARD.match(text)
        if bracket:
            text = bracket.group(1)
            continue
        match = _PREFIX.match(text)
        if not match:
            break
        text = text[match.end() :]
    return _TRAILING_FWD.sub("", text).strip()


def normalize_subject(subject: str, token_prefix: str) -> str:
    """The comparison key of a subject: no prefixes, no token, folded, casefolded.

    Not for display: it is casefolded and NFKC-normalised so that "RE: ÄRI"
    and "äri" compare equal.
    """
    text = unicodedata.normalize("NFKC", subject or "")
    if token_prefix.strip():
        text = _token_re(token_prefix).sub(" ", text)
    text = " ".join(text.split())
    # A token removed from between two prefixes ("RE: [ACME #4] AW: x")
    # leaves them adjacent, so the prefixes are stripped after it.
    text = strip_prefixes(text)
    return " ".join(text.split()).casefold()

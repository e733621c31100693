"""What `ticketcli search QUERY` asks for, and the text the search index holds.

Both backends index and query the same tokens, made here: text is folded
(case, and accents: ``Aitäh`` -> ``aitah``, ``żółć`` -> ``zolc``) and split
into runs of letters and digits *before* it reaches SQLite's FTS5 or
PostgreSQL's ``tsvector``. Neither engine's own parser or accent table then
decides anything, so the same store answers the same query with the same
tickets on both (``unaccent`` would fold on PostgreSQL only, and FTS5's
``remove_diacritics`` leaves ``ł`` alone).

A query is words (all must match), ``word*`` (a prefix), ``"two words"``
(a phrase) and filters ``key:value``. A word that only looks like a
filter (``error:42``, a pasted ``From:``) is searched as words; a known
filter with a wrong value is a ``UsageError``: one line, exit 2.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from ticketcli.errors import UsageError

if TYPE_CHECKING:
    from ticketcli.mail.model import ParsedMail

# Letters NFKD does not take apart into a base letter and a mark.
_LETTERS = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "ı": "i",
        "ŀ": "l",
        "ħ": "h",
        "ŧ": "t",
    }
)
_TOKEN = re.compile(r"[^\W_]+")
# A document is indexed up to this many tokens: PostgreSQL keeps positions
# up to 16383, and both backends must see the same words.
MAX_TOKENS = 10000
# A longer run (a base64 blob, a hash) is no word anyone types, and a
# PostgreSQL lexeme may not exceed 2 kB: it is left out on both.
MAX_WORD = 64

STATUSES = ("new", "open", "pending", "closed", "merged")
FILTERS = (
    "status",
    "assignee",
    "customer",
    "from",
    "tag",
    "after",
    "before",
    "has",
)


# The combining marks NFKD leaves after a base letter (accents, carons,
# ogoneks, ...): removed by one regular expression, as sync indexes every mail.
_MARKS = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)


def fold(text: str) -> str:
    """Lower case without accents, as the index holds text."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _MARKS.sub("", decomposed).translate(_LETTERS)


def tokens(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    return _TOKEN.findall(fold(text))


def index_text(*parts: str | None) -> str:
    """What the index holds for one message or note: its tokens, spaced."""
    words: list[str] = []
    for part in parts:
        if part:
            found = _TOKEN.findall(fold(part))
            # Sync indexes every mail: the filter only when a word is too long.
            if found and max(map(len, found)) > MAX_WORD:
                found = [w for w in found if len(w) <= MAX_WORD]
            words.extend(found)
            if len(words) >= MAX_TOKENS:
                break
    return " ".join(words[:MAX_TOKENS])


def message_terms(
    subject: str | None,
    from_name: str | None,
    from_address: str | None,
    attachments: str,
    body: str | None,
) -> str:
    """What the index holds for one message: its subject, sender, attachment
    names (spaced) and body; a part a stored row lacks (NULL) adds nothing.
    Pure, so a sync folds it in the process that parses the mail
    (``ingest.parse_ahead``)."""
    return index_text(subject, from_name, from_address, attachments, body)


def mail_terms(mail: ParsedMail) -> str:
    """``message_terms`` of a mail as parsed."""
    names = " ".join(part.filename for part in mail.attachments)
    return message_terms(
        mail.subject, mail.from_name, mail.from_address, names, mail.body_text
    )


@dataclass(frozen=True)
class Term:
    """One word (``words`` of one) or phrase; ``prefix``: the last word is one."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class SearchQuery:
    terms: tuple[Term, ...] = ()
    statuses: tuple[str, ...] = ()
    assignee: str | None = None  # a login, or "none" for the pool
    customer: str | None = None
    sender: str | None = None  # an address, or a domain
    tags: tuple[str, ...] = ()
    after: date | None = None  # from this day on (UTC)
    before: date | None = None  # before this day (UTC)
    has_attachment: bool = False
    filters: tuple[str, ...] = field(default=(), compare=False)

    @property
    def message_filters(self) -> bool:
        """Whether only messages can match (a note has no sender or attachment)."""
        return self.sender is not None or self.has_attachment


# A quoted phrase, or a run of anything but spaces and quotes.
_PIECE = re.compile(r'"([^"]*)"(\*?)|([^\s"]+)')
_TAG = re.compile(r"[a-z0-9_-]+")


def parse_query(text: str) -> SearchQuery:
    """The query ``text`` as terms and filters; a ``UsageError`` when it asks
    for nothing or names a filter value that cannot be."""
    if text.count('"') % 2:
        raise UsageError('search: a quote (") is not closed')
    terms: list[Term] = []
    values: dict[str, list[str]] = {}
    for match in _PIECE.finditer(text):
        phrase, star, word = match.groups()
        if word is not None:
            key, sep, value = word.partition(":")
            # "From:" with nothing after it is a word, as in pasted mail.
            if sep and value and key.lower() in FILTERS:
                values.setdefault(key.lower(), []).append(value)
                continue
            term = _term(word.removesuffix("*"), word.endswith("*"))
        else:
            term = _term(phrase, bool(star))
        if term is not None:
            terms.append(term)
    query = _with_filters(tuple(terms), values)
    if not query.terms and not query.filters:
        raise UsageError("search: nothing to search for (give words or filters)")
    return query


def _term(text: str, prefix: bool) -> Term | None:
    words = tuple(tokens(text))
    if not words:
        if prefix:
            raise UsageError("search: '*' needs letters before it (word*)")
        return None
    return Term(words, prefix)


def _with_filters(terms: tuple[Term, ...], values: dict[str, list[str]]) -> SearchQuery:
    for key, given in values.items():
        if len(given) > 1 and key not in ("status", "tag"):
            raise UsageError(f"search: {key}: given twice")
    one = {key: given[0] for key, given in values.items()}
    statuses = tuple(s.lower() for s in values.get("status", ()))
    for status in statuses:
        if status not in STATUSES:
            raise UsageError(
                f"search: status:{status} is not one of {', '.join(STATUSES)}"
            )
    tags = tuple(values.get("tag", ()))
    for tag in tags:
        if not _TAG.fullmatch(tag):
            raise UsageError(
                f"search: tag:{tag} is not a tag (lower-case letters, digits, - and _)"
            )
    has = one.get("has")
    if has is not None and has.lower() != "attachment":
        raise UsageError(f"search: has:{has} is unknown (has:attachment)")
    sender = one.get("from")
    if sender is not None:
        sender = sender.strip("<>").lower()
        if not sender or any(c.isspace() for c in sender):
            raise UsageError(f"search: from:{sender} is not an address or a domain")
    after, before = _day(one, "after"), _day(one, "before")
    if after and before and after >= before:
        raise UsageError(f"search: after:{after} is not before before:{before}")
    return SearchQuery(
        terms=terms,
        statuses=statuses,
        assignee=one["assignee"].lower() if "assignee" in one else None,
        customer=one.get("customer"),
        sender=sender,
        tags=tags,
        after=after,
        before=before,
        has_attachment=has is not None,
        filters=tuple(sorted(values)),
    )


def _day(values: dict[str, str], key: str) -> date | None:
    value = values.get(key)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"search: {key}:{value} is not a date (YYYY-MM-DD)") from None


# -- what each engine is asked ------------------------------------------------


def fts5_match(query: SearchQuery) -> str:
    """The FTS5 MATCH expression: every term, quoted (no operator can hide
    in a word), ``*`` after a prefix."""
    return " AND ".join(
        '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")
        for term in query.terms
    )


def tsquery(query: SearchQuery) -> str:
    """The same as a PostgreSQL ``tsquery`` literal (``'a' & ('b' <-> 'c':*)``)."""
    parts = []
    for term in query.terms:
        words = [f"'{w}'" for w in term.words]
        if term.prefix:
            words[-1] += ":*"
        parts.append(words[0] if len(words) == 1 else "(" + " <-> ".join(words) + ")")
    return " & ".join(parts)


def tsvector(text: str) -> str:
    """A PostgreSQL ``tsvector`` literal of ``index_text`` output: each word
    with its positions, so no parser of PostgreSQL's splits it again."""
    positions: dict[str, list[str]] = {}
    for place, word in enumerate(text.split(), start=1):
        found = positions.get(word)
        if found is None:
            positions[word] = [str(min(place, 16383))]
        elif len(found) < 256:  # a word's first 256 positions
            found.append(str(min(place, 16383)))
    return " ".join(f"'{w}':{','.join(p)}" for w, p in positions.items())


# -- what a person sees -------------------------------------------------------


def snippet(text: str, query: SearchQuery, width: int = 80) -> str:
    """About ``width`` characters of ``text`` around the first word the
    query matches (its start when none does), on one line."""
    flat = " ".join(text.split())
    if not flat:
        return ""
    wanted = {w for term in query.terms for w in term.words}
    prefixes = tuple(term.words[-1] for term in query.terms if term.prefix)
    start = 0
    for match in _TOKEN.finditer(flat):
        folded = fold(match.group())
        if folded in wanted or (prefixes and folded.startswith(prefixes)):
            start = match.start()
            break
    begin = max(0, start - width // 4)
    if begin:
        space = flat.rfind(" ", 0, begin + 1)
        begin = space + 1 if space >= 0 and begin - space < 15 else begin
    piece = flat[begin : begin + width]
    return ("…" if begin else "") + piece + ("…" if begin + width < len(flat) else "")

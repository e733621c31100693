"""``@login`` in a note: who a colleague wants to pull in. Pure text rules.

A mention is ``@`` at the start of a word followed by a login; the ``@`` in
an address (``anna@acme.ee``) is preceded by a word character and so is not
one. A trailing full stop or comma belongs to the sentence, not the login.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

_MENTION = re.compile(r"(?<![\w@.+\-/])@([\w][\w.+\-]*)")


def candidates(text: str) -> list[str]:
    """Every ``@word`` in the text, in order of first appearance, once each."""
    found: dict[str, None] = {}
    for match in _MENTION.finditer(text or ""):
        word = match.group(1).rstrip(".-+")
        if word:
            found.setdefault(word, None)
    return list(found)


def mentions(text: str, known_logins: Iterable[str]) -> list[str]:
    """The known logins the text mentions (case-insensitive), each once, in
    order; unknown ``@words`` and addresses are not mentions."""
    by_lower = {login.lower(): login for login in known_logins}
    out: dict[str, None] = {}
    for word in candidates(text):
        login = by_lower.get(word.lower())
        if login is not None:
            out.setdefault(login, None)
    return list(out)


def unknown_mentions(text: str, known_logins: Iterable[str]) -> list[str]:
    """The ``@words`` that name no agent: worth a warning, never an error."""
    known = {login.lower() for login in known_logins}
    out: dict[str, str] = {}
    for word in candidates(text):
        if word.lower() not in known:
            out.setdefault(word.lower(), word)
    return list(out.values())

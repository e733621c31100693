"""The reader's language for what `stats` and `report` say, errors included
(the words themselves are the catalogues', ``ticketcli.i18n``).

``--lang`` is read first (eager), so that a wrong value given after it is
already refused in the reader's language; without it, ``[report] lang``,
and English when even the config cannot be read.
"""

from __future__ import annotations

from typing import Any

import click

from ticketcli.errors import TicketcliError
from ticketcli.i18n import SOURCE_LANGUAGE, translations

LANG_KEY = "ticketcli.lang"


def remember_lang(ctx: click.Context, param: Any, value: str | None) -> str | None:
    """``--lang``'s callback: keep the language for ``say``."""
    ctx.meta[LANG_KEY] = value
    return value


def reader_language() -> str:
    """--lang, else the config's [report] lang, else English."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return SOURCE_LANGUAGE
    lang = ctx.meta.get(LANG_KEY)
    if lang is None:
        # The command line's App (``ticketcli.context``, a layer above).
        app = ctx.find_root().obj
        try:
            lang = app.config.report.lang if app is not None else None
        except TicketcliError:  # a broken config says so itself, in English
            lang = None
    return lang or SOURCE_LANGUAGE


def say(message: str, **values: Any) -> str:
    """``message`` (a msgid marked with N_) in the reader's language, its
    ``%(name)s`` placeholders filled."""
    text = translations(reader_language()).gettext(message)
    return text % values if values else text

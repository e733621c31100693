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


class InReadersLanguage(click.Command):
    """A command whose every refusal is in the reader's language: an error
    raised with a msgid (``TicketcliError(msgid, **values)``) by a layer
    that knows no reader -- a date type, the periods, click's choices
    (commands.params.Choice) -- is translated here, once, as it leaves
    parsing or the command."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except TicketcliError as exc:
            raise _translated(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TicketcliError as exc:
            raise _translated(exc) from None


def _translated(error: TicketcliError) -> TicketcliError:
    """The same error, its message in the reader's language (a message that
    is no msgid, or one said already, stays as it is)."""
    error.message = say(error.template, **error.values)
    error.args = (error.message,)
    return error


def say(message: str, **values: Any) -> str:
    """``message`` (a msgid marked with N_) in the reader's language, its
    ``%(name)s`` placeholders filled."""
    text = translations(reader_language()).gettext(message)
    return text % values if values else text

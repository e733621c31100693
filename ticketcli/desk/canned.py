"""Canned answers: the mail templates a consultant picks by name.

Loading and strict rendering are ``ticketcli/mail/templating.py``'s (one
loader for acknowledgements, notices and answers: ``<name>.txt`` in
``[templates] dir``, then the built-in texts). This module adds what a
person choosing an answer needs: a list with each template's description
(a ``{# ... #}`` comment on its first line), an unknown name answered with
the names there are, and the fields an answer may use.

Rendering is strict: a variable the ticket does not have is an error naming
it *before* anything is queued or sent, never a gap in a mail that has
already gone. Mail bodies are plain text: nothing is HTML-escaped and
nothing is sanitised behind the writer's back.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ticketcli.errors import ConfigError, UsageError
from ticketcli.mail import templating

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from ticketcli.config import Config
    from ticketcli.mail.templating import RenderedMail

BUILT_IN = "built in"
# The description: a Jinja comment on the file's first line, {# ... #}.
_DESCRIPTION = re.compile(r"^\s*\{#-?\s*(.*?)\s*-?#\}")


def describe(path: Path) -> str:
    """The first-line ``{# ... #}`` comment, or "" when the file has none."""
    try:
        with path.open(encoding="utf-8") as handle:
            first = handle.readline()
    except (OSError, UnicodeDecodeError):
        return ""
    match = _DESCRIPTION.match(first)
    return match.group(1) if match else ""


def _listed(config: Config) -> list[tuple[str, str]]:
    """``(name, file)`` of every template; a configured folder that is not
    there is a configuration error, not an empty list."""
    folder = config.templates_dir
    if folder is not None and not folder.is_dir():
        raise ConfigError(f"templates.dir: {folder} is not a folder")
    return templating.list_templates(config)


def list_templates(config: Config) -> list[dict[str, Any]]:
    """Every template by name: its description and its file ("built in" for
    the texts ticketcli ships, until a file of the same name replaces them)."""
    rows = []
    for name, where in _listed(config):
        path = templating.BUILTIN_DIR / f"{name}{templating.SUFFIX}"
        if where != BUILT_IN:
            path = Path(where)
        rows.append({"name": name, "description": describe(path), "file": where})
    return rows


def template_names(config: Config) -> list[str]:
    return [name for name, _ in _listed(config)]


def check_template(config: Config, name: str) -> str:
    """The template's name, or one line listing the names there are."""
    clean = templating.check_name(name)
    names = template_names(config)
    if clean not in names:
        raise UsageError(
            f"no template {name!r}; available: {', '.join(names) or 'none'}"
        )
    return clean


def answer_fields(
    ticket: Mapping[str, Any], agent: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """What a canned answer may use.

    The ticket's fields at the top level, as acknowledgements have them
    (``subject``, ``requester_name``, ``customer``, ``token``, ...), so one
    text can serve both; the same under ``ticket.``; the replying ``agent``
    (``login``, ``name``); and ``now`` (UTC).
    """
    fields = dict(ticket)
    return {**fields, "ticket": fields, "agent": dict(agent), "now": now}


def render_template(
    config: Config, name: str, fields: Mapping[str, Any]
) -> RenderedMail:
    """The canned answer ``name`` filled in; UsageError before any sending
    when the name is unknown or a variable is missing."""
    clean = check_template(config, name)
    try:
        return templating.render_mail_template(config, clean, **fields)
    except UsageError as exc:
        raise UsageError(f"{exc.message}; nothing was sent") from None

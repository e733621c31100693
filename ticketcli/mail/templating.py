"""Mail texts from Jinja templates: acknowledgements, notices, canned answers.

A template is a file ``<name>.txt`` in ``[templates].dir``; a name not found
there falls back to the built-in texts in ``ticketcli/mail/templates/``
(``acknowledgement``, ``closed``), so a team overrides a text by dropping a
file of the same name into its folder. Rendering is strict: a variable the
template names but the caller does not give is an error *before* anything
is queued or sent, never an empty gap in a customer's mail.

A template may begin with a ``Subject:`` line; it is split off as the
mail's subject (the ticket token is added when the mail is composed).

For other callers (``reply --template``, ``templates list``, agent
notifications): ``render_mail_template(config, name, **fields)`` and
``list_templates(config)``; the ticket's fields come from
``ticketcli.store.sending.ticket_fields(number)`` plus ``token``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ticketcli.errors import ConfigError, UsageError

if TYPE_CHECKING:
    import jinja2

    from ticketcli.config import Config

BUILTIN_DIR = Path(__file__).parent / "templates"
SUFFIX = ".txt"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,100}")
_SUBJECT_LINE = re.compile(r"\ASubject:[ \t]*(.*?)[ \t]*\r?\n", re.IGNORECASE)


@dataclass(frozen=True)
class RenderedMail:
    subject: str | None  # None: the template has no Subject: line
    body: str


def _dirs(config: Config) -> list[Path]:
    dirs = [config.templates_dir] if config.templates_dir else []
    return [*dirs, BUILTIN_DIR]


def _environment(config: Config) -> jinja2.Environment:
    return _environment_for(tuple(str(d) for d in _dirs(config)))


@functools.cache
def _environment_for(dirs: tuple[str, ...]) -> jinja2.Environment:
    """One environment per folder list, so a sync acknowledging a thousand
    mails compiles each template once (jinja2 reloads a file that changed).
    jinja2 is imported here: most commands never render a mail."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(dirs)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text mail, never HTML
        keep_trailing_newline=True,
        trim_blocks=True,
    )


def check_name(name: str) -> str:
    """A template name as the user gives it: no path, no suffix needed."""
    text = (name or "").strip()
    if text.endswith(SUFFIX):
        text = text[: -len(SUFFIX)]
    if not _NAME.fullmatch(text) or ".." in text:
        raise UsageError(f"{name!r} is not a template name (letters, digits, . _ -)")
    return text


def list_templates(config: Config) -> list[tuple[str, str]]:
    """``(name, where)`` of every template, the user's folder first.

    ``where`` is the file's path, or "built in"; a user's file hides the
    built-in text of the same name.
    """
    found: dict[str, str] = {}
    for folder in _dirs(config):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            name = path.name[: -len(SUFFIX)]
            if _NAME.fullmatch(name) and name not in found:
                found[name] = "built in" if folder == BUILTIN_DIR else str(path)
    return sorted(found.items())


def render_mail_template(config: Config, name: str, **fields: Any) -> RenderedMail:
    """Render ``<name>.txt`` with ``fields``; UsageError names what is wrong.

    A missing template, a syntax error or an undefined variable raises
    before the caller has queued anything.
    """
    import jinja2

    clean = check_name(name)
    filename = clean + SUFFIX
    if config.templates_dir is not None and not config.templates_dir.is_dir():
        raise ConfigError(f"templates.dir: {config.templates_dir} is not a folder")
    try:
        template = _environment(config).get_template(filename)
        text = template.render(**fields)
    except jinja2.TemplateNotFound:
        where = f"{config.templates_dir} or " if config.templates_dir else ""
        raise UsageError(
            f"template {clean!r}: no {filename} in {where}the built-in texts"
        ) from None
    except jinja2.UndefinedError as exc:
        raise UsageError(f"template {filename}: {exc.message}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise UsageError(
            f"template {filename}, line {exc.lineno}: {exc.message}"
        ) from None
    except jinja2.TemplateError as exc:
        raise UsageError(f"template {filename}: {exc}") from None
    match = _SUBJECT_LINE.match(text)
    if match:
        return RenderedMail(match.group(1), text[match.end() :].lstrip("\r\n"))
    return RenderedMail(None, text)

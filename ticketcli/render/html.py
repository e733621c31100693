"""The morning report rendered: mail-safe HTML, and the plain-text part
beside it, in the reader's language.

The model (``ticketcli.reports.morning``) holds raw figures -- seconds,
counts, shares, naive UTC datetimes; here ``view`` draws its bars and heat
map, and all wording happens in the templates, through the filters of
``Formats``.

Mail clients are the target: Gmail and Outlook drop ``<style>``, SVG,
script and remote images, so the templates use tables and inline CSS only,
and draw charts as coloured table cells. Every piece of mail-derived text
goes through Jinja's autoescape (on for every template not ending in .txt).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ticketcli.config import xdg_dir
from ticketcli.errors import ConfigError
from ticketcli.i18n import N_, translations
from ticketcli.mail.compose import compose
from ticketcli.render import formats as words
from ticketcli.render.clip import clip, cost
from ticketcli.reports.periods import WEEKDAY_NAMES

if TYPE_CHECKING:
    import gettext
    from collections.abc import Iterable, Mapping
    from email.message import EmailMessage

    import jinja2
    from markupsafe import Markup

    from ticketcli.config import Config

TEMPLATES = Path(__file__).resolve().parent / "templates"
SUBJECTS = {
    "day": N_("Support report for %(start)s"),
    "week": N_("Support report for the week %(start)s – %(end)s"),
    "month": N_("Support report for %(month)s"),
}
# A date or a range of dates (the title's), which a phone must not break at
# its hyphens ("2026-03-" / "02").
DATES = re.compile(r"\d{4}-\d{2}(?:-\d{2})?(?: – \d{4}-\d{2}-\d{2})?")
# The whole mail, both parts, at most (bytes): Gmail clips a message after
# about 102 KB. A report over it is mailed with shorter lists, in turn.
MAIL_LIMIT = 100_000
SHORTER_LISTS = (5, 3, 1)
# Decimal separator and percent format per language; English by default.
NUMBER_STYLE = {"et": (",", "{} %")}

# Colours: green within goal, red breached, blue no goal; heat from white.
GREEN, GREEN_BG = "#1a7f37", "#dafbe1"
GREY, GREY_BG = "#4b5563", "#f3f4f6"
RED, RED_BG = "#b42318", "#fee4e2"
BLUE = "#2f6fdb"
HEAT = ((255, 255, 255), (29, 78, 216))


# --- drawing the model ------------------------------------------------------

# The goals the model measures, by name, as the report heads them.
GOAL_LABELS = {
    "first_response": N_("First response"),
    "resolution": N_("Resolution"),
}


def view(model: Mapping[str, Any]) -> dict[str, Any]:
    """What the templates get: the model, with its goals labelled, the trend
    as bars and the load as a heat map (``reports.morning`` holds only the
    figures)."""
    return {
        **model,
        "goals": [{**row, "label": GOAL_LABELS[row["name"]]} for row in model["goals"]],
        "trend": _trend_bars(model["trend"], model["frt_goal"]),
        "load": _load_table(model["load"]),
    }


def _trend_bars(
    weeks: Iterable[Mapping[str, Any]], goal: int | None
) -> list[dict[str, Any]]:
    """Each week with its bar: widths in percent of the slowest week (or of
    the goal, when that is longer), coloured by the goal."""
    rows = [dict(w) for w in weeks]
    scale = max([r["frt_median"] or 0 for r in rows] + [goal or 0]) or 1
    for row in rows:
        median = row["frt_median"]
        row["bar"] = 0 if median is None else max(1, round(100 * median / scale))
        if goal is None or median is None:
            row["color"] = BLUE
        else:
            row["color"] = GREEN if median <= goal else RED
    return rows


def _load_table(matrix: list[list[int]]) -> dict[str, Any]:
    """Hours (rows) by weekday (columns): seven columns fit a phone, 24 do
    not. Only the span of hours that saw mail is shown."""
    busy = [hour for day in matrix for hour, n in enumerate(day) if n]
    top = max((n for day in matrix for n in day), default=0)
    rows = [
        {
            "hour": hour,
            "cells": [
                {"count": matrix[day][hour], **_heat(matrix[day][hour] / top)}
                for day in range(7)
            ],
        }
        for hour in (range(min(busy), max(busy) + 1) if busy else ())
    ]
    return {"rows": rows, "max": top, "total": sum(map(sum, matrix))}


def _heat(share: float) -> dict[str, str]:
    low, high = HEAT
    r, g, b = (round(a + (z - a) * share) for a, z in zip(low, high, strict=True))
    return {"bg": f"#{r:02x}{g:02x}{b:02x}", "fg": "#ffffff" if share > 0.5 else ""}


GOAL_NAMES = {
    "first_response": N_("no first response within the goal"),
    "resolution": N_("open longer than the resolution goal"),
    "new_max": N_("new for too long"),
    "open_max": N_("open for too long"),
    "pending_max": N_("pending for too long"),
}


# --- formatting ---------------------------------------------------------------


@dataclass(frozen=True)
class Formats:
    """Numbers, durations and dates in one language; the templates' filters."""

    lang: str
    catalogue: gettext.NullTranslations
    zone: ZoneInfo
    # HTML: a number stays with its unit ("1 h" never breaks), while a
    # narrow column may still break between "1 h" and "05 min".
    tight: bool = False
    # Durations are business time ([hours] set): they say so.
    business_hours: bool = False
    # login -> name, customer label (code, else name) -> name.
    agents: Mapping[str, str] = field(default_factory=dict)
    customers: Mapping[str, str] = field(default_factory=dict)

    def _(self, message: str, **values: Any) -> str:
        text = self.catalogue.gettext(message)
        return text % values if values else text

    def _tight(self, text: str) -> str:
        return re.sub(r"(\d) ", "\\1\u00a0", text) if self.tight else text

    def duration(self, seconds: float | None) -> str:
        """A figure's duration (FRT, resolution, a goal) in hours and
        minutes, "1 h 05 min", said to be business time when [hours] is
        set: never days (``render.formats``); "–" for none."""
        worded = words.business if self.business_hours else words.duration
        return self._tight(worded(seconds, self.catalogue.gettext, none="–"))

    def age(self, seconds: float | None) -> str:
        """A ticket's age, calendar time: "45 min", "5 h", "3 d"."""
        if seconds is None:
            return "–"
        return self._tight(words.calendar_age(seconds, self.catalogue.gettext))

    def work(self, minutes: int | None) -> str:
        """Logged work time, exact: "129 h 45 min"; "–" for none."""
        if not minutes:
            return "–"
        return self._tight(words.duration(minutes * 60, self.catalogue.gettext))

    def agent(self, login: str | None, limit: int | None = None) -> str:
        """An agent by name, the login beside it: "Anna Tamm (anna)"; with
        ``limit``, cut as ``person`` cuts."""
        return person(login, self.agents.get(login or ""), limit)

    def customer(self, label: str | None, limit: int | None = None) -> str:
        """A customer by name, the code beside it: "Firma OÜ (FIRMA)"."""
        return person(label, self.customers.get(label or ""), limit)

    def number(self, value: float | None, digits: int = 1) -> str:
        """A count as it is; a fraction to ``digits`` places, with the
        language's decimal separator (1.4, 1,4)."""
        if value is None:
            return "–"
        if isinstance(value, int):
            return str(value)
        text = f"{value:.{digits}f}"
        return text.replace(".", NUMBER_STYLE.get(self.lang, (".",))[0])

    def percent(self, share: float | None) -> str:
        if share is None:
            return "–"
        style = NUMBER_STYLE.get(self.lang, (".", "{}%"))[1]
        return style.format(int(round(share * 100)))

    def local(self, moment: datetime | str | None) -> datetime | None:
        """A store time (naive UTC, or ISO 8601 text) on the report's wall
        clock."""
        if moment is None:
            return None
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)

    def as_date(self, moment: date | datetime | str | None) -> str:
        if isinstance(moment, date) and not isinstance(moment, datetime):
            return moment.isoformat()  # already a local day (a trend week's Monday)
        if isinstance(moment, str) and len(moment) == 10:
            return moment
        local = self.local(moment)
        return "–" if local is None else local.strftime("%Y-%m-%d")

    def as_datetime(self, moment: datetime | str | None) -> str:
        local = self.local(moment)
        return "–" if local is None else local.strftime("%Y-%m-%d %H:%M")

    def weekday(self, number: int) -> str:
        return self._(WEEKDAY_NAMES[number])

    def goal(self, name: str) -> str:
        return self._(GOAL_NAMES.get(name, name))

    def subject(self, model: Mapping[str, Any]) -> str:
        start = self.local(model["start"])
        # The period's last day: its end is exclusive.
        last = self.local(model["end"] - timedelta(seconds=1))
        assert start is not None
        assert last is not None
        return self._(
            SUBJECTS[model["period"]],
            start=start.strftime("%Y-%m-%d"),
            end=last.strftime("%Y-%m-%d"),
            month=start.strftime("%Y-%m"),
        )

    def filters(self) -> dict[str, Any]:
        dates: dict[str, Any] = {"date": self.as_date, "datetime": self.as_datetime}
        if self.tight:
            # HTML: a narrow column breaks "2026-03-04" at its hyphens else.
            dates = {
                name: lambda moment, shown=shown: nowrap_dates(shown(moment))
                for name, shown in dates.items()
            }
        return {
            "duration": self.duration,
            "number": self.number,
            "percent": self.percent,
            **dates,
            "weekday": self.weekday,
            "goal": self.goal,
            "clip": clip,
            "age": self.age,
            "work": self.work,
            "agent": self.agent,
            "customer": self.customer,
        }


# A login or code longer than this is cut too (a customer's may be its name).
LOGIN_ROOM = 40


def person(login: str | None, name: str | None, limit: int | None = None) -> str:
    """``formats.person``, at most ``limit`` units (``clip``): only the name
    is cut, " (login)" stays whole -- the login is what `show` and the
    commands take, and a 200-character name must not hide it."""
    shown = words.person(login, name)
    if limit is None or not login or shown == login:
        return shown if limit is None else clip(shown, limit) or ""
    login = clip(login, LOGIN_ROOM) or ""
    room = limit - sum(map(cost, f" ({login})"))
    return words.person(login, clip(name, max(room, 3)))


def nowrap_dates(text: str) -> Markup:
    """``text`` escaped, each date (or range of dates) in it kept on one
    line: the report is read on phones, in columns a third of one wide."""
    from markupsafe import Markup, escape  # with jinja2: only the report needs it

    return Markup(
        DATES.sub(
            lambda m: f'<span style="white-space:nowrap;">{m.group(0)}</span>',
            str(escape(text)),
        )
    )


def _autoescape(name: str | None) -> bool:
    """On for everything (HTML, strings, a user's .htm) but the text part."""
    return not (name or "").endswith(".txt")


# What a compiled template depends on besides its source, which the bytecode
# cache checks itself (and the Jinja and Python versions): the cache's folder
# is named by them, so a change here never loads code compiled without it.
_OPTIONS: dict[str, Any] = {
    "extensions": ["jinja2.ext.i18n"],
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
}
_OPTIONS_KEY = hashlib.sha1(
    repr((sorted(_OPTIONS.items()), "autoescape", "strict", "newstyle")).encode(),
    usedforsecurity=False,
).hexdigest()[:12]


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """The report's templates compiled once and kept in the user's cache
    (``$XDG_CACHE_HOME/ticketcli/templates``): compiling them costs 60-90 ms
    a run. None when that folder cannot be made; a cache file that cannot
    be read or written means compiling, never an error."""
    import jinja2

    folder = xdg_dir("cache") / "templates" / _OPTIONS_KEY
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None

    class QuietCache(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # unreadable or damaged: compile instead
                bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    return QuietCache(str(folder))


def environment(
    templates_dir: Path | None, catalogue: gettext.NullTranslations
) -> jinja2.Environment:
    """Templates from the user's ``[report].templates_dir`` first, then the
    package's; autoescape on, undefined names an error, gettext installed."""
    import jinja2  # here, not above: ~30 ms every other command need not pay

    loaders: list[jinja2.BaseLoader] = []
    if templates_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATES)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache(),
        **_OPTIONS,
    )
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    return env


def _render(
    template: str,
    model: Mapping[str, Any],
    lang: str,
    templates_dir: Path | None,
) -> str:
    import jinja2

    catalogue = translations(lang)
    tight = not template.endswith(".txt")
    # Times on the reader's clock ([display] timezone); the subject names
    # the period's days in the zone they were counted in.
    shown = model.get("display_zone") or model["zone"]
    formats = Formats(
        lang,
        catalogue,
        ZoneInfo(shown),
        tight,
        business_hours=bool(model.get("business_hours")),
        agents=model.get("agent_names", {}),
        customers=model.get("customer_names", {}),
    )
    env = environment(templates_dir, catalogue)
    env.filters.update(formats.filters())
    subject = report_subject(model, lang)
    try:
        return env.get_template(template).render(
            **(view(model) | {"zone": shown}),
            lang=lang,
            subject=subject,
            title=nowrap_dates(subject),
            colors={
                "green": GREEN,
                "green_bg": GREEN_BG,
                "red": RED,
                "red_bg": RED_BG,
                "grey": GREY,
                "grey_bg": GREY_BG,
            },
        )
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name}:{exc.lineno}"
        raise ConfigError(f"report template {where}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        # A user's template naming what the model lacks, most likely.
        raise ConfigError(f"report template {template}: {exc}") from None


def render_report_html(model: Mapping[str, Any], config: Config, lang: str) -> str:
    """The HTML report; the user's templates win over the package's."""
    return _render("report.html", model, lang, config.report.templates_dir)


def render_report_text(
    model: Mapping[str, Any], lang: str, templates_dir: Path | None = None
) -> str:
    """The plain-text part, for clients that show no HTML (and for grep)."""
    return _render("report.txt", model, lang, templates_dir)


def report_subject(model: Mapping[str, Any], lang: str) -> str:
    """The mail's Subject, in ``lang``, naming the period."""
    return Formats(lang, translations(lang), ZoneInfo(model["zone"])).subject(model)


def report_message(
    model: Mapping[str, Any],
    config: Config,
    lang: str,
    recipients: Iterable[str],
    page: str | None = None,
) -> EmailMessage:
    """The report as a mail (``page``: the HTML already rendered, if it was):
    multipart/alternative, the plain-text part first (clients show the last
    part they can), marked auto-generated so that no vacation responder
    answers it (RFC 3834).

    At most ``MAIL_LIMIT`` bytes: texts are clipped in the templates, and
    should the lists still make it bigger (hundreds of escapes or emoji in
    every subject), it is made again with ``SHORTER_LISTS`` rows per list,
    their counts unchanged ("… and N more")."""
    to = list(recipients)
    message = _message(model, config, lang, to, page)
    for limit in SHORTER_LISTS:
        if len(bytes(message)) <= MAIL_LIMIT:
            break
        message = _message(shorter_lists(model, limit), config, lang, to)
    return message


def _message(
    model: Mapping[str, Any],
    config: Config,
    lang: str,
    to: list[str],
    page: str | None = None,
) -> EmailMessage:
    return compose(
        config,
        to=to,
        subject=report_subject(model, lang),
        body=render_report_text(model, lang, config.report.templates_dir),
        html=page if page is not None else render_report_html(model, config, lang),
        auto_submitted="auto-generated",
        date=model["now"],
        language=lang,
    )


def shorter_lists(model: Mapping[str, Any], limit: int) -> dict[str, Any]:
    """The model with every counted list (one beside its ``*_total``) cut
    to ``limit`` rows; the totals stay, so the report still says how many
    there are."""
    return {
        key: value[:limit] if f"{key}_total" in model else value
        for key, value in model.items()
    }

"""TOML configuration -> validated, frozen settings: the one place that reads it.

Every key is declared here with its type and default, so a typo in the file
is an error naming the key rather than a setting silently ignored.

The settings are ``typing.NamedTuple`` classes, not frozen dataclasses:
every command imports this module, and on Python 3.11 each frozen
dataclass cost ~0.75 ms to define (dataclasses exec()s its generated
methods), ~12 ms of the module's ~16 ms; a NamedTuple costs ~0.1 ms
(issue 18). They keep what callers use -- keyword construction with
defaults, attributes, immutability, equality -- and change a copy with
``obj._replace(...)``. Defaults are shared, so mapping defaults are
read-only (``MappingProxyType``); no field starts with "_" (the holiday
cache is ``_PUBLIC_HOLIDAYS``); every class has fields, so each object is
truthy as before. Being tuples, they also iterate and equal a plain tuple
of the same values: nothing here relies on that.

Unlike the other modules this one has no ``from __future__ import
annotations``: ``NamedTuple`` turns each string annotation into a
``ForwardRef`` and compiles it, ~0.8 ms for the ~110 fields of every start.
"""

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from ticketcli.errors import ConfigError

BUILTIN_FREE_MAIL_DOMAINS = frozenset(
    """
    gmail.com googlemail.com outlook.com hotmail.com live.com msn.com yahoo.com
    ymail.com icloud.com me.com mac.com aol.com gmx.com gmx.de gmx.net web.de
    t-online.de proton.me protonmail.com zoho.com yandex.com yandex.ru mail.ru
    mail.ee hot.ee online.ee wp.pl o2.pl interia.pl onet.pl op.pl gazeta.pl
    siol.net gmail.si t-2.net amis.net luukku.com suomi24.fi kolumbus.fi
    """.split()
)

# What `set --type` accepts unless the config names its own list.
DEFAULT_TICKET_TYPES = ("question", "order", "quote request", "complaint", "service")

# Patterns only some configs need stay strings, compiled (and cached by
# ``re``) on first use: every command imports this module (issue 18).
_DURATION = r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$"
_SIZE = r"(?i)^\s*(\d+)\s*(?:([kmg])i?b?|b)?\s*$"
_SIZE_UNITS = {None: 1, "k": 1024, "m": 1024**2, "g": 1024**3}

# Mail bigger than this is quarantined whole, never parsed (issue 13).
DEFAULT_MAX_MESSAGE_SIZE = 50 * 1024**2


def parse_duration(text: str) -> timedelta:
    """Read "30d", "1h30m", "45m" -- the form every window in the config uses."""
    match = re.match(_DURATION, text or "")
    if not text or not text.strip() or not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration like 30d, 12h or 1h30m")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def parse_size(value: int | str) -> int:
    """Read a size: whole bytes, or "50MB", "50 MiB", "512k", "1 GB".

    The units are binary whichever way they are written: 1 MB = 1 MiB =
    1024 x 1024 bytes, as mail servers count their size limits.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        match = re.match(_SIZE, value) if isinstance(value, str) else None
        if match is None:
            raise ValueError(f"{value!r} is not a size like 50MB, 512 KiB or 1000000")
        unit = match.group(2).lower() if match.group(2) else None
        size = int(match.group(1)) * _SIZE_UNITS[unit]
    if size <= 0:
        raise ValueError(f"{value!r} must be more than 0 bytes")
    return size


def too_large(size: int, limit: int) -> str | None:
    """Why a mail of ``size`` bytes is refused under ``max_message_size``, or
    None when it is not: the one wording sync, import and parse use."""
    if size <= limit:
        return None
    human = "" if size < 1024 else f" ({_human(size)})"
    return (
        f"message too large: {size} bytes{human}; "
        f"max_message_size is {_human(limit, exact=True)}"
    )


def _human(size: int, exact: bool = False) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and not (exact and size % factor):
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def xdg_dir(kind: str) -> Path:
    """The XDG base directory for "config", "data", "state" or "cache",
    honouring the env vars."""
    env, default = {
        "cache": ("XDG_CACHE_HOME", ".cache"),
        "config": ("XDG_CONFIG_HOME", ".config"),
        "data": ("XDG_DATA_HOME", ".local/share"),
        "state": ("XDG_STATE_HOME", ".local/state"),
    }[kind]
    base = os.environ.get(env) or str(Path.home() / default)
    return Path(base) / "ticketcli"


def default_config_path() -> Path:
    return xdg_dir("config") / "config.toml"


def default_database_url() -> str:
    return f"sqlite:///{xdg_dir('data') / 'ticketcli.db'}"


def normalize_address(value: str) -> str:
    """A lower-case addr-spec, or ValueError saying what is wrong (no DNS).

    ``Name <addr>`` is read as mail clients read it: the address is what is
    in the last angle brackets, the name (any letters, quoted or not,
    "Mari Tamm [ACME]" too) is not checked -- only the address is.
    """
    return split_address(value)[1]


def split_address(value: str) -> tuple[str, str]:
    """(display name, lower-case addr-spec) of what a person typed as an
    address, or ValueError; see ``normalize_address``."""
    text = value.strip() if isinstance(value, str) else ""
    name, addr = "", text
    match = _NAME_ADDR.fullmatch(text)
    if match:
        name, addr = match.group(1).strip(), match.group(2).strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1].replace('\\"', '"').strip()
    plain = _plain_ascii_address(addr)
    if plain is not None:
        return name, plain
    # Imported here: compiling its patterns costs ~25 ms, which --help and
    # a config of plain addresses (see ``_plain_ascii_address``) need not pay.
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(addr, check_deliverability=False)
    except (EmailNotValidError, TypeError) as exc:
        raise ValueError(f"{value!r} is not a valid address ({exc})") from None
    return name, checked.normalized.lower()


# "Any name at all <addr>": the address is in the last angle brackets.
_NAME_ADDR = re.compile(r"(.*)<([^<>]*)>", re.DOTALL)

# A plainly valid ASCII address: a dot-atom local part (RFC 5322 atext) at
# letters-digits-hyphen labels, the last ending in a letter. Lengths, the
# reserved names and R-LDH labels ("ab--c", Punycode "xn--") are checked in
# ``_plain_ascii_address``.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(
    rf"{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+(?=[A-Za-z0-9-]*[A-Za-z]\Z){_LABEL}"
)
_R_LDH = re.compile(r"(?:\A|\.)..--")
# email_validator's SPECIAL_USE_DOMAIN_NAMES (a test holds them equal).
RESERVED_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def _plain_ascii_address(addr: str) -> str | None:
    """The lower-cased address when it is plainly valid ASCII -- what
    email_validator would return for it, without importing it -- or None:
    then email_validator decides (non-ASCII, quoting, IDNA, anything odd).

    Every command reads the config's addresses, and most are plain; the
    validator costs ~27 ms to import (its Unicode patterns, idna).
    """
    if (
        len(addr) > 254
        or not _PLAIN_ADDRESS.fullmatch(addr)
        or _R_LDH.search(addr.rpartition("@")[2])
    ):
        return None
    domain = addr.rpartition("@")[2]
    if len(domain) > 253 or domain.rpartition(".")[2].lower() in RESERVED_TLDS:
        return None
    return addr.lower()


def normalize_domain(value: str) -> str:
    """A domain as addresses are compared: ASCII (IDNA), lower case."""
    domain = (
        value.strip().lstrip("@").lower().rstrip(".") if isinstance(value, str) else ""
    )
    try:
        if not domain.isascii():
            domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = ""
    if "." not in domain or " " in domain or "@" in domain or ".." in domain:
        raise ValueError(f"{value!r} is not a valid domain")
    return domain


def check_address(value: str, key: str) -> str:
    try:
        return normalize_address(value)
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def check_domain(value: str, key: str) -> str:
    try:
        return normalize_domain(value)
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}") from None


class SecretRef(NamedTuple):
    """Where a password comes from; never the password itself."""

    env: str | None = None
    file: str | None = None
    command: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.env or self.file or self.command)


AUTH_MODES = ("password", "xoauth2", "oauthbearer")
OAUTH2_PROVIDERS = ("microsoft", "google", "generic")
OAUTH2_GRANTS = ("refresh_token", "client_credentials")
MICROSOFT_LOGIN = "https://login.microsoftonline.com"
# Delegated access to a Microsoft 365 mailbox; offline_access is what makes
# the token endpoint hand out a refresh token at all.
MICROSOFT_DELEGATED_SCOPES = (
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
    "offline_access",
)
# App-only (client credentials): the app's granted permissions, as one scope.
MICROSOFT_APP_SCOPES = ("https://outlook.office365.com/.default",)
GOOGLE_SCOPES = ("https://mail.google.com/",)
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"


class OAuth2Config(NamedTuple):
    """[oauth2.NAME]: an app registration ticketcli gets access tokens from.

    The endpoints are filled in for ``microsoft`` and ``google``; the refresh
    token and cached access token live in ``cache_file`` (default: under the
    XDG state dir), never here.
    """

    name: str
    provider: str
    client_id: str
    client_secret: SecretRef = SecretRef()
    grant: str = "refresh_token"  # or "client_credentials" (app-only)
    tenant: str | None = None
    scopes: tuple[str, ...] = ()
    token_url: str = ""
    device_url: str | None = None  # device authorization endpoint, if any
    auth_url: str | None = None  # authorization endpoint (loopback redirect)
    cache_file: Path | None = None

    @property
    def cache_path(self) -> Path:
        return self.cache_file or xdg_dir("state") / "oauth2" / f"{self.name}.json"


class SourceConfig(NamedTuple):
    type: str  # "mbox" | "maildir" | "emldir" | "imap"
    name: str
    path: str | None = None
    host: str | None = None
    port: int | None = None
    tls: str = "ssl"
    username: str | None = None
    password: SecretRef = SecretRef()
    auth: str = "password"  # AUTH_MODES
    token: SecretRef = SecretRef()  # token_env|_file|_command
    oauth2: OAuth2Config | None = None  # the [oauth2.NAME] that gives the token
    folder: str = "INBOX"
    after: str = "keep"
    ca_file: str | None = None
    timeout: float = 60.0
    batch_size: int = 100
    queue: str | None = None  # [[queues]] name its new tickets join
    acknowledge: bool = True  # with [acknowledgement] enabled: ack this source


class ReopenConfig(NamedTuple):
    window: timedelta = timedelta(days=90)
    ignore_thanks: bool = False


class SmtpConfig(NamedTuple):
    host: str | None = None
    port: int = 587
    tls: str = "starttls"
    username: str | None = None
    password: SecretRef = SecretRef()
    auth: str = "password"  # AUTH_MODES
    token: SecretRef = SecretRef()
    oauth2: OAuth2Config | None = None
    sender: str | None = None
    ca_file: str | None = None
    timeout: float = 60.0


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
GOAL_KEYS = ("first_response", "resolution", "new_max", "open_max", "pending_max")
# The priorities `set --priority` accepts (store.ops.PRIORITIES), for [goals.*].
GOAL_PRIORITIES = ("low", "normal", "high", "urgent")


class BusinessHours(NamedTuple):
    """[hours]: the same opening hours on each listed weekday, in one time zone.

    ``days`` are weekday numbers (0 = Monday); ``start`` and ``end`` are
    minutes after local midnight (``end`` may be 1440, "24:00").
    """

    timezone: str = "UTC"
    days: frozenset[int] = frozenset(range(5))
    start: int = 9 * 60
    end: int = 17 * 60
    holidays: frozenset[date] = frozenset()  # the team's own closed days
    country: str | None = None  # public holidays from the `holidays` package
    subdivision: str | None = None  # a state/province/region of ``country``

    def closed(self, day: date) -> bool:
        """Whether the local date ``day`` is closed all day: not an opening
        weekday, one of the team's holidays, or a public holiday of
        ``country``. The one answer every business-time figure uses."""
        return (
            day.weekday() not in self.days
            or day in self.holidays
            or day in self.public_holidays(day.year)
        )

    def public_holidays(
        self, year: int, language: str | None = None
    ) -> dict[date, str]:
        """{date: name} of ``country``'s public holidays in ``year`` (empty
        without a country); names in ``language`` where the calendar has it.

        Computed once per year and language: ``closed`` asks for every day.
        """
        if self.country is None:
            return {}
        key = (self.country, self.subdivision, year, language)
        found = _PUBLIC_HOLIDAYS.get(key)
        if found is None:
            found = public_holidays(self.country, self.subdivision, year, language)
            _PUBLIC_HOLIDAYS[key] = found
        return found

    def holidays_between(
        self, first: date, last: date, language: str | None = None
    ) -> list[tuple[date, str]]:
        """(date, name) of every holiday from ``first`` through ``last``
        that falls on an opening weekday -- the closed days a period's
        figures left out. A team holiday's name is "" (the config gives it
        none); a day both is named as the public holiday."""
        days: list[tuple[date, str]] = []
        day = first
        while day <= last:
            if day.weekday() in self.days:
                name = self.public_holidays(day.year, language).get(day)
                if name is not None or day in self.holidays:
                    days.append((day, name or ""))
            day += timedelta(days=1)
        return days


# Public holidays already computed, by what determines them:
# {(country, subdivision, year, language): {date: name}}. ``closed`` asks
# for every day of a period, so each year is computed once per process.
_PUBLIC_HOLIDAYS: dict[tuple[str, str | None, int, str | None], dict[date, str]] = {}


def public_holidays(
    country: str, subdivision: str | None, year: int, language: str | None = None
) -> dict[date, str]:
    """{date: name} from the `holidays` package, or ValueError for a country
    or subdivision it does not know.

    Names are in ``language`` ("et", "en") where the calendar has it, else
    in English, else the country's own -- never in whatever $LANG says,
    which the package would follow.

    Imported here, not at the top: the package costs ~50 ms to import, which
    only a config naming a country pays.
    """
    import holidays

    try:
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=[])
    except NotImplementedError as exc:
        raise ValueError(str(exc)) from None
    supported = calendar.supported_languages or ()
    wanted = {"en": "en_US", None: "en_US"}.get(language, language)
    chosen = next((c for c in (wanted, "en_US") if c in supported), None)
    calendar = holidays.country_holidays(
        country, subdiv=subdivision, years=year, language=chosen
    )
    return {day: str(name) for day, name in sorted(calendar.items())}


class GoalSet(NamedTuple):
    """Targets; None means no goal."""

    first_response: timedelta | None = None
    resolution: timedelta | None = None
    new_max: timedelta | None = None  # a ticket left `new` longer is flagged
    open_max: timedelta | None = None  # ... left `open` (waiting on us) longer
    pending_max: timedelta | None = None  # ... left `pending` longer


class Goals(NamedTuple):
    """[goals] plus [goals.<priority>] tables overriding it key by key."""

    default: GoalSet = GoalSet()
    by_priority: Mapping[str, GoalSet] = MappingProxyType({})

    def for_priority(self, priority: str | None) -> GoalSet:
        special = self.by_priority.get(priority or "")
        if special is None:
            return self.default
        return GoalSet(
            **{
                name: getattr(special, name)
                if getattr(special, name) is not None
                else getattr(self.default, name)
                for name in GOAL_KEYS
            }
        )


class AcknowledgementConfig(NamedTuple):
    """[acknowledgement]: "we got it" to a customer who opens a ticket."""

    enabled: bool = False
    max_per_hour: int = 3  # to one sender, in any hour
    template: str = "acknowledgement"  # a name in [templates].dir, else built in
    # Mail dated longer ago is not acknowledged: a first sync of an old
    # mailbox must not write to last year's customers.
    max_age: timedelta = timedelta(days=3)


class NotificationsConfig(NamedTuple):
    """[notifications]: mail ticketcli sends on events; all off by default."""

    customer_on_close: bool = False
    agent_on_assign: bool = False
    agent_on_mention: bool = False
    # The customer wrote: the assignee and the ticket's watchers are told.
    agent_on_customer_mail: bool = False


class ReportConfig(NamedTuple):
    """[report]: the HTML report cron mails every morning."""

    recipients: tuple[str, ...] = ()
    templates_dir: Path | None = None  # the user's copy of the HTML templates
    lang: str = "en"
    trend_weeks: int = 8
    top_customers: int = 10


class DisplayConfig(NamedTuple):
    """[display]: how times are shown to people (json and csv keep UTC).

    ``timezone`` None: [hours] timezone, else the system's zone
    (``ticketcli.render.times``).
    """

    timezone: str | None = None


class Escalation(NamedTuple):
    """[escalation]: tell someone before a goal is missed, and when it was.

    Off without the table; writing it turns it on (``enabled = false``
    pauses it). ``warn_before`` is business time before a first-response or
    resolution goal's deadline (0: only "missed"); ``to`` (an address or an
    agent's login) hears about pool tickets, and about tickets whose
    assignee has no address.
    """

    enabled: bool = False
    warn_before: timedelta = timedelta(minutes=15)
    to: str | None = None


VERIFY_STAFF_POLICIES = ("dmarc", "dkim", "spf", "none")  # mail.authres.POLICIES
NO_AUTHSERV_ID = "(none)"  # mail.authres.NO_AUTHSERV_ID: headers naming none


class SecurityConfig(NamedTuple):
    """[security]: when mail from a staff address counts as staff.

    ``verify_staff`` names the result our receiving server's
    Authentication-Results must show as ``pass`` for the staff domain;
    ``authserv_ids`` are that server's ids (empty: the support addresses'
    domains and their subdomains).
    """

    verify_staff: str = "dmarc"
    authserv_ids: frozenset[str] = frozenset()


ASSIGN_MODES = ("none", "round-robin", "least-open", "first-responder")
ABSENCE_POLICIES = ("pool", "reassign", "keep")
REPORT_LANGUAGES = ("en", "et")


class QueueConfig(NamedTuple):
    """[[queues]]: who works a source's tickets, and how they are handed out."""

    name: str
    agents: tuple[str, ...] = ()  # logins; empty: every active agent
    assign_mode: str = "none"
    on_absence: str = "keep"


class _ConfigFields(NamedTuple):
    """Config's fields; ``Config`` adds the one default read at call time."""

    database_url: str = ""  # "": default_database_url(), see Config.__new__
    database_password: SecretRef = SecretRef()
    support_addresses: frozenset[str] = frozenset()
    staff_addresses: frozenset[str] = frozenset()
    staff_domains: frozenset[str] = frozenset()
    free_mail_domains: frozenset[str] = BUILTIN_FREE_MAIL_DOMAINS
    token_prefix: str = "Ticket"
    subject_window: timedelta = timedelta(days=30)
    assign_on_reply: bool = True
    lock_timeout: float = 10.0
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE  # bytes
    sources: tuple[SourceConfig, ...] = ()
    reopen: ReopenConfig = ReopenConfig()
    smtp: SmtpConfig = SmtpConfig()
    oauth2: Mapping[str, OAuth2Config] = MappingProxyType({})
    ticket_types: tuple[str, ...] = DEFAULT_TICKET_TYPES
    hours: BusinessHours | None = None  # None: durations are calendar time
    goals: Goals | None = None
    acknowledgement: AcknowledgementConfig = AcknowledgementConfig()
    notifications: NotificationsConfig = NotificationsConfig()
    templates_dir: Path | None = None  # [templates].dir: canned answers, mail texts
    report: ReportConfig = ReportConfig()
    queues: tuple[QueueConfig, ...] = ()
    security: SecurityConfig = SecurityConfig()
    display: DisplayConfig = DisplayConfig()
    escalation: Escalation = Escalation()
    path: Path | None = None


class Config(_ConfigFields):
    """The whole validated config (``load_config``, ``config_from_mapping``)."""

    __slots__ = ()

    def __new__(cls, database_url: str = "", **fields: Any) -> "Config":
        # The default database follows $XDG_DATA_HOME as it is when the
        # config is made, not when this module was imported.
        return super().__new__(cls, database_url or default_database_url(), **fields)

    def queue(self, name: str | None) -> QueueConfig | None:
        return next((q for q in self.queues if q.name == name), None)

    def source(self, name: str | None) -> SourceConfig | None:
        return next((s for s in self.sources if s.name == name), None)

    @property
    def sender(self) -> str | None:
        """The From of everything ticketcli sends: [smtp].from, else the
        first support address."""
        if self.smtp.sender:
            return self.smtp.sender
        return min(self.support_addresses) if self.support_addresses else None


# --- reading ---------------------------------------------------------------

_TOP_KEYS = {
    "support_addresses",
    "staff_addresses",
    "staff_domains",
    "free_mail_domains",
    "token_prefix",
    "subject_window",
    "assign_on_reply",
    "lock_timeout",
    "max_message_size",
    "database",
    "sources",
    "reopen",
    "smtp",
    "oauth2",
    "ticket_types",
    "acknowledgement",
    "notifications",
    "templates",
    "hours",
    "goals",
    "report",
    "queues",
    "security",
    "display",
    "escalation",
}
_SOURCE_TYPES = ("mbox", "maildir", "emldir", "imap")


def _expect(value: Any, kind: type | tuple[type, ...], key: str) -> Any:
    if isinstance(value, bool) and kind in (int, float):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if not isinstance(value, kind):
        names = (
            kind.__name__
            if isinstance(kind, type)
            else " or ".join(k.__name__ for k in kind)
        )
        names = {
            "str": "a string",
            "list": "a list",
            "bool": "true or false",
            "int": "a whole number",
            "dict": "a table",
        }.get(names, names)
        raise ConfigError(f"{key}: expected {names}, got {value!r}")
    return value


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            name = f"{where}.{key}" if where else key
            raise ConfigError(f"{name}: unknown setting")


def _list_of(
    table: Mapping[str, Any],
    key: str,
    check: Callable[[str, str], str],
    where: str = "",
) -> frozenset[str]:
    name = f"{where}{key}"
    values = _expect(table.get(key, []), list, name)
    return frozenset(check(_expect(v, str, name), name) for v in values)


def _duration(
    table: Mapping[str, Any], key: str, default: timedelta, where: str = ""
) -> timedelta:
    if key not in table:
        return default
    try:
        return parse_duration(_expect(table[key], str, f"{where}{key}"))
    except ValueError as exc:
        raise ConfigError(f"{where}{key}: {exc}") from None


def _size(table: Mapping[str, Any], key: str, default: int) -> int:
    if key not in table:
        return default
    try:
        return parse_size(table[key])
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def _secret(table: Mapping[str, Any], where: str, kind: str = "password") -> SecretRef:
    """``<kind>_env|_file|_command``; the secret itself in the file is an error."""
    if kind in table:
        raise ConfigError(
            f"{where}.{kind}: {kind.replace('_', ' ')}s are never read from the "
            f"config; use {kind}_env, {kind}_file or {kind}_command"
        )
    given = {
        k: _expect(table[k], str, f"{where}.{k}")
        for k in (f"{kind}_env", f"{kind}_file", f"{kind}_command")
        if k in table
    }
    if len(given) > 1:
        raise ConfigError(f"{where}: give only one of {', '.join(sorted(given))}")
    return SecretRef(
        env=given.get(f"{kind}_env"),
        file=given.get(f"{kind}_file"),
        command=given.get(f"{kind}_command"),
    )


def _source(
    table: Any,
    index: int,
    seen_names: set[str],
    oauth2: Mapping[str, OAuth2Config] | None = None,
) -> SourceConfig:
    where = f"sources[{index}]"
    _expect(table, dict, where)
    kind = _expect(table.get("type", ""), str, f"{where}.type")
    if kind not in _SOURCE_TYPES:
        raise ConfigError(
            f"{where}.type: {kind!r} is not one of {', '.join(_SOURCE_TYPES)}"
        )
    name = _expect(table.get("name", ""), str, f"{where}.name")
    if not name:
        raise ConfigError(f"{where}.name: every source needs a name")
    if name in seen_names:
        raise ConfigError(f"{where}.name: {name!r} is used by another source")
    seen_names.add(name)
    common = {"type", "name"}
    common = common | {"queue", "acknowledge"}
    routing = {
        "queue": _expect(table.get("queue", ""), str, f"{where}.queue") or None,
        "acknowledge": _expect(
            table.get("acknowledge", True), bool, f"{where}.acknowledge"
        ),
    }
    if kind != "imap":
        _check_keys(table, common | {"path", "after"}, where)
        path = _expect(table.get("path", ""), str, f"{where}.path")
        if not path:
            raise ConfigError(f"{where}.path: a {kind} source needs a path")
        after = _expect(table.get("after", "keep"), str, f"{where}.after")
        allowed = ("keep", "seen") if kind == "maildir" else ("keep",)
        if after not in allowed:
            raise ConfigError(
                f"{where}.after: {after!r} is not one of "
                f"{', '.join(allowed)} for a {kind} source"
            )
        return SourceConfig(type=kind, name=name, path=path, after=after, **routing)
    _check_keys(table, common | _SERVER_KEYS | {"folder", "after", "batch_size"}, where)
    server = _server(
        table, where, default_tls="ssl", ports={"ssl": 993}, default=143,
        oauth2=oauth2,
    )  # fmt: skip
    if not server["host"]:
        raise ConfigError(f"{where}.host: an imap source needs a host")
    after = _expect(table.get("after", "keep"), str, f"{where}.after")
    if after not in ("keep", "seen", "delete") and not (
        after.startswith("move:") and len(after) > 5
    ):
        raise ConfigError(
            f"{where}.after: {after!r} is not one of keep, seen, move:<folder>, delete"
        )
    return SourceConfig(
        type=kind,
        name=name,
        folder=_expect(table.get("folder", "INBOX"), str, f"{where}.folder"),
        after=after,
        batch_size=_expect(table.get("batch_size", 100), int, f"{where}.batch_size"),
        **server,
        **routing,
    )


# Settings every server connection (IMAP source, SMTP) takes alike.
_SERVER_KEYS = {
    "host", "port", "tls", "username", "password", "password_env", "password_file",
    "password_command", "ca_file", "timeout",
    "auth", "token", "token_env", "token_file", "token_command", "oauth2",
}  # fmt: skip


def _server(
    table: Mapping[str, Any],
    where: str,
    default_tls: str,
    ports: Mapping[str, int],
    default: int,
    oauth2: Mapping[str, OAuth2Config] | None = None,
) -> dict[str, Any]:
    tls = _expect(table.get("tls", default_tls), str, f"{where}.tls")
    if tls not in ("ssl", "starttls", "none"):
        raise ConfigError(f"{where}.tls: {tls!r} is not one of ssl, starttls, none")

    def text(key: str) -> str | None:
        return _expect(table.get(key, ""), str, f"{where}.{key}") or None

    timeout = _expect(table.get("timeout", 60), (int, float), f"{where}.timeout")
    port = _expect(table.get("port", ports.get(tls, default)), int, f"{where}.port")
    return {
        "host": text("host"), "port": port, "tls": tls, "username": text("username"),
        "password": _secret(table, where), "ca_file": text("ca_file"),
        "timeout": float(timeout), **_login(table, where, oauth2 or {}),
    }  # fmt: skip


def _login(
    table: Mapping[str, Any], where: str, oauth2: Mapping[str, OAuth2Config]
) -> dict[str, Any]:
    """``auth`` and where its token comes from: a token_* reference or the
    ``[oauth2.NAME]`` table named by ``oauth2``, exactly one of them."""
    auth = _choice(table, "auth", "password", AUTH_MODES, where)
    token = _secret(table, where, "token")
    name = _expect(table.get("oauth2", ""), str, f"{where}.oauth2") or None
    passwords = [k for k in ("password_env", "password_file", "password_command")
                 if k in table]  # fmt: skip
    if auth == "password":
        if token.configured or name:
            raise ConfigError(
                f'{where}.auth: a token needs auth = "xoauth2" or "oauthbearer" '
                '(the default is "password")'
            )
        return {"auth": auth}
    if passwords:
        raise ConfigError(
            f'{where}.{passwords[0]}: auth = "{auth}" logs in with a token, '
            "not a password"
        )
    if token.configured and name:
        raise ConfigError(f"{where}: give only one of oauth2 and token_*")
    if not token.configured and not name:
        raise ConfigError(
            f'{where}.auth: "{auth}" needs token_env, token_file, token_command '
            'or oauth2 = "NAME"'
        )
    if name and name not in oauth2:
        raise ConfigError(f"{where}.oauth2: there is no [oauth2.{name}] table")
    if not _expect(table.get("username", ""), str, f"{where}.username"):
        raise ConfigError(
            f'{where}.username: auth = "{auth}" needs the username to log in as'
        )
    return {"auth": auth, "token": token, "oauth2": oauth2[name] if name else None}


_OAUTH2_KEYS = {
    "provider", "grant", "client_id", "client_secret", "client_secret_env",
    "client_secret_file", "client_secret_command", "tenant", "scopes",
    "token_url", "device_url", "auth_url", "cache_file",
}  # fmt: skip


def _oauth2_tables(raw: Any) -> dict[str, OAuth2Config]:
    _expect(raw, dict, "oauth2")
    return {name: _oauth2(name, table) for name, table in raw.items()}


def _oauth2(name: str, table: Any) -> OAuth2Config:
    """One [oauth2.NAME] table, with the provider's endpoints and scopes."""
    where = f"oauth2.{name}"
    if not re.fullmatch(r"[\w.-]+", name):
        raise ConfigError(f"{where}: the name must be letters, digits, . - or _")
    _expect(table, dict, where)
    _check_keys(table, _OAUTH2_KEYS, where)
    if "provider" not in table:
        raise ConfigError(f"{where}.provider: one of {', '.join(OAUTH2_PROVIDERS)}")
    provider = _choice(table, "provider", "", OAUTH2_PROVIDERS, where)
    grant = _choice(table, "grant", "refresh_token", OAUTH2_GRANTS, where)

    def text(key: str) -> str | None:
        return _expect(table.get(key, ""), str, f"{where}.{key}").strip() or None

    client_id = text("client_id")
    if not client_id:
        raise ConfigError(f"{where}.client_id: the app's client id is required")
    secret = _secret(table, where, "client_secret")
    scopes = tuple(
        _expect(s, str, f"{where}.scopes")
        for s in _expect(table.get("scopes", []), list, f"{where}.scopes")
    )
    tenant = text("tenant")
    endpoints: dict[str, str | None] = {}
    if provider == "microsoft":
        tenant = tenant or "organizations"
        if grant == "client_credentials" and tenant in ("common", "organizations"):
            raise ConfigError(
                f"{where}.tenant: client_credentials needs your tenant id or "
                f"domain, not {tenant!r}"
            )
        base = f"{MICROSOFT_LOGIN}/{tenant}/oauth2/v2.0"
        endpoints = {"token_url": f"{base}/token", "device_url": f"{base}/devicecode",
                     "auth_url": f"{base}/authorize"}  # fmt: skip
        if grant == "client_credentials":
            scopes = scopes or MICROSOFT_APP_SCOPES
            if not all(s.endswith("/.default") for s in scopes):
                raise ConfigError(
                    f'{where}.scopes: app-only tokens take "{MICROSOFT_APP_SCOPES[0]}"'
                )
        else:
            scopes = scopes or MICROSOFT_DELEGATED_SCOPES
            if "offline_access" not in scopes:
                scopes = (*scopes, "offline_access")  # or no refresh token
    elif provider == "google":
        if grant == "client_credentials":
            raise ConfigError(
                f"{where}.grant: google offers refresh_token (after "
                "`ticketcli auth login`), not client_credentials"
            )
        endpoints = {"token_url": GOOGLE_TOKEN_URL, "auth_url": GOOGLE_AUTH_URL}
        scopes = scopes or GOOGLE_SCOPES
    elif not text("token_url"):
        raise ConfigError(f"{where}.token_url: a generic provider needs token_url")
    for key in ("token_url", "device_url", "auth_url"):
        if text(key):
            endpoints[key] = text(key)
    for key, url in endpoints.items():
        if url and not url.startswith(
            ("https://", "http://127.0.0.1", "http://localhost")
        ):
            raise ConfigError(f"{where}.{key}: {url!r} must be an https:// URL")
    cache = text("cache_file")
    if cache and not Path(cache).expanduser().is_absolute():
        raise ConfigError(f"{where}.cache_file: {cache!r} must be absolute or ~/...")
    return OAuth2Config(
        name=name, provider=provider, client_id=client_id, client_secret=secret,
        grant=grant, tenant=tenant, scopes=scopes,
        token_url=endpoints.get("token_url") or "",
        device_url=endpoints.get("device_url"), auth_url=endpoints.get("auth_url"),
        cache_file=Path(cache).expanduser() if cache else None,
    )  # fmt: skip


def _smtp(table: Any, oauth2: Mapping[str, OAuth2Config] | None = None) -> SmtpConfig:
    _expect(table, dict, "smtp")
    _check_keys(table, _SERVER_KEYS | {"from"}, "smtp")
    sender = table.get("from")
    if sender is not None:
        sender = check_address(_expect(sender, str, "smtp.from"), "smtp.from")
    server = _server(
        table, "smtp", default_tls="starttls", ports={"ssl": 465}, default=587,
        oauth2=oauth2,
    )  # fmt: skip
    return SmtpConfig(sender=sender, **server)


def _url_password(url: str) -> bool:
    """Whether a database URL carries a password (``user:SECRET@host``, or
    libpq's ``?password=``)."""
    parts = urlsplit(url)
    try:
        has_userinfo_password = parts.password is not None
    except ValueError:
        has_userinfo_password = False
    query = {k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    return has_userinfo_password or "password" in query


def config_from_mapping(data: Mapping[str, Any], path: Path | None = None) -> Config:
    """Validate a parsed TOML document; every error names its key."""
    _check_keys(data, _TOP_KEYS, "")
    database = _expect(data.get("database", {}), dict, "database")
    _check_keys(
        database,
        {"url", "password_env", "password_file", "password_command", "password"},
        "database",
    )
    url = (
        _expect(database.get("url", ""), str, "database.url") or default_database_url()
    )
    if not url.startswith(("sqlite:", "postgresql:", "postgres:")):
        raise ConfigError(
            f"database.url: {url!r} is not a sqlite:/// or postgresql:// URL"
        )
    if _url_password(url):
        raise ConfigError(
            "database.url: passwords are never read from the config; remove it"
            " from the URL and use password_env, password_file or password_command"
        )
    reopen = _expect(data.get("reopen", {}), dict, "reopen")
    _check_keys(reopen, {"window", "ignore_thanks"}, "reopen")
    prefix = _expect(data.get("token_prefix", "Ticket"), str, "token_prefix").strip()
    if not prefix or not re.fullmatch(r"[\w.\- ]+", prefix):
        raise ConfigError(f"token_prefix: {prefix!r} must be letters, digits, . or -")
    names: set[str] = set()
    oauth2 = _oauth2_tables(data.get("oauth2", {}))
    sources = tuple(
        _source(t, i, names, oauth2)
        for i, t in enumerate(_expect(data.get("sources", []), list, "sources"))
    )
    lock_timeout = _expect(data.get("lock_timeout", 10), (int, float), "lock_timeout")
    return Config(
        database_url=url,
        database_password=_secret(database, "database"),
        support_addresses=_list_of(data, "support_addresses", check_address),
        staff_addresses=_list_of(data, "staff_addresses", check_address),
        staff_domains=_list_of(data, "staff_domains", check_domain),
        free_mail_domains=BUILTIN_FREE_MAIL_DOMAINS
        | _list_of(data, "free_mail_domains", check_domain),
        token_prefix=prefix,
        subject_window=_duration(data, "subject_window", timedelta(days=30)),
        assign_on_reply=_expect(
            data.get("assign_on_reply", True), bool, "assign_on_reply"
        ),
        lock_timeout=float(lock_timeout),
        max_message_size=_size(data, "max_message_size", DEFAULT_MAX_MESSAGE_SIZE),
        sources=sources,
        reopen=ReopenConfig(
            window=_duration(reopen, "window", timedelta(days=90), "reopen."),
            ignore_thanks=_expect(
                reopen.get("ignore_thanks", False), bool, "reopen.ignore_thanks"
            ),
        ),
        smtp=_smtp(data["smtp"], oauth2) if "smtp" in data else SmtpConfig(),
        oauth2=oauth2,
        ticket_types=_ticket_types(data),
        hours=_hours(data["hours"]) if "hours" in data else None,
        goals=_goals(data["goals"]) if "goals" in data else None,
        acknowledgement=_acknowledgement(data.get("acknowledgement", {})),
        notifications=_notifications(data.get("notifications", {})),
        templates_dir=_templates_dir(data.get("templates", {})),
        report=_report(data.get("report", {})),
        queues=_queues(data.get("queues", []), sources),
        security=_security(data.get("security", {})),
        display=_display(data.get("display", {})),
        escalation=_escalation(data.get("escalation"), has_goals="goals" in data),
        path=path,
    )


def _acknowledgement(table: Any) -> AcknowledgementConfig:
    _expect(table, dict, "acknowledgement")
    _check_keys(
        table, {"enabled", "max_per_hour", "template", "max_age"}, "acknowledgement"
    )
    limit = _expect(table.get("max_per_hour", 3), int, "acknowledgement.max_per_hour")
    if limit < 1:
        raise ConfigError("acknowledgement.max_per_hour: must be at least 1")
    template = _expect(
        table.get("template", "acknowledgement"), str, "acknowledgement.template"
    )
    return AcknowledgementConfig(
        enabled=_expect(table.get("enabled", False), bool, "acknowledgement.enabled"),
        max_per_hour=limit,
        template=template.strip() or "acknowledgement",
        max_age=_duration(table, "max_age", timedelta(days=3), "acknowledgement."),
    )


def _notifications(table: Any) -> NotificationsConfig:
    _expect(table, dict, "notifications")
    keys = (
        "customer_on_close",
        "agent_on_assign",
        "agent_on_mention",
        "agent_on_customer_mail",
    )
    _check_keys(table, set(keys), "notifications")
    return NotificationsConfig(
        **{k: _expect(table.get(k, False), bool, f"notifications.{k}") for k in keys}
    )


def _templates_dir(table: Any) -> Path | None:
    _expect(table, dict, "templates")
    _check_keys(table, {"dir"}, "templates")
    folder = _expect(table.get("dir", ""), str, "templates.dir")
    return Path(folder).expanduser() if folder else None


def _report(table: Any) -> ReportConfig:
    _expect(table, dict, "report")
    keys = {"recipients", "templates_dir", "lang", "trend_weeks", "top_customers"}
    _check_keys(table, keys, "report")
    lang = _expect(table.get("lang", "en"), str, "report.lang")
    if lang not in REPORT_LANGUAGES:
        raise ConfigError(
            f"report.lang: {lang!r} is not one of {', '.join(REPORT_LANGUAGES)}"
        )
    counts = {}
    for key, default in (("trend_weeks", 8), ("top_customers", 10)):
        counts[key] = _expect(table.get(key, default), int, f"report.{key}")
        if counts[key] < 1:
            raise ConfigError(f"report.{key}: must be at least 1")
    folder = _expect(table.get("templates_dir", ""), str, "report.templates_dir")
    recipients = _expect(table.get("recipients", []), list, "report.recipients")
    return ReportConfig(
        recipients=tuple(
            check_address(_expect(r, str, "report.recipients"), "report.recipients")
            for r in recipients
        ),
        templates_dir=Path(folder).expanduser() if folder else None,
        lang=lang,
        **counts,
    )


_AUTHSERV_ID = r"\.?[^\s;()\"\\]+"


def _security(table: Any) -> SecurityConfig:
    _expect(table, dict, "security")
    _check_keys(table, {"verify_staff", "authserv_ids"}, "security")
    key = "security.authserv_ids"
    ids: set[str] = set()
    for value in _expect(table.get("authserv_ids", []), list, key):
        text = _expect(value, str, key).strip().lower().rstrip(".")
        if text != NO_AUTHSERV_ID and not re.fullmatch(_AUTHSERV_ID, text):
            raise ConfigError(
                f"{key}: {value!r} is not an authserv-id (a host name, .domain "
                f'for all its subdomains, or "{NO_AUTHSERV_ID}")'
            )
        ids.add(text)
    return SecurityConfig(
        verify_staff=_choice(
            table, "verify_staff", "dmarc", VERIFY_STAFF_POLICIES, "security"
        ),
        authserv_ids=frozenset(ids),
    )


def _choice(
    table: Mapping[str, Any],
    key: str,
    default: str,
    allowed: tuple[str, ...],
    where: str,
) -> str:
    value = _expect(table.get(key, default), str, f"{where}.{key}")
    if value not in allowed:
        raise ConfigError(
            f"{where}.{key}: {value!r} is not one of {', '.join(allowed)}"
        )
    return value


def _queues(raw: Any, sources: tuple[SourceConfig, ...]) -> tuple[QueueConfig, ...]:
    queues: list[QueueConfig] = []
    for index, table in enumerate(_expect(raw, list, "queues")):
        where = f"queues[{index}]"
        _expect(table, dict, where)
        _check_keys(table, {"name", "agents", "assign_mode", "on_absence"}, where)
        name = _expect(table.get("name", ""), str, f"{where}.name").strip()
        if not name:
            raise ConfigError(f"{where}.name: every queue needs a name")
        if any(q.name == name for q in queues):
            raise ConfigError(f"{where}.name: {name!r} is used by another queue")
        agents = _expect(table.get("agents", []), list, f"{where}.agents")
        logins = tuple(
            _expect(a, str, f"{where}.agents").strip().lower() for a in agents
        )
        queues.append(
            QueueConfig(
                name=name,
                agents=tuple(dict.fromkeys(login for login in logins if login)),
                assign_mode=_choice(table, "assign_mode", "none", ASSIGN_MODES, where),
                on_absence=_choice(
                    table, "on_absence", "keep", ABSENCE_POLICIES, where
                ),
            )
        )
    names = {q.name for q in queues}
    for index, source in enumerate(sources):
        if source.queue is not None and source.queue not in names:
            raise ConfigError(
                f"sources[{index}].queue: no [[queues]] entry is named {source.queue!r}"
            )
    return tuple(queues)


def _clock(value: Any, key: str, allow_24: bool) -> int:
    """ "HH:MM" -> minutes after midnight; "24:00" only as an end."""
    text = _expect(value, str, key)
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if match:
        hour, minute = int(match[1]), int(match[2])
        if minute < 60 and (hour < 24 or (allow_24 and hour == 24 and not minute)):
            return hour * 60 + minute
    raise ConfigError(f"{key}: {text!r} is not a time like 09:00")


def _zone(table: Mapping[str, Any], key: str, default: str | None) -> str | None:
    """A time zone name (IANA, like Europe/Tallinn), checked."""
    zone = _expect(table.get(key.split(".")[-1], default or ""), str, key).strip()
    if not zone:
        return default
    import zoneinfo  # only a config that names a zone pays for it (issue 18)

    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key}: {zone!r} is not a known time zone") from None
    return zone


def _display(table: Any) -> DisplayConfig:
    _expect(table, dict, "display")
    _check_keys(table, {"timezone"}, "display")
    return DisplayConfig(timezone=_zone(table, "display.timezone", None))


def _hours(table: Any) -> BusinessHours:
    _expect(table, dict, "hours")
    _check_keys(
        table,
        {"timezone", "days", "start", "end", "holidays", "country", "subdivision"},
        "hours",
    )
    zone = _zone(table, "hours.timezone", "UTC")
    assert zone is not None
    days: set[int] = set()
    for day in _expect(table.get("days", list(WEEKDAYS[:5])), list, "hours.days"):
        name = _expect(day, str, "hours.days").strip().lower()[:3]
        if name not in WEEKDAYS:
            raise ConfigError(
                f"hours.days: {day!r} is not one of {', '.join(WEEKDAYS)}"
            )
        days.add(WEEKDAYS.index(name))
    start = _clock(table.get("start", "09:00"), "hours.start", allow_24=False)
    end = _clock(table.get("end", "17:00"), "hours.end", allow_24=True)
    if end <= start:
        raise ConfigError("hours.end: must be later than hours.start")
    holidays: set[date] = set()
    for day in _expect(table.get("holidays", []), list, "hours.holidays"):
        if type(day) is date:  # a bare TOML date: 2026-12-24
            holidays.add(day)
            continue
        try:
            holidays.add(date.fromisoformat(_expect(day, str, "hours.holidays")))
        except ValueError:
            raise ConfigError(
                f"hours.holidays: {day!r} is not a date like 2026-12-24"
            ) from None
    country, subdivision = _calendar(table)
    return BusinessHours(
        timezone=zone,
        days=frozenset(days),
        start=start,
        end=end,
        holidays=frozenset(holidays),
        country=country,
        subdivision=subdivision,
    )


def _calendar(table: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """[hours] country and subdivision, checked against the `holidays`
    package's calendars (only when a country is named: see
    ``public_holidays``)."""
    country = _expect(table.get("country", ""), str, "hours.country").strip()
    subdivision = _expect(
        table.get("subdivision", ""), str, "hours.subdivision"
    ).strip()
    if not country:
        if subdivision:
            raise ConfigError("hours.subdivision: needs hours.country too")
        return None, None
    country = country.upper()
    if not _known_calendar(country, None):
        raise ConfigError(
            f"hours.country: {country!r} is not a country code the holiday"
            " calendar knows (ISO 3166, like EE or FI)"
        )
    if not subdivision:
        return country, None
    # Codes as the package writes them: "CA", "BY", "01"; "ca" is meant too.
    for code in (subdivision, subdivision.upper()):
        if _known_calendar(country, code):
            return country, code
    raise ConfigError(
        f"hours.subdivision: {subdivision!r} is not a subdivision of"
        f" {country} the holiday calendar knows"
    )


def _known_calendar(country: str, subdivision: str | None) -> bool:
    """Whether the `holidays` package has this calendar (computing no year).

    A country is looked up in the package's registry (~45 ms, the import
    itself); only a subdivision needs the country's calendar, whose package
    loads every country's (~100 ms more), so a config without one -- most
    of them -- does not pay that on every command. Imported here: see
    ``public_holidays``.
    """
    from holidays.registry import COUNTRIES

    if country not in {entry[1] for entry in COUNTRIES.values()}:
        return False
    if subdivision is None:
        return True
    import holidays

    try:
        holidays.country_holidays(country, subdiv=subdivision, years=[])
    except NotImplementedError:
        return False
    return True


def _goal_set(table: Mapping[str, Any], where: str) -> GoalSet:
    def get(key: str) -> timedelta | None:
        if key not in table:
            return None
        value = _duration(table, key, timedelta(0), f"{where}.")
        if not value:
            raise ConfigError(f"{where}.{key}: a goal must be longer than 0")
        return value

    return GoalSet(**{key: get(key) for key in sorted(set(GOAL_KEYS))})


def _goals(table: Any) -> Goals:
    _expect(table, dict, "goals")
    _check_keys(table, set(GOAL_KEYS) | set(GOAL_PRIORITIES), "goals")
    by_priority: dict[str, GoalSet] = {}
    for priority in GOAL_PRIORITIES:
        if priority in table:
            where = f"goals.{priority}"
            sub = _expect(table[priority], dict, where)
            _check_keys(sub, set(GOAL_KEYS), where)
            by_priority[priority] = _goal_set(sub, where)
    return Goals(default=_goal_set(table, "goals"), by_priority=by_priority)


def _escalation(table: Any, *, has_goals: bool) -> Escalation:
    """[escalation]: on once the table is written (see ``Escalation``); it
    escalates [goals], so it needs them."""
    if table is None:
        return Escalation()
    _expect(table, dict, "escalation")
    _check_keys(table, {"enabled", "warn_before", "to"}, "escalation")
    enabled = _expect(table.get("enabled", True), bool, "escalation.enabled")
    if enabled and not has_goals:
        raise ConfigError("escalation: needs [goals] to escalate (or enabled = false)")
    to = _expect(table.get("to", ""), str, "escalation.to").strip() or None
    if to is not None and "@" in to:
        to = check_address(to, "escalation.to")
    elif to is not None and not re.fullmatch(r"[\w.\-]+", to):
        raise ConfigError(
            f"escalation.to: {to!r} is neither an address nor an agent's login"
        )
    return Escalation(
        enabled=enabled,
        warn_before=_duration(
            table, "warn_before", timedelta(minutes=15), "escalation."
        ),
        to=to,
    )


def _ticket_types(data: dict[str, Any]) -> tuple[str, ...]:
    """The types `set --type` accepts: non-empty, unique, as written."""
    raw = _expect(
        data.get("ticket_types", list(DEFAULT_TICKET_TYPES)), list, "ticket_types"
    )
    types: list[str] = []
    for value in raw:
        text = " ".join(_expect(value, str, "ticket_types").split())
        if not text:
            raise ConfigError("ticket_types: a type is empty")
        if text not in types:
            types.append(text)
    return tuple(types)


def find_config_file(explicit: str | None) -> Path | None:
    """--config, then $TICKETCLI_CONFIG, then the XDG file if it exists."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("TICKETCLI_CONFIG")
    if env:
        return Path(env)
    default = default_config_path()
    return default if default.is_file() else None


def load_config(explicit: str | None = None) -> Config:
    path = find_config_file(explicit)
    if path is None:
        return Config()
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    try:
        config = config_from_mapping(data, path)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.message}") from None
    # Relative source paths mean: beside the config file, wherever cron runs.
    base = path.resolve().parent
    sources = tuple(
        s._replace(path=str(base / Path(s.path).expanduser())) if s.path else s
        for s in config.sources
    )
    report = config.report
    if report.templates_dir is not None:
        report = report._replace(templates_dir=base / report.templates_dir)
    templates = base / config.templates_dir if config.templates_dir else None
    return config._replace(sources=sources, report=report, templates_dir=templates)

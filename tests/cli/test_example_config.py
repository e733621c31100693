"""config.example.toml is the reference for every setting: it must load as
shipped, and with every commented setting switched on (the first of
alternatives kept), so no documented key is misspelt or out of date."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import REPO
from ticketcli.config import config_from_mapping, load_config

EXAMPLE = REPO / "config.example.toml"
# "# key = value" or "# [table]" / "# [[array]]": a setting shown commented out.
COMMENTED = re.compile(r"^# ?(\[\[?[\w.]+\]\]?|[a-z_][a-z0-9_]* = .+)$")


def switched_on(text: str) -> str:
    """Uncomment every setting; where a table shows alternatives for one key,
    keep the first."""
    out: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        match = COMMENTED.match(line)
        setting = match.group(1) if match else line
        if setting.startswith("["):
            seen = set()
        elif match:
            key = setting.split("=", 1)[0].strip()
            if key in seen:
                continue
            seen.add(key)
        out.append(setting)
    return "\n".join(out) + "\n"


def test_the_example_loads_as_shipped() -> None:
    config = load_config(str(EXAMPLE))
    assert config.sources == ()
    assert not config.acknowledgement.enabled


def test_every_documented_setting_is_a_real_one() -> None:
    data = tomllib.loads(switched_on(EXAMPLE.read_text(encoding="utf-8")))
    # Everything the example documents, switched on at once.
    documented = {
        "database", "sources", "smtp", "hours", "goals", "acknowledgement",
        "notifications", "templates", "report", "queues", "security",
    }  # fmt: skip
    assert documented <= set(data)
    config = config_from_mapping(data)
    assert config.smtp.host
    assert config.report.recipients
    assert {s.type for s in config.sources} >= {"maildir", "imap"}
    # A source names a queue the example also defines (checked by the config).
    assert {s.queue for s in config.sources} & {q.name for q in config.queues}
    assert config.goals is not None
    assert config.hours is not None
    assert config.security.verify_staff == "dmarc"

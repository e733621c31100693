"""The settings issues 7-9 added: acknowledgements, notifications, templates,
the morning report and queues. Each bad value is an error naming its key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ticketcli.config import (
    AcknowledgementConfig,
    NotificationsConfig,
    QueueConfig,
    ReportConfig,
    config_from_mapping,
    load_config,
)
from ticketcli.errors import ConfigError


def test_defaults_send_nothing() -> None:
    config = config_from_mapping({})
    assert config.acknowledgement == AcknowledgementConfig()
    assert not config.acknowledgement.enabled
    assert config.notifications == NotificationsConfig()
    assert not any(config.notifications._asdict().values())
    assert config.report == ReportConfig()
    assert config.queues == ()
    assert config.templates_dir is None
    assert config.sender is None


def test_everything_set() -> None:
    config = config_from_mapping(
        {
            "support_addresses": ["Help@Example.com", "b@example.com"],
            "acknowledgement": {
                "enabled": True,
                "max_per_hour": 2,
                "template": "ack",
                "max_age": "1d",
            },
            "notifications": {"customer_on_close": True, "agent_on_mention": True},
            "templates": {"dir": "~/answers"},
            "report": {
                "recipients": ["Lead@Example.com"],
                "lang": "et",
                "trend_weeks": 12,
                "top_customers": 5,
                "templates_dir": "/srv/report",
            },
            "queues": [
                {
                    "name": "eu",
                    "agents": ["Anna", "bert", "anna"],
                    "assign_mode": "least-open",
                    "on_absence": "reassign",
                },
                {"name": "us"},
            ],  # fmt: skip
            "sources": [
                {
                    "type": "mbox",
                    "name": "a",
                    "path": "x",
                    "queue": "eu",
                    "acknowledge": False,
                },
            ],  # fmt: skip
            "goals": {"open_max": "3d", "normal": {"pending_max": "14d"}},
        }
    )
    assert config.acknowledgement == AcknowledgementConfig(
        True, 2, "ack", timedelta(days=1)
    )
    assert config.notifications == NotificationsConfig(True, False, True)
    assert config.templates_dir == Path("~/answers").expanduser()
    assert config.report.recipients == ("lead@example.com",)
    assert config.report.lang == "et"
    assert (config.report.trend_weeks, config.report.top_customers) == (12, 5)
    assert config.queues == (
        QueueConfig("eu", ("anna", "bert"), "least-open", "reassign"),
        QueueConfig("us"),
    )
    assert config.queue("eu") is config.queues[0]
    assert config.queue("nope") is None
    assert config.source("a").queue == "eu"
    assert config.source("a").acknowledge is False
    assert config.sender == "b@example.com"  # first support address, sorted
    assert config.goals.for_priority("normal").open_max == timedelta(days=3)
    assert config.goals.for_priority("normal").pending_max == timedelta(days=14)


def test_smtp_from_is_the_sender() -> None:
    config = config_from_mapping(
        {"support_addresses": ["a@example.com"], "smtp": {"from": "desk@example.com"}}
    )
    assert config.sender == "desk@example.com"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"acknowledgement": {"enabled": "yes"}}, "acknowledgement.enabled"),
        ({"acknowledgement": {"max_per_hour": 0}}, "acknowledgement.max_per_hour"),
        ({"acknowledgement": {"limit": 1}}, "acknowledgement.limit: unknown"),
        ({"acknowledgement": {"max_age": "soon"}}, "acknowledgement.max_age"),
        ({"notifications": {"on_close": True}}, "notifications.on_close: unknown"),
        ({"templates": {"dir": 3}}, "templates.dir"),
        ({"report": {"lang": "fr"}}, "report.lang: 'fr' is not one of en, et"),
        ({"report": {"recipients": ["nobody"]}}, "report.recipients"),
        ({"report": {"trend_weeks": 0}}, "report.trend_weeks"),
        ({"queues": [{"agents": []}]}, "queues[0].name"),
        ({"queues": [{"name": "a"}, {"name": "a"}]}, "queues[1].name"),
        ({"queues": [{"name": "a", "assign_mode": "random"}]}, "queues[0].assign_mode"),
        ({"queues": [{"name": "a", "on_absence": "x"}]}, "queues[0].on_absence"),
        ({"queues": [{"name": "a", "colour": "x"}]}, "queues[0].colour: unknown"),
        (
            {"sources": [{"type": "mbox", "name": "s", "path": "p", "queue": "q"}]},
            "sources[0].queue: no [[queues]] entry is named 'q'",
        ),
    ],
)
def test_bad_values_name_the_key(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping(data)
    assert message in caught.value.message


def test_template_dirs_resolve_beside_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        '[templates]\ndir = "answers"\n[report]\ntemplates_dir = "html"\n',
        encoding="utf-8",
    )
    config = load_config(str(path))
    assert config.templates_dir == tmp_path / "etc" / "answers"
    assert config.report.templates_dir == tmp_path / "etc" / "html"

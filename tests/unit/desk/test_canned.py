"""Canned answers: found by name, described, rendered strictly, never escaped."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from ticketcli.config import Config
from ticketcli.desk.canned import answer_fields, list_templates, render_template
from ticketcli.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from pathlib import Path

TICKET = {
    "number": 7,
    "token": "[ACME #7]",
    "subject": "Tarne hilineb",
    "status": "open",
    "priority": "normal",
    "requester": "mari@kund.ee",
    "requester_name": "Mari Maasikas",
    "customer": "Kund & Pojad OÜ",
    "customer_code": "KUND",
    "assignee": "anna",
}
AGENT = {"login": "anna", "name": "Anna Tamm"}
NOW = datetime(2026, 3, 2, 10, 30)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "shipping-delay.txt").write_text(
        "{# The parcel is late: apologise, give a date #}\n"
        "Hello {{ requester_name }},\n\n"
        "the order of {{ ticket.customer }} ({{ customer_code }}) is late.\n"
        "<b>{{ agent.name }}</b>, {{ now.strftime('%d.%m.%Y') }}\n",
        encoding="utf-8",
    )
    (folder / "order.txt").write_text(
        "Subject: Your order {{ ticket.number }}\n"
        "Order {{ order_number }} ships today.\n",
        encoding="utf-8",
    )
    (folder / "plain.txt").write_text("No description here.\n", encoding="utf-8")
    (folder / "notes.md").write_text("not a template\n", encoding="utf-8")
    return Config(templates_dir=folder, token_prefix="ACME")


def _fields() -> dict[str, object]:
    return answer_fields(TICKET, AGENT, NOW)


def test_list_gives_names_descriptions_and_files(config: Config) -> None:
    rows = {row["name"]: row for row in list_templates(config)}
    assert rows["shipping-delay"]["description"] == (
        "The parcel is late: apologise, give a date"
    )
    assert rows["shipping-delay"]["file"].endswith("templates/shipping-delay.txt")
    assert rows["plain"]["description"] == ""
    assert "notes" not in rows  # only .txt files are templates
    # The built-in texts are listed too, until a file replaces them.
    assert rows["acknowledgement"]["file"] == "built in"


def test_render_fills_fields_and_escapes_nothing(config: Config) -> None:
    mail = render_template(config, "shipping-delay", _fields())
    assert mail.subject is None
    assert mail.body == (
        "Hello Mari Maasikas,\n\n"
        "the order of Kund & Pojad OÜ (KUND) is late.\n"
        "<b>Anna Tamm</b>, 02.03.2026\n"
    )
    # The name may be given with its suffix.
    assert render_template(config, "shipping-delay.txt", _fields()) == mail


def test_missing_variable_is_an_error_naming_it(config: Config) -> None:
    with pytest.raises(UsageError) as caught:
        render_template(config, "order", _fields())
    assert "'order_number' is undefined" in caught.value.message
    assert "nothing was sent" in caught.value.message
    assert caught.value.exit_code == 2


def test_subject_line_is_split_off(config: Config) -> None:
    fields = {**_fields(), "order_number": "A-17"}
    mail = render_template(config, "order", fields)
    assert (mail.subject, mail.body) == ("Your order 7", "Order A-17 ships today.\n")


def test_unknown_name_lists_the_names_there_are(config: Config) -> None:
    with pytest.raises(UsageError) as caught:
        render_template(config, "shiping-delay", _fields())
    message = caught.value.message
    assert "no template 'shiping-delay'" in message
    assert "available: acknowledgement, closed, order, plain, shipping-delay" in message
    assert "\n" not in message


def test_a_path_is_not_a_template_name(config: Config) -> None:
    with pytest.raises(UsageError):
        render_template(config, "../secret", _fields())


def test_missing_folder_is_a_config_error(config: Config, tmp_path: Path) -> None:
    gone = config._replace(templates_dir=tmp_path / "nowhere")
    with pytest.raises(ConfigError):
        render_template(gone, "shipping-delay", _fields())


def test_syntax_error_names_the_line(config: Config) -> None:
    assert config.templates_dir is not None
    (config.templates_dir / "broken.txt").write_text(
        "Hello\n{% if x %}\nno end\n", encoding="utf-8"
    )
    with pytest.raises(UsageError) as caught:
        render_template(config, "broken", {**_fields(), "x": 1})
    assert "broken.txt" in caught.value.message
    assert "line" in caught.value.message

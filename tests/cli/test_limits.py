"""max_message_size: bigger mail is quarantined whole, with the reason, and
never parsed; the rest of the sync goes on (issue 13)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.conftest import write_config
from tests.helpers import Desk, eml

if TYPE_CHECKING:
    from pathlib import Path

LIMIT = 10_000


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return Desk(tmp_path, max_message_size=LIMIT)


def _big() -> bytes:
    return eml("<big@kund.ee>", subject="Logs", body="log line\n" * 2_000)


def test_mail_over_the_limit_is_quarantined_whole_and_the_rest_stored(
    desk: Desk,
) -> None:
    big = _big()
    assert len(big) > LIMIT
    (desk.inbox / "1.eml").write_bytes(eml("<small@kund.ee>"))
    (desk.inbox / "2.eml").write_bytes(big)
    (desk.inbox / "3.eml").write_bytes(eml("<other@kund.ee>", sender="jaan@firma.ee"))
    result = desk.run("sync", "--source", str(desk.inbox))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "ticketcli: 1 message(s) quarantined; see 'ticketcli quarantine list'"
    )
    stored = {m["message_id"] for t in desk.export() for m in t["messages"]}
    assert stored == {"<small@kund.ee>", "<other@kund.ee>"}

    [row] = json.loads(desk.run("quarantine", "list", "--format", "json").stdout)
    kib = f"{len(big) / 1024:.1f} KiB"
    assert row["reason"] == (
        f"message too large: {len(big)} bytes ({kib}); "
        f"max_message_size is {LIMIT} bytes"
    )
    assert row["size"] == len(big)
    shown = desk.run("quarantine", "show", str(row["id"]))
    assert shown.stdout_bytes == big

    # A second sync neither stores nor quarantines it again.
    again = desk.run("sync", "--source", str(desk.inbox))
    assert (again.exit_code, again.stderr) == (0, "")


def test_a_raised_limit_lets_quarantine_retry_store_it(desk: Desk) -> None:
    desk.deliver(_big())
    [row] = json.loads(desk.run("quarantine", "list", "--format", "json").stdout)
    write_config(
        desk.config,
        support_addresses=["support@acme-help.example"],
        staff_domains=["acme-help.example"],
        max_message_size="1 MB",
    )
    result = desk.run("quarantine", "retry", str(row["id"]))
    assert result.exit_code == 0, result.stderr
    assert json.loads(desk.run("quarantine", "list", "--format", "json").stdout) == []
    [ticket] = desk.export()
    assert ticket["subject"] == "Logs"


def test_import_quarantines_too_large_mail_and_exits_0(desk: Desk) -> None:
    """A too-large mail is no passing failure: the MTA must not retry it."""
    result = desk.run("import", "-", input=_big())
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(desk.run("quarantine", "list", "--format", "json").stdout)
    assert row["reason"].startswith("message too large")


def test_parse_refuses_a_file_over_the_limit(desk: Desk) -> None:
    path = desk.tmp / "big.eml"
    path.write_bytes(_big())
    result = desk.run("parse", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    size = len(_big())
    assert result.stderr == (
        f"Error: not parsed: message too large: {size} bytes "
        f"({size / 1024:.1f} KiB); max_message_size is {LIMIT} bytes\n"
    )
    refused = desk.run("parse", "-", input=_big())
    assert refused.exit_code == 2
    small = desk.tmp / "small.eml"
    small.write_bytes(eml("<small@kund.ee>"))
    assert "subject: Printer on katki" in desk.run("parse", str(small)).stdout


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10_000, 10_000),
        ("50MB", 50 * 1024 * 1024),
        ("50 MiB", 50 * 1024 * 1024),
        ("512 kb", 512 * 1024),
        ("1G", 1024**3),
        ("12345", 12345),
    ],
)
def test_max_message_size_takes_bytes_or_a_size(value: object, expected: int) -> None:
    from ticketcli.config import config_from_mapping

    assert config_from_mapping({"max_message_size": value}).max_message_size == (
        expected
    )


def test_max_message_size_defaults_to_50_mib() -> None:
    from ticketcli.config import Config, config_from_mapping

    assert config_from_mapping({}).max_message_size == 50 * 1024 * 1024
    assert Config().max_message_size == 50 * 1024 * 1024


@pytest.mark.parametrize("value", ['"5 TB"', '"lots"', "0", "-1", "true", "1.5"])
def test_a_bad_max_message_size_is_one_line_naming_the_key(
    tmp_path: Path, value: str
) -> None:
    from click.testing import CliRunner

    from ticketcli.cli import cli

    config = tmp_path / "config.toml"
    config.write_text(f"max_message_size = {value}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "parse", "-"], input=b"")
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert "max_message_size:" in line

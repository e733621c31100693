"""SMTP with AUTH XOAUTH2 / OAUTHBEARER against the real test server
(aiosmtpd checks the bearer token): an acknowledgement goes out through it,
and a refused token keeps the mail in the outbox with one clear line."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from tests.helpers import SUPPORT, MailDesk, eml
from tests.servers.smtp import TOKEN, USER
from ticketcli.cli import cli
from ticketcli.config import config_from_mapping
from ticketcli.mail.smtp import SmtpError, SmtpSender

if TYPE_CHECKING:
    from pathlib import Path

    from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.smtp


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", "2026-03-02T09:00:00Z")


def oauth_desk(tmp: Path, smtp: SmtpServer, auth: str, **ref: str) -> MailDesk:
    table = smtp.table(username=USER, auth=auth, **{"from": SUPPORT}, **ref)
    return MailDesk(tmp, None, smtp=table)


@pytest.mark.parametrize("auth", ["xoauth2", "oauthbearer"])
def test_an_acknowledgement_goes_out_with_a_bearer_token(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch, auth: str
) -> None:
    monkeypatch.setenv("SMTP_TOKEN", TOKEN)
    desk = oauth_desk(tmp_path, smtp, auth, token_env="SMTP_TOKEN")
    result = desk.run("-vv", "sync", "--source", str(desk.inbox))
    assert result.exit_code == 0, result.stderr
    (desk.inbox / "1.eml").write_bytes(eml("<q1@kund.ee>"))
    result = desk.run("-vv", "sync", "--source", str(desk.inbox))
    assert result.exit_code == 0, result.stderr
    [got] = smtp.wait_for(1)
    assert got.rcpt_tos == ("mari@kund.ee",)
    assert smtp.bearer_logins == [(auth.upper(), USER)]
    [row] = desk.outbox("--all")
    assert row["status"] == "sent"
    assert TOKEN not in result.stdout + result.stderr

    checked = CliRunner().invoke(
        cli, ["--config", str(desk.config), "--db", desk.db, "check",
              "--format", "json"], catch_exceptions=False,
    )  # fmt: skip
    assert checked.exit_code == 0, checked.stderr
    [smtp_row] = json.loads(checked.stdout)
    assert smtp_row["detail"] == (
        f"starttls 127.0.0.1:{smtp.port}, logged in as {USER}, auth {auth} "
        "(token from token_env, expiry unknown)"
    )


def test_a_refused_token_keeps_the_mail_queued_with_the_servers_words(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = "bad-Bearer-Token-2x"
    monkeypatch.setenv("SMTP_TOKEN", bad)
    desk = oauth_desk(tmp_path, smtp, "xoauth2", token_env="SMTP_TOKEN")
    desk.run("sync", "--source", str(desk.inbox))
    (desk.inbox / "1.eml").write_bytes(eml("<q1@kund.ee>"))
    result = desk.run("-vv", "sync", "--source", str(desk.inbox))
    assert smtp.received == []
    [row] = desk.outbox()
    assert row["status"] == "pending"  # kept; the next sync tries again
    [line] = [x for x in result.stderr.splitlines() if "outbox" in x and "smtp" in x]
    assert "smtp: xoauth2 login refused for 'ticketcli'" in line
    assert '"status":"401"' in line  # the server's SASL error challenge
    assert "likely causes" in line
    assert bad not in result.stdout + result.stderr


def test_the_sender_uses_smtp_username_not_the_mailbox(
    smtp: SmtpServer, tmp_path: Path
) -> None:
    """Microsoft 365: SMTP logs in as the account the token was issued to."""
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n", encoding="ascii")
    table = smtp.table(username="shared@acme.example", auth="xoauth2",
                       token_file=str(token))  # fmt: skip
    sender = SmtpSender(config_from_mapping({"smtp": table}).smtp)
    with pytest.raises(SmtpError) as refused:
        sender.connect()
    assert "login refused for 'shared@acme.example'" in refused.value.message
    assert "the account the token was issued to" in refused.value.message
    assert TOKEN not in refused.value.message
    assert smtp.bearer_logins == []

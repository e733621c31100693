"""SmtpSender against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING

import pytest

from tests.servers.smtp import PASSWORD
from ticketcli.config import config_from_mapping
from ticketcli.errors import ConfigError
from ticketcli.mail.smtp import SmtpError, SmtpSender

if TYPE_CHECKING:
    from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.smtp


def _mail(subject: str = "hello") -> bytes:
    msg = EmailMessage()
    msg["From"] = "support@example.com"
    msg["To"] = "customer@example.org"
    msg["Subject"] = subject
    msg.set_content("body õ š\n")
    return bytes(msg)


def _sender(smtp: SmtpServer, **table: object) -> SmtpSender:
    return SmtpSender(config_from_mapping({"smtp": smtp.table(**table)}).smtp)


def test_sends_over_starttls_with_login(smtp: SmtpServer) -> None:
    with _sender(smtp, login=True) as sender:
        refused = sender.send(_mail("one"), "support@example.com", ["a@x.org"])
        sender.send(_mail("two"), "support@example.com", ["b@x.org", "b@x.org"])
    got = smtp.wait_for(2)
    assert refused == []
    assert [r.message["Subject"] for r in got] == ["one", "two"]
    assert got[1].rcpt_tos == ("b@x.org",)
    assert got[0].mail_from == "support@example.com"


def test_wrong_password_is_one_line_without_the_secret(
    smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WRONG_PW", "not-the-password")
    sender = _sender(smtp, login=True, password_env="WRONG_PW")
    with pytest.raises(SmtpError) as caught:
        sender.send(_mail(), "support@example.com", ["a@x.org"])
    assert "login refused" in caught.value.message
    assert PASSWORD not in caught.value.message
    assert smtp.received == []


def test_refusals_say_whether_a_retry_can_help(smtp: SmtpServer) -> None:
    with _sender(smtp) as sender:
        smtp.refuse(451, "greylisted")
        with pytest.raises(SmtpError) as temporary:
            sender.send(_mail(), "support@example.com", ["a@x.org"])
        smtp.refuse(554, "no thanks")
        with pytest.raises(SmtpError) as permanent:
            sender.send(_mail(), "support@example.com", ["a@x.org"])
        sender.send(_mail("after"), "support@example.com", ["a@x.org"])
    assert not temporary.value.permanent
    assert "451 greylisted" in temporary.value.message
    assert permanent.value.permanent
    assert [r.message["Subject"] for r in smtp.wait_for(1)] == ["after"]


def test_untrusted_certificate_and_closed_port(smtp: SmtpServer) -> None:
    table = smtp.table()
    del table["ca_file"]
    with pytest.raises(SmtpError, match="not trusted"):
        SmtpSender(config_from_mapping({"smtp": table}).smtp).connect()
    closed = smtp.table(port=1)
    with pytest.raises(SmtpError, match="connection refused"):
        SmtpSender(config_from_mapping({"smtp": closed}).smtp).connect()


def test_no_host_and_clear_text_password_are_config_errors(smtp: SmtpServer) -> None:
    with pytest.raises(ConfigError, match="smtp.host"):
        SmtpSender(config_from_mapping({}).smtp)
    remote = {"host": "smtp.example.com", "tls": "none", "username": "u",
              "password_env": "X"}  # fmt: skip
    with pytest.raises(ConfigError, match="clear text"):
        SmtpSender(config_from_mapping({"smtp": remote}).smtp).connect()

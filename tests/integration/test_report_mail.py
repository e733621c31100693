"""`report --mail` against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import pytest

from tests.helpers import (
    PAYLOADS,
    Page,
    assert_mail_safe,
    hostile_desk,
)
from tests.servers.smtp import PASSWORD

if TYPE_CHECKING:
    from email.message import EmailMessage
    from pathlib import Path

    from tests.helpers import Desk
    from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.smtp

NOW = "2026-03-04T05:00:00Z"


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETCLI_NOW", NOW)


def _desk(tmp_path: Path, smtp: SmtpServer, **config: object) -> Desk:
    config.setdefault("report", {"recipients": ["lead@acme.example"]})
    return hostile_desk(
        tmp_path,
        smtp=smtp.table(login=True, **{"from": "report@acme.example"}),
        **config,
    )


def _parts(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    return plain.get_content(), html.get_content()


def test_report_mail_arrives_whole_and_safe(tmp_path: Path, smtp: SmtpServer) -> None:
    desk = _desk(tmp_path, smtp)
    result = desk.run("report", "--mail")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    [got] = smtp.wait_for(1)
    assert got.mail_from == "report@acme.example"
    assert got.rcpt_tos == ("lead@acme.example",)
    message = got.message
    assert message["From"] == "report@acme.example"
    assert message["To"] == "lead@acme.example"
    assert message["Subject"] == "Support report for the week 2026-03-02 – 2026-03-03"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@acme.example>")
    assert (
        parsedate_to_datetime(message["Date"]).isoformat()
        == "2026-03-04T05:00:00+00:00"
    )
    assert PASSWORD.encode() not in got.data
    plain, html = _parts(message)
    page = assert_mail_safe(html)
    for payload in PAYLOADS:
        assert f"Printer {payload} #" in page.text
        assert f"Printer {payload} #" in plain  # text is text: not escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html
    assert "Summary" in plain
    assert "The pool: tickets without an owner (6)" in plain


def test_to_overrides_recipients_and_lang_translates_subject_and_parts(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    desk = _desk(tmp_path, smtp)
    result = desk.run(
        "report", "--mail", "--to", "a@acme.example", "--to", "b@acme.example",
        "--lang", "et", "--period", "day",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    [got] = smtp.wait_for(1)
    assert got.rcpt_tos == ("a@acme.example", "b@acme.example")
    message = got.message
    assert message["Subject"] == "Klienditoe aruanne: 2026-03-03"
    assert message["Content-Language"] == "et"
    plain, html = _parts(message)
    assert "Kokkuvõte" in plain
    assert "Kokkuvõte" in Page(html).sections
    assert "Summary" not in plain


def test_refusal_is_one_line_and_exit_1(tmp_path: Path, smtp: SmtpServer) -> None:
    desk = _desk(tmp_path, smtp)
    smtp.refuse(554, "no thanks", times=None)
    result = desk.run("report", "--mail")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "554" in result.stderr
    assert PASSWORD not in result.stderr


def test_html_and_mail_together(tmp_path: Path, smtp: SmtpServer) -> None:
    desk = _desk(tmp_path, smtp)
    out = tmp_path / "report.html"
    result = desk.run("report", "--mail", "--html", str(out))
    assert result.exit_code == 0, result.stderr
    [got] = smtp.wait_for(1)
    _, html = _parts(got.message)
    assert html.replace("\r\n", "\n") == out.read_text(encoding="utf-8")

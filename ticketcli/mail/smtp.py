"""Handing finished mail to the configured SMTP server: the one place that does.

The outbox, `report --mail` and `check` all talk SMTP through ``SmtpSender``,
so TLS, login, secrets and the wording of failures are the same everywhere.
A sender connects on first use and keeps the connection for the next mail:
flushing an outbox of fifty acknowledgements is one login, not fifty.

Failures are ``SmtpError`` with one line for an operator. ``permanent`` tells
the outbox whether trying again later can help (5xx: the server refused this
mail or these recipients) or not (a network failure, 4xx, a login problem
that someone will fix).
"""

from __future__ import annotations

import smtplib
import ssl
from typing import TYPE_CHECKING

from ticketcli.errors import ConfigError, TicketcliError
from ticketcli.mail.net import is_local, network_error
from ticketcli.secrets import read_secret

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ticketcli.config import SmtpConfig


class SmtpError(TicketcliError):
    """The server could not be reached, refused us, or refused the mail."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def _text(said: bytes | str) -> str:
    text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
    return " ".join(text.split())


class SmtpSender:
    """One connection to ``[smtp]``, opened on the first send."""

    def __init__(self, smtp: SmtpConfig) -> None:
        if not smtp.host:
            raise ConfigError("smtp.host: nothing can be sent without an [smtp] host")
        self.smtp = smtp
        self._conn: smtplib.SMTP | None = None
        self._password = ""

    def __repr__(self) -> str:  # never the password, whatever prints us
        return f"SmtpSender({self.smtp.host}:{self.smtp.port}, tls={self.smtp.tls})"

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def where(self) -> str:
        return f"{self.smtp.host}:{self.smtp.port}"

    def _scrub(self, text: str) -> str:
        secret = self._password
        return text.replace(secret, "***") if len(secret) >= 3 else text

    def connect(self) -> smtplib.SMTP:
        """Connect, EHLO, STARTTLS and log in as configured (once)."""
        if self._conn is not None:
            return self._conn
        smtp = self.smtp
        host = smtp.host or ""
        if smtp.username:
            if smtp.tls == "none" and not is_local(host):
                raise ConfigError(
                    'smtp.tls: "none" would send the password in clear text; '
                    'use "starttls" or "ssl"'
                )
            self._password = read_secret(smtp.password, "smtp: password")
        try:
            context = (
                ssl.create_default_context(cafile=smtp.ca_file)
                if smtp.tls != "none"
                else None
            )
        except OSError as exc:
            raise ConfigError(
                f"smtp.ca_file: cannot use {smtp.ca_file} ({exc.strerror or exc})"
            ) from None
        conn: smtplib.SMTP | None = None
        try:
            if smtp.tls == "ssl":
                conn = smtplib.SMTP_SSL(
                    host, smtp.port, timeout=smtp.timeout, context=context
                )
            else:
                conn = smtplib.SMTP(host, smtp.port, timeout=smtp.timeout)
            conn.ehlo()
            if smtp.tls == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if smtp.username:
                conn.login(smtp.username, self._password)
        except smtplib.SMTPNotSupportedError:
            _close(conn)
            raise SmtpError(
                f'smtp: {self.where} does not offer STARTTLS; use tls = "ssl"'
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            _close(conn)
            raise SmtpError(
                self._scrub(
                    f"smtp: login refused for {smtp.username!r} on {self.where} "
                    f"({_text(exc.smtp_error)})"
                )
            ) from None
        except smtplib.SMTPException as exc:
            _close(conn)
            raise SmtpError(self._scrub(f"smtp: {self.where}: {exc}")) from None
        except OSError as exc:
            _close(conn)
            message = network_error(exc, host, smtp.port, smtp.timeout)
            raise SmtpError(self._scrub(f"smtp: {message}")) from None
        self._conn = conn
        return conn

    def send(self, data: bytes, sender: str, recipients: Iterable[str]) -> list[str]:
        """Hand one finished mail over. Returns the recipients the server
        refused while taking it for the others (the mail counts as sent: a
        retry would give the others a second copy). Raises SmtpError when no
        one got it; nothing is retried here, the caller's outbox decides."""
        rcpt = list(dict.fromkeys(recipients))
        if not rcpt:
            raise SmtpError("smtp: a mail with no recipients", permanent=True)
        conn = self.connect()
        try:
            refused = conn.sendmail(sender, rcpt, data)
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset()
            said = "; ".join(
                f"{addr}: {code} {_text(text)}"
                for addr, (code, text) in exc.recipients.items()
            )
            permanent = all(code >= 500 for code, _ in exc.recipients.values())
            raise SmtpError(
                f"smtp: recipients refused ({said})", permanent=permanent
            ) from None
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise SmtpError(
                f"smtp: {self.where} refused the mail "
                f"({exc.smtp_code} {_text(exc.smtp_error)})",
                permanent=exc.smtp_code >= 500,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            message = f"smtp: sending to {self.where} failed: {exc}"
            raise SmtpError(self._scrub(message)) from None
        return [f"{a}: {c} {_text(t)}" for a, (c, t) in refused.items()]

    def _reset(self) -> None:
        """After a refusal the session is still good for the next mail."""
        if self._conn is None:
            return
        try:
            self._conn.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            pass
        _close(conn)


def _close(conn: smtplib.SMTP | None) -> None:
    if conn is not None:
        try:
            conn.close()
        except OSError:
            pass

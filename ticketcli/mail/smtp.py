"""Handing finished mail to the configured SMTP server: the one place that does.

The outbox, `report --mail` and `check` all talk SMTP through ``SmtpSender``,
so TLS, login, secrets and the wording of failures are the same everywhere.
A sender connects on first use and keeps the connection for the next mail:
flushing an outbox of fifty acknowledgements is one login, not fifty.

Failures are ``SmtpError`` with one line for an operator. ``permanent`` tells
the outbox whether trying again later can help (5xx: the server refused this
mail or these recipients) or not (a network failure, 4xx, a login problem
that someone will fix).

``auth = "xoauth2"`` / ``"oauthbearer"`` logs in with ``AUTH`` and a bearer
token from ``ticketcli.oauth2`` instead of a password; ``username`` is then
the account the token was issued to (for Microsoft 365 not a shared
mailbox's address, unlike IMAP).
"""

from __future__ import annotations

import smtplib
import ssl
from typing import TYPE_CHECKING

from ticketcli.errors import ConfigError, TicketcliError
from ticketcli.mail.net import is_local, network_error
from ticketcli.oauth2 import (
    AccessToken,
    OAuth2Error,
    bearer_token,
    login_hint,
    oauthbearer_string,
    xoauth2_string,
)
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
        self.token: AccessToken | None = None  # the last one logged in with
        self._sasl_said: list[str] = []

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
        for secret in (self._password, self.token.value if self.token else ""):
            if len(secret) >= 3:
                text = text.replace(secret, "***")
        return text

    def connect(self) -> smtplib.SMTP:
        """Connect, EHLO, STARTTLS and log in as configured (once)."""
        if self._conn is not None:
            return self._conn
        smtp = self.smtp
        host = smtp.host or ""
        oauth = smtp.auth != "password"
        secret = "token" if oauth else "password"
        if smtp.username:
            if smtp.tls == "none" and not is_local(host):
                raise ConfigError(
                    f'smtp.tls: "none" would send the {secret} in clear text; '
                    'use "starttls" or "ssl"'
                )
            if oauth:
                try:
                    self.token = bearer_token(smtp.token, smtp.oauth2, "smtp")
                except OAuth2Error as exc:  # the outbox keeps the mail and retries
                    raise SmtpError(exc.message) from None
            else:
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
            if smtp.username and oauth:
                self._bearer_login(conn)
            elif smtp.username:
                conn.login(smtp.username, self._password)
        except smtplib.SMTPNotSupportedError as exc:
            _close(conn)
            if "AUTH" in str(exc):
                raise SmtpError(
                    f"smtp: {self.where} does not offer AUTH {smtp.auth.upper()}"
                ) from None
            raise SmtpError(
                f'smtp: {self.where} does not offer STARTTLS; use tls = "ssl"'
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            _close(conn)
            if oauth:
                token = self.token
                said = (_text(exc.smtp_error), *self._sasl_said)
                reason = " ".join(t for t in said if t)
                raise SmtpError(
                    self._scrub(
                        f"smtp: {smtp.auth} login refused for {smtp.username!r} on "
                        f"{self.where} ({exc.smtp_code} {reason}; token from "
                        f"{token.origin if token else '?'}, "
                        f"{token.expiry_text() if token else 'no token'}); "
                        f"{login_hint('smtp')}"
                    )
                ) from None
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

    def _bearer_login(self, conn: smtplib.SMTP) -> None:
        """AUTH XOAUTH2 / OAUTHBEARER. What the server says in its SASL error
        challenge (when it refuses the token) is kept for the error line."""
        smtp, token = self.smtp, self.token
        assert token is not None
        assert smtp.username
        said = self._sasl_said = []
        if smtp.auth == "xoauth2":
            initial = xoauth2_string(smtp.username, token.value)
        else:
            initial = oauthbearer_string(
                smtp.username, token.value, smtp.host or "", smtp.port
            )

        def respond(challenge: bytes | None = None) -> str:
            if challenge is None:
                return initial
            said.append(_text(challenge))
            return "\x01" if smtp.auth == "oauthbearer" else ""

        conn.auth(smtp.auth.upper(), respond, initial_response_ok=True)

    def send(self, data: bytes, sender: str, recipients: Iterable[str]) -> list[str]:
        """Hand one finished mail over. Returns the recipients the server
        refused while taking it for the others (the mail counts as sent: a
        retry would give the others a second copy). Raises SmtpError when no
        one got it; nothing is retried here, the caller's outbox decides."""
        rcpt = list(dict.fromkeys(recipients))
        if not rcpt:
            raise SmtpError("smtp: a mail with no recipients", permanent=True)
        conn = self.connect()
        # A non-ASCII address (RFC 6531) needs the server's SMTPUTF8.
        utf8 = not all(a.isascii() for a in (sender, *rcpt))
        try:
            refused = conn.sendmail(
                sender, rcpt, data, mail_options=["SMTPUTF8"] if utf8 else []
            )
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

    def offers(self, extension: str) -> bool:
        """Whether the server names ``extension`` (e.g. "smtputf8") in its
        EHLO answer; connects (and logs in) if not connected yet."""
        return bool(self.connect().has_extn(extension))

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

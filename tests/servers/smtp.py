"""A real SMTP server on 127.0.0.1 for the tests: aiosmtpd, in this process.

``SmtpServer`` runs aiosmtpd's ``Controller`` on a free port with a handler
that keeps every mail it accepts (envelope and bytes). It speaks STARTTLS
with a private CA (the same certificates the Dovecot tests make), and takes
one login (``USER``/``PASSWORD``) when a test configures ``username``, and
``AUTH XOAUTH2`` / ``OAUTHBEARER`` for ``USER`` with a bearer token in
``tokens`` (``TOKEN`` unless a test changes it); a refused token gets the
JSON error challenge Gmail and Exchange send, then 535.

A test can make it misbehave: ``refuse(code, text)`` answers the next DATA
(or every one, ``times=None``) with that reply, so the outbox's retry and
give-up paths run against a real server's refusal, not a mock.

Fixtures: ``smtp_server`` (one per session) and ``smtp`` (the same server,
emptied and healed before each test; its ``table()`` is an ``[smtp]`` config
table for ``write_config`` and sets the password variable it names).
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

IN_CI = os.environ.get("CI", "").lower() == "true"
HOST = "127.0.0.1"
USER = "ticketcli"
# Distinctive, so tests can assert it never shows up in any output.
PASSWORD = "smtp-Test-Secret-8k2w"
PASSWORD_ENV = "TICKETCLI_TEST_SMTP_PASSWORD"
TOKEN = "smtp-Bearer-Token-6h3p"


class SmtpUnavailableError(RuntimeError):
    """aiosmtpd (or openssl for the certificates) is not installed."""


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class SmtpServer:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.tokens: set[str] = {TOKEN}
        self.bearer_logins: list[tuple[str, str]] = []  # (mechanism, user)
        self.port = 0
        self.ca_file = ""
        self._lock = threading.Lock()
        self._refusals: list[tuple[int, str]] = []
        self._refuse_always: tuple[int, str] | None = None
        self._controller: Any = None
        self._tmp = tempfile.TemporaryDirectory(prefix="ticketcli-smtp-")

    # -- control --------------------------------------------------------------

    def start(self) -> SmtpServer:
        try:
            from aiosmtpd.controller import Controller
            from aiosmtpd.smtp import AuthResult
        except ImportError as exc:
            raise SmtpUnavailableError(
                f"aiosmtpd is not installed ({exc}); pip install aiosmtpd "
                "or sh tests/install.sh"
            ) from None
        from tests.servers.dovecot import DovecotUnavailableError, make_certificates

        base = Path(self._tmp.name)
        try:
            ca, cert, key = make_certificates(base)
        except DovecotUnavailableError as exc:
            raise SmtpUnavailableError(str(exc)) from None
        self.ca_file = str(ca)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                         auth_data: Any) -> AuthResult:  # fmt: skip
            login = getattr(auth_data, "login", b"") or b""
            password = getattr(auth_data, "password", b"") or b""
            ok = login == USER.encode() and password == PASSWORD.encode()
            return AuthResult(success=ok, handled=False)

        self.port = _free_port()
        self._controller = Controller(
            _Handler(self),
            hostname=HOST,
            port=self.port,
            tls_context=context,
            authenticator=authenticate,
            auth_required=False,
            auth_require_tls=True,
            ready_timeout=10,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        self._tmp.cleanup()

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self._refusals.clear()
            self._refuse_always = None
            self.tokens = {TOKEN}
            self.bearer_logins.clear()

    def refuse(self, code: int = 451, text: str = "try again later", *,
               times: int | None = 1) -> None:  # fmt: skip
        """Answer the next `times` mails (None: all, until reset) with `code`."""
        with self._lock:
            if times is None:
                self._refuse_always = (code, text)
            else:
                self._refusals.extend([(code, text)] * times)

    def table(self, *, login: bool = False, **extra: Any) -> dict[str, Any]:
        """An [smtp] table pointing at this server (STARTTLS, our CA)."""
        table: dict[str, Any] = {
            "host": HOST,
            "port": self.port,
            "tls": "starttls",
            "ca_file": self.ca_file,
            "timeout": 10,
        }
        if login:
            os.environ[PASSWORD_ENV] = PASSWORD
            table.update(username=USER, password_env=PASSWORD_ENV)
        table.update(extra)
        return table

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The mails received so far, once there are at least `count`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        with self._lock:
            return list(self.received)

    # -- handler side -----------------------------------------------------------

    def _take(self, envelope: Any) -> str:
        with self._lock:
            refusal = self._refusals.pop(0) if self._refusals else self._refuse_always
            if refusal is not None:
                code, text = refusal
                return f"{code} {text}"
            self.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    data=bytes(envelope.original_content or envelope.content),
                )
            )
        return "250 OK"


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> Any:  # noqa: N802 - aiosmtpd finds auth_<MECHANISM>
        return await self._bearer(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server: Any, args: list[str]) -> Any:  # noqa: N802
        return await self._bearer(server, args, "OAUTHBEARER")

    async def _bearer(self, server: Any, args: list[str], mechanism: str) -> Any:
        """Check the user and bearer token of an XOAUTH2/OAUTHBEARER response."""
        import base64
        import binascii

        from aiosmtpd.smtp import MISSING, AuthResult

        if len(args) > 1:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                return AuthResult(
                    success=False, handled=False, message="501 5.5.2 bad base64"
                )
        else:
            blob = await server.challenge_auth("")
            if blob is MISSING:
                return AuthResult(success=False, handled=True)
        fields = dict(
            part.split("=", 1) for part in blob.decode().split("\x01") if "=" in part
        )
        user = fields.get("user", "")
        if mechanism == "OAUTHBEARER":
            gs2 = blob.decode().split("\x01", 1)[0]  # n,a=user,
            user = gs2.split("a=", 1)[1].rstrip(",") if "a=" in gs2 else ""
        token = fields.get("auth", "").removeprefix("Bearer ")
        with self.server._lock:
            ok = user == USER and token in self.server.tokens
            if ok:
                self.server.bearer_logins.append((mechanism, user))
        if ok:
            return AuthResult(success=True)
        error = (
            b'{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}'
        )
        await server.challenge_auth(error)  # the client answers with an empty line
        return AuthResult(
            success=False,
            handled=False,
            message="535 5.7.8 Username and Password not accepted",
        )

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        return self.server._take(envelope)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# -- pytest ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    try:
        server = SmtpServer().start()
    except SmtpUnavailableError as exc:
        if IN_CI:
            pytest.fail(f"the SMTP test server is required in CI: {exc}")
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    """The session's server, empty, accepting everything, password in the env."""
    smtp_server.reset()
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return smtp_server


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        running = SmtpServer().start()
        print(f"smtp {HOST}:{running.port} (starttls), CA {running.ca_file}")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            running.stop()

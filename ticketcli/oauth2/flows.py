"""The grants, through authlib's OAuth2 client (the ``oauth2`` extra).

authlib does the protocol (token requests, PKCE, error responses); this
module adds what an operator needs: each failure as one line that says what
to do, with no token, refresh token or client secret in it. authlib (and
requests under it) is imported on first use, so a config without
``[oauth2.*]`` never needs the extra.

Every function returns the token endpoint's answer as a dict with
``access_token``, ``expires_at`` (epoch seconds) and maybe ``refresh_token``.
"""

from __future__ import annotations

import functools
import html
import http.server
import re
import secrets
import threading
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

from ticketcli.oauth2.errors import OAuth2Error

if TYPE_CHECKING:
    from collections.abc import Callable

    from ticketcli.config import OAuth2Config

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TIMEOUT = 30.0  # seconds for one request to the token endpoint
LOGIN_TIMEOUT = 300.0  # seconds a person has to finish an interactive login
_AADSTS = re.compile(r"AADSTS\d+")
_CONSENT_CODES = ("AADSTS65001", "AADSTS65004", "AADSTS50079", "AADSTS50076")
_CLIENT_CODES = ("AADSTS700016", "AADSTS90002", "AADSTS900023", "AADSTS7000215",
                 "AADSTS50020", "AADSTS500011")  # fmt: skip


@functools.cache
def _authlib() -> tuple[Any, type[Exception], tuple[type[Exception], ...]]:
    """(OAuth2Session, OAuthError, network errors), imported on first use."""
    try:
        import requests
        from authlib.common.errors import AuthlibBaseError
        from authlib.integrations.requests_client import OAuth2Session
    except ImportError:
        raise OAuth2Error(
            "the built-in OAuth2 providers need the oauth2 extra: "
            "pip install 'ticketcli[oauth2]' (or use token_command)"
        ) from None
    return OAuth2Session, AuthlibBaseError, (requests.RequestException, ValueError)


class Grant:
    """One ``[oauth2.NAME]`` app talking to its token endpoint."""

    def __init__(self, config: OAuth2Config, client_secret: str | None) -> None:
        self.config = config
        self.what = f"oauth2.{config.name}"
        self._secret = client_secret or ""

    def _session(self, **extra: Any) -> Any:
        session_class, _, _ = _authlib()
        return session_class(
            client_id=self.config.client_id,
            client_secret=self._secret or None,
            scope=" ".join(self.config.scopes),
            token_endpoint_auth_method="client_secret_post" if self._secret else "none",
            timeout=TIMEOUT,
            **extra,
        )

    # -- the grants ------------------------------------------------------------

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """A new access token for the refresh token ``auth login`` stored."""
        return self._call(
            lambda s: s.refresh_token(
                self.config.token_url, refresh_token=refresh_token
            ),
            hidden=(refresh_token,),
        )

    def client_credentials(self) -> dict[str, Any]:
        """App-only: the app's own token (Microsoft client credentials)."""
        if not self._secret:
            raise OAuth2Error(
                f"{self.what}: client_credentials needs client_secret_env, "
                "client_secret_file or client_secret_command"
            )
        return self._call(
            lambda s: s.fetch_token(
                self.config.token_url, grant_type="client_credentials"
            )
        )

    def device_code(self, show: Callable[[str], None]) -> dict[str, Any]:
        """RFC 8628: show a code for a person to enter in a browser, then poll."""
        url = self.config.device_url
        if not url:
            raise OAuth2Error(f"{self.what}: this provider has no device_url")
        _, _, network = _authlib()
        session = self._session()
        try:
            answer = session.post(
                url,
                data={
                    "client_id": self.config.client_id,
                    "scope": " ".join(self.config.scopes),
                },
                timeout=TIMEOUT,
                withhold_token=True,  # no token yet: this asks for one
            )
            start = answer.json()
        except network as exc:
            raise self._unreachable(url, exc) from None
        if "device_code" not in start:
            raise self._refused(str(start.get("error", answer.status_code)),
                                str(start.get("error_description", "")))  # fmt: skip
        show(
            start.get("message")
            or f"To sign in, open {start.get('verification_uri')} and enter the "
            f"code {start.get('user_code')}"
        )
        interval = float(start.get("interval", 5))
        deadline = time.monotonic() + float(start.get("expires_in", LOGIN_TIMEOUT))
        while time.monotonic() < deadline:
            try:
                return self._call(
                    lambda s: s.fetch_token(
                        self.config.token_url,
                        grant_type=DEVICE_GRANT,
                        device_code=start["device_code"],
                    ),
                    pending=True,
                )
            except _Pending as pending:
                interval += 5 if pending.slow_down else 0
            time.sleep(interval)
        raise OAuth2Error(f"{self.what}: the sign-in code expired; run it again")

    def loopback(self, show: Callable[[str], None]) -> dict[str, Any]:
        """The installed-app flow: a browser comes back to 127.0.0.1 with a code
        (PKCE S256), which is exchanged for tokens."""
        if not self.config.auth_url:
            raise OAuth2Error(f"{self.what}: this provider has no auth_url")
        got: dict[str, str] = {}
        server = _one_redirect(got)
        redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/"
        verifier = secrets.token_urlsafe(48)
        try:
            session = self._session(
                redirect_uri=redirect_uri, code_challenge_method="S256"
            )
            url, state = session.create_authorization_url(
                self.config.auth_url,
                code_verifier=verifier,
                access_type="offline",  # Google: hand out a refresh token
                prompt="consent",
            )
            show(f"Open this address in a browser and sign in: {url}")
            thread = threading.Thread(target=server.handle_request, daemon=True)
            server.timeout = LOGIN_TIMEOUT
            thread.start()
            thread.join(LOGIN_TIMEOUT + 1)
        finally:
            server.server_close()
        if got.get("state") != state:
            raise OAuth2Error(f"{self.what}: no sign-in came back (or a wrong state)")
        if "code" not in got:
            raise self._refused(got.get("error", "no code"),
                                got.get("error_description", ""))  # fmt: skip
        return self._call(
            lambda s: s.fetch_token(
                self.config.token_url,
                grant_type="authorization_code",
                code=got["code"],
                code_verifier=verifier,
                redirect_uri=redirect_uri,
            ),
            hidden=(got["code"],),
        )

    # -- errors ----------------------------------------------------------------

    def _call(
        self,
        request: Callable[[Any], Any],
        *,
        hidden: tuple[str, ...] = (),
        pending: bool = False,
    ) -> dict[str, Any]:
        _, oauth_error, network = _authlib()
        try:
            token = dict(request(self._session()))
        except oauth_error as exc:
            code = str(getattr(exc, "error", "") or "error")
            if pending and code in ("authorization_pending", "slow_down"):
                raise _Pending(code == "slow_down") from None
            description = str(getattr(exc, "description", "") or "")
            raise self._refused(code, description, hidden) from None
        except network as exc:
            raise self._unreachable(self.config.token_url, exc) from None
        if not token.get("access_token"):
            raise OAuth2Error(f"{self.what}: the token endpoint sent no access token")
        if "expires_at" not in token:
            token["expires_at"] = time.time() + float(token.get("expires_in", 3600))
        return token

    def _unreachable(self, url: str, exc: BaseException) -> OAuth2Error:
        host = urllib.parse.urlsplit(url).netloc or url
        return OAuth2Error(
            f"{self.what}: the token endpoint {host} is unreachable "
            f"({type(exc).__name__}); the next sync tries again"
        )

    def _refused(
        self, code: str, description: str, hidden: tuple[str, ...] = ()
    ) -> OAuth2Error:
        """One line for each way a provider says no, and what to do about it."""
        name = self.config.name
        found = _AADSTS.search(description)
        said = found.group(0) if found else " ".join(description.split())[:160]
        for secret in (self._secret, *hidden):
            if secret and len(secret) >= 3:
                said = said.replace(secret, "***")
        said = f"{code}: {said}" if said else code
        again = f"run `ticketcli auth login {name}` again"
        if code in ("consent_required", "interaction_required") or (
            found and found.group(0) in _CONSENT_CODES
        ):
            message = (
                f"consent is missing for {' '.join(self.config.scopes)} ({said}); "
                f"{again} (a tenant admin may have to consent for the app)"
            )
        elif code in ("invalid_client", "unauthorized_client") or (
            found and found.group(0) in _CLIENT_CODES
        ):
            message = (
                f"the token endpoint does not accept this app ({said}); check "
                "client_id, tenant and the client secret"
            )
        elif code == "invalid_grant":
            message = f"the refresh token is expired or revoked ({said}); {again}"
        elif code == "invalid_scope":
            message = f"scopes refused ({said}); check scopes"
        else:
            message = f"the token endpoint refused ({said})"
        return OAuth2Error(f"{self.what}: {message}")


class _Pending(Exception):  # noqa: N818 - a signal, not an error
    def __init__(self, slow_down: bool) -> None:
        super().__init__("pending")
        self.slow_down = slow_down


def _one_redirect(got: dict[str, str]) -> http.server.HTTPServer:
    """A server on a free 127.0.0.1 port that takes one browser redirect."""

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            got.update({k: v[0] for k, v in query.items() if v})
            text = (
                "Signed in: you can close this window."
                if "code" in got
                else ("Sign-in failed: " + html.escape(got.get("error", "no code")))
            )
            body = f"<!doctype html><title>ticketcli</title><p>{text}</p>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # the URL holds the code
            return

    return http.server.HTTPServer(("127.0.0.1", 0), Redirect)

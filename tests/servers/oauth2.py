"""A small OAuth2 token endpoint on 127.0.0.1 for the provider tests.

No identity provider can be reached from the test machines, so this plays
one: ``/token`` (refresh_token, client_credentials, device_code and
authorization_code grants), ``/devicecode`` (RFC 8628) and ``/authorize``
(which redirects straight back, as a browser would after consent). The
access tokens it issues are JWTs Dovecot's oauth2 passdb accepts
(``mint_jwt``), so a token got from here logs in to the test Dovecot.

A test can revoke refresh tokens, make refreshes slow (to race two syncs)
and count what was asked for. Error answers look like Microsoft's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers.dovecot import mint_jwt

HOST = "127.0.0.1"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
# Distinctive, so tests can assert they never show up in any output.
CLIENT_SECRET = "client-Secret-Value-9z8y"
REFRESH_TOKEN = "refresh-Token-Value-4q7r"


class TokenEndpoint:
    def __init__(self, *, lifetime: float = 3600) -> None:
        self.lifetime = lifetime  # seconds an issued access token lives
        self.refresh_tokens = {REFRESH_TOKEN}
        self.rotate = False  # hand out a new refresh token on each refresh
        self.delay = 0.0  # seconds a refresh takes (to race two syncs)
        self.calls: list[str] = []  # the grant types asked for, in order
        self.issued: list[str] = []  # every access token handed out
        self.pending_polls = 1  # device flow: "authorization_pending" this often
        self.consent_missing = False  # refreshes answer AADSTS65001
        self._codes: dict[str, str] = {}  # authorization code -> code_challenge
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                size = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(size).decode()))
                status, body = endpoint._post(self.path, form)
                self._reply(status, body)

            def do_GET(self) -> None:  # noqa: N802
                query = dict(
                    urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)
                )
                code = secrets.token_urlsafe(8)
                with endpoint._lock:
                    endpoint._codes[code] = query.get("code_challenge", "")
                back = (
                    query["redirect_uri"]
                    + "?"
                    + urllib.parse.urlencode(
                        {"code": code, "state": query.get("state", "")}
                    )
                )
                self.send_response(302)
                self.send_header("Location", back)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self.port = int(self._server.server_address[1])
        self.url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> TokenEndpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count(self, grant: str) -> int:
        with self._lock:
            return self.calls.count(grant)

    def revoke(self) -> None:
        with self._lock:
            self.refresh_tokens.clear()

    def table(self, **extra: Any) -> dict[str, Any]:
        """An [oauth2.NAME] table for this endpoint (a Microsoft app)."""
        table: dict[str, Any] = {
            "provider": "microsoft",
            "tenant": "contoso.example",
            "client_id": CLIENT_ID,
            "token_url": f"{self.url}/token",
            "device_url": f"{self.url}/devicecode",
            "auth_url": f"{self.url}/authorize",
        }
        table.update(extra)
        return table

    # -- the endpoint ---------------------------------------------------------

    def _token(self, refresh: bool) -> dict[str, Any]:
        access = mint_jwt(lifetime=self.lifetime, jti=secrets.token_hex(8))
        self.issued.append(access)
        answer: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": int(self.lifetime),
        }
        if refresh:
            new = REFRESH_TOKEN
            if self.rotate:
                new = f"{REFRESH_TOKEN}-{secrets.token_hex(4)}"
                self.refresh_tokens.add(new)
            answer["refresh_token"] = new
        return answer

    def _post(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id", CLIENT_ID) != CLIENT_ID:
            return 400, _error("invalid_client", "AADSTS700016: Application not found")
        if path == "/devicecode":
            return 200, {
                "device_code": "device-code-1",
                "user_code": "ABCD-EFGH",
                "verification_uri": "https://microsoft.com/devicelogin",
                "interval": 0,
                "expires_in": 60,
                "message": "To sign in, open https://microsoft.com/devicelogin "
                "and enter the code ABCD-EFGH",
            }
        grant = form.get("grant_type", "")
        with self._lock:
            self.calls.append(grant)
        if grant == "refresh_token":
            time.sleep(self.delay)
            if self.consent_missing:
                return 400, _error(
                    "invalid_grant",
                    "AADSTS65001: The user or administrator has not consented to "
                    "use the application",
                )
            with self._lock:
                if form.get("refresh_token") not in self.refresh_tokens:
                    return 400, _error(
                        "invalid_grant",
                        "AADSTS70008: The refresh token has expired or is revoked",
                    )
                return 200, self._token(refresh=True)
        if grant == "client_credentials":
            if form.get("client_secret") != CLIENT_SECRET:
                return 401, _error("invalid_client", "AADSTS7000215: Invalid secret")
            return 200, self._token(refresh=False)
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            with self._lock:
                if self.pending_polls > 0:
                    self.pending_polls -= 1
                    return 400, _error("authorization_pending", "AADSTS70016")
                return 200, self._token(refresh=True)
        if grant == "authorization_code":
            with self._lock:
                challenge = self._codes.pop(form.get("code", ""), None)
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if challenge != base64.urlsafe_b64encode(digest).rstrip(b"=").decode():
                return 400, _error("invalid_grant", "wrong code or code_verifier")
            with self._lock:
                return 200, self._token(refresh=True)
        return 400, _error("unsupported_grant_type", grant)


def _error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description}

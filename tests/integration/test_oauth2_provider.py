"""The built-in OAuth2 flows against a token endpoint on 127.0.0.1: sign-in
(device code, loopback redirect), the token cache, refresh, and the one line
each failure gives. No identity provider is reachable from here, and none is
needed: ``tests/servers/oauth2.py`` plays one."""

from __future__ import annotations

import json
import logging
import stat
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests
from click.testing import CliRunner

from tests.conftest import REPO
from tests.servers.oauth2 import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, TokenEndpoint
from ticketcli import oauth2
from ticketcli.cli import cli
from ticketcli.config import config_from_mapping
from ticketcli.oauth2 import flows

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from ticketcli.config import OAuth2Config


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    server = TokenEndpoint().start()
    try:
        yield server
    finally:
        server.stop()


def app(endpoint: TokenEndpoint, tmp: Path, **extra: Any) -> OAuth2Config:
    extra.setdefault("cache_file", str(tmp / "state" / "oauth2" / "support.json"))
    config = config_from_mapping({"oauth2": {"support": endpoint.table(**extra)}})
    return config.oauth2["support"]


def write_config(tmp: Path, table: dict[str, Any]) -> Path:
    lines = ["[oauth2.support]", *(f"{k} = {json.dumps(v)}" for k, v in table.items())]
    path = tmp / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli_run(config: Path, *args: str) -> Any:
    return CliRunner().invoke(
        cli, ["--config", str(config), "-vv", *args], catch_exceptions=False
    )


def no_secret(text: str, endpoint: TokenEndpoint) -> None:
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, *endpoint.issued):
        assert secret not in text


def test_auth_login_runs_the_device_code_flow_and_stores_0600(
    endpoint: TokenEndpoint, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "state" / "oauth2" / "support.json"
    config = write_config(tmp_path, endpoint.table(cache_file=str(cache)))
    caplog.set_level(logging.DEBUG)
    result = cli_run(config, "auth", "login", "support")
    assert result.exit_code == 0, result.stderr
    assert "enter the code ABCD-EFGH" in result.stderr
    assert result.stdout.startswith("oauth2.support: signed in; access token expires")
    assert endpoint.count("urn:ietf:params:oauth:grant-type:device_code") == 2  # polled
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    stored = json.loads(cache.read_text(encoding="utf-8"))
    assert stored["refresh_token"] == REFRESH_TOKEN
    assert stored["client_id"] == CLIENT_ID
    status = cli_run(config, "auth", "status", "--format", "json")
    assert status.exit_code == 0, status.stderr
    row = json.loads(status.stdout)[0]
    assert (row["signed_in"], row["grant"]) == (True, "refresh_token")
    for text in (result.stdout, result.stderr, status.stdout, caplog.text):
        no_secret(text, endpoint)
    out = cli_run(config, "auth", "logout", "support")
    assert (out.exit_code, out.stdout) == (0, "oauth2.support: tokens removed\n")
    assert not cache.exists()


def test_the_loopback_redirect_flow_with_pkce(
    endpoint: TokenEndpoint, tmp_path: Path
) -> None:
    """Google's installed-app flow: the "browser" follows the sign-in address,
    the endpoint redirects back to ticketcli's 127.0.0.1 listener."""
    config = app(endpoint, tmp_path, provider="google", device_url="")
    assert config.device_url is None
    shown: list[str] = []

    def browser(text: str) -> None:
        shown.append(text)
        url = text.rsplit(" ", 1)[1]
        threading.Thread(target=requests.get, args=(url,), daemon=True).start()

    token = oauth2.login(config, show=browser)
    assert token.value == endpoint.issued[-1]
    assert "code_challenge_method=S256" in shown[0]
    assert endpoint.count("authorization_code") == 1
    assert json.loads(config.cache_path.read_text())["refresh_token"] == REFRESH_TOKEN


def test_a_fresh_token_is_used_and_one_near_expiry_refreshed_once(
    endpoint: TokenEndpoint, tmp_path: Path
) -> None:
    config = app(endpoint, tmp_path)
    oauth2.login(config, show=lambda _: None)
    first = oauth2.provider_token(config)
    assert endpoint.count("refresh_token") == 0  # 1 h left: no refresh
    # Thirty seconds left: inside the minute, so it is refreshed first ...
    soon = oauth2.provider_token(config, now=lambda: time.time() + 3600 - 30)
    assert endpoint.count("refresh_token") == 1
    assert soon.value != first.value
    # ... and the refreshed one is used from then on.
    assert oauth2.provider_token(config).value == soon.value
    assert endpoint.count("refresh_token") == 1


def test_concurrent_refreshes_in_threads_refresh_once(
    endpoint: TokenEndpoint, tmp_path: Path
) -> None:
    config = app(endpoint, tmp_path)
    oauth2.login(config, show=lambda _: None)
    stored = json.loads(config.cache_path.read_text())
    stored["expires_at"] = time.time() - 10  # the cached token has expired
    config.cache_path.write_text(json.dumps(stored))
    endpoint.delay = 0.5  # the first refresh still runs when the others ask
    got: list[str] = []
    threads = [
        threading.Thread(target=lambda: got.append(oauth2.provider_token(config).value))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert endpoint.count("refresh_token") == 1
    assert len(got) == 4
    assert len(set(got)) == 1


def test_not_signed_in_and_consent_and_client_errors_are_one_line(
    endpoint: TokenEndpoint, tmp_path: Path
) -> None:
    config = app(endpoint, tmp_path)
    with pytest.raises(oauth2.OAuth2Error) as missing:
        oauth2.provider_token(config)
    assert missing.value.message.startswith("oauth2.support: not signed in yet")
    assert "run `ticketcli auth login support`" in missing.value.message

    wrong = app(endpoint, tmp_path, client_id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(oauth2.OAuth2Error) as client:
        oauth2.login(wrong, show=lambda _: None)
    assert client.value.message == (
        "oauth2.support: the token endpoint does not accept this app "
        "(invalid_client: AADSTS700016); check client_id, tenant and the client "
        "secret"
    )
    assert client.value.exit_code == 1


def test_a_cache_for_another_app_is_not_used(
    endpoint: TokenEndpoint, tmp_path: Path
) -> None:
    config = app(endpoint, tmp_path)
    oauth2.login(config, show=lambda _: None)
    other = app(endpoint, tmp_path, client_id="other-app")
    with pytest.raises(oauth2.OAuth2Error, match="not signed in yet"):
        oauth2.provider_token(other)


def test_auth_login_for_an_unknown_name_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    result = cli_run(config, "auth", "login", "nope")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: no [oauth2.nope] table in the config (none configured)"
    )


def test_without_the_extra_the_error_says_what_to_install(
    endpoint: TokenEndpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = app(endpoint, tmp_path)
    flows._authlib.cache_clear()
    monkeypatch.setitem(sys.modules, "authlib", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "authlib.integrations.requests_client", None)
    try:
        with pytest.raises(oauth2.OAuth2Error) as caught:
            oauth2.login(config, show=lambda _: None)
    finally:
        flows._authlib.cache_clear()
    assert "pip install 'ticketcli[oauth2]'" in caught.value.message


def test_importing_ticketcli_does_not_import_authlib() -> None:
    code = (
        "import sys, ticketcli.cli, ticketcli.mail.sources.imap, ticketcli.mail.smtp;"
        "print('authlib' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=REPO,
    )  # fmt: skip
    assert done.stdout.strip() == "False"


def test_consent_missing_is_its_own_line(
    endpoint: TokenEndpoint, tmp_path: Path
) -> None:
    config = app(endpoint, tmp_path)
    oauth2.login(config, show=lambda _: None)
    endpoint.consent_missing = True
    with pytest.raises(oauth2.OAuth2Error) as caught:
        oauth2.provider_token(config, now=lambda: time.time() + 7200)
    assert caught.value.message.startswith(
        "oauth2.support: consent is missing for "
        "https://outlook.office.com/IMAP.AccessAsUser.All"
    )
    assert "(invalid_grant: AADSTS65001); run `ticketcli auth login support` again" in (
        caught.value.message
    )
    assert REFRESH_TOKEN not in caught.value.message

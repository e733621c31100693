"""auth, token_* and [oauth2.NAME]: each bad value is one error naming its
key, the providers' endpoints and scopes are filled in, and no token or
secret is ever read from the config file itself."""

from __future__ import annotations

from typing import Any

import pytest

from ticketcli.config import (
    MICROSOFT_APP_SCOPES,
    SecretRef,
    config_from_mapping,
)
from ticketcli.errors import ConfigError
from ticketcli.oauth2 import AccessToken, oauthbearer_string, xoauth2_string
from ticketcli.oauth2.tokens import jwt_expiry

IMAP = {"type": "imap", "name": "support", "host": "imap.example.com",
        "username": "support@example.com"}  # fmt: skip
APP = {"provider": "microsoft", "client_id": "abc", "tenant": "contoso.example"}


def load(**data: Any) -> Any:
    return config_from_mapping(data)


def error(**data: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping(data)
    return caught.value.message


def test_password_stays_the_default() -> None:
    config = load(sources=[{**IMAP, "password_env": "PW"}])
    assert config.sources[0].auth == "password"
    assert config.sources[0].oauth2 is None


def test_a_token_source_and_an_oauth2_source() -> None:
    config = load(
        sources=[
            {**IMAP, "auth": "xoauth2", "token_command": "oauth2ms"},
            {**IMAP, "name": "shared", "auth": "oauthbearer", "oauth2": "m365"},
        ],
        oauth2={"m365": APP},
        smtp={
            "host": "smtp.office365.com",
            "username": "agent@example.com",
            "auth": "xoauth2",
            "oauth2": "m365",
        },  # fmt: skip
    )
    first, second = config.sources
    assert (first.auth, first.token) == ("xoauth2", SecretRef(command="oauth2ms"))
    assert second.oauth2 is config.oauth2["m365"] is config.smtp.oauth2
    assert config.smtp.username == "agent@example.com"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"auth": "kerberos"},
         "sources[0].auth: 'kerberos' is not one of password, xoauth2, oauthbearer"),
        ({"auth": "xoauth2"},
         'sources[0].auth: "xoauth2" needs token_env, token_file, token_command '
         'or oauth2 = "NAME"'),
        ({"token_env": "T"},
         'sources[0].auth: a token needs auth = "xoauth2" or "oauthbearer" '
         '(the default is "password")'),
        ({"auth": "xoauth2", "token_env": "T", "password_env": "P"},
         'sources[0].password_env: auth = "xoauth2" logs in with a token, '
         "not a password"),
        ({"auth": "xoauth2", "token": "eyJ0eXAi"},
         "sources[0].token: tokens are never read from the config; use "
         "token_env, token_file or token_command"),
        ({"auth": "xoauth2", "token_env": "T", "token_file": "f"},
         "sources[0]: give only one of token_env, token_file"),
        ({"auth": "xoauth2", "token_env": "T", "oauth2": "m365"},
         "sources[0]: give only one of oauth2 and token_*"),
        ({"auth": "xoauth2", "oauth2": "nope"},
         "sources[0].oauth2: there is no [oauth2.nope] table"),
    ],
)  # fmt: skip
def test_source_auth_errors_name_the_key(source: dict[str, Any], message: str) -> None:
    assert error(sources=[{**IMAP, **source}], oauth2={"m365": APP}) == message


def test_smtp_with_a_token_needs_its_own_username() -> None:
    assert error(
        smtp={"host": "smtp.example.com", "auth": "xoauth2", "token_env": "T"}
    ) == (  # fmt: skip
        'smtp.username: auth = "xoauth2" needs the username to log in as'
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"client_id": "abc"},
         "oauth2.m365.provider: one of microsoft, google, generic"),
        ({"provider": "yahoo", "client_id": "abc"},
         "oauth2.m365.provider: 'yahoo' is not one of microsoft, google, generic"),
        ({"provider": "microsoft"},
         "oauth2.m365.client_id: the app's client id is required"),
        ({**APP, "client_secret": "s3cr3t"},
         "oauth2.m365.client_secret: client secrets are never read from the "
         "config; use client_secret_env, client_secret_file or "
         "client_secret_command"),
        ({**APP, "tenant": "organizations", "grant": "client_credentials"},
         "oauth2.m365.tenant: client_credentials needs your tenant id or domain, "
         "not 'organizations'"),
        ({**APP, "grant": "client_credentials",
          "scopes": ["https://outlook.office.com/IMAP.AccessAsUser.All"]},
         'oauth2.m365.scopes: app-only tokens take '
         '"https://outlook.office365.com/.default"'),
        ({"provider": "google", "client_id": "abc", "grant": "client_credentials"},
         "oauth2.m365.grant: google offers refresh_token (after `ticketcli auth "
         "login`), not client_credentials"),
        ({"provider": "generic", "client_id": "abc"},
         "oauth2.m365.token_url: a generic provider needs token_url"),
        ({"provider": "generic", "client_id": "abc",
          "token_url": "http://idp.example/token"},
         "oauth2.m365.token_url: 'http://idp.example/token' must be an https:// URL"),
        ({**APP, "refresh_token": "x"}, "oauth2.m365.refresh_token: unknown setting"),
        ({**APP, "cache_file": "tokens.json"},
         "oauth2.m365.cache_file: 'tokens.json' must be absolute or ~/..."),
    ],
)  # fmt: skip
def test_oauth2_table_errors_name_the_key(table: dict[str, Any], message: str) -> None:
    assert error(oauth2={"m365": table}) == message


def test_provider_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    config = load(oauth2={
        "m365": {**APP, "scopes": ["https://outlook.office.com/IMAP.AccessAsUser.All"]},
        "app": {**APP, "grant": "client_credentials", "client_secret_env": "S"},
        "gmail": {"provider": "google", "client_id": "g",
                  "client_secret_command": "pass show gmail"},
    })  # fmt: skip
    m365, app, gmail = (config.oauth2[n] for n in ("m365", "app", "gmail"))
    assert m365.token_url == (
        "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token"
    )
    assert m365.device_url is not None
    assert m365.scopes[-1] == "offline_access"  # added: or no refresh token
    assert app.scopes == MICROSOFT_APP_SCOPES
    assert gmail.scopes == ("https://mail.google.com/",)
    assert gmail.device_url is None  # Google: the loopback redirect
    assert gmail.client_secret == SecretRef(command="pass show gmail")
    assert m365.cache_path == tmp_path / "ticketcli" / "oauth2" / "m365.json"


def test_sasl_strings_and_no_token_in_repr() -> None:
    assert xoauth2_string("u@x.org", "tok") == "user=u@x.org\x01auth=Bearer tok\x01\x01"
    assert oauthbearer_string("a,b=c", "tok", "h", 993) == (
        "n,a=a=2Cb=3Dc,\x01host=h\x01port=993\x01auth=Bearer tok\x01\x01"
    )
    token = AccessToken("secret-token-value", None, "token_env")
    assert "secret-token-value" not in repr(token)
    assert token.expiry_text() == "expiry unknown"
    assert jwt_expiry("opaque-google-token") is None
    assert jwt_expiry("a.not-base64!.c") is None

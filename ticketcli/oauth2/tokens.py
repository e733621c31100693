"""Which access token a login uses, and the SASL strings that carry it.

``bearer_token`` is what the IMAP source and the SMTP sender call just
before they log in: from ``token_env|_file|_command``, or from an
``[oauth2.NAME]`` app through its token cache -- a cached token that expires
within ``REFRESH_MARGIN`` is refreshed first, under the cache's lock.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from ticketcli import lazy
from ticketcli.oauth2.cache import TokenCache
from ticketcli.oauth2.errors import OAuth2Error
from ticketcli.secrets import read_secret

if TYPE_CHECKING:
    from collections.abc import Callable

    from ticketcli.config import OAuth2Config, SecretRef
    from ticketcli.oauth2.flows import Grant
else:  # the grants (and http.server, for the sign-in redirect) load only
    # when a provider is asked: every IMAP sync imports this module, and
    # most log in with a password or a token that is still good
    Grant = lazy.function("ticketcli.oauth2.flows:Grant")

log = logging.getLogger(__name__)

# A token that expires within this many seconds is refreshed before use.
REFRESH_MARGIN = 60.0


class AccessToken(NamedTuple):
    value: str
    expires_at: datetime | None  # None: not known (an opaque token)
    origin: str  # where it came from: "token_env", "oauth2.support", ...

    def __repr__(self) -> str:  # never the token, whatever prints us
        return f"AccessToken(origin={self.origin!r}, expires_at={self.expires_at})"

    def expiry_text(self, now: float | None = None) -> str:
        if self.expires_at is None:
            return "expiry unknown"
        left = self.expires_at.timestamp() - (time.time() if now is None else now)
        when = self.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        if left <= 0:
            return f"expired {when}"
        return f"expires {when} (in {int(left // 60)} min)"


def bearer_token(ref: SecretRef, oauth2: OAuth2Config | None, what: str) -> AccessToken:
    """The token to log in with now; ``what`` names the source or "smtp"."""
    if oauth2 is not None:
        return provider_token(oauth2)
    kind = "token_env" if ref.env else "token_file" if ref.file else "token_command"
    value = "".join(read_secret(ref, f"{what}: token", kind="token").split())
    if not value:
        raise OAuth2Error(f"{what}: {kind} gave an empty token")
    return AccessToken(value, jwt_expiry(value), kind)


def provider_token(
    config: OAuth2Config, *, now: Callable[[], float] = time.time
) -> AccessToken:
    """A fresh access token for ``[oauth2.NAME]``, refreshing at most once
    however many processes ask at the same time."""
    what = f"oauth2.{config.name}"
    cache = TokenCache(config.cache_path, what)
    stored = cache.load()
    if _fresh(stored, config, now()):
        return _token(stored, what)
    with cache.locked():
        stored = cache.load()  # another process may have refreshed meanwhile
        if _fresh(stored, config, now()):
            return _token(stored, what)
        grant = Grant(config, _client_secret(config))
        if config.grant == "client_credentials":
            log.debug("%s: getting an app-only access token", what)
            answer = grant.client_credentials()
        else:
            refresh = stored.get("refresh_token") if _ours(stored, config) else None
            if not refresh:
                raise OAuth2Error(
                    f"{what}: not signed in yet (no refresh token in "
                    f"{config.cache_path}); run `ticketcli auth login {config.name}`"
                )
            log.debug("%s: refreshing the access token", what)
            answer = grant.refresh(str(refresh))
            answer.setdefault("refresh_token", refresh)  # not rotated: keep it
        stored = store_answer(cache, config, answer)
    return _token(stored, what)


def login(config: OAuth2Config, show: Callable[[str], None]) -> AccessToken:
    """``ticketcli auth login NAME``: the one-time interactive consent.

    The device-code flow where the provider has one (Microsoft), else the
    loopback redirect (Google); client-credentials apps just fetch a token.
    """
    grant = Grant(config, _client_secret(config))
    cache = TokenCache(config.cache_path, f"oauth2.{config.name}")
    if config.grant == "client_credentials":
        answer = grant.client_credentials()
    elif config.device_url:
        answer = grant.device_code(show)
    else:
        answer = grant.loopback(show)
    if config.grant != "client_credentials" and not answer.get("refresh_token"):
        raise OAuth2Error(
            f"oauth2.{config.name}: signed in, but the provider gave no refresh "
            "token (Microsoft: add offline_access to scopes; Google: the OAuth "
            "client must be a desktop app)"
        )
    with cache.locked():
        stored = store_answer(cache, config, answer)
    return _token(stored, f"oauth2.{config.name}")


def logout(config: OAuth2Config) -> bool:
    """Forget the stored tokens; True if there were any."""
    try:
        config.cache_path.unlink()
    except FileNotFoundError:
        return False
    return True


def status(config: OAuth2Config) -> dict[str, Any]:
    """What the cache holds, without any token: for ``auth status``."""
    stored = TokenCache(config.cache_path, f"oauth2.{config.name}").load()
    what = f"oauth2.{config.name}"
    token = _token(stored, what) if stored.get("access_token") else None
    return {
        "name": config.name,
        "provider": config.provider,
        "grant": config.grant,
        "signed_in": bool(stored.get("refresh_token")) and _ours(stored, config),
        "access_token": token.expiry_text() if token else "none",
        "cache": str(config.cache_path),
    }


def store_answer(
    cache: TokenCache, config: OAuth2Config, answer: dict[str, Any]
) -> dict[str, Any]:
    stored = {
        "provider": config.provider,
        "client_id": config.client_id,
        "access_token": answer["access_token"],
        "expires_at": float(answer["expires_at"]),
        "refresh_token": answer.get("refresh_token"),
    }
    cache.save(stored)
    return stored


def _ours(stored: dict[str, Any], config: OAuth2Config) -> bool:
    """A cache written for another app registration is no use to this one."""
    return stored.get("client_id") == config.client_id


def _fresh(stored: dict[str, Any], config: OAuth2Config, now: float) -> bool:
    try:
        expires = float(stored.get("expires_at", 0))
    except (TypeError, ValueError):
        return False
    return (
        bool(stored.get("access_token"))
        and _ours(stored, config)
        and expires - now > REFRESH_MARGIN
    )


def _token(stored: dict[str, Any], what: str) -> AccessToken:
    expires = datetime.fromtimestamp(float(stored["expires_at"]), tz=UTC)
    return AccessToken(str(stored["access_token"]), expires, what)


def _client_secret(config: OAuth2Config) -> str | None:
    if not config.client_secret.configured:
        return None
    return read_secret(
        config.client_secret, f"oauth2.{config.name}: client secret", "client_secret"
    )


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` of a JWT access token (Microsoft's are), unverified: shown
    by ``check``, never trusted. None for an opaque token (Google's)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    except (ValueError, TypeError, KeyError, binascii.Error, OverflowError):
        return None


def xoauth2_string(user: str, token: str) -> str:
    """Google's and Microsoft's XOAUTH2 initial response (not yet base64)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def oauthbearer_string(user: str, token: str, host: str, port: int) -> str:
    """RFC 7628 OAUTHBEARER initial response (not yet base64)."""
    authzid = user.replace("=", "=3D").replace(",", "=2C")
    return (
        f"n,a={authzid},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"
    )


def login_hint(protocol: str) -> str:
    """Why a server (Exchange above all) answers a bearer token with only
    "AUTHENTICATE failed": the usual causes, for the one error line."""
    user = (
        "username must be the mailbox (a shared mailbox's own address)"
        if protocol == "imap"
        else "username must be the account the token was issued to"
    )
    return (
        f"likely causes: the token is expired or for another resource/scope; {user}; "
        "an app-only token needs the app's service principal granted on the "
        "mailbox; IMAP/SMTP AUTH may be switched off for the mailbox"
    )

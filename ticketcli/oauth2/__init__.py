"""Access tokens for XOAUTH2 and OAUTHBEARER logins to IMAP and SMTP.

A token comes from ``token_env``/``token_file``/``token_command`` (read like
a password, see ``ticketcli.secrets``) or from an ``[oauth2.NAME]`` app
registration: the refresh-token grant after one ``ticketcli auth login``, or
Microsoft's client-credentials grant. Getting one needs no database, so this
sits below ``mail``; the OAuth2 client library (authlib, the ``oauth2``
extra) is imported only when a provider is actually asked for a token.
"""

from __future__ import annotations

from ticketcli.oauth2.errors import OAuth2Error
from ticketcli.oauth2.tokens import (
    AccessToken,
    bearer_token,
    login,
    login_hint,
    logout,
    oauthbearer_string,
    provider_token,
    status,
    xoauth2_string,
)

__all__ = [
    "AccessToken",
    "OAuth2Error",
    "bearer_token",
    "login",
    "login_hint",
    "logout",
    "oauthbearer_string",
    "provider_token",
    "status",
    "xoauth2_string",
]

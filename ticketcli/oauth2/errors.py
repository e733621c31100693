"""The one error token acquisition raises: a source (or SMTP) cannot log in."""

from __future__ import annotations

from ticketcli.errors import SourceError


class OAuth2Error(SourceError):
    """No usable access token: consent missing or revoked, wrong client id or
    tenant, the token endpoint unreachable. Exit 1 like any failed source.

    The message never contains a token, a refresh token or a secret.
    """

"""The 'auth' commands: sign in once for an [oauth2.NAME] app, see, forget.

``auth login NAME`` is the one interactive step a cron setup needs: it runs
the provider's device-code flow (Microsoft) or loopback redirect (Google)
and stores the refresh token in the token cache (mode 0600); every sync
after it refreshes the access token on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ticketcli import oauth2
from ticketcli.context import App, pass_app
from ticketcli.errors import UsageError
from ticketcli.render.output import emit, output_options

if TYPE_CHECKING:
    from ticketcli.config import OAuth2Config


def _app_config(app: App, name: str) -> OAuth2Config:
    found = app.config.oauth2.get(name)
    if found is None:
        known = ", ".join(sorted(app.config.oauth2)) or "none configured"
        raise UsageError(f"no [oauth2.{name}] table in the config ({known})")
    return found


@click.group("auth")
def auth_cmd() -> None:
    """OAuth2 sign-in for Microsoft 365 and Google Workspace mailboxes."""


@auth_cmd.command("login")
@click.argument("name")
@pass_app
def auth_login(app: App, name: str) -> None:
    """Sign in for [oauth2.NAME] once and store its refresh token.

    Shows a code to enter in a browser (Microsoft) or an address to open
    (Google, which comes back to 127.0.0.1). App-only (client_credentials)
    apps just fetch a token, to prove the registration works.
    """
    config = _app_config(app, name)
    token = oauth2.login(config, show=lambda text: click.echo(text, err=True))
    click.echo(
        f"oauth2.{name}: signed in; access token {token.expiry_text()}; "
        f"tokens stored in {config.cache_path}"
    )


@auth_cmd.command("status")
@click.argument("name", required=False)
@output_options
@pass_app
def auth_status(app: App, name: str | None, fmt: str) -> None:
    """Which [oauth2.*] apps are signed in, and when their tokens expire."""
    names = [name] if name else sorted(app.config.oauth2)
    rows = [oauth2.status(_app_config(app, n)) for n in names]
    emit(
        rows,
        ("name", "provider", "grant", "signed_in", "access_token", "cache"),
        fmt,
        wide=("cache",),
    )


@auth_cmd.command("logout")
@click.argument("name")
@pass_app
def auth_logout(app: App, name: str) -> None:
    """Forget the stored tokens of [oauth2.NAME] (sign in again with login)."""
    config = _app_config(app, name)
    gone = oauth2.logout(config)
    click.echo(f"oauth2.{name}: {'tokens removed' if gone else 'was not signed in'}")

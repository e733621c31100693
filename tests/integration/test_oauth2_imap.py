"""XOAUTH2 and OAUTHBEARER against the real Dovecot (its oauth2 passdb checks
the JWT itself) and the built-in provider against a token endpoint on
127.0.0.1: sync, check, and every way a token can be refused."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from tests.conftest import REPO
from tests.helpers import eml
from tests.servers.dovecot import JWT_KEY, DovecotServer, mint_jwt
from tests.servers.oauth2 import CLIENT_SECRET, REFRESH_TOKEN, TokenEndpoint
from ticketcli.cli import cli

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

pytestmark = pytest.mark.imap
SUPPORT = "support@helpdesk.example"


def _toml(value: Any) -> str:
    return json.dumps(value)


def write_config(tmp: Path, source: dict[str, Any], db: str = "store.db",
                 **tables: dict[str, Any]) -> Path:  # fmt: skip
    lines = [
        f'support_addresses = ["{SUPPORT}"]',
        f'[database]\nurl = "sqlite:///{tmp / db}"',
    ]
    for name, table in tables.items():
        lines.append(f"[{name.replace('__', '.')}]")
        lines.extend(f"{k} = {_toml(v)}" for k, v in table.items())
    lines.append("[[sources]]")
    lines.extend(f"{k} = {_toml(v)}" for k, v in source.items())
    path = tmp / f"config-{db}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    made = CliRunner().invoke(cli, ["--config", str(path), "init"])
    assert made.exit_code == 0, made.output
    return path


def run(config: Path, *args: str) -> Any:
    return CliRunner().invoke(
        cli, ["--config", str(config), "-vv", *args], catch_exceptions=False
    )


def stored(tmp: Path, db: str = "store.db") -> int:
    if not (tmp / db).exists():
        return 0
    con = sqlite3.connect(tmp / db)
    try:
        return int(con.execute("SELECT count(*) FROM message").fetchone()[0])
    except sqlite3.OperationalError:  # no schema yet: nothing was stored
        return 0
    finally:
        con.close()


def token_source(dovecot: DovecotServer, folder: str, **extra: Any) -> dict[str, Any]:
    table = dovecot.source_table("support", folder, after="seen", **extra)
    del table["password_env"]
    return table


@pytest.fixture
def mailbox(dovecot: DovecotServer, imap_folder: Callable[..., str]) -> str:
    folder = imap_folder()
    dovecot.append(folder, [eml(f"<m{i}@kund.ee>", subject=f"Tellimus {i}")
                            for i in range(3)])  # fmt: skip
    return folder


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    server = TokenEndpoint().start()
    try:
        yield server
    finally:
        server.stop()


def assert_no_secret(text: str, *more: str) -> None:
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, JWT_KEY.decode(), *more):
        assert secret not in text


# -- token_env, token_file, token_command ------------------------------------


@pytest.mark.parametrize("auth", ["xoauth2", "oauthbearer"])
@pytest.mark.parametrize("where", ["token_env", "token_file", "token_command"])
def test_sync_and_check_log_in_with_a_bearer_token(
    dovecot: DovecotServer,
    mailbox: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    auth: str,
    where: str,
) -> None:
    token = mint_jwt()
    (tmp_path / "token").write_text(token + "\n", encoding="ascii")
    monkeypatch.setenv("IMAP_TOKEN", token)
    ref = {
        "token_env": "IMAP_TOKEN",
        "token_file": str(tmp_path / "token"),
        "token_command": f"cat {tmp_path / 'token'}",
    }[where]
    config = write_config(
        tmp_path, token_source(dovecot, mailbox, auth=auth, **{where: ref})
    )
    caplog.set_level(logging.DEBUG)
    checked = run(config, "check", "--format", "json")
    assert checked.exit_code == 0, checked.stderr
    row = json.loads(checked.stdout)[0]
    assert (row["status"], row["next_sync"]) == ("ok", 3)
    assert f"auth {auth} (token from {where}, expires " in row["detail"]
    synced = run(config, "sync")
    assert synced.exit_code == 0, synced.stderr
    assert stored(tmp_path) == 3
    assert dovecot.uids(mailbox, "UNSEEN") == []  # after = "seen" applied
    for text in (checked.stdout, checked.stderr, synced.stdout, synced.stderr,
                 caplog.text):  # fmt: skip
        assert_no_secret(text, token)


@pytest.mark.parametrize("auth", ["xoauth2", "oauthbearer"])
@pytest.mark.parametrize(
    "bad", ["expired", "wrong key", "other user"], ids=["expired", "key", "user"]
)
def test_a_refused_token_is_one_line_exit_1_and_nothing_stored(
    dovecot: DovecotServer,
    mailbox: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    auth: str,
    bad: str,
) -> None:
    token = {
        "expired": mint_jwt(lifetime=-120),
        "wrong key": mint_jwt(key=b"not-the-dovecot-key-0123456789abcd"),
        "other user": mint_jwt(sub="someone-else"),
    }[bad]
    monkeypatch.setenv("IMAP_TOKEN", token)
    config = write_config(
        tmp_path, token_source(dovecot, mailbox, auth=auth, token_env="IMAP_TOKEN")
    )
    synced = run(config, "sync")
    assert synced.exit_code == 1
    errors = [line for line in synced.stderr.splitlines() if "Error" in line]
    assert len(errors) == 1, synced.stderr
    assert f"{auth} login refused for 'support'" in errors[0]
    assert "status" in errors[0]  # Dovecot's SASL error text
    assert "likely causes" in errors[0]
    if bad == "expired":
        assert "token from token_env, expired " in errors[0]
    assert stored(tmp_path) == 0
    assert len(dovecot.uids(mailbox, "UNSEEN")) == 3  # nothing marked
    checked = run(config, "check")
    assert checked.exit_code == 1
    assert "login refused" in checked.stderr
    for text in (synced.stdout, synced.stderr, checked.stdout, checked.stderr):
        assert_no_secret(text, token)
        assert "Traceback" not in text


def test_a_failing_token_command_names_the_key(
    dovecot: DovecotServer, mailbox: str, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path, token_source(dovecot, mailbox, auth="xoauth2", token_command="false")
    )
    synced = run(config, "sync")
    assert synced.exit_code != 0
    assert "support: token: token_command exited 1" in synced.stderr
    assert stored(tmp_path) == 0


# -- the built-in provider ---------------------------------------------------


def _cache(tmp: Path, endpoint: TokenEndpoint, *, expires_in: float) -> Path:
    """A token cache as `auth login` leaves it, its access token expiring soon."""
    import time

    path = tmp / "state" / "support.json"
    path.parent.mkdir(mode=0o700)
    path.write_text(json.dumps({
        "provider": "microsoft", "client_id": endpoint.table()["client_id"],
        "access_token": mint_jwt(lifetime=expires_in),
        "expires_at": time.time() + expires_in, "refresh_token": REFRESH_TOKEN,
    }), encoding="utf-8")  # fmt: skip
    path.chmod(0o600)
    return path


def test_a_token_near_expiry_is_refreshed_once_before_the_sync(
    dovecot: DovecotServer,
    mailbox: str,
    endpoint: TokenEndpoint,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = _cache(tmp_path, endpoint, expires_in=30)  # within the minute
    config = write_config(
        tmp_path,
        token_source(dovecot, mailbox, auth="xoauth2", oauth2="support"),
        oauth2__support=endpoint.table(cache_file=str(cache)),
    )
    caplog.set_level(logging.DEBUG)
    synced = run(config, "sync")
    assert synced.exit_code == 0, synced.stderr
    assert stored(tmp_path) == 3
    assert endpoint.count("refresh_token") == 1
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    data = json.loads(cache.read_text(encoding="utf-8"))
    assert data["access_token"] == endpoint.issued[-1]
    checked = run(config, "check", "--format", "json")
    assert checked.exit_code == 0, checked.stderr
    assert endpoint.count("refresh_token") == 1  # the fresh token was reused
    detail = json.loads(checked.stdout)[0]["detail"]
    assert "auth xoauth2 (token from oauth2.support, expires " in detail
    for text in (synced.stdout, synced.stderr, checked.stdout, checked.stderr,
                 caplog.text):  # fmt: skip
        assert_no_secret(text, *endpoint.issued)


def test_two_syncs_at_once_refresh_once(
    dovecot: DovecotServer,
    mailbox: str,
    endpoint: TokenEndpoint,
    tmp_path: Path,
) -> None:
    cache = _cache(tmp_path, endpoint, expires_in=-10)
    endpoint.delay = 1.0  # the first refresh is still running when the second asks
    endpoint.rotate = True  # a second refresh would use a spent refresh token
    configs = [
        write_config(
            tmp_path,
            token_source(dovecot, mailbox, auth="oauthbearer", oauth2="support"),
            db=f"store{i}.db",
            oauth2__support=endpoint.table(cache_file=str(cache)),
        )
        for i in (1, 2)
    ]
    env = {k: v for k, v in os.environ.items() if k != "TICKETCLI_CONFIG"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ticketcli", "--config", str(c), "sync"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for c in configs
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert endpoint.count("refresh_token") == 1
    assert stored(tmp_path, "store1.db") == stored(tmp_path, "store2.db") == 3
    for out, err in outputs:
        assert_no_secret(out.decode() + err.decode(), *endpoint.issued)


def test_a_revoked_refresh_token_says_log_in_again(
    dovecot: DovecotServer,
    mailbox: str,
    endpoint: TokenEndpoint,
    tmp_path: Path,
) -> None:
    cache = _cache(tmp_path, endpoint, expires_in=-10)
    endpoint.revoke()
    config = write_config(
        tmp_path,
        token_source(dovecot, mailbox, auth="xoauth2", oauth2="support"),
        oauth2__support=endpoint.table(cache_file=str(cache)),
    )
    synced = run(config, "sync")
    assert synced.exit_code == 1
    errors = [line for line in synced.stderr.splitlines() if "Error" in line]
    assert errors == [
        "Error: support: oauth2.support: the refresh token is expired or revoked "
        "(invalid_grant: AADSTS70008); run `ticketcli auth login support` again"
    ]
    assert stored(tmp_path) == 0
    assert len(dovecot.uids(mailbox, "UNSEEN")) == 3
    checked = run(config, "check")
    assert checked.exit_code == 1
    assert "run `ticketcli auth login support` again" in checked.stderr
    assert_no_secret(synced.stdout + synced.stderr + checked.stdout + checked.stderr)


def test_app_only_client_credentials_log_in_to_the_shared_mailbox(
    dovecot: DovecotServer,
    mailbox: str,
    endpoint: TokenEndpoint,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("APP_SECRET", CLIENT_SECRET)
    table = endpoint.table(
        grant="client_credentials",
        client_secret_env="APP_SECRET",
        cache_file=str(tmp_path / "state" / "app.json"),
    )
    config = write_config(
        tmp_path,
        token_source(dovecot, mailbox, auth="xoauth2", oauth2="app"),
        oauth2__app=table,
    )
    caplog.set_level(logging.DEBUG)
    synced = run(config, "sync")
    assert synced.exit_code == 0, synced.stderr
    assert stored(tmp_path) == 3
    assert endpoint.count("client_credentials") == 1
    assert stat.S_IMODE((tmp_path / "state" / "app.json").stat().st_mode) == 0o600
    assert_no_secret(synced.stdout + synced.stderr + caplog.text, *endpoint.issued)

    monkeypatch.setenv("APP_SECRET", "not-the-secret")
    (tmp_path / "state" / "app.json").unlink()
    refused = run(config, "check")
    assert refused.exit_code == 1
    assert (
        "oauth2.app: the token endpoint does not accept this app "
        "(invalid_client: AADSTS7000215); check client_id, tenant"
    ) in refused.stderr
    assert "not-the-secret" not in refused.stdout + refused.stderr


def test_the_token_endpoint_unreachable_is_one_line(
    dovecot: DovecotServer, mailbox: str, endpoint: TokenEndpoint, tmp_path: Path
) -> None:
    cache = _cache(tmp_path, endpoint, expires_in=-10)
    table = endpoint.table(cache_file=str(cache), token_url="http://127.0.0.1:9/token")
    config = write_config(
        tmp_path,
        token_source(dovecot, mailbox, auth="xoauth2", oauth2="support"),
        oauth2__support=table,
    )
    synced = run(config, "sync")
    assert synced.exit_code == 1
    assert "the token endpoint 127.0.0.1:9 is unreachable" in synced.stderr
    assert "Traceback" not in synced.stderr
    assert stored(tmp_path) == 0

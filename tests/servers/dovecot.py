"""A throwaway Dovecot on 127.0.0.1 for the IMAP tests and ``bench/imap.py``.

``DovecotServer`` writes a config, a private CA and server certificate, a
passwd-file with one test user, an HS256 key for its ``oauth2`` passdb
(XOAUTH2 and OAUTHBEARER with a JWT from ``mint_jwt``, checked by Dovecot
itself: no identity provider runs) and a Maildir location into a temp dir, then
runs ``dovecot -F -c <dir>/dovecot.conf`` on two free ports: IMAP (plain, with
STARTTLS) and IMAPS. It runs as whoever starts it (root here), so nothing of
the system's Dovecot (``/etc/dovecot``, ports 143/993, its service) is used
or needed. A plain class, so a developer's shell can start one too::

    python -m tests.servers.dovecot      # prints the ports, Ctrl-C stops it

The pytest fixtures start one server per session (``dovecot``) and give each
test scratch folders of its own (``imap_folder``), deleted afterwards. Outside
CI a machine without Dovecot skips those tests with the reason; in CI
(``CI=true``) it fails them, because there the IMAP run is required.
"""

from __future__ import annotations

import base64
import contextlib
import grp
import hashlib
import hmac
import itertools
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from imapclient import IMAPClient  # type: ignore[import-untyped]

IN_CI = os.environ.get("CI", "").lower() == "true"
DOVECOT = "/usr/sbin/dovecot"
USER = "support"
# Distinctive, so tests can assert it never shows up in any output.
PASSWORD = "imap-Test-Secret-5v7q"
# The HS256 key Dovecot's oauth2 passdb checks bearer tokens with (mint_jwt).
JWT_KEY = b"dovecot-jwt-Test-Key-3m9x-0123456789"
OAUTH2_CONF = """\
introspection_mode = local
local_validation_key_dict = fs:posix:prefix={base}/oauth2-keys/
username_attribute = sub
"""
HOST = "127.0.0.1"


class DovecotUnavailableError(RuntimeError):
    """No Dovecot or openssl on this machine, or the server would not start."""


def find_dovecot() -> str:
    for candidate in (DOVECOT, shutil.which("dovecot")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise DovecotUnavailableError(
        "Dovecot is not installed (no /usr/sbin/dovecot; Debian: "
        "apt-get install dovecot-imapd, or sh tests/install.sh)"
    )


def _unprivileged(
    current: pwd.struct_passwd, names: tuple[str, ...]
) -> pwd.struct_passwd:
    """Who runs what Dovecot refuses to run as root (login, mail access).

    Not root: the current user runs everything. Root: the first of ``names``
    that exists (the Debian package creates dovenull and dovecot).
    """
    if current.pw_uid != 0:
        return current
    for name in (*names, "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise DovecotUnavailableError(
        f"running as root and there is no {' or '.join(names)} or nobody user "
        "for the Dovecot processes that must not run as root"
    )


def _free_ports(count: int) -> list[int]:
    """Distinct free ports (all held open together so they differ)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        ["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise DovecotUnavailableError(
            f"openssl {args[0]} failed: {done.stderr.strip()[-500:]}"
        )


def make_certificates(where: Path) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate for localhost/127.0.0.1/::1.

    A real CA plus a leaf (rather than one self-signed leaf) so the chain
    passes OpenSSL's strict X.509 checks as a client's ``ca_file`` would.
    Returns (ca.pem, server.pem, server.key).
    """
    if shutil.which("openssl") is None:
        raise DovecotUnavailableError(
            "openssl is not installed (Debian: apt-get install openssl)"
        )
    (where / "ca.ext").write_text(
        "basicConstraints=critical,CA:TRUE\n"
        "keyUsage=critical,keyCertSign,cRLSign\n"
        "subjectKeyIdentifier=hash\n",
        encoding="ascii",
    )
    (where / "server.ext").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n",
        encoding="ascii",
    )
    common = ["-days", "3650", "-sha256"]
    _openssl("genrsa", "-out", "ca.key", "2048", cwd=where)
    _openssl(
        "req", "-new", "-key", "ca.key", "-subj", "/CN=ticketcli test CA",
        "-out", "ca.csr", cwd=where,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "ca.csr", "-signkey", "ca.key", "-extfile", "ca.ext",
        "-out", "ca.pem", *common, cwd=where,
    )  # fmt: skip
    _openssl("genrsa", "-out", "server.key", "2048", cwd=where)
    _openssl(
        "req", "-new", "-key", "server.key", "-subj", "/CN=localhost",
        "-out", "server.csr", cwd=where,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-extfile", "server.ext", "-out", "server.pem", *common,
        cwd=where,
    )  # fmt: skip
    return where / "ca.pem", where / "server.pem", where / "server.key"


CONFIG = """\
# Throwaway Dovecot for ticketcli's tests; nothing here touches /etc/dovecot.
base_dir = {base}/run
state_dir = {base}/state
instance_name = ticketcli-test-{port}
log_path = {base}/dovecot.log
protocols = imap
listen = {host}
ssl = yes
ssl_cert = <{base}/server.pem
ssl_key = <{base}/server.key
ssl_min_protocol = TLSv1.2
# Plain LOGIN is allowed so that tls = "none" on 127.0.0.1 can be tested.
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
# The tests log in wrongly on purpose; Dovecot's delay after a failure (and
# its per-IP penalty, see service anvil) would slow every login that follows.
auth_failure_delay = 0
# Run as the user who started the server; login and mail access, which
# Dovecot refuses to run as root, as its unprivileged users then.
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_uid = {uid}
mail_gid = {gid}
mail_location = maildir:{base}/mail/%u
mail_fsync = never
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
# XOAUTH2 and OAUTHBEARER: Dovecot checks the bearer token itself, a JWT
# signed with the HS256 key in oauth2-keys/ (no identity provider runs).
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {base}/oauth2.conf
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/home/%u
}}
protocol imap {{
  mail_max_userip_connections = 200
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {ssl_port}
    ssl = yes
  }}
}}
service auth-worker {{
  user = {user}
}}
service anvil {{
  chroot =
  # mode 0 switches the per-IP penalty after failed logins off.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap {{
  user = {user}
}}
"""


class DovecotServer:
    """One throwaway server: ``start()``, ``client()``, ``stop()``."""

    host = HOST
    user = USER
    password = PASSWORD

    def __init__(self) -> None:
        self.binary = find_dovecot()
        self.base: Path | None = None
        self.port = 0  # plain IMAP, STARTTLS offered
        self.ssl_port = 0  # IMAPS
        self.ca_file = ""
        self._proc: subprocess.Popen[bytes] | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> DovecotServer:
        # Not under pytest's tmp dir: its path is long, and base_dir holds
        # unix sockets whose paths must stay under 108 bytes.
        self.base = Path(tempfile.mkdtemp(prefix="tcli-dovecot-"))
        ca, _, _ = make_certificates(self.base)
        self.ca_file = str(ca)
        for sub in ("run", "state", "mail", "home"):
            (self.base / sub).mkdir()
        (self.base / "passwd").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8"
        )
        (self.base / "passwd").chmod(0o600)
        keys = self.base / "oauth2-keys" / "default" / "HS256"
        keys.mkdir(parents=True)
        (keys / "default").write_text(
            base64.b64encode(JWT_KEY).decode("ascii"), encoding="ascii"
        )
        (self.base / "oauth2.conf").write_text(
            OAUTH2_CONF.format(base=self.base), encoding="utf-8"
        )
        entry = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(entry.pw_gid).gr_name
        # Dovecot refuses root for login processes and for mail access.
        login = _unprivileged(entry, ("dovenull",))
        mail = _unprivileged(entry, ("dovecot",))
        for sub in ("mail", "home"):
            os.chown(self.base / sub, mail.pw_uid, mail.pw_gid)
        # The login processes reach base_dir/login, the mail user its dirs.
        self.base.chmod(0o755)
        (self.base / "server.key").chmod(0o600)
        (self.base / "ca.key").chmod(0o600)
        for attempt in range(3):  # a free port can be taken before dovecot binds
            self.port, self.ssl_port = _free_ports(2)
            conf = self.base / "dovecot.conf"
            conf.write_text(
                CONFIG.format(
                    base=self.base,
                    host=HOST,
                    port=self.port,
                    ssl_port=self.ssl_port,
                    user=entry.pw_name,
                    login_user=login.pw_name,
                    group=group,
                    uid=mail.pw_uid,
                    gid=mail.pw_gid,
                ),
                encoding="utf-8",
            )
            self._proc = subprocess.Popen(
                [self.binary, "-F", "-c", str(conf)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            if self._wait_ready(20.0):
                return self
            self._kill()
            if attempt == 2:
                tail = self.log_tail()
                self.stop()
                raise DovecotUnavailableError(f"dovecot did not start: {tail}")
        return self  # pragma: no cover - the loop returns or raises

    def _wait_ready(self, timeout: float) -> bool:
        """True once both listeners greet; False if dovecot died or never did.

        The master accepts connections before a login process can answer, so
        only a greeting (through TLS on the IMAPS port) counts.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            if self._greets(self.port, tls=False) and self._greets(
                self.ssl_port, tls=True
            ):
                return True
            time.sleep(0.1)
        return False

    def _greets(self, port: int, *, tls: bool) -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=2) as raw:
                sock: socket.socket = raw
                if tls:
                    sock = self.ssl_context().wrap_socket(raw, server_hostname=HOST)
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def log_tail(self) -> str:
        text = ""
        if self._proc is not None and self._proc.stderr is not None:
            if self._proc.poll() is not None:
                text = self._proc.stderr.read().decode(errors="replace")
        if self.base is not None and (self.base / "dovecot.log").exists():
            text += (self.base / "dovecot.log").read_text(errors="replace")
        return text[-2000:]

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()

    def stop(self) -> None:
        self._kill()
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- talking to it -------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def client(self) -> IMAPClient:
        """A logged-in IMAPS client for the test user (setup and assertions)."""
        from imapclient import IMAPClient

        client = IMAPClient(
            HOST, self.ssl_port, ssl=True, ssl_context=self.ssl_context(), timeout=30
        )
        client.login(USER, PASSWORD)
        return client

    def source_table(
        self, name: str, folder: str, *, tls: str = "ssl", **extra: Any
    ) -> dict[str, Any]:
        """A `[[sources]]` table for this server (password from an env var)."""
        table: dict[str, Any] = {
            "type": "imap",
            "name": name,
            "host": HOST,
            "port": self.ssl_port if tls == "ssl" else self.port,
            "tls": tls,
            "username": USER,
            "password_env": "TICKETCLI_TEST_IMAP_PASSWORD",
            "folder": folder,
            "ca_file": self.ca_file,
            "timeout": 20,
        }
        table.update(extra)
        return table

    def append(
        self,
        folder: str,
        messages: Iterable[bytes | tuple[bytes, datetime | None]],
        chunk: int = 200,
    ) -> int:
        """APPEND messages in order (MULTIAPPEND in chunks); returns how many.

        A message may come with its arrival time, which becomes INTERNALDATE.
        """
        count = 0
        with contextlib.closing(_Closer(self.client())) as holder:
            batch: list[dict[str, Any]] = []
            for item in messages:
                data, when = item if isinstance(item, tuple) else (item, None)
                entry: dict[str, Any] = {"msg": data}
                if when is not None:
                    entry["date"] = when
                batch.append(entry)
                if len(batch) >= chunk:
                    holder.client.multiappend(folder, batch)
                    count += len(batch)
                    batch = []
            if batch:
                holder.client.multiappend(folder, batch)
                count += len(batch)
        return count

    def uids(self, folder: str, criteria: str = "ALL") -> list[int]:
        with contextlib.closing(_Closer(self.client())) as holder:
            holder.client.select_folder(folder)
            return sorted(holder.client.search(criteria))

    def fetch_all(self, folder: str, what: str = "BODY.PEEK[]") -> dict[int, Any]:
        """uid -> FETCH response of every message in ``folder`` (assertions)."""
        with contextlib.closing(_Closer(self.client())) as holder:
            holder.client.select_folder(folder, readonly=True)
            uids = holder.client.search("ALL")
            return dict(holder.client.fetch(uids, [what, "FLAGS"])) if uids else {}

    def create_folder(self, folder: str) -> None:
        with contextlib.closing(_Closer(self.client())) as holder:
            if not holder.client.folder_exists(folder):
                holder.client.create_folder(folder)

    def delete_folder(self, folder: str) -> None:
        with contextlib.closing(_Closer(self.client())) as holder:
            if holder.client.folder_exists(folder):
                holder.client.delete_folder(folder)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mint_jwt(
    sub: str = USER,
    *,
    lifetime: float = 3600,
    key: bytes = JWT_KEY,
    **claims: Any,
) -> str:
    """An HS256 JWT for ``sub`` that Dovecot's oauth2 passdb accepts (with
    ``JWT_KEY``); a negative ``lifetime`` gives an expired one."""
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT"}
    body = {"sub": sub, "iat": now - 60, "nbf": now - 60, "exp": int(now + lifetime)}
    body.update(claims)
    signing = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode())
        for part in (header, body)
    )
    signature = hmac.new(key, signing.encode("ascii"), hashlib.sha256).digest()
    return f"{signing}.{_b64url(signature)}"


class _Closer:
    """Log out (or just drop) a helper connection whatever happened."""

    def __init__(self, client: IMAPClient) -> None:
        self.client = client

    def close(self) -> None:
        try:
            self.client.logout()
        except Exception:  # noqa: BLE001 - a dead helper connection is fine
            with contextlib.suppress(Exception):
                self.client.shutdown()


def epoch_utc(seconds: float) -> datetime:
    """An INTERNALDATE from a file mtime (IMAP keeps whole seconds)."""
    return datetime.fromtimestamp(int(seconds), tz=UTC)


# -- pytest ---------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"Dovecot is required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """One server for the whole session (starting one costs about a second)."""
    try:
        server = DovecotServer().start()
    except DovecotUnavailableError as exc:
        _unavailable(str(exc))
        raise  # unreachable: skip/fail raise
    try:
        yield server
    finally:
        server.stop()


_folder_numbers = itertools.count(1)


@pytest.fixture
def imap_folder(
    dovecot: DovecotServer,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., str]]:
    """Make scratch folders for one test: ``imap_folder()`` -> a new folder name.

    Each name is unique in the session and every folder made here is deleted
    after the test. Also puts the password where ``source_table`` says.
    """
    monkeypatch.setenv("TICKETCLI_TEST_IMAP_PASSWORD", PASSWORD)
    made: list[str] = []
    stem = "".join(c if c.isalnum() else "_" for c in request.node.name)[:40]

    def make(suffix: str = "", *, create: bool = True) -> str:
        name = f"t{next(_folder_numbers)}_{stem}{suffix}"
        if create:
            dovecot.create_folder(name)
        made.append(name)
        return name

    yield make
    for name in reversed(made):
        with contextlib.suppress(Exception):
            dovecot.delete_folder(name)


if __name__ == "__main__":
    with DovecotServer() as server:
        print(
            f"imap {HOST}:{server.port} (starttls), imaps {HOST}:{server.ssl_port}, "
            f"user {USER}, password {PASSWORD}, ca_file {server.ca_file}",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)

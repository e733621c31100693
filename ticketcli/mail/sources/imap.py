"""Read one IMAP folder incrementally; mark, move or delete mail only after commit.

Incremental by UIDVALIDITY and the highest stored UID, both saved through
``RawMail.checkpoint`` -- that is, in the same transaction as the message
itself, so a crash can never leave them ahead of the store. A message's key
is ``uidvalidity/folder/uid`` (as getmail's). When the server resets
UIDVALIDITY the folder is read again from the start; the store recognises
mail it already holds (Message-ID and content hash) and stores none twice.

``after`` is applied in ``acknowledge``, which the pipeline calls only once a
message is committed. Acknowledged UIDs are applied in one command per batch
(and at the end), never before; a run that dies in between leaves committed
mail in the folder, and the next run finishes the job for UIDs it finds
stored (``_finish_acknowledgements``) before reading anything new.

Every failure -- DNS, refused, timeout, TLS, login, missing folder, a dropped
connection -- becomes a one-line ``SourceError``. No message ever contains
the password or the access token: both are scrubbed from every text this
module builds.

``auth = "xoauth2"`` or ``"oauthbearer"`` logs in with SASL and a bearer
token from ``ticketcli.oauth2`` (asked for on each connection, so a cached
token near expiry is refreshed first). For XOAUTH2 ``username`` is the
mailbox -- for a Microsoft 365 shared mailbox, its own address.

imapclient (and the imaplib under it) is imported when the first connection
is made, not with this module: every sync imports this module through the
source factory, and a sync of local mail never connects.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import ssl
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from ticketcli.errors import ConfigError, SourceError
from ticketcli.mail.net import is_local, network_error, server_text
from ticketcli.mail.raw import RawMail
from ticketcli.oauth2 import (
    AccessToken,
    bearer_token,
    login_hint,
    oauthbearer_string,
    xoauth2_string,
)
from ticketcli.secrets import read_secret

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from imapclient import IMAPClient as Client  # type: ignore[import-untyped]

    from ticketcli.config import SourceConfig
    from ticketcli.mail.sources.base import SourceState

log = logging.getLogger(__name__)

# Bodies fetched in one FETCH are held in memory together; the byte budget
# keeps a batch of large attachments from doing what a big batch_size would.
BATCH_BYTES = 16 * 1024 * 1024
_BODY = b"BODY[]"
_FETCH_ITEMS = [b"BODY.PEEK[]", b"INTERNALDATE", b"RFC822.SIZE"]

# What to connect with instead of imapclient's IMAPClient (None: that one).
# Tests stand a fake server in here.
IMAPClient: Callable[..., Client] | None = None


class _Imap(NamedTuple):
    """What this module takes from imapclient and imaplib."""

    client: type[Client]
    # The connection dropped (imaplib.IMAP4.abort, an IMAPClientError).
    aborted: type[Exception]
    capability_error: type[Exception]
    client_error: type[Exception]
    login_error: type[Exception]
    # What a network conversation can end with: socket and TLS errors are
    # OSError, imaplib's (and imapclient's) are IMAPClientError.
    network_errors: tuple[type[BaseException], ...]


@functools.cache
def _imap() -> _Imap:
    """imapclient and imaplib, imported on first use (see the module docstring)."""
    import imaplib

    import imapclient  # type: ignore[import-untyped]
    from imapclient import exceptions  # type: ignore[import-untyped]

    return _Imap(
        client=imapclient.IMAPClient,
        aborted=imaplib.IMAP4.abort,
        capability_error=exceptions.CapabilityError,
        client_error=exceptions.IMAPClientError,
        login_error=exceptions.LoginError,
        network_errors=(OSError, exceptions.IMAPClientError, EOFError),
    )


def _to_utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:  # normalise_times is off, so this is unexpected
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class ImapSource:
    """One folder on one IMAP server, read by UID, oldest first.

    ``after``: ``keep`` (default; the folder is opened read-only), ``seen``
    (flag ``\\Seen``), ``move:<folder>`` (MOVE, or COPY + delete without the
    MOVE extension), ``delete`` (flag ``\\Deleted`` and expunge those UIDs:
    UID EXPUNGE with UIDPLUS, else EXPUNGE).
    """

    def __init__(
        self,
        name: str,
        *,
        host: str,
        port: int,
        username: str,
        password: str,
        tls: str = "ssl",
        folder: str = "INBOX",
        after: str = "keep",
        ca_file: str | None = None,
        timeout: float = 60.0,
        batch_size: int = 100,
        auth: str = "password",
        token: Callable[[], AccessToken] | None = None,
    ) -> None:
        if tls not in ("ssl", "starttls", "none"):
            raise ConfigError(f"{name}: tls {tls!r} is not one of ssl, starttls, none")
        if tls == "none" and not is_local(host):
            raise ConfigError(
                f'{name}: tls = "none" would send the password in clear text to '
                f"{host}; it is allowed only for 127.0.0.1, localhost or ::1. Use "
                'tls = "ssl" (port 993) or "starttls" (port 143)'
            )
        if after not in ("keep", "seen", "delete") and not (
            after.startswith("move:") and after[5:]
        ):
            raise ConfigError(
                f"{name}: after {after!r} is not one of keep, seen, move:<folder>, "
                "delete"
            )
        self.name = name
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.auth = auth
        self._get_token = token
        self.token: AccessToken | None = None  # the last one logged in with
        self._hidden: list[str] = []  # tokens used: scrubbed like the password
        self.tls = tls
        self.folder = folder
        self.after = after
        self.move_to = after[5:] if after.startswith("move:") else None
        self.timeout = timeout
        self.batch_size = max(1, batch_size)
        self._context = self._ssl_context(ca_file) if tls != "none" else None
        self._client: Client | None = None
        self._uidvalidity = 0
        self._pending: int | None = None
        self._acked: list[int] = []
        self._lost = False  # the connection broke while reading
        self.uidvalidity_name = f"imap:{folder}:uidvalidity"
        self.last_uid_name = f"imap:{folder}:last_uid"

    def __repr__(self) -> str:  # never the password, whatever prints us
        return f"ImapSource({self.name!r}, {self.host}:{self.port}, {self.folder!r})"

    @classmethod
    def from_config(cls, spec: SourceConfig) -> ImapSource:
        """Build from a ``[[sources]]`` entry; reads the password (ConfigError)."""
        if not spec.host:
            raise ConfigError(f"{spec.name}: an imap source needs a host")
        if not spec.username:
            raise ConfigError(f"{spec.name}: an imap source needs a username")
        port = spec.port or (993 if spec.tls == "ssl" else 143)
        oauth = spec.auth != "password"
        return cls(
            spec.name,
            host=spec.host,
            port=port,
            username=spec.username,
            password=""
            if oauth
            else read_secret(spec.password, f"{spec.name}: password"),
            auth=spec.auth,
            token=functools.partial(bearer_token, spec.token, spec.oauth2, spec.name)
            if oauth
            else None,
            tls=spec.tls,
            folder=spec.folder,
            after=spec.after,
            ca_file=spec.ca_file,
            timeout=spec.timeout,
            batch_size=spec.batch_size,
        )

    def _ssl_context(self, ca_file: str | None) -> ssl.SSLContext:
        """The system trust store (and SSL_CERT_FILE), or ``ca_file`` instead."""
        try:
            return ssl.create_default_context(cafile=ca_file)
        except FileNotFoundError:
            raise ConfigError(f"{self.name}: ca_file {ca_file} not found") from None
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None)
            raise ConfigError(
                f"{self.name}: cannot use ca_file {ca_file} "
                f"({reason or 'not a PEM certificate file'})"
            ) from None

    # -- errors ----------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        """The last guard: whatever a server or library said, never the password."""
        for secret in (self._password, *self._hidden):
            if secret and len(secret) >= 3:
                text = text.replace(secret, "***")
        return text

    def _error(self, exc: BaseException, doing: str = "") -> SourceError:
        """One line naming the source, what failed and (after login) when."""
        if isinstance(exc, _imap().aborted):
            detail = f"connection to {self.host}:{self.port} lost ({server_text(exc)})"
        else:
            detail = network_error(exc, self.host, self.port, self.timeout)
            if isinstance(exc, TimeoutError) and self.tls == "starttls":
                # An IMAPS port waits for a TLS hello and never greets in clear.
                detail += '; is this an IMAPS port (then use tls = "ssl")?'
        if doing:
            detail = f"{detail}, while {doing}"
        return SourceError(self._scrub(detail))

    # -- the connection --------------------------------------------------------

    def _connect(self) -> Client:
        """Connect, secure and log in; every failure is one ``SourceError``."""
        imap = _imap()
        connect = IMAPClient or imap.client
        try:
            client = connect(
                self.host,
                self.port,
                ssl=self.tls == "ssl",
                ssl_context=self._context,
                timeout=self.timeout,
            )
        except imap.network_errors as exc:
            raise self._error(exc) from None
        try:
            client.normalise_times = False  # INTERNALDATE as aware datetimes
            if self.tls == "starttls":
                try:
                    client.starttls(self._context)
                except imap.capability_error:
                    raise SourceError(
                        f"{self.host}:{self.port} does not offer "
                        'STARTTLS; use tls = "ssl" and the IMAPS port (993)'
                    ) from None
            self._login(client)
        except SourceError:
            _drop(client)
            raise
        except imap.network_errors as exc:
            _drop(client)
            raise self._error(exc) from None
        return client

    def _login(self, client: Client) -> None:
        if self.auth != "password":
            self._bearer_login(client)
            return
        try:
            if self._password.isascii() and self.username.isascii():
                client.login(self.username, self._password)
            else:
                # LOGIN is ASCII-only; SASL PLAIN carries UTF-8 (RFC 4616).
                client.plain_login(self.username, self._password)
        except _imap().login_error as exc:
            raise SourceError(
                self._scrub(
                    f"login refused for {self.username!r} on "
                    f"{self.host}:{self.port} ({server_text(exc)}); check username "
                    "and password"
                )
            ) from None
        except UnicodeError:
            raise SourceError(
                "the username or password is not ASCII and "
                f"{self.host} does not take SASL PLAIN"
            ) from None

    def _bearer_login(self, client: Client) -> None:
        """AUTHENTICATE XOAUTH2 / OAUTHBEARER with a token got just now.

        The server's SASL error (a JSON challenge before the final NO) is
        kept for the error line: it says why the token was refused.
        """
        assert self._get_token is not None
        token = self._get_token()
        self._hidden.append(token.value)
        self.token = token
        if self.auth == "xoauth2":
            initial = xoauth2_string(self.username, token.value)
        else:
            initial = oauthbearer_string(
                self.username, token.value, self.host, self.port
            )
        said: list[str] = []

        def respond(challenge: bytes) -> str:
            if not said and not challenge:
                said.append("")
                return initial
            said.append(bytes(challenge or b"").decode("utf-8", "replace"))
            return "\x01"  # RFC 7628: the client's answer to an error

        try:
            # imaplib's AUTHENTICATE, for the challenge imapclient would drop.
            typ, _ = client._imap.authenticate(self.auth.upper(), respond)
            if typ != "OK":
                raise _imap().login_error(f"AUTHENTICATE {typ}")
        except _imap().aborted:
            raise  # the connection dropped: _connect words that
        except _imap().client_error as exc:
            reason = " ".join(
                t for t in (server_text(exc), *said[1:]) if t and t.strip()
            )
            raise SourceError(
                self._scrub(
                    f"{self.auth} login refused for {self.username!r} on "
                    f"{self.host}:{self.port} ({reason}; token from "
                    f"{token.origin}, {token.expiry_text()}); {login_hint('imap')}"
                )
            ) from None

    def _select(self, client: Client, *, readonly: bool) -> dict[bytes, Any]:
        try:
            return dict(client.select_folder(self.folder, readonly=readonly))
        except _imap().aborted as exc:
            raise self._error(exc, "opening the folder") from None
        except _imap().client_error as exc:
            raise SourceError(
                self._scrub(
                    f"cannot open folder {self.folder!r} on "
                    f"{self.host}:{self.port} ({server_text(exc)})"
                )
            ) from None

    def _check_move_target(self, client: Client) -> None:
        if self.move_to is None:
            return
        if not client.folder_exists(self.move_to):
            raise SourceError(
                f"folder {self.move_to!r} (after = "
                f'"move:{self.move_to}") does not exist on {self.host}; create it '
                "or change after"
            )

    # -- Source protocol -------------------------------------------------------

    def fetch(self, state: SourceState) -> Iterator[RawMail]:
        """Connect, select, list the new UIDs now; fetch the bodies lazily.

        Listing here, not on the first ``next()``, makes a failed login or a
        missing folder an error at once and lets ``total_hint()`` be exact.
        """
        self.close()
        self._lost = False
        client = self._client = self._connect()
        try:
            info = self._select(client, readonly=self.after == "keep")
            self._check_move_target(client)
            uidvalidity = int(info[b"UIDVALIDITY"])
            last = self._last_uid(state, uidvalidity)
            self._uidvalidity = uidvalidity
            if last:
                self._finish_acknowledgements(client, state, uidvalidity, last)
            uids = self._uids_after(client, last)
        except _imap().network_errors as exc:
            raise self._error(exc, "listing the folder") from None
        self._pending = len(uids)
        log.debug("%s: %d new message(s) after UID %d", self.name, len(uids), last)
        return self._messages(client, uids, uidvalidity)

    def acknowledge(self, mail: RawMail) -> None:
        """``mail`` is committed: queue its UID for ``after`` (applied per batch)."""
        if self.after == "keep":
            return
        self._acked.append(int(mail.key.rsplit("/", 1)[1]))

    def close(self) -> None:
        """Apply what is acknowledged, then log out; never raises.

        A failure here leaves committed mail in the folder, which the next
        run's ``_finish_acknowledgements`` takes care of.
        """
        client, self._client = self._client, None
        if client is None:
            self._acked.clear()
            return
        if self._lost:
            # Reading failed on this connection, and the run says so once.
            # Mail stored since the last batch began (parsed ahead, stored
            # after the loss) is left to the next run's clean-up.
            if self._acked:
                log.info(
                    "%s: after=%s for %d stored message(s) left to the next sync",
                    self.name,
                    self.after,
                    len(self._acked),
                )
            self._acked.clear()
            _drop(client)
            self._pending = None
            return
        try:
            self._flush(client)
        except Exception as exc:  # noqa: BLE001 - close must not mask the run
            log.warning(
                "%s",
                self._scrub(
                    f"{self.name}: could not apply after={self.after} to stored "
                    f"mail ({network_error(exc, self.host, self.port, self.timeout)})"
                    "; the next sync retries"
                ),
            )
            self._acked.clear()
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - a dead connection is closed anyway
            _drop(client)
        self._pending = None

    def total_hint(self) -> int | None:
        """Messages the current fetch yields (None before it has listed them)."""
        return self._pending

    # -- reading ---------------------------------------------------------------

    def _last_uid(self, state: SourceState, uidvalidity: int) -> int:
        """The highest stored UID, or 0 when the folder must be read from the start."""
        stored = state.get(self.uidvalidity_name)
        if stored is None:
            return 0
        if stored != str(uidvalidity):
            log.info(
                "%s: UIDVALIDITY of %s changed (%s -> %d): reading the folder again;"
                " mail already stored is recognised and not stored twice",
                self.name,
                self.folder,
                stored,
                uidvalidity,
            )
            return 0
        try:
            return int(state.get(self.last_uid_name) or 0)
        except ValueError:
            return 0

    def _uids_after(self, client: Client, last: int) -> list[int]:
        # "n:*" always matches the highest UID, even when it is below n.
        found = client.search(["UID", f"{last + 1}:*"])
        return sorted(uid for uid in found if uid > last)

    def _messages(
        self, client: Client, uids: list[int], uidvalidity: int
    ) -> Iterator[RawMail]:
        checkpoint_v = str(uidvalidity)
        try:
            for start in range(0, len(uids), self.batch_size):
                # Everything yielded so far is committed: apply `after` now.
                self._flush(client)
                for part in self._by_size(
                    client, uids[start : start + self.batch_size]
                ):
                    response = client.fetch(part, _FETCH_ITEMS)
                    for uid in part:
                        item = response.pop(uid, None)
                        if item is None or item.get(_BODY) is None:
                            # Expunged by someone else since the listing.
                            log.info("%s: UID %d vanished", self.name, uid)
                            continue
                        yield RawMail(
                            source=self.name,
                            key=f"{uidvalidity}/{self.folder}/{uid}",
                            data=bytes(item[_BODY]),
                            received_at=_to_utc(item.get(b"INTERNALDATE")),
                            checkpoint={
                                self.uidvalidity_name: checkpoint_v,
                                self.last_uid_name: str(uid),
                            },
                        )
            self._flush(client)
        except _imap().network_errors as exc:
            self._lost = True
            raise self._error(exc, "reading messages") from None

    def _by_size(self, client: Client, uids: list[int]) -> Iterator[list[int]]:
        """Split ``uids`` so one FETCH holds at most ``BATCH_BYTES`` (or one mail)."""
        if len(uids) <= 1:
            yield uids
            return
        sizes = client.fetch(uids, [b"RFC822.SIZE"])
        part: list[int] = []
        total = 0
        for uid in uids:
            size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
            if part and total + size > BATCH_BYTES:
                yield part
                part, total = [], 0
            part.append(uid)
            total += size
        if part:
            yield part

    # -- after -----------------------------------------------------------------

    def _flush(self, client: Client) -> None:
        """Apply ``after`` to the acknowledged (committed) UIDs, in one go."""
        uids, self._acked = self._acked, []
        if not uids or self.after == "keep":
            return
        log.debug("%s: after=%s for %d message(s)", self.name, self.after, len(uids))
        if self.after == "seen":
            client.add_flags(uids, [b"\\Seen"], silent=True)
        elif self.after == "delete":
            self._delete(client, uids)
        elif self.move_to is not None:
            if client.has_capability("MOVE"):
                client.move(uids, self.move_to)
            else:
                client.copy(uids, self.move_to)
                self._delete(client, uids)

    def _delete(self, client: Client, uids: list[int]) -> None:
        client.add_flags(uids, [b"\\Deleted"], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            # Without UIDPLUS an EXPUNGE also removes what other clients flagged.
            client.expunge()

    def _finish_acknowledgements(
        self, client: Client, state: SourceState, uidvalidity: int, last: int
    ) -> None:
        """Apply ``after`` to stored mail a killed run left in the folder."""
        if self.after == "keep":
            return
        criteria: list[Any] = ["UID", f"1:{last}"]
        if self.after == "seen":
            criteria.append("UNSEEN")
        left = sorted(client.search(criteria))
        done = [
            uid
            for uid in left
            if uid <= last and state.seen(f"{uidvalidity}/{self.folder}/{uid}")
        ]
        if done:
            log.info(
                "%s: applying after=%s to %d stored message(s) left by an earlier run",
                self.name,
                self.after,
                len(done),
            )
            self._acked = done
            self._flush(client)

    # -- ticketcli check -------------------------------------------------------

    def probe(self, state: SourceState) -> dict[str, Any]:
        """Connect, log in, examine the folder; what the next sync would fetch.

        Changes nothing on the server (EXAMINE, no flags).
        """
        client = self._connect()
        try:
            info = self._select(client, readonly=True)
            self._check_move_target(client)
            uidvalidity = int(info[b"UIDVALIDITY"])
            stored = state.get(self.uidvalidity_name)
            last = self._last_uid(state, uidvalidity)
            new = len(self._uids_after(client, last))
            unseen = len(client.search(["UNSEEN"]))
        except _imap().network_errors as exc:
            raise self._error(exc, "examining the folder") from None
        finally:
            try:
                client.logout()
            except Exception:  # noqa: BLE001
                _drop(client)
        detail = f"{self.tls} {self.host}:{self.port}, folder {self.folder}"
        detail += f", auth {self.auth}"
        if self.token is not None:
            detail += f" (token from {self.token.origin}, {self.token.expiry_text()})"
        if stored is not None and stored != str(uidvalidity):
            detail += " (UIDVALIDITY changed: the next sync reads the folder again)"
        return {
            "messages": int(info.get(b"EXISTS", 0)),
            "unseen": unseen,
            "next_sync": new,
            "detail": detail,
        }


def _drop(client: Client) -> None:
    """Close the socket of a connection that is broken or failed to log in."""
    with contextlib.suppress(Exception):
        client.shutdown()

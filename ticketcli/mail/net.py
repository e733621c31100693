"""Talking to mail servers: the words for what went wrong, and which hosts
may be spoken to without TLS. Shared by the IMAP source, the SMTP sender and
`check`, so every failure reads the same whichever protocol met it."""

from __future__ import annotations

import re
import socket
import ssl

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Dovecot ends every tagged reply with its timing: "(0.001 + 0.000 secs)."
_SERVER_TIMING = re.compile(r"\s*\(\d[\d.]* \+ [\d.+ ]*secs\)\.?\s*$")


def is_local(host: str) -> bool:
    """This machine: the only place a password may travel without TLS."""
    return host.lower().strip("[]") in LOCAL_HOSTS


def network_error(exc: BaseException, host: str, port: int, timeout: float) -> str:
    """One line for an operator: what failed talking to ``host:port``, and a hint.

    Shared by the IMAP source and the SMTP sender, so both explain
    DNS, refused, timeout and TLS failures in the same words.
    """
    where = f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host {host!r}: {exc.strerror or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where} (is the server running? right port?)"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer from {where} within {timeout:g}s (timeout)"
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or "verification failed"
        return (
            f"TLS certificate of {where} is not trusted ({reason}); set ca_file "
            "to the CA that signed it"
        )
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or exc.__class__.__name__
        hint = ""
        if reason in ("WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "HTTP_REQUEST"):
            hint = "; the server does not speak TLS on this port (check port and tls)"
        return f"TLS handshake with {where} failed ({reason}){hint}"
    if isinstance(exc, ConnectionResetError | BrokenPipeError | EOFError):
        return f"connection to {where} was closed by the server"
    if isinstance(exc, OSError):
        return f"cannot talk to {where}: {exc.strerror or exc.__class__.__name__}"
    return f"{where}: {server_text(exc) or exc.__class__.__name__}"


def server_text(exc: BaseException) -> str:
    """The server's words from an imaplib/imapclient error, without noise."""
    text = str(exc.args[0]) if exc.args else str(exc)
    text = re.sub(r"^b'(.*)'$", r"\1", text)
    text = re.sub(r"^\w+ failed: ", "", text)
    text = re.sub(r"^b'(.*)'$", r"\1", text)
    return _SERVER_TIMING.sub("", text).strip()

"""Getting attachments out of the store: `attachments save` writes them into
one folder under names that cannot hurt.

A mail's filename is the sender's choice: ``../../.ssh/authorized_keys``,
``/etc/passwd``, ``CON``, a NUL, 300 characters, ``.bashrc``. ``safe_name``
keeps the readable part and drops the rest (the last path component only,
no control characters, no leading dots, no Windows device names, at most
``MAX_NAME_BYTES``); ``save_attachments`` then creates each file inside the
folder by its directory descriptor with ``O_EXCL | O_NOFOLLOW``, so a name
never leaves the folder, never follows a link and never replaces a file:
a name that is taken gets `` (2)``, `` (3)``, ... before its extension.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass

from ticketcli.errors import TicketcliError, UsageError
from ticketcli.store.queries import attachment_data, attachment_rows

MAX_NAME_BYTES = 200  # well under every file system's 255
FALLBACK = "attachment"
_DEVICES = {"CON", "PRN", "AUX", "NUL", "CLOCK$", "CONIN$", "CONOUT$"} | {
    f"{kind}{n}" for kind in ("COM", "LPT") for n in "0123456789¹²³"
}
# What Windows, macOS and shells treat specially, besides control characters.
_UNSAFE = re.compile(r'[<>:"|?*\\/]')


def safe_name(name: str) -> str:
    """A filename from mail as a harmless name in one folder."""
    text = unicodedata.normalize("NFC", name or "")
    # The last component of either kind of path: no folder survives.
    text = re.split(r"[\\/]", text)[-1]
    text = "".join("_" if unicodedata.category(c).startswith("C") else c for c in text)
    text = _UNSAFE.sub("_", text).strip().strip(".").strip()
    text = text.lstrip(".-~ ")  # no dotfile, no option, no home
    stem, dot, ext = text.partition(".")
    if stem.upper().rstrip() in _DEVICES:
        text = f"_{text}"
    if not text.strip("_ "):
        text = FALLBACK
    return _shorten(text, MAX_NAME_BYTES)


def _shorten(name: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes, keeping a short extension."""
    if len(name.encode()) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 16:
        stem, dot, ext = name, "", ""
    room = limit - len((dot + ext).encode())
    cut = stem.encode()[:room].decode("utf-8", "ignore").rstrip(" .")
    return f"{cut or FALLBACK}{dot}{ext}"


def numbered(name: str, n: int) -> str:
    """``report.pdf`` as the ``n``th of its name: ``report (2).pdf``."""
    if n == 1:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, dot, ext = name, "", ""
    suffix = f" ({n})"
    room = MAX_NAME_BYTES - len((suffix + dot + ext).encode())
    stem = stem.encode()[:room].decode("utf-8", "ignore")
    return f"{stem}{suffix}{dot}{ext}"


@dataclass(frozen=True)
class Saved:
    message: int
    filename: str  # as the mail named it
    path: str  # where it went
    size: int


def save_attachments(
    number: int, folder: str, message: int | None = None
) -> list[Saved]:
    """Write ticket ``number``'s attachments (or one message's) into
    ``folder``; returns what went where. Nothing is overwritten."""
    rows = attachment_rows(number, message)
    if not rows:
        where = f"message {message}" if message is not None else f"ticket #{number}"
        raise UsageError(f"{where} has no attachments")
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise UsageError(f"--dir: cannot open {folder}: {exc.strerror}") from None
    saved = []
    try:
        for row in rows:
            name = _create(
                fd, safe_name(row["filename"]), attachment_data(row["sha256"])
            )
            saved.append(
                Saved(
                    row["message"],
                    row["filename"],
                    os.path.join(folder, name),
                    row["size"],
                )
            )
    finally:
        os.close(fd)
    return saved


def _create(fd: int, name: str, data: bytes) -> str:
    """Create ``name`` (or its first free numbered form) in the folder ``fd``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    for n in range(1, 10_000):
        candidate = numbered(name, n)
        try:
            out = os.open(candidate, flags, 0o644, dir_fd=fd)
        except FileExistsError:
            continue
        except OSError as exc:
            raise TicketcliError(f"cannot write {candidate}: {exc.strerror}") from None
        with os.fdopen(out, "wb") as stream:
            stream.write(data)
        return candidate
    raise TicketcliError(f"no free name for {name}")

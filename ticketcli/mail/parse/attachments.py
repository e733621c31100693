"""Attachments: which parts are ones, their names, and the ``Attachment`` rows.

A filename comes from the sender, so it is hostile input that will end up as
a path component on someone's disk: ``sanitize_filename`` makes it safe, and
``read_disposition`` reads it leniently (8-bit bytes, RFC 2231 in a wrong
charset, RFC 2047 words) where the stdlib would give U+FFFD.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
from typing import TYPE_CHECKING

from ticketcli.mail.model import Attachment
from ticketcli.mail.parse.charsets import decode_8bit_header, decode_text
from ticketcli.mail.parse.headers import decode_header_words, fold_whitespace

if TYPE_CHECKING:
    from email.message import Message

    from ticketcli.mail.parse.scan import Placeholders

__all__ = [
    "make_attachment",
    "message_bytes",
    "read_disposition",
    "sanitize_filename",
]


_UNSAFE_CHARS = re.compile(
    r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|\u200e\u200f\u202a-\u202e'
    r"\u2066-\u2069\ufeff]"
)
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(10)]
    + [f"lpt{i}" for i in range(10)]
)
_MAX_NAME_BYTES = 180
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "application/ms-tnef": ".dat",
    "application/octet-stream": ".bin",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "text/rfc822-headers": ".txt",
    "message/delivery-status": ".txt",
}
_MIMETYPES: mimetypes.MimeTypes | None = None


def _extension(content_type: str) -> str:
    ext = _EXTENSIONS.get(content_type)
    if ext:
        return ext
    global _MIMETYPES
    if _MIMETYPES is None:
        # Only the built-in table: the host's /etc/mime.types must not change names.
        _MIMETYPES = mimetypes.MimeTypes(filenames=())
    return _MIMETYPES.guess_extension(content_type, strict=False) or ".bin"


def sanitize_filename(
    name: str | None, content_type: str = "application/octet-stream", index: int = 1
) -> str:
    """A name that is safe as one path component on any disk.

    Mail decides attachment names, so they are hostile input: separators,
    ``..``, control and bidi-override characters, device names and leading
    dots go, length is capped (keeping the extension), and an empty result
    becomes ``attachment-<index><ext>`` from the content type.
    """
    text = unicodedata.normalize("NFC", name or "")
    text = _UNSAFE_CHARS.sub("_", text.replace("\x00", ""))
    text = re.sub(r"\.{2,}", ".", text)
    text = fold_whitespace(text).strip(". _")
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    if stem.split(".", 1)[0].strip().lower() in _WINDOWS_DEVICES:
        text = "_" + text
    if len(text.encode("utf-8")) > _MAX_NAME_BYTES:
        suffix = "." + ext if dot and 0 < len(ext.encode("utf-8")) <= 16 else ""
        budget = _MAX_NAME_BYTES - len(suffix.encode("utf-8"))
        head = text[: len(text) - len(suffix)] if suffix else text
        head = head.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(". ")
        text = head + suffix
    if not text.strip("._ "):
        return f"attachment-{index}{_extension(content_type)}"
    return text


def _filename(part: Message, notes: list[str]) -> str | None:
    """The decoded filename parameter (or Content-Type name) of a part, or None.

    Read here rather than with ``get_filename`` because the stdlib turns raw
    8-bit bytes and RFC 2231 values in a wrong charset (``us-ascii''W%F6``)
    into U+FFFD; ``decode_text`` recovers them as UTF-8 or Windows-1252.
    """
    for name, value in part.raw_items():
        if not value.isascii() and name.lower() in (
            "content-disposition",
            "content-type",
        ):
            part.replace_header(name, decode_8bit_header(value))
    for header, param in (
        ("content-disposition", "filename"),
        ("content-type", "name"),
    ):
        try:
            value = part.get_param(param, None, header)
        except Exception:  # a parameter list broken beyond what the parser mends
            notes.append("bad-filename")
            continue
        if value is None:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded)
            charset, _language, text = value
            try:
                data = bytes(str(text), "raw-unicode-escape")
            except UnicodeError:
                data = str(text).encode("utf-8", "replace")
            value = decode_text(data, charset or None, notes)
        value = str(value).replace("\r", "").replace("\n", "").strip()
        if "=?" in value:
            value = decode_header_words(value, notes)
        return value
    return None


def read_disposition(part: Message, notes: list[str]) -> tuple[bool, str | None]:
    """Whether a part is an attachment (it has a filename, or says so), and
    its filename."""
    filename = _filename(part, notes)
    if filename is not None:
        return True, filename
    try:
        disposition = part.get_content_disposition()
    except Exception:
        disposition = None
    return disposition == "attachment", None


def message_bytes(message: Message, source: Placeholders) -> bytes:
    """An attached message as bytes, its original lines put back."""
    source.restore(message)
    try:
        return message.as_bytes()
    except Exception:
        try:
            return message.as_string().encode("utf-8", "surrogateescape")
        except Exception:
            return b""


def make_attachment(
    data: bytes, content_type: str, filename: str | None, index: int
) -> Attachment:
    """The ``Attachment`` of a part's decoded bytes; ``index`` (from 1) names
    one whose filename is unusable."""
    return Attachment(
        filename=sanitize_filename(filename, content_type, index),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )

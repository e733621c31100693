"""The 'parse' command: what ticketcli reads from one message, storing nothing."""

from __future__ import annotations

from typing import IO, Any

import click

from ticketcli.config import too_large
from ticketcli.context import App, pass_app
from ticketcli.errors import MailParseError, UsageError
from ticketcli.mail.classify import classify
from ticketcli.mail.parse import parse_message
from ticketcli.render.output import echo_text, emit, iso, record_options

COLUMNS = (
    "message_id",
    "date",
    "from_address",
    "from_name",
    "to",
    "cc",
    "subject",
    "body_text",
    "attachments",
    "kind",
    "in_reply_to",
    "references",
    "thread_index",
    "defects",
    "charsets",
)


def _as_text(key: str, value: Any) -> str:
    if key == "attachments":
        return ", ".join(
            f"{a['filename']} ({a['content_type']}, {a['size']} B)" for a in value
        )
    if key == "charsets":
        return "; ".join(value)
    if isinstance(value, list):
        return ", ".join(value)
    if key == "date":
        return iso(value) or ""
    return "" if value is None else str(value)


@click.command("parse")
@click.argument("file", type=click.File("rb"), metavar="FILE|-")
@record_options
@pass_app
def parse_cmd(app: App, file: IO[bytes], fmt: str) -> None:
    """Show what ticketcli reads from one message (FILE, or - for stdin).

    Nothing is stored: this is the first thing to run when a mail looks wrong.
    A message over max_message_size is refused, as sync quarantines it.
    """
    limit = app.config.max_message_size
    data = file.read(limit + 1)  # no need to hold more to know it is too big
    if len(data) > limit:
        size = len(data)
        while chunk := file.read(1 << 20):
            size += len(chunk)
        raise UsageError(f"not parsed: {too_large(size, limit)}")
    try:
        mail = parse_message(data)
    except MailParseError as exc:
        raise UsageError(f"cannot read this message: {exc}") from None
    row = {
        "message_id": mail.message_id,
        "date": mail.date,
        "from_address": mail.from_address,
        "from_name": mail.from_name,
        "to": list(mail.to),
        "cc": list(mail.cc),
        "subject": mail.subject,
        "body_text": mail.body_text,
        "attachments": [
            {"filename": a.filename, "size": a.size, "content_type": a.content_type}
            for a in mail.attachments
        ],
        "kind": classify(mail).value,
        "in_reply_to": list(mail.in_reply_to),
        "references": list(mail.references),
        "thread_index": mail.thread_index,
        "defects": list(mail.defects),
        # Per decoded part: the charset used and why (declared, UTF-8,
        # detected), so a lead can see why a mail reads as it does.
        "charsets": list(mail.charsets),
    }
    if fmt == "json":
        emit([row], COLUMNS, "jsonl")
        return
    for key in COLUMNS:
        if key == "body_text":
            click.echo("body_text:")
            for line in mail.body_text.splitlines():
                echo_text(f"  {line}")
        else:
            echo_text(f"{key}: {_as_text(key, row[key])}")

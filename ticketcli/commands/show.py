"""The 'show' command: one ticket, its messages, and why each is on it."""

from __future__ import annotations

import json
from typing import Any

import click

from ticketcli.cli import App, pass_app
from ticketcli.render.output import iso, to_plain
from ticketcli.store.queries import ticket_detail

RULES = {
    "new": "opened this ticket",
    "token": "ticket token {detail} in the subject",
    "in-reply-to": "In-Reply-To names {detail}",
    "references": "References name {detail}",
    "thread-index": "Outlook Thread-Index conversation {detail}",
    "referenced-by": "a reply already on ticket {detail} names this message",
    "subject": "same subject and customer as ticket {detail}",
    "foreign-sender": "sender is not on the ticket it {detail}; opened a linked ticket",
    "closed-too-long": "follow-up to {detail}; opened a linked ticket",
    "unthreaded": "noise that names no ticket",
    "merged": "moved here by a merge {detail}",
}


def explain(rule: str, detail: str) -> str:
    """The placement reason in words, for people reading `show`."""
    return RULES.get(rule, rule).format(detail=detail or "?")


@click.command("show")
@click.argument("number", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
)
@pass_app
def show_cmd(app: App, number: int, fmt: str) -> None:
    """Show ticket NUMBER: its details, and every message with why it is here."""
    app.db  # noqa: B018
    ticket = ticket_detail(number)
    if fmt == "json":
        click.echo(json.dumps(to_plain(ticket), ensure_ascii=False, indent=2))
        return
    _print_ticket(ticket)


def _print_ticket(t: dict[str, Any]) -> None:
    mark = "  REOPENED" if t["reopened"] else ""
    click.echo(f"#{t['number']}  {t['subject']}{mark}")
    fields = [
        ("status", t["status"]),
        ("customer", t["customer_name"] or t["customer"]),
        ("requester", t["requester"]),
        ("assignee", t["assignee"]),
        ("priority", t["priority"]),
        ("created", iso(t["created_at"])),
        ("first response", iso(t["first_response_at"])),
        ("last message", iso(t["last_message_at"])),
        ("closed", iso(t["closed_at"])),
        ("merged into", f"#{t['merged_into']}" if t["merged_into"] else None),
        ("linked to", ", ".join(f"#{n}" for n in t["linked_to"]) or None),
        ("linked from", ", ".join(f"#{n}" for n in t["linked_from"]) or None),
    ]
    for label, value in fields:
        if value:
            click.echo(f"  {label + ':':16}{value}")
    for m in t["messages"]:
        arrow = "→" if m["direction"] == "outbound" else "←"
        kind = "" if m["kind"] == "ticket" else f" [{m['kind']}]"
        click.echo("")
        click.echo(
            f"{arrow} {iso(m['date'])}  {m['from_name'] or ''} <{m['from']}>{kind}"
        )
        click.echo(f"  why: {explain(m['rule'], m['rule_detail'])}")
        for line in (m["body_text"] or "").strip().splitlines()[:40]:
            click.echo(f"  | {line}")
        for a in m["attachments"]:
            click.echo(f"  + {a['filename']} ({a['content_type']}, {a['size']} B)")
    if t["events"]:
        click.echo("")
        click.echo("history:")
        for e in t["events"]:
            if e["kind"] != "message":
                click.echo(
                    f"  {iso(e['at'])}  {e['kind']:10} {e['actor']}  {e['detail']}"
                )

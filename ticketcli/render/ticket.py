"""One ticket as text for people (`show`): its fields, then its messages
with why each is on it, and notes and changes in between."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketcli.render.formats import arrow
from ticketcli.render.output import echo_text
from ticketcli.render.times import local_text, zone_line
from ticketcli.rules.quotes import fold

if TYPE_CHECKING:
    from collections.abc import Mapping
    from zoneinfo import ZoneInfo

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
}


def explain(rule: str, detail: str) -> str:
    """The placement reason in words, for people reading `show`."""
    return RULES.get(rule, rule).format(detail=detail or "?")


def away(t: Mapping[str, Any]) -> str | None:
    """The absent owner: whom a pooled ticket is held for, or an away assignee."""
    owner = t.get("away_owner")
    if owner is None:
        return None
    if t["assignee"] is None:
        return f"held in the pool for {owner} (away; back to them on return)"
    return f"{owner} is away"


def print_ticket(t: Mapping[str, Any], zone: ZoneInfo, full: bool = False) -> None:
    """``store.queries.ticket_detail`` as text, every time on ``zone``'s
    wall clock (named once, under the title); quoted history folded unless
    ``full``."""
    mark = "  REOPENED" if t["reopened"] else ""
    echo_text(f"#{t['number']}  {t['subject']}{mark}")
    echo_text(f"  ({zone_line(zone)})")

    def when(moment: Any) -> str | None:
        return local_text(moment, zone)

    fields = [
        ("status", t["status"]),
        ("customer", t["customer_name"] or t["customer"]),
        ("requester", t["requester"]),
        ("assignee", t["assignee"]),
        ("away", away(t)),
        ("queue", t.get("queue")),
        ("tags", " ".join(t.get("tags", ()))),
        ("watchers", " ".join(t.get("watchers", ()))),
        ("priority", t["priority"]),
        ("type", t["type"]),
        ("due", when(t["due_at"])),
        ("created", when(t["created_at"])),
        ("first response", when(t["first_response_at"])),
        ("last message", when(t["last_message_at"])),
        ("closed", when(t["closed_at"])),
        ("merged into", f"#{t['merged_into']}" if t["merged_into"] else None),
        ("linked to", ", ".join(f"#{n}" for n in t["linked_to"]) or None),
        ("linked from", ", ".join(f"#{n}" for n in t["linked_from"]) or None),
    ]
    for label, value in fields:
        if value:
            echo_text(f"  {label + ':':16}{value}")
    # One chronological thread: messages, and notes and changes in between.
    items: list[tuple[Any, int, Mapping[str, Any]]] = [
        (m["date"], 0, m) for m in t["messages"]
    ] + [(e["at"], 1, e) for e in t["events"] if e["kind"] != "message"]
    for _, is_event, item in sorted(items, key=lambda x: (x[0], x[1])):
        if is_event:
            _print_event(item, zone)
        else:
            _print_message(item, zone, full)


def _print_event(e: Mapping[str, Any], zone: ZoneInfo) -> None:
    if e["kind"] == "note":
        echo_text("")
        echo_text(f"# {local_text(e['at'], zone)}  note by {e['actor']}")
        for line in e["detail"].splitlines():
            echo_text(f"  # {line}")
        return
    when = local_text(e["at"], zone)
    echo_text(f"  · {when}  {e['kind']} by {e['actor']}  {e['detail']}".rstrip())


def _print_message(m: Mapping[str, Any], zone: ZoneInfo, full: bool) -> None:
    kind = "" if m["kind"] == "ticket" else f" [{m['kind']}]"
    echo_text("")
    short = f"  [{m['short_id']}]" if m.get("short_id") else ""
    echo_text(
        f"{arrow(m['direction'])} {local_text(m['date'], zone)}"
        f"  {m['from_name'] or ''} <{m['from']}>{kind}{short}"
    )
    if m.get("unverified_from"):
        claim = f"From claims {m['from']}, not verified"
        echo_text(f"  {claim}: {m['unverified_from']}")
    echo_text(f"  why: {explain(m['rule'], m['rule_detail'])}")
    text, folded = (m["body_text"] or "").strip(), 0
    if not full:
        text, folded = fold(text)
    for line in text.splitlines():
        echo_text(f"  | {line}")
    if folded:
        echo_text(f"  | (… {folded} quoted lines folded; --full shows them)")
    for a in m["attachments"]:
        echo_text(f"  + {a['filename']} ({a['content_type']}, {a['size']} B)")

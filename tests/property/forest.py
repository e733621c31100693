"""Random conversation forests as real RFC 5322 mail, and a helpdesk to sync them.

A *forest* is a few support conversations -- customers of a company with a
customer record, of a company without one, free-mail users; staff answering
from their own client (From staff, To the customer, Cc support); colleagues;
*foreign repliers* (neither the customer nor staff, answering with
In-Reply-To/References or an Outlook Thread-Index); forwards; headerless
follow-ups; duplicates; and noise (auto-replies, bounces, list mail). Every
message knows its conversation and who is on the customer side of it, so a
property can hold the store to the ground truth.

The generator keeps to what the product can promise for *every* order of
arrival (see ``forests``); the properties then assert the promise exactly.
``Helpdesk`` drives the real CLI in-process (through ``ticketcli.cli.main``,
so an unexpected exception is the exit code 4 a user would see).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.header import Header
from email.utils import format_datetime, formataddr
from typing import TYPE_CHECKING, Any

import click
from click.testing import CliRunner
from hypothesis import strategies as st

from tests.conftest import write_config
from ticketcli.cli import main

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from click.testing import Result

SUPPORT = "support@acme-help.example"
STAFF_DOMAIN = "acme-help.example"
STAFF = (
    ("Anna Tamm", "anna.tamm@acme-help.example"),
    ("Borut Žagar", "borut.zagar@acme-help.example"),
)
TOKEN_PREFIX = "ACME"

# Customer records: (name, code, addresses, domains). A free-mail address on a
# record (piret.kask@gmail.com, ola@wp.pl) is that company's by address only.
RECORDS = (
    ("Kask OÜ", "KASK", ("piret.kask@gmail.com",), ("kask.ee",)),
    ("Novak d.o.o.", "NOVAK", (), ("novak.si",)),
    ("Wiśniewski sp. z o.o.", "WISN", ("ola@wp.pl",), ("wisniewski.pl",)),
)

# Everyone who may write on the customer side: address -> (name, side). The
# side is who DESIGN's customer identification says they are: the record's
# code, or -- no record: lumi.fi has none, free mail never counts by domain --
# the address itself.
PEOPLE: dict[str, tuple[str, str]] = {
    "mari@kask.ee": ("Mari Kask", "KASK"),
    "jaan.ots@kask.ee": ("Jaan Ots", "KASK"),
    "piret.kask@gmail.com": ("Piret Kask", "KASK"),
    "maja@novak.si": ("Maja Novak", "NOVAK"),
    "luka.kos@novak.si": ("Luka Kos", "NOVAK"),
    "ola@wp.pl": ("Aleksandra Wiśniewska", "WISN"),
    "marek@wisniewski.pl": ("Marek Łęcki", "WISN"),
    "aino@lumi.fi": ("Aino Mäkelä", "aino@lumi.fi"),
    "eero@lumi.fi": ("Eero Räty", "eero@lumi.fi"),
    "ana.horvat@gmail.com": ("Ana Horvat", "ana.horvat@gmail.com"),
    "tomasz@o2.pl": ("Tomasz Żółć", "tomasz@o2.pl"),
    "liis@mail.ee": ("Liis Õun", "liis@mail.ee"),
}
CUSTOMERS = tuple(PEOPLE)

TOPICS = (
    "Printer ei tööta",
    "Račun za marec",
    "Faktura nie dotarła",
    "Salasana unohtui",
    "VPN connection drops",
    "Arve kordus kaks korda",
    "Tiskalnik ne tiska",
    "Zamówienie nr 4411 opóźnione",
    "Tulostin jumittaa",
    "Cannot log in after update",
)
REPLY_PREFIXES = ("Re: ", "RE: ", "AW: ", "SV: ", "Vs: ", "Odp: ", "Odg: ", "RE: VS: ")
FORWARD_PREFIXES = ("Fwd: ", "FW: ", "VL: ", "PD: ")
BASE = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
ZONES = (timezone(timedelta(hours=2)), timezone(timedelta(hours=1)), UTC)

# Message roles.
CUSTOMER, COLLEAGUE, STAFF_REPLY, FOREIGN = "customer", "colleague", "staff", "foreign"
# How a reply names its parent.
FULL, IRT, TI_ONLY, FRESH = "full", "in-reply-to", "thread-index", "fresh"
# Noise kinds.
AUTOREPLY, BOUNCE, LIST = "autoreply", "bounce", "list"


def side(address: str) -> str:
    return PEOPLE[address][1] if address in PEOPLE else address


def is_staff(address: str) -> bool:
    return address == SUPPORT or address.endswith("@" + STAFF_DOMAIN)


@dataclass(frozen=True)
class Mail:
    """One generated message with its ground truth."""

    mid: str  # without <>
    data: bytes
    date: datetime
    conversation: int | None  # None: list mail, belongs to nothing
    kind: str  # "ticket" or a noise kind
    sender: str
    role: str  # CUSTOMER, COLLEAGUE, STAFF_REPLY, FOREIGN; the noise kind for noise
    # For noise: the message it answers or reports on (it threads to it).
    trigger: str | None = None
    token: int | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()

    @property
    def inbound(self) -> bool:
        return not is_staff(self.sender)

    def __repr__(self) -> str:
        # Falsifying examples print as a person reads mail: the full bytes
        # are one `print(mail.data.decode())` away.
        return f"<{self.mid} {self.role} from {self.sender} {self.date:%d %H:%M}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # how Hypothesis prints falsifying examples


@dataclass
class Forest:
    mails: list[Mail] = field(default_factory=list)  # distinct messages
    duplicates: list[str] = field(default_factory=list)  # mids delivered twice

    def deliveries(self) -> list[Mail]:
        """Every delivery: each message, and a second copy of the duplicates."""
        by_mid = {m.mid: m for m in self.mails}
        return [*self.mails, *(by_mid[mid] for mid in self.duplicates)]

    def chronological(self) -> list[Mail]:
        """The canonical delivery: by date; a parent always before its reply."""
        order = {m.mid: i for i, m in enumerate(self.mails)}
        return sorted(self.deliveries(), key=lambda m: (m.date, order[m.mid]))

    def ticket_mail(self) -> list[Mail]:
        return [m for m in self.mails if m.kind == "ticket"]

    def truth(self) -> frozenset[frozenset[str]]:
        """Ticket mail grouped by conversation."""
        groups: dict[int, set[str]] = {}
        for m in self.ticket_mail():
            assert m.conversation is not None
            groups.setdefault(m.conversation, set()).add(m.mid)
        return frozenset(frozenset(g) for g in groups.values())


# -- rendering ------------------------------------------------------------------


def _address(name: str, address: str) -> str:
    return formataddr((name, address), charset="utf-8")


def _name(address: str) -> str:
    if address in PEOPLE:
        return PEOPLE[address][0]
    return dict((a, n) for n, a in STAFF).get(address, "")


def _subject_header(subject: str) -> str:
    if subject.isascii():
        return subject
    return Header(subject, "utf-8").encode()


def render(
    *,
    mid: str,
    sender: str,
    to: Sequence[str],
    cc: Sequence[str] = (),
    subject: str,
    date: datetime,
    body: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    thread_index: bytes | None = None,
    extra: Sequence[tuple[str, str]] = (),
    mime: bytes | None = None,
) -> bytes:
    """RFC 5322 bytes, CRLF, as a mail client would save them."""
    zone = ZONES[int(hashlib.sha256(mid.encode()).hexdigest(), 16) % len(ZONES)]
    lines = [
        ("From", _address(_name(sender), sender)),
        ("To", ", ".join(_address(_name(a), a) for a in to)),
    ]
    if cc:
        lines.append(("Cc", ", ".join(_address(_name(a), a) for a in cc)))
    lines += [
        ("Subject", _subject_header(subject)),
        ("Date", format_datetime(date.astimezone(zone))),
        ("Message-ID", f"<{mid}>"),
    ]
    if in_reply_to:
        lines.append(("In-Reply-To", f"<{in_reply_to}>"))
    if references:
        lines.append(("References", " ".join(f"<{r}>" for r in references)))
    if thread_index is not None:
        lines.append(("Thread-Topic", _subject_header(subject)))
        lines.append(("Thread-Index", base64.b64encode(thread_index).decode()))
    lines += list(extra)
    lines.append(("MIME-Version", "1.0"))
    head = "".join(f"{k}: {v}\r\n" for k, v in lines).encode("ascii")
    if mime is not None:
        return head + mime
    text = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return (
        head
        + b"Content-Type: text/plain; charset=utf-8\r\n"
        + b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        + text.encode("utf-8")
        + b"\r\n"
    )


def _bounce_mime(original: Mail, reporter: str) -> bytes:
    boundary = "bnd-" + hashlib.sha256(original.mid.encode()).hexdigest()[:12]
    parts = [
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"This is the mail system at host {reporter}.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n",
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; {reporter}\r\n\r\n"
        "Final-Recipient: rfc822; nobody@" + reporter.removeprefix("mx.") + "\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n",
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {original.sender}\r\nMessage-ID: <{original.mid}>\r\n"
        "Subject: (the original subject)\r\n",
        f"--{boundary}--\r\n",
    ]
    return (
        f'Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="'
        f'{boundary}"\r\n\r\n'.encode()
        + "".join(parts).encode()
    )


# -- the strategies ----------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """What a forest may contain: each feature can be switched off, so a
    property (or a person shrinking a failure) can ask for less."""

    max_conversations: int = 4
    max_replies: int = 5
    foreign: bool = True
    thread_index_only: bool = True
    fresh: bool = True
    forwards: bool = True
    noise: bool = True
    duplicates: bool = True


def _tindex(parent: bytes | None, mid: str) -> bytes:
    """Outlook's Thread-Index: 22 bytes for a new conversation, 5 more per reply."""
    digest = hashlib.sha256(mid.encode()).digest()
    return digest[:22] if parent is None else parent + digest[:5]


@st.composite
def forests(draw: st.DrawFn, shape: Shape = Shape()) -> Forest:  # noqa: B008
    """A forest that the product can thread the same way in every order.

    Where the promise "same tickets in any order" cannot hold exactly, the
    generator stays clear of it instead of the properties looking away:

    * Every conversation has its own subject and nobody takes part in two
      conversations with one subject, so the subject fallback can only ever
      join mail of one conversation.
    * A conversation spans less than the 30-day subject window (and no ticket
      is ever closed), so the window and the reopen rules cannot depend on
      which messages happen to be stored already.
    * A headerless ("fresh") follow-up comes only from the conversation's
      customer or from staff writing to that customer: only they are matched
      by the subject fallback. A foreign replier always names the
      conversation (In-Reply-To/References or Thread-Index): a headerless
      mail from a stranger with a known subject is a new ticket in every order.
    * Thread-Index-only replies answer a message that has a Thread-Index
      (Outlook keeps the conversation's 22 bytes only when it has them).
    * Foreign repliers write to support alone, and staff answer them alone:
      they never become participants of the customer's ticket (that would
      depend on which mail was read first).
    """
    forest = Forest()
    conversations = draw(st.integers(1, shape.max_conversations))
    for c in range(conversations):
        _conversation(draw, shape, forest, c)
    if shape.noise:
        for n in range(draw(st.integers(0, 1))):
            mid = f"news{n}@shop.example"
            date = BASE + timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))
            forest.mails.append(
                Mail(
                    mid=mid,
                    data=render(
                        mid=mid,
                        sender="news@shop.example",
                        to=[SUPPORT],
                        subject=f"Spring offers, week {n + 10}",
                        date=date,
                        body="Our best prices this week.\nUnsubscribe below.",
                        extra=[
                            ("List-Id", "Shop news <news.shop.example>"),
                            ("List-Unsubscribe", "<mailto:leave@shop.example>"),
                            ("Precedence", "list"),
                        ],
                    ),
                    date=date,
                    conversation=None,
                    kind="bulk",
                    sender="news@shop.example",
                    role=LIST,
                )
            )
    if shape.duplicates and forest.mails:
        mids = [m.mid for m in forest.mails]
        forest.duplicates = draw(
            st.lists(st.sampled_from(mids), max_size=2, unique=True)
        )
    return forest


def _conversation(draw: st.DrawFn, shape: Shape, forest: Forest, c: int) -> None:
    # Customers of earlier conversations may come back with another subject.
    customer = draw(st.sampled_from(CUSTOMERS))
    colleagues = [a for a in CUSTOMERS if side(a) == side(customer) and a != customer]
    strangers = [a for a in CUSTOMERS if side(a) != side(customer)]
    topic = TOPICS[c % len(TOPICS)]
    subject = f"{topic} ({c + 1})"
    start = BASE + timedelta(minutes=draw(st.integers(0, 6 * 24 * 60)))
    # Each message: (mid, sender, customer-side address, date, thread_index, role)
    nodes: list[dict[str, Any]] = []

    def mid_for(i: int, sender: str) -> str:
        return f"c{c}.m{i}@{sender.partition('@')[2]}"

    # The first mail: the customer to support (maybe Cc a colleague), staff
    # opening a ticket by writing to the customer with support in Cc, or a
    # forward of someone else's mail.
    opener = draw(st.sampled_from([CUSTOMER, CUSTOMER, STAFF_REPLY]))
    outlook = draw(st.booleans())
    forward = shape.forwards and opener == CUSTOMER and draw(st.integers(0, 3)) == 0
    if opener == STAFF_REPLY:
        staff_name, sender = draw(st.sampled_from(STAFF))
        to, cc = [customer], [SUPPORT]
    else:
        sender = customer
        to = [SUPPORT]
        cc = [colleagues[0]] if colleagues and draw(st.booleans()) else []
    mid = mid_for(0, sender)
    tindex = _tindex(None, mid) if outlook else None
    root_subject = (
        draw(st.sampled_from(FORWARD_PREFIXES)) + subject if forward else subject
    )
    body = "Tere,\nmidagi on valesti.\n"
    references: list[str] = []
    if forward:
        external = f"orig{c}@vendor.example"
        references = [external]
        body += (
            "\n---------- Forwarded message ---------\n"
            "From: Vendor <x@vendor.example>\n"
            f"Subject: {subject}\n\nThe original text.\n"
        )
    nodes.append(
        {"mid": mid, "sender": sender, "party": customer, "date": start,
         "tindex": tindex, "role": opener, "refs": references}
    )  # fmt: skip
    forest.mails.append(
        Mail(
            mid=mid,
            data=render(
                mid=mid,
                sender=sender,
                to=to,
                cc=cc,
                subject=root_subject,
                date=start,
                body=body,
                references=references,
                thread_index=tindex,
            ),
            date=start,
            conversation=c,
            kind="ticket",
            sender=sender,
            role=opener,
            to=tuple(to),
            cc=tuple(cc),
        )
    )

    roles = [CUSTOMER, STAFF_REPLY, STAFF_REPLY]
    if colleagues:
        roles.append(COLLEAGUE)
    if shape.foreign:
        roles += [FOREIGN, FOREIGN]  # as on a list: many repliers are strangers
    for i in range(1, draw(st.integers(0, shape.max_replies)) + 1):
        parent = nodes[draw(st.integers(0, i - 1))]
        role = draw(st.sampled_from(roles))
        if role == STAFF_REPLY:
            _, sender = draw(st.sampled_from(STAFF))
            # Staff answer whoever is on the customer side of the parent.
            party = parent["party"]
            to, cc = [party], [SUPPORT]
        elif role == FOREIGN:
            sender = draw(st.sampled_from(strangers))
            party = sender
            to, cc = [SUPPORT], []
        else:
            sender = customer if role == CUSTOMER else draw(st.sampled_from(colleagues))
            party = sender
            to, cc = [SUPPORT], []
        styles = [FULL, FULL, IRT]
        outlook = draw(st.booleans())
        if shape.thread_index_only and outlook and parent["tindex"] is not None:
            styles.append(TI_ONLY)
        fresh_ok = (role == CUSTOMER) or (role == STAFF_REPLY and party == customer)
        if shape.fresh and fresh_ok:
            styles.append(FRESH)
        style = draw(st.sampled_from(styles))
        date = parent["date"] + timedelta(minutes=draw(st.integers(1, 3 * 24 * 60)))
        mid = mid_for(i, sender)
        if outlook:
            tindex = _tindex(parent["tindex"], mid)
        else:
            tindex = None
        in_reply_to = parent["mid"] if style in (FULL, IRT) else None
        refs = [*parent["refs"], parent["mid"]] if style == FULL else []
        if style == FRESH:
            reply_subject = subject
            tindex = None  # a new mail in Outlook starts a new conversation
        else:
            reply_subject = draw(st.sampled_from(REPLY_PREFIXES)) + subject
        if style == TI_ONLY:
            in_reply_to, refs = None, []
        nodes.append(
            {"mid": mid, "sender": sender, "party": party, "date": date,
             "tindex": tindex, "role": role, "refs": refs or [parent["mid"]]}
        )  # fmt: skip
        forest.mails.append(
            Mail(
                mid=mid,
                data=render(
                    mid=mid,
                    sender=sender,
                    to=to,
                    cc=cc,
                    subject=reply_subject,
                    date=date,
                    body=f"Message {i} of conversation {c + 1}.\n\n> earlier text\n",
                    in_reply_to=in_reply_to,
                    references=refs,
                    thread_index=tindex,
                ),
                date=date,
                conversation=c,
                kind="ticket",
                sender=sender,
                role=role,
                to=tuple(to),
                cc=tuple(cc),
            )
        )

    if not shape.noise:
        return
    # Noise about the conversation's staff mail: the customer's out-of-office
    # answer (In-Reply-To the trigger) or a bounce that reports on it.
    staff_mail = [n for n in nodes if is_staff(n["sender"])]
    for _ in range(draw(st.integers(0, 2)) if staff_mail else 0):
        trigger = draw(st.sampled_from(staff_mail))
        kind = draw(st.sampled_from([AUTOREPLY, BOUNCE]))
        date = trigger["date"] + timedelta(minutes=draw(st.integers(1, 30)))
        recipient = trigger["party"]
        if kind == AUTOREPLY:
            mid = f"auto.{trigger['mid']}"
            variant = draw(st.integers(0, 2))
            extra = [
                [("Auto-Submitted", "auto-replied")],
                [("X-Autoreply", "yes")],
                [("Precedence", "auto_reply"), ("X-Autorespond", "yes")],
            ][variant]
            data = render(
                mid=mid,
                sender=recipient,
                to=[trigger["sender"]],
                subject="Automatic reply: RE: " + subject,
                date=date,
                body="I am out of the office until Monday.",
                in_reply_to=trigger["mid"],
                references=[trigger["mid"]],
                extra=extra,
            )
            sender = recipient
        else:
            reporter = "mx." + recipient.partition("@")[2]
            sender = f"MAILER-DAEMON@{reporter}"
            mid = f"bounce.{trigger['mid']}"
            original = next(m for m in forest.mails if m.mid == trigger["mid"])
            data = render(
                mid=mid,
                sender=sender,
                to=[trigger["sender"]],
                subject="Undelivered Mail Returned to Sender",
                date=date,
                body="",
                extra=[("Auto-Submitted", "auto-replied")],
                mime=_bounce_mime(original, reporter),
            )
        if any(m.mid == mid for m in forest.mails):
            continue  # one auto-reply and one bounce per trigger
        forest.mails.append(
            Mail(
                mid=mid,
                data=data,
                date=date,
                conversation=c,
                kind="autoreply" if kind == AUTOREPLY else "bounce",
                sender=sender,
                role=kind,
                trigger=trigger["mid"],
            )
        )


@st.composite
def deliveries(
    draw: st.DrawFn, mails: Sequence[Mail], max_batches: int = 4
) -> list[list[Mail]]:
    """The mail in a random order, split into 1..max_batches syncs.

    Half the time any order; else date order with messages moved a few
    places (a slow relay, a folder read in name order): replies read just
    before their parents, which is where merges and links happen.
    """
    if draw(st.booleans()):
        order = draw(st.permutations(list(mails)))
    else:
        dated = sorted(mails, key=lambda m: m.date)
        jitter = draw(
            st.lists(st.integers(0, 4), min_size=len(dated), max_size=len(dated))
        )
        keyed = sorted(range(len(dated)), key=lambda i: (i - jitter[i], i))
        order = [dated[i] for i in keyed]
    cuts = sorted(
        set(
            draw(
                st.lists(
                    st.integers(1, max(1, len(order) - 1)), max_size=max_batches - 1
                )
            )
        )
    )
    batches, start = [], 0
    for cut in [*cuts, len(order)]:
        if cut > start:
            batches.append(order[start:cut])
            start = cut
    return batches


# Mail every store must take as faithfully as a forest's (a parsing worker,
# either backend): nothing, garbage, a large body (more than a pipe buffer),
# headers that decode to nothing. Each that can be stored has a Date, so two
# stores date it alike.
HOSTILE = [
    b"",
    b"\xff\xfe not a header at all\r\n\r\n\x00\x00",
    b"Date: Mon, 2 Mar 2026 09:00:00 +0000\r\nSubject: large\r\n\r\n" + b"x" * 300_000,
    b"Date: Mon, 2 Mar 2026 09:00:00 +0000\r\nFrom: <>\r\nMessage-ID: <>\r\n"
    b"Subject: =?x-unknown?Q?=FF?=\r\n\r\nhi",
]


@st.composite
def hostile_deliveries(draw: st.DrawFn, forest: Forest) -> list[list[Mail | bytes]]:
    """``deliveries`` of the forest with up to two ``HOSTILE`` mails put
    somewhere in each sync."""
    batches: list[list[Mail | bytes]] = []
    for batch in draw(deliveries(forest.deliveries()), label="batches"):
        at = draw(st.integers(0, len(batch)), label="hostile at")
        hostile = draw(st.lists(st.sampled_from(HOSTILE), max_size=2))
        batches.append([*batch[:at], *hostile, *batch[at:]])
    return batches


# -- driving the CLI ---------------------------------------------------------------


@click.command(
    context_settings={"ignore_unknown_options": True, "help_option_names": []}
)
@click.argument("argv", nargs=-1, type=click.UNPROCESSED)
def _ticketcli(argv: tuple[str, ...]) -> None:
    """``ticketcli.cli.main`` as a click command, so CliRunner captures its exit."""
    main(list(argv))


class Helpdesk:
    """A config, a store and customer records, driven through the real CLI."""

    def __init__(self, base: Path, db: str | None = None) -> None:
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        config = write_config(
            base / "config.toml",
            support_addresses=[SUPPORT],
            staff_domains=[STAFF_DOMAIN],
            token_prefix=TOKEN_PREFIX,
        )
        db = db or f"sqlite:///{base / 'store.db'}"
        self.args = ["--config", str(config), "--db", db]
        self.runner = CliRunner()
        self.batches = 0
        records = base / "customers.csv"
        with records.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["name", "code", "emails", "domains"])
            for name, code, addresses, domains in RECORDS:
                writer.writerow([name, code, " ".join(addresses), " ".join(domains)])
        self.check("init")  # only init, sync, import ... create a store (issue 19)
        self.check("customers", "import", str(records))

    def run(self, *args: str) -> Result:
        return self.runner.invoke(_ticketcli, [*self.args, *args])

    def check(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, (args, result.exit_code, result.stderr)
        return result

    def sync(self, batch: Iterable[Mail | bytes], fmt: str = "emldir") -> Result:
        """Write the batch as a folder of .eml files (or an mbox) and sync it."""
        self.batches += 1
        if fmt == "mbox":
            path = self.base / f"batch{self.batches:03d}.mbox"
            with path.open("wb") as handle:
                for mail in batch:
                    assert isinstance(mail, Mail), "an mbox needs envelope data"
                    handle.write(mbox_entry(mail))
        else:
            path = self.base / f"batch{self.batches:03d}"
            path.mkdir()
            for i, mail in enumerate(batch):
                data = mail.data if isinstance(mail, Mail) else mail
                (path / f"{i:05d}.eml").write_bytes(data)
        return self.run("sync", "--source", str(path))

    def export(self) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.check("export").stdout.splitlines()]

    def unthreaded_noise(self) -> list[dict[str, Any]]:
        return json.loads(self.check("noise", "list", "--format", "json").stdout)

    def quarantined(self) -> list[dict[str, Any]]:
        return json.loads(self.check("quarantine", "list", "--format", "json").stdout)


def mbox_entry(mail: Mail) -> bytes:
    """One mboxrd entry: envelope line, LF line ends, ``>From `` quoting."""
    envelope = mail.date.astimezone(UTC).strftime("%a %b %d %H:%M:%S %Y")
    lines = []
    for line in mail.data.replace(b"\r\n", b"\n").split(b"\n"):
        if line.lstrip(b">").startswith(b"From "):
            line = b">" + line
        lines.append(line)
    return f"From {mail.sender} {envelope}\n".encode() + b"\n".join(lines) + b"\n"


# -- reading the store back ----------------------------------------------------------


def bare(mid: str | None) -> str:
    return (mid or "").strip().strip("<>")


def placements(tickets: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
    """message id -> the numbers of every ticket that holds it (should be one)."""
    out: dict[str, list[int]] = {}
    for ticket in tickets:
        for message in ticket["messages"]:
            out.setdefault(bare(message["message_id"]), []).append(ticket["number"])
    return out


def linked_groups(tickets: Sequence[dict[str, Any]]) -> dict[int, int]:
    """ticket number -> a representative of its group: tickets joined by
    ``linked_to`` in either direction (merged tickets link to their target)."""
    parent = {t["number"]: t["number"] for t in tickets}

    def find(n: int) -> int:
        while parent.setdefault(n, n) != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for ticket in tickets:
        for other in ticket["linked_to"]:
            parent[find(ticket["number"])] = find(other)
    return {n: find(n) for n in list(parent)}


def partition(
    tickets: Sequence[dict[str, Any]], mids: Iterable[str]
) -> frozenset[frozenset[str]]:
    """The given messages grouped by linked group of their ticket."""
    where = placements(tickets)
    group = linked_groups(tickets)
    groups: dict[int, set[str]] = {}
    for mid in mids:
        numbers = where.get(mid)
        if numbers:
            groups.setdefault(group[numbers[0]], set()).add(mid)
    return frozenset(frozenset(g) for g in groups.values())


def describe(forest: Forest, tickets: Sequence[dict[str, Any]]) -> str:
    """Tickets as a person reads them, for assertion messages."""
    truth = {m.mid: m for m in forest.mails}
    lines = []
    for t in tickets:
        lines.append(
            f"#{t['number']} {t['status']} requester={t['requester']} "
            f"linked_to={t['linked_to']}"
        )
        for m in t["messages"]:
            mid = bare(m["message_id"])
            g = truth.get(mid)
            where = f"conv {g.conversation} {g.role}" if g else "?"
            lines.append(f"    {mid} [{where}] rule={m['rule']} {m['rule_detail']}")
    return "\n".join(lines)

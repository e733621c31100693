"""A mailing-list archive synced into the helpdesk (issue 13: the archive crash).

Reported: syncing a real list archive (about 11,000 messages, replies read
slightly out of order, many repliers who are not the original sender) died
after a few hundred messages with ``internal error: IntegrityError: UNIQUE
constraint failed: ticket_link.ticket_id, ticket_link.linked_id``, exit 4.

This builds such an archive deterministically -- a few hundred threads, most
replies from someone other than the thread's starter, replies read up to 20
positions away from where they belong -- and syncs it in a few cron-sized runs.

The archive has no list headers: with ``List-Id`` every message would be bulk
noise that never opens a ticket, and none of the threading paths (the
foreign-sender rule, merges of tickets read out of order) would run. An
archive imported into a helpdesk looks like this: the list address is the
support address, and the list's own headers are gone.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from tests.property.forest import (
    BASE,
    PEOPLE,
    REPLY_PREFIXES,
    STAFF,
    SUPPORT,
    Forest,
    Helpdesk,
    Mail,
    _tindex,
    bare,
    describe,
    partition,
    render,
)

SEED = 13
THREADS = 320
WINDOW = 20  # a reply is read at most this many positions from its place
RUNS = 4  # the archive arrives in this many syncs, as cron would read it

# List members beyond the customers of forest.PEOPLE: free-mail users and
# people of companies without a record, so most repliers are strangers to
# the thread's starter.
MEMBERS = [
    *PEOPLE,
    *(f"user{i}@gmail.com" for i in range(30)),
    *(f"dev{i}@firma{i % 7}.example" for i in range(21)),
]


def build_archive(seed: int = SEED, threads: int = THREADS) -> Forest:
    """Threads as trees: each reply answers a random earlier message of its
    thread, from a random member (the starter only now and then), with full
    References mostly, In-Reply-To alone sometimes, an Outlook Thread-Index
    on some; staff answer now and then (To the member, Cc the list)."""
    rng = random.Random(seed)
    forest = Forest()
    for t in range(threads):
        starter = rng.choice(MEMBERS)
        subject = f"[list] question {t}: {rng.choice(['build', 'install', 'crash'])}"
        start = BASE + timedelta(minutes=rng.randrange(60 * 24 * 60))
        outlook = rng.random() < 0.2
        mid = f"t{t}.0@{starter.partition('@')[2]}"
        nodes = [{"mid": mid, "date": start, "refs": [], "sender": starter,
                  "tindex": _tindex(None, mid) if outlook else None}]  # fmt: skip
        forest.mails.append(
            Mail(
                mid=mid,
                data=render(
                    mid=mid,
                    sender=starter,
                    to=[SUPPORT],
                    subject=subject,
                    date=start,
                    body="How do I do this?\n",
                    thread_index=nodes[0]["tindex"],
                ),
                date=start,
                conversation=t,
                kind="ticket",
                sender=starter,
                role="customer",
            )
        )
        for i in range(1, min(rng.choice([1, 2, 3, 4, 6, 9, 14]), 14)):
            parent = rng.choice(nodes)
            roll = rng.random()
            if roll < 0.15:
                sender = rng.choice(STAFF)[1]
                to, cc = [parent["sender"]], [SUPPORT]
                if parent["sender"] in (s for _, s in STAFF):
                    to = [starter]
            else:
                sender = starter if roll < 0.3 else rng.choice(MEMBERS)
                to, cc = [SUPPORT], []
            date = parent["date"] + timedelta(minutes=rng.randrange(2, 3 * 24 * 60))
            mid = f"t{t}.{i}@{sender.partition('@')[2]}"
            style = rng.random()
            refs = [*parent["refs"], parent["mid"]] if style < 0.8 else []
            tindex = (
                _tindex(parent["tindex"], mid) if parent["tindex"] is not None else None
            )
            node = {"mid": mid, "date": date, "sender": sender, "tindex": tindex}
            nodes.append({**node, "refs": refs or [parent["mid"]]})
            forest.mails.append(
                Mail(
                    mid=mid,
                    data=render(
                        mid=mid,
                        sender=sender,
                        to=to,
                        cc=cc,
                        subject=rng.choice(REPLY_PREFIXES) + subject,
                        date=date,
                        body=f"Reply {i}.\n\n> quoted\n",
                        in_reply_to=parent["mid"],
                        references=refs,
                        thread_index=tindex,
                    ),
                    date=date,
                    conversation=t,
                    kind="ticket",
                    sender=sender,
                    role="staff" if sender.endswith("acme-help.example") else "member",
                    to=tuple(to),
                    cc=tuple(cc),
                )
            )
    return forest


def read_order(forest: Forest, seed: int = SEED) -> list[Mail]:
    """Archive order (by date), each message moved by up to WINDOW positions."""
    rng = random.Random(seed + 1)
    ordered = forest.chronological()
    keyed = [(i + rng.uniform(0, WINDOW), m) for i, m in enumerate(ordered)]
    return [m for _, m in sorted(keyed, key=lambda pair: pair[0])]


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    forest = build_archive()
    order = read_order(forest)
    desk = Helpdesk(tmp_path_factory.mktemp("list-archive"))
    size = -(-len(order) // RUNS)
    results = [
        desk.sync(order[i : i + size], "mbox" if i % 2 else "emldir")
        for i in range(0, len(order), size)
    ]
    return {"forest": forest, "desk": desk, "results": results}


def test_list_archive_is_big_enough(synced: dict[str, Any]) -> None:
    forest: Forest = synced["forest"]
    starters = {m.conversation: m.sender for m in forest.mails if m.role == "customer"}
    strangers = sum(
        m.role == "member" and m.sender != starters[m.conversation]
        for m in forest.mails
    )
    assert 1200 <= len(forest.mails) <= 2500
    assert strangers > len(forest.mails) / 3


def test_list_archive_syncs_without_error(synced: dict[str, Any]) -> None:
    """Every run exits 0 and prints nothing (no bug, nothing quarantined)."""
    for result in synced["results"]:
        assert (result.exit_code, result.stderr) == (0, "")


def test_list_archive_loses_and_doubles_nothing(synced: dict[str, Any]) -> None:
    forest: Forest = synced["forest"]
    desk: Helpdesk = synced["desk"]
    assert desk.quarantined() == []
    tickets = desk.export()
    stored = Counter(bare(m["message_id"]) for t in tickets for m in t["messages"])
    expected = Counter(m.mid for m in forest.mails)
    assert stored == expected, (
        f"{len(expected - stored)} missing, {len(stored - expected)} extra"
    )


def test_list_archive_threads_are_linked_groups(synced: dict[str, Any]) -> None:
    """Each thread is one group of tickets (linked tickets taken together),
    and no group holds two threads -- as when read in date order."""
    forest: Forest = synced["forest"]
    tickets = synced["desk"].export()
    got = partition(tickets, [m.mid for m in forest.mails])
    wrong = got ^ forest.truth()
    involved = set().union(*wrong)
    shown = [
        t for t in tickets if {bare(m["message_id"]) for m in t["messages"]} & involved
    ]
    assert not wrong, f"{len(wrong)} groups differ\n" + describe(forest, shown[:20])

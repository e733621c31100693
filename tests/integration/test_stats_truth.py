"""`stats` against the generator's ground truth: a synced mailbox's numbers.

The generator knows every conversation's first inbound mail and first staff
reply (``first_response_seconds``); each ticket's FRT from
``reports.summary`` must equal it, and the aggregates -- tickets per week, FRT
median and 90th percentile, mail load by weekday and hour -- must equal the
same figures computed from the truth alone.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import GenMailbox, customers_csv, write_config
from tests.helpers import folder_with
from tests.store.conftest import StoreCli
from ticketcli.config import load_config
from ticketcli.reports import load as mail
from ticketcli.reports import summary as figures
from ticketcli.rules.metrics import median, percentile
from ticketcli.store.db import connect
from ticketcli.store.models import bind_models

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow

CONVERSATIONS = 150
# Threading is scored in test_ground_truth; on this mailbox it is exact (one
# ticket per conversation), so the aggregates can be compared one to one.
SEED = 7
NOW = datetime(2026, 6, 1)
EVER = (datetime(2000, 1, 1), datetime(2100, 1, 1))


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def _half_up(value: float | None) -> int | None:
    return None if value is None else math.floor(value + 0.5)


@pytest.fixture(scope="module")
def synced(
    gen_mailbox: GenMailbox, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, dict[str, Any], list[dict[str, Any]], Any]:
    folder, truth = gen_mailbox(conversations=CONVERSATIONS, seed=SEED)
    tmp = tmp_path_factory.mktemp("stats-truth")
    config_path = write_config(
        tmp / "config.toml", truth, goals={"first_response": "2h"}
    )
    url = f"sqlite:///{tmp / 'store.db'}"
    desk = StoreCli(url, config_path)
    desk.ok("customers", "import", str(customers_csv(tmp / "c.csv", truth)))
    desk.sync(folder)
    desk.mailbox = folder
    return desk, truth, desk.export(), load_config(str(config_path))


@pytest.fixture(autouse=True)
def _bound(synced: Any) -> Iterator[None]:
    """The models bound to the synced store (a CLI run binds them to its own
    store, and back to this one when it ends)."""
    db = connect(synced[0].url)
    with bind_models(db):
        yield
    db.close()


def _ticket_conversations(
    truth: dict[str, Any], exported: list[dict[str, Any]]
) -> dict[int, str]:
    """Ticket -> conversation, for tickets whose mail is all of one conversation."""
    counts = Counter(m["message_id"] for m in truth["messages"])
    conversation_of = {
        m["message_id"]: m["conversation"]
        for m in truth["messages"]
        if m["kind"] == "ticket" and m["message_id"] and counts[m["message_id"]] == 1
    }
    out = {}
    for ticket in exported:
        found = {
            conversation_of[m["message_id"]]
            for m in ticket["messages"]
            if m["kind"] == "ticket" and m["message_id"] in conversation_of
        }
        if len(found) == 1:
            out[ticket["number"]] = found.pop()
    return out


def test_each_tickets_frt_equals_the_truth(synced: Any) -> None:
    _, truth, exported, config = synced
    conversations = truth["conversations"]
    frt = figures.first_response_times(start=EVER[0], end=EVER[1], config=config)
    mapped = _ticket_conversations(truth, exported)
    # Each conversation's first ticket: the one opened by its first mail.
    first_ticket = {}
    for number in sorted(mapped, key=lambda n: (frt.get(n) is None, n)):
        conv = mapped[number]
        created = next(t for t in exported if t["number"] == number)["created_at"]
        if _utc(created) == _utc(conversations[conv]["first_inbound"]):
            first_ticket.setdefault(conv, number)
    assert len(first_ticket) >= 0.98 * len(conversations)
    for conv, number in first_ticket.items():
        assert frt[number] == conversations[conv]["first_response_seconds"], (
            number,
            conv,
        )
    answered = [c for c in first_ticket if conversations[c]["first_staff_reply"]]
    assert answered, "the mailbox should have answered conversations"


def test_aggregates_equal_the_truths(synced: Any) -> None:
    desk, truth, exported, config = synced
    conversations = list(truth["conversations"].values())
    tickets = [t for t in exported if t["status"] != "merged"]
    # Threading is exact on this mailbox: one ticket per conversation.
    assert len(tickets) == len(conversations)
    [overall] = figures.summary(
        start=EVER[0], end=EVER[1], by=None, config=config, now=NOW
    )
    values = [
        c["first_response_seconds"]
        for c in conversations
        if c["first_response_seconds"] is not None
    ]
    assert overall["created"] == len(conversations)
    assert overall["frt_median"] == _half_up(median(values))
    assert overall["frt_p90"] == percentile(values, 90)
    assert overall["frt_avg"] == _half_up(sum(values) / len(values))
    within = sum(1 for v in values if v <= 7200)
    unanswered = len(conversations) - len(values)  # all long past 2 h at NOW
    assert overall["frt_within_goal"] == round(within / (len(values) + unanswered), 4)
    assert overall["frt_breaches"] == len(values) - within + unanswered
    # Week by week, as `stats --until` reads them through the CLI.
    first = min(_utc(c["first_inbound"]) for c in conversations)
    monday = (first - timedelta(days=first.weekday())).date()
    weeks = Counter(
        (_utc(c["first_inbound"]).date() - monday).days // 7 for c in conversations
    )
    for week, count in sorted(weeks.items()):
        last_day = monday + timedelta(days=7 * week + 6)
        args = ("stats", "--until", last_day.isoformat(), "--format", "json")
        [row] = json.loads(desk.ok(*args).stdout)
        assert row["created"] == count, (week, row)
        in_week = [
            c["first_response_seconds"]
            for c in conversations
            if (_utc(c["first_inbound"]).date() - monday).days // 7 == week
            and c["first_response_seconds"] is not None
        ]
        assert row["frt_median_business_seconds"] == _half_up(median(in_week)), week


def test_load_equals_the_truths(synced: Any) -> None:
    _, truth, _, _ = synced
    expected = [[0] * 24 for _ in range(7)]
    for m in truth["messages"]:
        if m["kind"] == "ticket" and m["direction"] == "inbound":
            moment = _utc(m["date"])
            expected[moment.weekday()][moment.hour] += 1
    load = mail.load(start=EVER[0], end=EVER[1], tz="UTC")
    assert load["matrix"] == expected
    assert load["total"] == sum(map(sum, expected))


def test_the_order_mail_is_read_in_changes_no_figure(
    synced: Any, tmp_path: Path
) -> None:
    """Replies read before their parents: the same numbers (times come from
    the messages' dates, not from when sync read them)."""
    desk, truth, _, _ = synced
    folder = folder_with(
        sorted(desk.mailbox.iterdir()), tmp_path / "shuffled", shuffle_seed=5
    )
    other = StoreCli(f"sqlite:///{tmp_path / 'other.db'}", desk.config)
    other.ok("customers", "import", str(customers_csv(tmp_path / "c.csv", truth)))
    other.sync(folder)
    for args in (
        ("--since", "2000-01-01"),
        ("--since", "2000-01-01", "--by", "customer"),
        ("--since", "2000-01-01", "--by", "weekday"),
        ("--since", "2000-01-01", "--load"),
    ):
        assert other.json("stats", *args) == desk.json("stats", *args), args

"""The figures behind `stats` and the HTML report: counts in SQL, times per ticket.

Counting (created, closed, reopened, backlog, work time, mail load) is
grouped by the database, so a store of 100,000 tickets answers with a few
hundred rows. Durations need each ticket's own timeline -- first inbound
mail, first staff reply, events -- and business hours when ``[hours]`` is
set, so they are computed in Python with ``ticketcli.rules.metrics``, but only
for the tickets of the period. Percentiles are exact (nearest rank).

Every row is plain data (str, int, float, None): times as ISO 8601 strings,
durations as whole seconds, shares as fractions 0..1.

A ticket belongs to one group for every figure: its current assignee,
customer, type or source, or the local hour / weekday it was opened. Merged
tickets (pointers into another ticket) count nowhere.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from peewee import PostgresqlDatabase

from ticketcli.clock import utc_naive
from ticketcli.desk.tickets import parse_day  # noqa: F401 - `stats --since/--until`
from ticketcli.errors import UsageError
from ticketcli.rules import metrics
from ticketcli.store.absences import owner_away_sql
from ticketcli.store.models import ACTIVE_SQL, database_proxy
from ticketcli.store.sql import Sql, to_datetime

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from peewee import Database

    from ticketcli.config import BusinessHours, Config, Goals

PERIODS = ("day", "week", "month")
GROUPS = ("assignee", "customer", "type", "source", "hour", "weekday")
WORK_GROUPS = ("customer", "assignee")
NO_VALUE = "(none)"  # the group of tickets without an assignee, customer, ...
ALL = "all"  # the one group when nothing is grouped
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOUR_KEYS = tuple(f"{h:02d}" for h in range(24))

SUMMARY_KEYS = (
    "group",
    "created",
    "closed",
    "reopened",
    "backlog",
    "frt_avg",
    "frt_median",
    "frt_p90",
    "frt_within_goal",
    "frt_breaches",
    "resolution_median",
    "resolution_p90",
    "resolution_breaches",
    "replies_per_ticket",
    "at_risk",
)
WORKLOAD_KEYS = (
    "assignee",
    "open",
    "waiting",
    "oldest_waiting_at",
    "oldest_waiting_number",
    "overdue",
    "work_minutes",
)
WORK_TIME_KEYS = ("group", "minutes", "tickets")
TREND_KEYS = ("week_start", "tickets", "frt_median", "frt_p90", "frt_within_goal")

# Literal (not bound) so the planner can use the partial index "ticket_active".
_ACTIVE = f"t.status IN {ACTIVE_SQL}"
_STATUS_EVENTS = "('created', 'assigned', 'unassigned', 'closed', 'reopened', 'status')"


# --- time ---------------------------------------------------------------------


def zone_name(config: Config) -> str:
    """The time zone days, weeks and hours are read in: [hours] timezone, else UTC."""
    return config.hours.timezone if config.hours is not None else "UTC"


def _local_to_utc(moment: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time (or an aware time) as the store's naive UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return utc_naive(moment)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return _local_to_utc(datetime.combine(day, time()), zone)


def _period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _next_start(day: date, period: str) -> date:
    if period == "week":
        return day + timedelta(days=7)
    if period == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.replace(tzinfo=UTC).astimezone(zone).date()


def period_bounds(
    period: str,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    tz: str,
) -> tuple[datetime, datetime]:
    """[start, end) as naive UTC for a day, week (from Monday) or month in ``tz``.

    Without ``since``/``until``: the period that contains ``now``. ``since``
    alone runs to ``now``; ``until`` alone (exclusive) ends the period that
    contains the moment before it. Naive ``since``/``until`` are local wall
    times in ``tz`` (a date is its midnight); aware ones are taken as given.
    """
    if period not in PERIODS:
        raise UsageError(f"--period: {period!r} is not one of {', '.join(PERIODS)}")
    zone = ZoneInfo(tz)
    now = utc_naive(now)
    if since is None and until is None:
        first = _period_start(_local_date(now, zone), period)
        start, end = _midnight(first, zone), _midnight(_next_start(first, period), zone)
    elif until is None:
        assert since is not None
        start, end = _local_to_utc(since, zone), now
        if end <= start:
            raise UsageError("--since: the period would start after now")
    elif since is None:
        end = _local_to_utc(until, zone)
        first = _period_start(_local_date(end - timedelta(seconds=1), zone), period)
        start = _midnight(first, zone)
    else:
        start, end = _local_to_utc(since, zone), _local_to_utc(until, zone)
    if end <= start:
        raise UsageError("--until must be later than --since")
    return start, end


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return utc_naive(moment).replace(microsecond=0).isoformat() + "Z"


def _seconds(value: float | None) -> int | None:
    """Whole seconds, halves rounded up (a median of two may end in .5)."""
    return None if value is None else int(math.floor(value + 0.5))


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- SQL plumbing ---------------------------------------------------------------


def _at(value: Any) -> datetime:
    """A time the query guarantees (NOT NULL, or MIN over a non-empty group)."""
    moment = to_datetime(value)
    assert moment is not None
    return moment


def _sql() -> Sql:
    """Plain SQL on whatever store the models are bound to."""
    return Sql(cast("Database", database_proxy))


def _postgres() -> bool:
    return isinstance(database_proxy.obj, PostgresqlDatabase)


def _quarter(column: str) -> str:
    """The UTC quarter hour of a time as text "YYYY-MM-DD HH:q" (q = 0..3).

    Every time zone's offset is a whole number of quarter hours, so all of
    one such bucket falls in one local hour: grouping by it in SQL and
    mapping each bucket to local time in Python is exact, DST included.
    """
    if _postgres():
        return (
            f"to_char({column}, 'YYYY-MM-DD HH24:')"
            f" || CAST(CAST(EXTRACT(MINUTE FROM {column}) AS INTEGER) / 15 AS TEXT)"
        )
    return (
        f"substr({column}, 1, 14)"
        f" || CAST(CAST(substr({column}, 15, 2) AS INTEGER) / 15 AS TEXT)"
    )


def _bucket_time(text: str) -> datetime:
    hour = text[:13].replace("T", " ")  # an ISO "T" from another writer
    return datetime.strptime(hour, "%Y-%m-%d %H") + timedelta(
        minutes=15 * int(text[14:])
    )


@dataclass(frozen=True)
class _Grouping:
    """How tickets fall into groups: an SQL expression (with the joins it
    needs) and how its value becomes the group's label."""

    expression: str
    label: Callable[[Any], str]
    order: Callable[[str], Any]

    joins = (
        " LEFT JOIN agent a ON a.id = t.assignee_id"
        " LEFT JOIN customer c ON c.id = t.customer_id"
    )


def _by_name(value: Any) -> str:
    return str(value) if value not in (None, "") else NO_VALUE


def _name_order(label: str) -> Any:
    return (label == NO_VALUE, label.lower(), label)


def _grouping(by: str | None, tz: str) -> _Grouping:
    if by is None:
        return _Grouping("'all'", lambda _: ALL, _name_order)
    if by not in GROUPS:
        raise UsageError(f"--by: {by!r} is not one of {', '.join(GROUPS)}")
    if by in ("hour", "weekday"):
        zone = ZoneInfo(tz)

        def local(value: Any) -> str:
            moment = _bucket_time(value).replace(tzinfo=UTC).astimezone(zone)
            if by == "hour":
                return HOUR_KEYS[moment.hour]
            return WEEKDAY_NAMES[moment.weekday()]

        def order(label: str) -> Any:
            return (
                HOUR_KEYS.index(label) if by == "hour" else WEEKDAY_NAMES.index(label)
            )

        return _Grouping(_quarter("t.created_at"), local, order)
    expression = {
        "assignee": "a.login",
        "customer": "COALESCE(c.code, c.name)",
        "type": "t.type",
        "source": "t.source",
    }[by]
    return _Grouping(expression, _by_name, _name_order)


def _counts(grouping: _Grouping, sql: str, params: tuple[Any, ...]) -> dict[str, int]:
    """{group: n} from a query selecting (group expression, count)."""
    totals: dict[str, int] = defaultdict(int)
    for key, count in _sql().all(sql, params):
        totals[grouping.label(key)] += int(count or 0)
    return totals


# --- per-ticket timelines -----------------------------------------------------


@dataclass(frozen=True)
class _Answered:
    """A ticket's first-response facts, from one grouped query."""

    number: int
    group: str
    priority: str
    created_at: datetime
    first_inbound: datetime | None
    first_response_at: datetime | None
    replies: int

    def frt(self, hours: BusinessHours | None) -> int | None:
        if self.first_inbound is None or self.first_response_at is None:
            return None
        return metrics.business_seconds(
            self.first_inbound, self.first_response_at, hours
        )


def _answered_rows(
    grouping: _Grouping, start: datetime, end: datetime
) -> list[_Answered]:
    """Tickets opened in [start, end): first inbound mail, first reply, replies."""
    rows = _sql().all(
        f"SELECT t.id, {grouping.expression}, t.priority, t.created_at,"
        " t.first_response_at,"
        " MIN(CASE WHEN m.direction = 'inbound' THEN m.date END),"
        " SUM(CASE WHEN m.direction = 'outbound' THEN 1 ELSE 0 END)"
        f" FROM ticket t{grouping.joins}"
        " LEFT JOIN message m ON m.ticket_id = t.id AND m.kind = 'ticket'"
        " WHERE t.created_at >= ? AND t.created_at < ? AND t.status <> 'merged'"
        " GROUP BY 1, 2, 3, 4, 5",
        (start, end),
    )
    return [
        _Answered(
            number=row[0],
            group=grouping.label(row[1]),
            priority=row[2],
            created_at=_at(row[3]),
            first_response_at=to_datetime(row[4]),
            first_inbound=to_datetime(row[5]),
            replies=int(row[6] or 0),
        )
        for row in rows
    ]


def first_response_times(
    *, start: datetime, end: datetime, config: Config
) -> dict[int, int | None]:
    """{ticket: FRT seconds} for the tickets opened in [start, end); None
    while unanswered, or when only staff wrote."""
    return {
        row.number: row.frt(config.hours)
        for row in _answered_rows(_grouping(None, "UTC"), start, end)
    }


def _goal(goals: Goals | None, priority: str | None, name: str) -> int | None:
    if goals is None:
        return None
    target = getattr(goals.for_priority(priority), name)
    return int(target.total_seconds()) if target is not None else None


@dataclass
class _Frt:
    """FRT figures of a set of tickets."""

    values: list[int]
    within: int = 0
    decided: int = 0  # answered, or unanswered past the goal (a known breach)
    breaches: int = 0
    has_goal: bool = False

    def figures(self) -> dict[str, Any]:
        values = self.values
        return {
            "frt_avg": _seconds(sum(values) / len(values)) if values else None,
            "frt_median": _seconds(metrics.median(values)),
            "frt_p90": _seconds(metrics.percentile(values, 90)),
            "frt_within_goal": _share(self.within, self.decided)
            if self.has_goal
            else None,
            "frt_breaches": self.breaches,
        }


def _frt(rows: Iterable[_Answered], config: Config, now: datetime) -> _Frt:
    """FRT of each ticket answered; with a goal, the share answered within it.

    A ticket still unanswered counts as a breach once its waiting time is past
    the goal; before that it is undecided and left out of the share.
    """
    result = _Frt(values=[], has_goal=config.goals is not None)
    for row in rows:
        if row.first_inbound is None:
            continue  # staff opened it and the customer never wrote
        goal = _goal(config.goals, row.priority, "first_response")
        value = row.frt(config.hours)
        if value is not None:
            result.values.append(value)
            if goal is not None:
                result.decided += 1
                if value > goal:
                    result.breaches += 1
                else:
                    result.within += 1
        elif goal is not None:
            waited = metrics.business_seconds(row.first_inbound, now, config.hours)
            if waited > goal:
                result.decided += 1
                result.breaches += 1
    return result


def _events_by_ticket(sql: str, params: tuple[Any, ...] = ()) -> dict[int, list[Any]]:
    """{ticket: [(kind, at, detail), ...]} from rows (id, kind, at, detail)."""
    events: dict[int, list[Any]] = defaultdict(list)
    for number, kind, at, detail in _sql().all(sql, params):
        events[number].append((kind, to_datetime(at), detail or ""))
    return events


def _timeline(created_at: datetime, events: Iterable[Any]) -> list[Any]:
    """The ticket's events with one "created" at its first message's date.

    Sync records "created" when it reads the first mail, which for mail read
    out of order is later than the ticket's first message; a merge brings a
    second one. The ticket's own ``created_at`` is the truth for both.
    """
    return [("created", created_at, ""), *(e for e in events if e[0] != "created")]


# --- summary --------------------------------------------------------------------


def _backlog(grouping: _Grouping, end: datetime, now: datetime) -> dict[str, int]:
    """Tickets open at ``end``: opened before it and not closed at that moment."""
    if end >= now:
        return _counts(
            grouping,
            f"SELECT {grouping.expression}, COUNT(*) FROM ticket t{grouping.joins}"
            f" WHERE {_ACTIVE} AND t.created_at < ? GROUP BY 1",
            (end,),
        )
    # A ticket with no close or reopen since `end` was in the state it is in
    # now: active then iff active now. That is nearly every ticket, and the
    # (kind, at) index finds the few others, whose state at `end` is read
    # from their last close and reopen before it.
    changed = (
        "SELECT ticket_id FROM event WHERE kind IN ('closed', 'reopened') AND at >= ?"
    )
    unchanged = _counts(
        grouping,
        f"SELECT {grouping.expression}, COUNT(*) FROM ticket t{grouping.joins}"
        f" WHERE {_ACTIVE} AND t.created_at < ? AND t.id NOT IN ({changed})"
        " GROUP BY 1",
        (end, end),
    )
    since_changed = _counts(
        grouping,
        f"SELECT {grouping.expression}, COUNT(*) FROM ticket t{grouping.joins}"
        " LEFT JOIN (SELECT e.ticket_id,"
        " MAX(CASE WHEN e.kind = 'closed' THEN e.at END) AS closed_at,"
        " MAX(CASE WHEN e.kind = 'reopened' THEN e.at END) AS reopened_at"
        " FROM event e WHERE e.kind IN ('closed', 'reopened') AND e.at < ?"
        f" AND e.ticket_id IN ({changed}) GROUP BY e.ticket_id) x"
        " ON x.ticket_id = t.id"
        f" WHERE t.created_at < ? AND t.status <> 'merged' AND t.id IN ({changed})"
        " AND (x.closed_at IS NULL OR x.reopened_at >= x.closed_at) GROUP BY 1",
        (end, end, end, end),
    )
    for key, count in since_changed.items():
        unchanged[key] = unchanged.get(key, 0) + count
    return unchanged


def _at_risk(grouping: _Grouping, now: datetime) -> dict[str, int]:
    """Active tickets whose owner is away now (issue 9's `keep`, or a pool /
    reassign that no sync has applied yet): a figure of now, like a running
    period's backlog."""

    return _counts(
        grouping,
        f"SELECT {grouping.expression}, COUNT(*) FROM ticket t{grouping.joins}"
        f" WHERE {_ACTIVE} AND {owner_away_sql('t')} GROUP BY 1",
        (now, now),
    )


def _event_counts(
    grouping: _Grouping, kind: str, start: datetime, end: datetime
) -> dict[str, int]:
    return _counts(
        grouping,
        f"SELECT {grouping.expression}, COUNT(DISTINCT t.id)"
        f" FROM event e JOIN ticket t ON t.id = e.ticket_id{grouping.joins}"
        " WHERE e.kind = ? AND e.at >= ? AND e.at < ? AND t.status <> 'merged'"
        " GROUP BY 1",
        (kind, start, end),
    )


def _resolutions(
    grouping: _Grouping, start: datetime, end: datetime, config: Config, now: datetime
) -> dict[str, tuple[list[int], int]]:
    """{group: (resolution seconds, breaches)} of tickets closed in [start, end).

    A ticket counts once, when it was last closed; its resolution is all the
    time it spent open (pending paused), every reopened spell included.
    """
    where = "t.status = 'closed' AND t.closed_at >= ? AND t.closed_at < ?"
    tickets = _sql().all(
        f"SELECT t.id, {grouping.expression}, t.priority, t.created_at"
        f" FROM ticket t{grouping.joins} WHERE {where}",
        (start, end),
    )
    events = _events_by_ticket(
        "SELECT e.ticket_id, e.kind, e.at, e.detail FROM event e"
        f" JOIN ticket t ON t.id = e.ticket_id WHERE {where}"
        " AND e.kind IN ('closed', 'reopened', 'status')"
        " ORDER BY e.ticket_id, e.at, e.id",
        (start, end),
    )
    out: dict[str, tuple[list[int], int]] = {}
    for number, key, priority, created_at in tickets:
        timeline = _timeline(_at(created_at), events.get(number, ()))
        seconds = metrics.resolution(timeline, config.hours, now).open_seconds
        values, breaches = out.get(grouping.label(key), ([], 0))
        goal = _goal(config.goals, priority, "resolution")
        values.append(seconds)
        out[grouping.label(key)] = (
            values,
            breaches + (goal is not None and seconds > goal),
        )
    return out


def summary(
    *,
    start: datetime,
    end: datetime,
    by: str | None,
    config: Config,
    now: datetime,
) -> list[dict[str, Any]]:
    """One row per group with the keys of ``SUMMARY_KEYS``.

    created: opened in the period; closed / reopened: closed or reopened in
    it (a ticket once, however often); backlog: open at the period's end
    (now, for a period still running). FRT figures over the tickets opened in
    the period, resolution over the tickets last closed in it, replies per
    ticket opened in it.
    """
    grouping = _grouping(by, zone_name(config))
    created = _counts(
        grouping,
        f"SELECT {grouping.expression}, COUNT(*) FROM ticket t{grouping.joins}"
        " WHERE t.created_at >= ? AND t.created_at < ? AND t.status <> 'merged'"
        " GROUP BY 1",
        (start, end),
    )
    closed = _event_counts(grouping, "closed", start, end)
    reopened = _event_counts(grouping, "reopened", start, end)
    backlog = _backlog(grouping, end, now)
    answered: dict[str, list[_Answered]] = defaultdict(list)
    for row in _answered_rows(grouping, start, end):
        answered[row.group].append(row)
    resolved = _resolutions(grouping, start, end, config, now)
    at_risk = _at_risk(grouping, now)
    labels = set(created) | set(closed) | set(reopened) | set(backlog) | set(resolved)
    labels |= set(at_risk)
    if by is None:
        labels.add(ALL)
    rows = []
    for label in sorted(labels, key=grouping.order):
        tickets = answered.get(label, [])
        values, breaches = resolved.get(label, ([], 0))
        replies = sum(t.replies for t in tickets)
        rows.append(
            {
                "group": label,
                "created": created.get(label, 0),
                "closed": closed.get(label, 0),
                "reopened": reopened.get(label, 0),
                "backlog": backlog.get(label, 0),
                **_frt(tickets, config, now).figures(),
                "resolution_median": _seconds(metrics.median(values)),
                "resolution_p90": _seconds(metrics.percentile(values, 90)),
                "resolution_breaches": breaches,
                "replies_per_ticket": round(replies / len(tickets), 2)
                if tickets
                else None,
                "at_risk": at_risk.get(label, 0),
            }
        )
    return rows


def frt_trend(*, weeks: int, config: Config, now: datetime) -> list[dict[str, Any]]:
    """FRT of the tickets opened in each of the last ``weeks`` weeks (this one
    included, oldest first): rows with the keys of ``TREND_KEYS``."""
    if weeks < 1:
        raise UsageError(f"weeks: {weeks} must be at least 1")
    zone = ZoneInfo(zone_name(config))
    this_week = _period_start(_local_date(utc_naive(now), zone), "week")
    mondays = [this_week - timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]
    starts = [_midnight(day, zone) for day in mondays]
    end = _midnight(this_week + timedelta(days=7), zone)
    by_week: dict[int, list[_Answered]] = defaultdict(list)
    for row in _answered_rows(_grouping(None, "UTC"), starts[0], end):
        index = max(i for i, start in enumerate(starts) if row.created_at >= start)
        by_week[index].append(row)
    out = []
    for index, monday in enumerate(mondays):
        tickets = by_week.get(index, [])
        figures = _frt(tickets, config, now).figures()
        out.append(
            {
                "week_start": monday.isoformat(),
                "tickets": len(tickets),
                "frt_median": figures["frt_median"],
                "frt_p90": figures["frt_p90"],
                "frt_within_goal": figures["frt_within_goal"],
            }
        )
    return out


# --- goals on the active tickets ---------------------------------------------


@dataclass(frozen=True)
class _Active:
    number: int
    assignee: str | None
    priority: str
    status: str
    created_at: datetime
    first_response_at: datetime | None
    waiting: bool


def _active_tickets() -> list[_Active]:
    rows = _sql().all(
        "SELECT t.id, a.login, t.priority, t.status, t.created_at,"
        " t.first_response_at, t.last_direction FROM ticket t"
        f" LEFT JOIN agent a ON a.id = t.assignee_id WHERE {_ACTIVE}"
    )
    return [
        _Active(
            number=row[0],
            assignee=row[1],
            priority=row[2],
            status=row[3],
            created_at=_at(row[4]),
            first_response_at=to_datetime(row[5]),
            waiting=row[6] == "inbound",
        )
        for row in rows
    ]


def _first_inbound_unanswered() -> dict[int, datetime]:
    """Active tickets without a staff reply: when the customer first wrote."""
    rows = _sql().all(
        "SELECT m.ticket_id, MIN(m.date) FROM message m"
        " JOIN ticket t ON t.id = m.ticket_id"
        f" WHERE {_ACTIVE} AND t.first_response_at IS NULL"
        " AND m.kind = 'ticket' AND m.direction = 'inbound' GROUP BY m.ticket_id"
    )
    return {number: _at(at) for number, at in rows}


def breaches(*, config: Config, now: datetime) -> dict[int, list[str]]:
    """Active tickets breaching a goal now: {number: goal names}.

    first_response: the customer has waited longer than the goal for a first
    reply; resolution: open (pending paused, reopens summed) longer than the
    goal; new_max/open_max/pending_max: in that status longer. All in
    business time when [hours] is set. Empty without [goals].
    """
    goals = config.goals
    if goals is None:
        return {}
    tickets = _active_tickets()
    if not tickets:
        return {}
    first_inbound = _first_inbound_unanswered()
    events = _events_by_ticket(
        "SELECT e.ticket_id, e.kind, e.at, e.detail FROM event e"
        f" JOIN ticket t ON t.id = e.ticket_id WHERE {_ACTIVE}"
        f" AND e.kind IN {_STATUS_EVENTS} ORDER BY e.ticket_id, e.at, e.id"
    )
    out: dict[int, list[str]] = {}
    for ticket in tickets:
        found = _ticket_breaches(
            ticket,
            first_inbound.get(ticket.number),
            events.get(ticket.number, ()),
            goals,
            config.hours,
            now,
        )
        if found:
            out[ticket.number] = list(found)
    return out


def _ticket_breaches(
    ticket: _Active,
    first_inbound: datetime | None,
    events: Iterable[Any],
    goals: Goals,
    hours: BusinessHours | None,
    now: datetime,
) -> tuple[str, ...]:
    timeline = _timeline(ticket.created_at, events)
    waited = None
    if ticket.first_response_at is None and first_inbound is not None:
        waited = metrics.business_seconds(first_inbound, now, hours)
    in_status: dict[str, int | None] = {}
    state = metrics.status_since(timeline)
    if state is not None and state[0] == ticket.status:
        in_status[ticket.status] = metrics.business_seconds(state[1], now, hours)
    return metrics.goal_breached(
        goals,
        ticket.priority,
        first_response=waited,
        resolution=metrics.resolution(timeline, hours, now).open_seconds,
        new_seconds=in_status.get("new"),
        open_seconds=in_status.get("open"),
        pending_seconds=in_status.get("pending"),
    )


# --- workload and work time -----------------------------------------------------


def _waiting_since() -> dict[int, datetime]:
    """Active tickets where the customer wrote last: their first mail since
    our last reply (how long they have been waiting for us)."""
    rows = _sql().all(
        "SELECT m.ticket_id, MIN(m.date) FROM message m"
        " JOIN ticket t ON t.id = m.ticket_id"
        f" WHERE {_ACTIVE} AND t.last_direction = 'inbound'"
        " AND m.kind = 'ticket' AND m.direction = 'inbound'"
        " AND NOT EXISTS (SELECT 1 FROM message o WHERE o.ticket_id = m.ticket_id"
        " AND o.kind = 'ticket' AND o.direction = 'outbound' AND o.date >= m.date)"
        " GROUP BY m.ticket_id"
    )
    return {number: _at(at) for number, at in rows}


def workload(
    *,
    config: Config,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    late: Mapping[int, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Per assignee (every active agent, and ``NO_VALUE`` for the pool): rows
    with the keys of ``WORKLOAD_KEYS``. ``late``: ``breaches()`` when the
    caller has it already (the morning report needs it twice).

    open: active tickets; waiting: those where the customer wrote last, the
    oldest being the one waiting longest since our last reply; overdue: those
    breaching a goal now; work_minutes: time logged by that login in
    [start, end) (all time without bounds).
    """
    tickets = _active_tickets()
    waiting_since = _waiting_since()
    overdue = breaches(config=config, now=now) if late is None else late
    rows: dict[str, dict[str, Any]] = {}

    def row(login: str) -> dict[str, Any]:
        if login not in rows:
            rows[login] = dict.fromkeys(WORKLOAD_KEYS, 0) | {
                "assignee": login,
                "oldest_waiting_at": None,
                "oldest_waiting_number": None,
            }
        return rows[login]

    row(NO_VALUE)
    for (login,) in _sql().all("SELECT login FROM agent WHERE active = ?", (True,)):
        row(login)
    oldest: dict[str, tuple[datetime, int]] = {}
    for ticket in tickets:
        login = ticket.assignee or NO_VALUE
        target = row(login)
        target["open"] += 1
        target["overdue"] += ticket.number in overdue
        if ticket.waiting:
            target["waiting"] += 1
            since = waiting_since.get(ticket.number, ticket.created_at)
            if login not in oldest or (since, ticket.number) < oldest[login]:
                oldest[login] = (since, ticket.number)
    for login, (since, number) in oldest.items():
        rows[login]["oldest_waiting_at"] = _iso(since)
        rows[login]["oldest_waiting_number"] = number
    for item in work_time(start=start, end=end, by="assignee"):
        if item["group"] != NO_VALUE:
            row(item["group"])["work_minutes"] = item["minutes"]
    return [rows[k] for k in sorted(rows, key=_name_order)]


def work_time(
    *, start: datetime | None, end: datetime | None, by: str
) -> list[dict[str, Any]]:
    """Logged work time (``ticketcli time``) in [start, end) per customer or
    per the login who logged it, most minutes first: ``WORK_TIME_KEYS``."""
    if by not in WORK_GROUPS:
        raise UsageError(f"--work-time: {by!r} is not one of {', '.join(WORK_GROUPS)}")
    expression = "w.agent" if by == "assignee" else "COALESCE(c.code, c.name)"
    where, params = [], []
    if start is not None:
        where.append("w.at >= ?")
        params.append(start)
    if end is not None:
        where.append("w.at < ?")
        params.append(end)
    rows = _sql().all(
        f"SELECT {expression}, SUM(w.minutes), COUNT(DISTINCT w.ticket_id)"
        " FROM work_log w JOIN ticket t ON t.id = w.ticket_id"
        " LEFT JOIN customer c ON c.id = t.customer_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " GROUP BY 1",
        tuple(params),
    )
    out: list[dict[str, Any]] = [
        {"group": _by_name(key), "minutes": int(minutes), "tickets": int(count)}
        for key, minutes, count in rows
    ]
    out.sort(key=lambda r: (-r["minutes"], _name_order(r["group"])))
    return out


# --- load -------------------------------------------------------------------------


def load(*, start: datetime, end: datetime, tz: str) -> dict[str, Any]:
    """Customers' mail (inbound, kind ticket) in [start, end) by local weekday
    and hour: when mail arrives, for planning who works when.

    ``matrix[weekday][hour]`` (0 = Monday); ``rows``: one per weekday with
    ``weekday``, ``"00"``..``"23"`` and ``total``, for a table.
    """
    zone = ZoneInfo(tz)
    matrix = [[0] * 24 for _ in WEEKDAY_NAMES]
    for bucket, count in _sql().all(
        f"SELECT {_quarter('m.date')}, COUNT(*) FROM message m"
        " WHERE m.direction = 'inbound' AND m.kind = 'ticket'"
        " AND m.date >= ? AND m.date < ? GROUP BY 1",
        (start, end),
    ):
        moment = _bucket_time(bucket).replace(tzinfo=UTC).astimezone(zone)
        matrix[moment.weekday()][moment.hour] += int(count)
    rows = [
        {
            "weekday": name,
            **dict(zip(HOUR_KEYS, counts, strict=True)),
            "total": sum(counts),
        }
        for name, counts in zip(WEEKDAY_NAMES, matrix, strict=True)
    ]
    return {
        "timezone": tz,
        "start": _iso(start),
        "end": _iso(end),
        "total": sum(map(sum, matrix)),
        "matrix": matrix,
        "rows": rows,
    }

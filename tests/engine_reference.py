"""A slow, literal reference for the SLA engine (design.md §3), used only by the tests.

It takes the same ticket events as ``plugin.domain.engine.evaluate_ticket`` and a settings
*document* (the design.md §5 format, not the loaded domain objects), and decides every target by
walking time in steps and applying the rules of the contract as written:

1. Events are de-duplicated by id, ordered by (instant, kind: created < updated < message <
   deleted, id) and those after ``now`` dropped. Everything after a ``ticket.deleted`` is ignored.
2. One pass over the ordered events yields the ticket's facts: its status and routing (product,
   channel, priority) after each instant, and the start and stop of every response target. A
   ticket created solved or closed counts as solved at its creation; the resolution's stop is the
   last time the ticket became solved or closed from another status (solved -> closed is no new
   stop); a public customer message while the ticket is solved or closed starts a next-response
   cycle at its own instant if the ticket is reopened afterwards with no public agent reply in
   between, and none if it stays solved.
3. A target under one policy is decided by stepping from its start: at each instant, first the
   events of that instant are in force (a stop there is a stop, a pause there is a pause), then
   the clock is read — running with its whole budget spent means breached, there and then.
   Business time is counted per step: a step is business time iff its first instant, read in the
   calendar's zone with zoneinfo, is inside a weekday window and not on a holiday.
4. A ``ticket.updated`` that changes priority, product or channel re-matches the policy once,
   with all of its changes in (events at one instant re-match one after the other, in order). An
   outcome decided at or before the change stands; anything else is recomputed from its original
   start under the new policy.

Why stepping by whole minutes is exact: when every event instant is a whole UTC minute, windows
are whole local minutes and the zone's offset is a whole number of minutes that changes at whole
minutes, then no boundary (window, local midnight, offset change, event, deadline of a whole-minute
budget) can fall strictly inside a minute. Otherwise the reference steps by seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from plugin.domain.events import TicketEvent

DONE = ("solved", "closed")
DEFAULT_PAUSE = ("pending", "on_hold")
KIND_ORDER = {"ticket.created": 0, "ticket.updated": 1, "message.created": 2, "ticket.deleted": 3}
ROUTING = ("product", "channel", "priority")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DUE_HORIZON = 21 * 86_400  # how far past ``now`` the reference looks for an active target's due instant


@dataclass(frozen=True)
class RefTarget:
    metric: str
    cycle: int
    policy_id: str
    status: str  # active | paused | met | breached | cancelled
    started_at: datetime
    stopped_at: datetime | None
    breached_at: datetime | None
    business_seconds: int
    due_at: datetime | None  # only meaningful for active targets (None if beyond DUE_HORIZON)


@dataclass
class _Facts:
    created: int
    end: int  # ``now``, or the deletion instant
    deleted: bool
    initial_status: str
    initial_routing: dict[str, str | None]
    status_changes: list[tuple[int, str]] = field(default_factory=list)  # (instant, new status)
    # (instant, event number, field, value): one event's changes are one re-match
    routing_changes: list[tuple[int, int, str, str]] = field(default_factory=list)
    first_response: int | None = None
    cycles: list[tuple[int, int | None]] = field(default_factory=list)
    instants: set[int] = field(default_factory=set)


def _instant(event: TicketEvent) -> datetime:
    return event.message.created_at if event.message is not None else event.occurred_at


def _seconds(moment: datetime) -> int:
    assert moment.tzinfo is not None
    return int(moment.timestamp())


def _utc(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


# -- settings, read from the document ----------------------------------------------------------------


def _clock_time(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


@lru_cache(maxsize=16)
def _calendar_test(zone_name: str, weekly: tuple[tuple[tuple[int, int], ...], ...], holidays: frozenset[date]):
    """is_business(t) for one calendar: the definition, read literally, memoised per instant."""
    zone = ZoneInfo(zone_name)
    cache: dict[int, bool] = {}

    def is_business(at: int) -> bool:
        known = cache.get(at)
        if known is not None:
            return known
        local = datetime.fromtimestamp(at, zone)
        offset = local.utcoffset()
        assert offset is not None and offset.total_seconds() % 60 == 0, "per-minute stepping needs whole minutes"
        wall = local.hour * 3600 + local.minute * 60 + local.second
        answer = local.date() not in holidays and any(
            opens <= wall < closes for opens, closes in weekly[local.weekday()]
        )
        cache[at] = answer
        return answer

    return is_business


def _business_test(document: dict[str, Any], calendar_id: str | None) -> Callable[[int], bool]:
    if calendar_id is None:
        return lambda _at: True
    spec = next(item for item in document.get("calendars", []) if item["id"] == calendar_id)
    weekly = tuple(
        tuple((_clock_time(a), _clock_time(b)) for a, b in spec["hours"].get(day, [])) for day in WEEKDAYS
    )
    holidays = frozenset(
        date.fromisoformat(item["date"] if isinstance(item, dict) else item) for item in spec.get("holidays", [])
    )
    return _calendar_test(spec["timezone"], weekly, holidays)


def _rule_priority(document: dict[str, Any], snapshot: Any) -> str:
    """The first matching rule by position sets the priority; none matching means ``low``.

    Supports what the tests generate: ``is``/``contains``/``starts_with`` on subject and body.
    """
    rules = sorted(document.get("prioritization_rules", []), key=lambda rule: rule.get("position", 0))
    for rule in rules:
        if rule["product"] not in ("*", snapshot.product) or rule["channel"] not in ("*", snapshot.channel):
            continue
        results = []
        for condition in rule.get("conditions", []):
            actual = str(getattr(snapshot, condition["field"]) or "").casefold()
            wanted = condition["value"].casefold()
            op = condition["op"]
            if op == "is":
                results.append(actual == wanted)
            elif op == "contains":
                results.append(wanted in actual)
            elif op == "starts_with":
                results.append(actual.startswith(wanted))
            else:
                raise NotImplementedError(op)
        combine = any if rule.get("match", "all") == "any" else all
        if not results or combine(results):
            return rule["priority"]
    return "low"


def _matching_policy(document: dict[str, Any], routing: dict[str, str | None]) -> dict[str, Any] | None:
    """The enabled policy for the routing; a named product or channel beats ``*`` (product first)."""
    best, best_rank = None, -1
    for policy in document.get("sla_policies", []):
        if not policy.get("enabled", True) or policy["priority"] != routing["priority"]:
            continue
        if policy["product"] not in ("*", routing["product"]) or policy["channel"] not in ("*", routing["channel"]):
            continue
        rank = 2 * (policy["product"] != "*") + (policy["channel"] != "*")
        if rank > best_rank:
            best, best_rank = policy, rank
    return best


# -- the ticket's facts --------------------------------------------------------------------------------


def _read_facts(events: Iterable[TicketEvent], document: dict[str, Any], now: datetime) -> _Facts | None:
    unique: dict[str, TicketEvent] = {}
    for event in events:
        unique.setdefault(event.id, event)
    ordered = sorted(
        (event for event in unique.values() if _instant(event) <= now),
        key=lambda event: (_instant(event), KIND_ORDER[event.type], event.id),
    )
    creation = next((event for event in ordered if event.type == "ticket.created"), None)
    if creation is None or creation.ticket is None:
        return None
    snapshot = creation.ticket
    created = _seconds(snapshot.created_at or _instant(creation))
    priority = snapshot.priority if snapshot.priority is not None else _rule_priority(document, snapshot)
    facts = _Facts(
        created=created,
        end=_seconds(now),
        deleted=False,
        initial_status=snapshot.status or "new",
        initial_routing={"product": snapshot.product, "channel": snapshot.channel, "priority": priority},
    )
    status = facts.initial_status
    if status in DONE:  # created solved: solved at creation, before any reply
        facts.first_response = created
    open_cycle: int | None = None
    message_while_solved: int | None = None  # the first unanswered customer message since the solve
    for number, event in enumerate(ordered):
        at = max(_seconds(_instant(event)), created)
        facts.instants.add(at)
        if event.type == "ticket.deleted":
            facts.deleted, facts.end = True, at
            break
        if event.type == "ticket.updated":
            for name, (_old, new) in event.changes.items():
                if name in ROUTING and new is not None:
                    facts.routing_changes.append((at, number, name, new))
                elif name == "status" and new is not None and new != status:
                    solve = new in DONE and status not in DONE
                    reopen = status in DONE and new not in DONE
                    status = new
                    facts.status_changes.append((at, new))
                    if solve:  # a solve answers whoever is waiting
                        if facts.first_response is None:
                            facts.first_response = at
                        if open_cycle is not None:
                            facts.cycles.append((open_cycle, at))
                            open_cycle = None
                    if reopen:  # the customer who wrote while it was solved has waited since
                        if message_while_solved is not None and open_cycle is None:
                            open_cycle = message_while_solved
                        message_while_solved = None
        message = event.message
        if event.type != "message.created" or message is None or not message.public:
            continue
        if message.author_type == "agent":
            message_while_solved = None
            if facts.first_response is None:
                facts.first_response = at
            elif open_cycle is not None:
                facts.cycles.append((open_cycle, at))
                open_cycle = None
        elif facts.first_response is not None and open_cycle is None and status not in DONE:
            open_cycle = at
        elif status in DONE and message_while_solved is None:
            message_while_solved = at
    if open_cycle is not None:
        facts.cycles.append((open_cycle, None))
    return facts


def _status_at(facts: _Facts, at: int) -> str:
    status = facts.initial_status
    for when, new in facts.status_changes:
        if when > at:
            break
        status = new
    return status


def _routing_after(facts: _Facts, at: int, number: float = float("inf")) -> dict[str, str | None]:
    """Product, channel and priority once the events up to instant ``at`` (and event ``number``) are in."""
    routing = dict(facts.initial_routing)
    for when, event_number, name, value in facts.routing_changes:
        if (when, event_number) <= (at, number):
            routing[name] = value
    return routing


def _last_solve(facts: _Facts) -> int | None:
    """The instant the ticket last became solved or closed (from neither), if it still is."""
    status = facts.initial_status
    solve = facts.created if status in DONE else None
    for when, new in facts.status_changes:
        if new in DONE and status not in DONE:
            solve = when
        elif new not in DONE:
            solve = None
        status = new
    return solve


# -- one target under one policy -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    status: str
    stopped_at: int | None
    breached_at: int | None
    business_seconds: int
    due_at: int | None

    @property
    def decided_at(self) -> int | None:
        if self.status == "met":
            return self.stopped_at
        if self.status == "breached":
            return self.breached_at
        return None


def _run(
    facts: _Facts,
    start: int,
    stop: int | None,
    budget: int,
    running: Callable[[int], bool],
    business: Callable[[int], bool],
    step: int,
) -> _Run:
    """Step from ``start``: events of an instant first, then the clock is read."""
    spent, breached_at, at = 0, None, start
    last = facts.end
    while True:
        if stop is not None and at == stop:
            break
        on = running(at)
        # A deletion is an event of its instant too: a target due at that instant is not breached.
        deleted_now = facts.deleted and at == facts.end
        if on and breached_at is None and spent >= budget and not deleted_now:
            breached_at = at
        if at >= last:
            break
        if on and business(at):
            spent += step
        at += step
    stopped_at = stop if stop is not None and stop <= last else None
    if breached_at is not None:
        return _Run("breached", stopped_at, breached_at, spent, breached_at)
    if stopped_at is not None:
        return _Run("met", stopped_at, None, spent, None)
    if not running(last):
        return _Run("paused", None, None, spent, None)
    # Active: where the budget would run out if the clock kept running from now. No event lies
    # ahead, so once on a whole minute the walk may take whole minutes (their business time is
    # all or nothing); a budget running out inside one runs out that many seconds into it.
    used, at, due = spent, last, None
    while at <= last + DUE_HORIZON:
        if used >= budget:
            due = at
            break
        stride = 60 if at % 60 == 0 else 1
        if business(at):
            if used + stride > budget:
                due = at + (budget - used)
                break
            used += stride
        at += stride
    return _Run("active", None, None, spent, due)


# -- the whole ticket ----------------------------------------------------------------------------------------


def reference_targets(
    events: Sequence[TicketEvent],
    document: dict[str, Any],
    now: datetime,
) -> dict[tuple[str, int], RefTarget]:
    """Every target of the ticket as of ``now``, keyed by (metric, cycle)."""
    facts = _read_facts(events, document, now)
    if facts is None:
        return {}
    whole_minutes = all(at % 60 == 0 for at in (*facts.instants, facts.created, facts.end))
    step = 60 if whole_minutes else 1
    last_solve = _last_solve(facts)

    instances: list[tuple[str, int, int, int | None]] = [
        ("first_response", 0, facts.created, facts.first_response),
        ("resolution", 0, facts.created, last_solve),
    ]
    instances += [("next_response", n, opened, answered) for n, (opened, answered) in enumerate(facts.cycles, 1)]
    rematches = sorted({(at, number) for at, number, _name, _value in facts.routing_changes})

    def evaluate(policy: dict[str, Any], metric: str, start: int, stop: int | None) -> _Run | None:
        target = next((t for t in policy["targets"] if t["metric"] == metric), None)
        if target is None:
            return None
        if metric == "resolution":
            paused = set(policy.get("pause_statuses", DEFAULT_PAUSE))

            def running(at: int) -> bool:
                status = _status_at(facts, at)
                return status not in paused and status not in DONE

        else:  # response targets never pause; they run from their start until their stop

            def running(at: int) -> bool:
                return start <= at and (stop is None or at < stop)

        business = _business_test(document, policy.get("calendar"))
        return _run(facts, start, stop, target["minutes"] * 60, running, business, step)

    results: dict[tuple[str, int], RefTarget] = {}
    for metric, cycle, start, stop in instances:
        policy = _matching_policy(document, _routing_after(facts, start))
        run = evaluate(policy, metric, start, stop) if policy is not None else None
        ruling = policy if run is not None else None
        cancelled = False
        for change, number in rematches:
            if change <= start:
                continue
            new_policy = _matching_policy(document, _routing_after(facts, change, number))
            if new_policy is policy:
                continue
            policy = new_policy
            if run is not None and not cancelled and run.decided_at is not None and run.decided_at <= change:
                break  # decided at or before the change: the outcome and its policy stand
            new_run = evaluate(new_policy, metric, start, stop) if new_policy is not None else None
            if new_run is None:
                cancelled = run is not None or cancelled
                continue
            run, ruling, cancelled = new_run, new_policy, False
        if run is None or ruling is None:
            continue
        status = run.status
        if cancelled or (facts.deleted and run.decided_at is None):
            status = "cancelled"
        results[(metric, cycle)] = RefTarget(
            metric=metric,
            cycle=cycle,
            policy_id=ruling["id"],
            status=status,
            started_at=_utc(start),  # type: ignore[arg-type]
            stopped_at=_utc(run.stopped_at),
            breached_at=_utc(run.breached_at),
            business_seconds=run.business_seconds,
            due_at=_utc(run.due_at) if status == "active" else None,
        )
    return results

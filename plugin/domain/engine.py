"""The SLA engine: one ticket's events and a tenant's settings in, every target's state out.

It is a pure, deterministic function. Live processing, recomputation after a late event or a
policy edit, and the simulator all call ``evaluate_ticket``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from .calendar import from_epoch, to_epoch
from .clock import ClockReading, run_clock
from .events import DONE_STATUSES, TicketEvent
from .history import TicketHistory, read_history
from .policies import Metric, Settings, SlaPolicy, Target, match_policy

TargetStatus = Literal["active", "paused", "met", "breached", "cancelled"]
Interval = tuple[int, int | None]


@dataclass(frozen=True, slots=True)
class TargetState:
    metric: Metric
    cycle: int  # 0 for first response and resolution; 1, 2, … for next-response cycles
    policy_id: str
    status: TargetStatus
    started_at: datetime
    due_at: datetime | None
    stopped_at: datetime | None
    breached_at: datetime | None
    business_seconds: int
    target_seconds: int
    success_rate_percent: float
    warn_at: datetime | None = None  # when an active target enters its warning window

    @property
    def decided_at(self) -> datetime | None:
        """When the outcome was settled: the stop for met, the due instant for breached."""
        if self.status == "met":
            return self.stopped_at
        if self.status == "breached":
            return self.breached_at
        return None


@dataclass(frozen=True, slots=True)
class TicketOutcome:
    ticket_id: str
    priority: str | None
    priority_source: str
    rule_id: str | None
    policy_id: str | None
    targets: tuple[TargetState, ...]
    deleted: bool = False
    rules_priority: str | None = None  # what the rules chose at creation, when they chose
    open: bool = False  # neither solved, closed nor deleted: a settings change may give it targets

    @property
    def priority_to_write_back(self) -> str | None:
        """The priority a matching rule chose for a ticket created without one, while it still stands
        (an agent's later change is the agent's, and nothing the plugin needs to write)."""
        if self.priority_source != "rules" or self.rule_id is None or self.deleted:
            return None
        return self.priority if self.priority == self.rules_priority else None


def evaluate_ticket(
    ticket_id: str, events: Iterable[TicketEvent], settings: Settings, now: datetime
) -> TicketOutcome:
    """Every SLA target of one ticket as of ``now``, replaying its events in time order."""
    history = read_history(ticket_id, events, settings.rules, now)
    if history.initial is None or history.created_at is None:
        return TicketOutcome(ticket_id, None, history.priority_source, None, None, ())
    end = history.deleted_at or now
    epochs = _policy_epochs(history, settings)
    replay = _Replay(history, to_epoch(end))
    targets: list[TargetState] = []
    for metric, start, stop in _instances(history):
        state = _settle(metric, start, stop, epochs, replay)
        if state is None:
            continue
        if history.deleted_at is not None and state.decided_at is None:
            state = _cancelled(state)
        targets.append(state)
    return TicketOutcome(
        ticket_id=ticket_id,
        priority=history.current_priority,
        priority_source=history.priority_source,
        rule_id=history.rule_id,
        policy_id=epochs[-1][1].id if epochs[-1][1] is not None else None,
        targets=tuple(targets),
        deleted=history.deleted_at is not None,
        rules_priority=history.initial.priority if history.priority_source == "rules" else None,
        open=history.deleted_at is None and history.statuses[-1][1] not in DONE_STATUSES,
    )


def _instances(history: TicketHistory) -> list[tuple[tuple[Metric, int], int, int | None]]:
    """(metric, cycle), start and stop of every target instance the history implies."""
    assert history.created_at is not None
    created = to_epoch(history.created_at)
    first = to_epoch(history.first_response_at) if history.first_response_at else None
    instances: list[tuple[tuple[Metric, int], int, int | None]] = [
        (("first_response", 0), created, first),
        (("resolution", 0), created, None),
    ]
    for number, (opened, answered) in enumerate(history.next_response_cycles, start=1):
        instances.append(
            (("next_response", number), to_epoch(opened), to_epoch(answered) if answered else None)
        )
    return instances


def _policy_epochs(history: TicketHistory, settings: Settings) -> list[tuple[int, SlaPolicy | None]]:
    """(since, policy) each time a product, channel or priority change re-matches the policy."""
    assert history.initial is not None and history.created_at is not None
    routing = {
        "product": history.initial.product,
        "channel": history.initial.channel,
        "priority": history.initial.priority,
    }
    policy = match_policy(routing["product"], routing["channel"], routing["priority"], settings.policies)
    epochs: list[tuple[int, SlaPolicy | None]] = [(to_epoch(history.created_at), policy)]
    for change in history.routing_changes:
        routing.update(change.fields)  # all fields one event changed, then one re-match
        matched = match_policy(routing["product"], routing["channel"], routing["priority"], settings.policies)
        if matched is not epochs[-1][1]:
            epochs.append((to_epoch(change.at), matched))
    return epochs


class _Replay:
    """Evaluates one target instance under one policy, over the whole history."""

    def __init__(self, history: TicketHistory, end: int) -> None:
        self.history = history
        self.end = end
        self._resolution_runs: dict[frozenset[str], tuple[list[Interval], int | None]] = {}

    def reading(
        self, policy: SlaPolicy, target: Target, metric: Metric, start: int, stop: int | None
    ) -> ClockReading:
        if metric == "resolution":
            intervals, stop = self._resolution(policy.pause_statuses)
        else:  # response targets never pause
            intervals = [(start, stop)]
        if self.history.deleted_at is not None and intervals and intervals[-1][1] is None:
            # Deletion stops the clock like a pause (an instant's events come first): a target
            # whose due instant is the deletion's is not breached by it, it is cancelled.
            intervals = [*intervals[:-1], (intervals[-1][0], self.end)]
        warn = policy.warning_seconds(target)
        return run_clock(policy.clock, target.seconds, intervals, stop, self.end, start, warn)

    def _resolution(self, pause_statuses: frozenset[str]) -> tuple[list[Interval], int | None]:
        """Running intervals (status neither paused nor done) and the last solve, if final."""
        cached = self._resolution_runs.get(pause_statuses)
        if cached is not None:
            return cached
        stopped_running = pause_statuses | DONE_STATUSES
        intervals: list[Interval] = []
        run_start: int | None = None
        solved_since: int | None = None  # solved then closed: the clock stopped at the solve
        for since, status in self.history.statuses:
            at = to_epoch(since)
            if at > self.end:
                break
            running = status not in stopped_running
            if running and run_start is None:
                run_start = at
            elif not running and run_start is not None:
                intervals.append((run_start, at))
                run_start = None
            if status not in DONE_STATUSES:
                solved_since = None
            elif solved_since is None:
                solved_since = at
        if run_start is not None:
            intervals.append((run_start, None))
        stop = solved_since
        self._resolution_runs[pause_statuses] = (intervals, stop)
        return intervals, stop


def _settle(
    instance: tuple[Metric, int],
    start: int,
    stop: int | None,
    epochs: list[tuple[int, SlaPolicy | None]],
    replay: _Replay,
) -> TargetState | None:
    """Walk the policy epochs: an outcome decided by the next re-match stands under its policy."""
    metric, cycle = instance
    state: TargetState | None = None
    for index, (_since, policy) in enumerate(epochs):
        next_since = epochs[index + 1][0] if index + 1 < len(epochs) else None
        if next_since is not None and next_since <= start:
            continue  # this instance began after the policy changed again
        target = policy.target(metric) if policy is not None else None
        if target is None:
            state = _cancelled(state) if state is not None else None
            continue
        assert policy is not None
        reading = replay.reading(policy, target, metric, start, stop)
        state = _state(metric, cycle, policy, target, start, reading)
        decided = state.decided_at
        if decided is not None and (next_since is None or to_epoch(decided) <= next_since):
            return state
    return state


def _state(
    metric: Metric, cycle: int, policy: SlaPolicy, target: Target, start: int, reading: ClockReading
) -> TargetState:
    def instant(value: int | None) -> datetime | None:
        return from_epoch(value) if value is not None else None

    return TargetState(
        metric=metric,
        cycle=cycle,
        policy_id=policy.id,
        status=reading.status,
        started_at=from_epoch(start),
        due_at=instant(reading.due_at),
        stopped_at=instant(reading.stopped_at),
        breached_at=instant(reading.breached_at),
        business_seconds=reading.business_seconds,
        target_seconds=target.seconds,
        success_rate_percent=target.success_rate_percent,
        warn_at=instant(reading.warn_at),
    )


def _cancelled(state: TargetState) -> TargetState:
    """No outcome: a reading the cancelled policy would have given later is not kept either."""
    return replace(state, status="cancelled", due_at=None, warn_at=None, stopped_at=None, breached_at=None)

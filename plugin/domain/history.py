"""One ticket's event history, read into the facts the SLA clocks depend on.

Everything here is independent of SLA policies except the initial priority, which the
prioritization rules decide when the host created the ticket without one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from .events import DONE_STATUSES, TicketEvent, TicketSnapshot, in_replay_order
from .rules import PrioritizationRule, decide_priority

ROUTING_FIELDS = ("product", "channel", "priority")
PrioritySource = Literal["host", "rules", "unknown"]


@dataclass(frozen=True, slots=True)
class Change:
    """What one event changed of the fields that choose the policy."""

    at: datetime
    fields: dict[str, Any]


@dataclass
class TicketHistory:
    ticket_id: str
    created_at: datetime | None = None
    initial: TicketSnapshot | None = None
    priority_source: PrioritySource = "unknown"
    rule_id: str | None = None
    # (product, channel, priority) changes after creation, in time order.
    routing_changes: list[Change] = field(default_factory=list)
    # Status from creation on: (since, status), in time order, first entry at creation.
    statuses: list[tuple[datetime, str]] = field(default_factory=list)
    first_response_at: datetime | None = None
    next_response_cycles: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    deleted_at: datetime | None = None

    @property
    def current_priority(self) -> str | None:
        priorities = [change.fields["priority"] for change in self.routing_changes if "priority" in change.fields]
        if priorities:
            return priorities[-1]
        return self.initial.priority if self.initial is not None else None


def read_history(
    ticket_id: str, events: Iterable[TicketEvent], rules: Iterable[PrioritizationRule], now: datetime
) -> TicketHistory:
    """Replay the events that happened by ``now`` (each id once, in time order)."""
    ordered = [event for event in in_replay_order(list(events)) if event.at <= now]
    history = TicketHistory(ticket_id)
    initial = _initial_snapshot(ordered)
    if initial is None:
        return history
    if initial.priority is None:
        decision = decide_priority(initial, rules)
        initial = replace(initial, priority=decision.priority)
        history.priority_source, history.rule_id = "rules", decision.rule.id if decision.rule else None
    else:
        history.priority_source = "host"
    created_at = initial.created_at or ordered[0].at
    history.initial, history.created_at = initial, created_at
    history.statuses.append((created_at, initial.status or "new"))
    if initial.status in DONE_STATUSES:  # created solved: nobody was left waiting for a reply
        history.first_response_at = created_at
    _replay(history, ordered, created_at)
    return history


def _replay(history: TicketHistory, ordered: list[TicketEvent], created_at: datetime) -> None:
    status = history.statuses[0][1]
    cycle_start: datetime | None = None
    # A customer message while the ticket is solved or closed: it starts a next-response cycle at
    # its own instant if the ticket is reopened afterwards (hosts reopen on a customer's message,
    # the two events in either order), none if the ticket stays solved or an agent answers first.
    waiting_while_solved: datetime | None = None
    for event in ordered:
        at = max(event.at, created_at)  # a host clock a little behind must not start clocks early
        if event.type == "ticket.deleted":
            history.deleted_at = at
            break
        changed = _changed_fields(event)
        routing = {name: new for name, new in changed if name in ROUTING_FIELDS and new is not None}
        if routing:
            history.routing_changes.append(Change(at, routing))
        for name, new in changed:
            if name == "status" and new is not None and new != status:
                reopened = status in DONE_STATUSES and new not in DONE_STATUSES
                status = new
                history.statuses.append((at, status))
                if status in DONE_STATUSES:  # a solve answers whoever was waiting
                    history.first_response_at = history.first_response_at or at
                    if cycle_start is not None:
                        history.next_response_cycles.append((cycle_start, at))
                        cycle_start = None
                elif reopened and waiting_while_solved is not None:
                    cycle_start = cycle_start or waiting_while_solved
                if status not in DONE_STATUSES:
                    waiting_while_solved = None
        message = event.message
        if message is None or not message.public:
            continue
        if message.author_type == "agent":
            waiting_while_solved = None
            if history.first_response_at is None:
                history.first_response_at = at
            elif cycle_start is not None:
                history.next_response_cycles.append((cycle_start, at))
                cycle_start = None
        elif history.first_response_at is not None and cycle_start is None:
            if status not in DONE_STATUSES:
                cycle_start = at
            elif waiting_while_solved is None:
                waiting_while_solved = at
    if cycle_start is not None:
        history.next_response_cycles.append((cycle_start, None))


def _changed_fields(event: TicketEvent) -> list[tuple[str, Any]]:
    if event.type != "ticket.updated":
        return []
    if event.changes:
        return [(name, values[1]) for name, values in event.changes.items()]
    if event.ticket is None:
        return []
    # No change list: trust the snapshot, except for a missing priority (that is not a change).
    snapshot = event.ticket
    return [("product", snapshot.product), ("channel", snapshot.channel), ("status", snapshot.status)]


def _initial_snapshot(ordered: list[TicketEvent]) -> TicketSnapshot | None:
    """The ticket as created; rebuilt from the earliest full snapshot if the creation is missing."""
    for event in ordered:
        if event.type == "ticket.created" and event.ticket is not None:
            return event.ticket
    for event in ordered:
        if event.ticket is not None:
            before = {name: values[0] for name, values in event.changes.items() if name in _REVERTIBLE}
            return replace(event.ticket, **before)
    return None


_REVERTIBLE = frozenset({"product", "channel", "priority", "status"})

"""Recomputing a ticket's SLA targets from its stored history, and queueing what the host must learn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plugin.domain.engine import TargetState, TicketOutcome, evaluate_ticket
from plugin.host import commands
from plugin.host.commands import HostCommand
from plugin.store.repositories import LockedTicket, TicketHistory
from plugin.webhooks.payloads import parse_event

from .tenant_settings import TenantRef, settings_for_ticket
from .unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ComputedOutcome:
    """What saving a ticket's outcome writes: its row's values, its targets, and a host command."""

    outcome: TicketOutcome
    ticket_values: dict[str, Any]
    target_rows: list[dict[str, Any]]
    command: HostCommand | None


def compute_outcome(
    uow: UnitOfWork, tenant: TenantRef, ticket_id: str, stored_priority: str | None, pinned_version: int | None,
    history: TicketHistory, now: datetime,
) -> ComputedOutcome:
    """Replay the ticket's whole history through the engine, under the settings that govern it."""
    version, settings = settings_for_ticket(uow, tenant.id, tenant.timezone, pinned_version, history.versions)
    events = [event for event in map(parse_event, history.event_bodies) if event is not None]
    outcome = evaluate_ticket(ticket_id, events, settings, now)
    values = {"priority": outcome.priority, "policy_id": outcome.policy_id, "deleted": outcome.deleted,
              "settings_version": version, "updated_at": now}
    command = None
    decided = outcome.priority_to_write_back
    if decided is not None and decided != stored_priority:
        # The rules decided a new ticket's priority: tell the host, once per ticket (the key
        # holds even if a late event makes the engine decide again).
        assert outcome.rule_id is not None
        command = commands.set_priority(ticket_id, decided, outcome.rule_id)
    return ComputedOutcome(outcome, values, [_target_row(target) for target in outcome.targets], command)


def recompute_ticket(
    uow: UnitOfWork, tenant: TenantRef, ticket_id: str, now: datetime, locked: LockedTicket | None = None
) -> TicketOutcome:
    """Replay the ticket's whole stored history through the engine and persist every target's state.

    The ticket row is locked first (``locked`` when the caller already did), so two workers handling
    events of one ticket serialise here.
    """
    data = uow.data_of(tenant.id)
    ticket = locked or data.lock_ticket(ticket_id, now)
    history = data.ticket_history(ticket_id, ticket.settings_version)
    computed = compute_outcome(uow, tenant, ticket_id, ticket.priority, ticket.settings_version, history, now)
    data.save_outcome(ticket, ticket_id, computed.ticket_values, computed.target_rows)
    if computed.command is not None:
        data.enqueue(computed.command, now)
    return computed.outcome


def _target_row(target: TargetState) -> dict[str, Any]:
    return {
        "metric": target.metric,
        "cycle": target.cycle,
        "policy_id": target.policy_id,
        "status": target.status,
        "started_at": target.started_at,
        "due_at": target.due_at,
        "warn_at": target.warn_at,
        "stopped_at": target.stopped_at,
        "breached_at": target.breached_at,
        "decided_at": target.decided_at,
        "business_seconds": target.business_seconds,
        "target_seconds": target.target_seconds,
        "success_rate_percent": target.success_rate_percent,
    }

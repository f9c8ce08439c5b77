"""The one write path of SLA state: tickets recomputed from their stored histories.

The inbox processor calls it for the tickets of a batch of events, a settings change for the
tenant's open tickets, the sweep for tickets whose SLA tags change by themselves (a warning window
opens, a target falls due). Each time: lock the tickets, read their histories in one query, run the
engine once per ticket under the settings version that governs it, then write the tickets (with
their tag state), their targets and the host commands they call for (a priority, tags, notes) in
bulk. Stored histories are webhook bodies as the tenant's helpdesk sent them: its host kind's
parser reads them (``plugin.host.registry``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from plugin.domain.engine import TicketOutcome, evaluate_ticket
from plugin.host import commands
from plugin.host.adapter import EventParser
from plugin.host.commands import HostCommand
from plugin.host.registry import host_kind as registered_kind
from plugin.store.records import TenantRecord, TicketRecord, TicketTarget

from .host_tags import tag_changes
from .settings_versions import empty_settings, version_for_ticket
from .unit_of_work import UnitOfWork

CHUNK = 500  # tickets per statement: the stores bound a statement's parameters (SQLite 32,766)


def recompute_tickets(uow: UnitOfWork, tenant: TenantRecord, ticket_ids: Collection[str],
                      now: datetime) -> dict[str, TicketOutcome]:
    """Replay each ticket's whole stored history through the engine and store the outcome (the
    caller commits). The tenant's zone serves a tenant with no settings saved, its host kind reads
    the stored bodies. Tickets are taken in id order, ``CHUNK`` at a time."""
    ordered = sorted(set(ticket_ids))
    parse = registered_kind(tenant.host_kind).parse_event
    outcomes: dict[str, TicketOutcome] = {}
    for start in range(0, len(ordered), CHUNK):
        outcomes |= _recompute_chunk(uow, tenant.id, tenant.timezone, ordered[start:start + CHUNK], now, parse)
    return outcomes


def _recompute_chunk(
    uow: UnitOfWork, tenant_id: int, timezone: str, ticket_ids: list[str], now: datetime, parse: EventParser
) -> dict[str, TicketOutcome]:
    locked = uow.tickets.lock(tenant_id, ticket_ids, now)
    histories = uow.tickets.histories(tenant_id, locked)
    pinned = {ticket.settings_version for ticket in locked.values() if ticket.settings_version is not None}
    candidates = uow.settings_versions.candidates(tenant_id, pinned)
    outcomes: dict[str, TicketOutcome] = {}
    saved: list[TicketRecord] = []
    targets: list[TicketTarget] = []
    queued: list[HostCommand] = []
    for ticket_id, stored in sorted(locked.items()):
        meta = version_for_ticket(candidates, stored.settings_version)
        settings = uow.settings_versions.settings(tenant_id, meta) if meta else empty_settings(timezone)
        events = [event for event in map(parse, histories[ticket_id]) if event is not None]
        outcome = outcomes[ticket_id] = evaluate_ticket(ticket_id, events, settings, now)
        tags, tag_commands = tag_changes(outcome, stored, settings, now)
        saved.append(TicketRecord(ticket_id, outcome.priority, outcome.policy_id, meta.version if meta else 0,
                                  outcome.deleted, outcome.open, tags.host_tags, tags.tag_revision,
                                  tags.next_tag_change_at))
        targets += [TicketTarget(ticket_id, target) for target in outcome.targets]
        command = _priority_command(outcome, stored)
        if command is not None:
            queued.append(command)
        queued += tag_commands
    uow.tickets.save(tenant_id, saved, now)
    uow.targets.replace(tenant_id, locked, targets)
    uow.outbox.add(tenant_id, queued, now)
    return outcomes


def _priority_command(outcome: TicketOutcome, stored: TicketRecord) -> HostCommand | None:
    """The rules decided a new ticket's priority: tell the host, once per ticket (the command's key
    holds even if a late event makes the engine decide again)."""
    decided = outcome.priority_to_write_back
    if decided is None or decided == stored.priority or outcome.rule_id is None:
        return None
    return commands.set_priority(outcome.ticket_id, decided, outcome.rule_id)


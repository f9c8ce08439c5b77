"""The inbox processor: stored webhook events applied in batches, each exactly once.

A batch is one transaction: claim the oldest pending events, add them to their tickets'
histories, recompute those tickets (``recompute_tickets``: targets and host commands), mark the
events processed, commit. A crash anywhere before the commit leaves the events pending for the
next claim; after it, they are never claimed again. A batch that fails is applied again one event
at a time, so that an event that cannot be applied (a bug) is marked failed with its error, alone,
and the others go through.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from plugin.host.adapter import EventParser
from plugin.host.registry import host_kind
from plugin.store.errors import is_transient
from plugin.store.records import HistoryEvent, PendingEvent

from .recompute import recompute_tickets
from .unit_of_work import UnitOfWork

log = logging.getLogger("sla.processor")
Clock = Callable[[], datetime]
DEFAULT_BATCH_SIZE = 200


@dataclass(frozen=True)
class BatchResult:
    """Events claimed, and of those applied and failed here (after a failed batch, another
    processor may apply some of its events meanwhile: they count as claimed only)."""

    claimed: int = 0
    processed: int = 0
    failed: int = 0


class UnknownTenant(LookupError):
    """An event's tenant is gone (uninstalled while the event waited); it is marked failed."""


def process_inbox_batch(uow: UnitOfWork, clock: Clock, limit: int = DEFAULT_BATCH_SIZE) -> BatchResult:
    """Apply up to ``limit`` pending events; claimed 0 means the inbox is empty. The tickets are
    evaluated as of the batch's start; each event is marked processed at the instant it was applied
    (``clock`` is read again then, so the inbox's lag includes the batch's own time)."""
    with uow:
        events = uow.inbox.claim(limit)
        if not events:
            return BatchResult()
        try:
            apply_events(uow, events, clock)
            uow.commit()
            return BatchResult(len(events), len(events), 0)
        except Exception:
            log.exception("processor.batch_failed")
    return _one_at_a_time(uow, [event.inbox_id for event in events], clock)


def apply_events(uow: UnitOfWork, events: Sequence[PendingEvent], clock: Clock) -> None:
    """Add the events to their tickets' histories, recompute those tickets, mark the events processed."""
    now = clock()
    by_tenant: dict[int, list[PendingEvent]] = defaultdict(list)
    for event in events:
        by_tenant[event.tenant_id].append(event)
    for tenant_id, group in sorted(by_tenant.items()):
        tenant = uow.tenants.by_id(tenant_id)
        if tenant is None:
            raise UnknownTenant(f"tenant {tenant_id} is no longer installed")
        parse = host_kind(tenant.host_kind).parse_event  # the tenant's helpdesk wrote these bodies
        uow.tickets.add_events(tenant_id, [_history_event(event, parse) for event in group])
        recompute_tickets(uow, tenant, {event.ticket_id for event in group}, now)
    uow.inbox.mark_processed([event.inbox_id for event in events], clock())


def _history_event(pending: PendingEvent, parse: EventParser) -> HistoryEvent:
    event = parse(pending.payload)  # validated when it was stored
    if event is None:
        raise ValueError(f"inbox entry {pending.inbox_id} holds no event the engine applies")
    return HistoryEvent(event.ticket_id, event.id, event.type, event.occurred_at, pending.payload)


def _one_at_a_time(uow: UnitOfWork, inbox_ids: list[int], clock: Clock) -> BatchResult:
    processed = failed = 0
    for inbox_id in inbox_ids:
        error: Exception | None = None
        with uow:
            event = uow.inbox.claim_one(inbox_id)
            if event is None:  # applied meanwhile by another processor
                continue
            try:
                apply_events(uow, [event], clock)
                uow.commit()
                processed += 1
            except Exception as caught:
                if is_transient(caught):  # the database, not the event: try again on the next round
                    raise
                error = caught
        if error is not None:
            log.error("processor.event_failed", exc_info=error, extra={"reason": _describe(error)})
            with uow:
                uow.inbox.mark_failed(inbox_id, _describe(error), clock())
                uow.commit()
            failed += 1
    return BatchResult(len(inbox_ids), processed, failed)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"

"""Handling one verified webhook: deduplicate, store the event, recompute the ticket."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from plugin.domain.events import TicketEvent

from .tenant_settings import TenantRef
from .tickets import recompute_ticket
from .unit_of_work import UnitOfWork


class WebhookResult(Enum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"  # an event type the plugin does not handle


def handle_webhook(
    uow: UnitOfWork,
    tenant: TenantRef,
    webhook_id: str,
    body: dict[str, Any],
    event: TicketEvent | None,
    now: datetime,
) -> WebhookResult:
    """Record the webhook id, the event and its effects in one transaction: all or nothing."""
    data = uow.data_of(tenant.id)
    if not data.record_webhook(webhook_id, now):
        return WebhookResult.DUPLICATE
    if event is None:
        uow.commit()
        return WebhookResult.IGNORED
    # Keyed by the event id as well: a host that re-sends an event under a new webhook id
    # still adds nothing to the history (the recompute is harmless and idempotent).
    data.add_event(event.ticket_id, event.id, event.type, event.occurred_at, body)
    recompute_ticket(uow, tenant, event.ticket_id, now)
    uow.commit()
    return WebhookResult.PROCESSED

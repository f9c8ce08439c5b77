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
    if event is None:
        if not data.record_webhook(webhook_id, now):
            return WebhookResult.DUPLICATE
        uow.commit()
        return WebhookResult.IGNORED
    ticket = data.record_event(webhook_id, event.ticket_id, event.id, event.type, event.occurred_at, body, now)
    if ticket is None:
        return WebhookResult.DUPLICATE
    recompute_ticket(uow, tenant, event.ticket_id, now, ticket)
    uow.commit()
    return WebhookResult.PROCESSED

"""Handling one verified webhook: deduplicate, store the event, recompute the ticket."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from plugin.domain.events import TicketEvent
from plugin.store.repositories import TenantCredentials

from .tickets import recompute_ticket
from .unit_of_work import UnitOfWork


class WebhookResult(Enum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"  # an event type the plugin does not handle


class StaleCredentials(Exception):
    """The tenant was reinstalled or uninstalled since its credentials were read: nothing was saved."""


def handle_webhook(
    uow: UnitOfWork,
    tenant: TenantCredentials,
    webhook_id: str,
    body: dict[str, Any],
    event: TicketEvent | None,
    now: datetime,
) -> WebhookResult:
    """Record the webhook id, the event and its effects in one transaction: all or nothing.

    The record is written only while the tenant still holds the webhook secret the signature was
    checked with, so credentials remembered by the process are confirmed by the write itself.
    """
    data = uow.data_of(tenant.id)
    sealed = tenant.webhook_secret_encrypted
    if event is None:
        recorded = data.record_webhook(webhook_id, sealed, now)
    else:
        ticket = data.record_event(webhook_id, sealed, event.ticket_id, event.id, event.type, event.occurred_at,
                                   body, now)
        recorded = ticket is not None
        if ticket is not None:
            recompute_ticket(uow, tenant, event.ticket_id, now, ticket)
    if not recorded:
        if not uow.tenants.holds_secret(tenant.id, sealed):
            raise StaleCredentials(tenant.id)
        return WebhookResult.DUPLICATE
    uow.commit()
    return WebhookResult.PROCESSED if event is not None else WebhookResult.IGNORED

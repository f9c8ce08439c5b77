"""Handling one verified webhook: deduplicate, store the event, recompute the ticket."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from plugin.domain.events import TicketEvent
from plugin.store.repositories import TenantCredentials, TicketHistory

from .tickets import compute_outcome, recompute_ticket
from .unit_of_work import UnitOfWork

OPTIMISTIC_ATTEMPTS = 3


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
    if event is not None and uow.writes_in_one_statement:
        result = _handle_optimistically(uow, tenant, webhook_id, body, event, now)
        if result is not None:
            return result
        # The ticket kept changing under us: queue on its lock instead.
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


def _handle_optimistically(
    uow: UnitOfWork, tenant: TenantCredentials, webhook_id: str, body: dict[str, Any], event: TicketEvent,
    now: datetime,
) -> WebhookResult | None:
    """Read the ticket, compute its outcome with the new event, and write it all in one statement that
    applies only if the ticket did not change meanwhile; read again if it did. None: it kept changing."""
    tickets = uow.optimistic_tickets(tenant.id)
    sealed = tenant.webhook_secret_encrypted
    stored_event = {"event_id": event.id, "event_type": event.type, "occurred_at": event.occurred_at, "body": body}
    for _ in range(OPTIMISTIC_ATTEMPTS):
        snapshot = tickets.read(event.ticket_id, webhook_id, sealed)
        if not snapshot.tenant_current:
            raise StaleCredentials(tenant.id)
        if snapshot.seen:
            return WebhookResult.DUPLICATE
        history = snapshot.history
        if all(stored.get("id") != event.id for stored in history.event_bodies):
            history = TicketHistory([*history.event_bodies, body], history.versions)
        computed = compute_outcome(uow, tenant, event.ticket_id, snapshot.priority, snapshot.settings_version,
                                   history, now)
        written = tickets.write(snapshot, event.ticket_id, webhook_id, sealed, stored_event, computed.ticket_values,
                                computed.target_rows, [computed.command] if computed.command else [], now)
        if written.applied:
            return WebhookResult.PROCESSED
        if not written.tenant_current:
            raise StaleCredentials(tenant.id)
        if not written.unseen:
            return WebhookResult.DUPLICATE
    return None

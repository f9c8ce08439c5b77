"""GET /api/v1/tickets/<ticket_id>/targets (a ticket's stored SLA targets) and GET /api/v1/status."""

from __future__ import annotations

from typing import Any

from plugin.services import queries

from .access import API_PREFIX, tenant_access
from .errors import api_blueprint
from .schemas import StatusAnswer, TicketTargets

blueprint = api_blueprint("tickets", f"{API_PREFIX}/tickets", "SLA targets of the account's tickets")


@blueprint.get("/<path:ticket_id>/targets")  # host ids may hold a slash (sent as %2F or not)
@blueprint.response(200, TicketTargets)
def ticket_targets(ticket_id: str) -> Any:
    """The ticket's priority, policy and every target instance as last computed."""
    with tenant_access() as access:
        return queries.ticket_targets(access.uow, access.tenant, ticket_id)


status = api_blueprint("status", f"{API_PREFIX}/status", "The installation's health")


@status.get("")
@status.response(200, StatusAnswer)
def installation_status() -> Any:
    """The inbox of webhook events: how many wait for the processor, how many failed and why, and how
    long the oldest has waited."""
    with tenant_access() as access:
        return queries.installation_status(access.uow, access.tenant, access.wall_now)

"""GET /api/v1/tickets/<ticket_id>/targets: a ticket's stored SLA targets."""

from __future__ import annotations

from typing import Any

from plugin.services import admin_queries

from .access import API_PREFIX, tenant_access
from .errors import api_blueprint
from .schemas import TicketTargets

blueprint = api_blueprint("tickets", f"{API_PREFIX}/tickets", "SLA targets of the account's tickets")


@blueprint.get("/<ticket_id>/targets")
@blueprint.response(200, TicketTargets)
def ticket_targets(ticket_id: str) -> dict[str, Any]:
    """The ticket's priority, policy and every target instance as last computed."""
    with tenant_access() as access:
        return admin_queries.ticket_targets(access.uow, access.tenant, ticket_id)

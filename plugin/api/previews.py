"""Dry runs on the current settings: POST /api/v1/rules/test and POST /api/v1/policies/preview."""

from __future__ import annotations

from typing import Any

from plugin.domain.events import TicketSnapshot
from plugin.services import previews as service

from .access import tenant_access
from .items import policies, rules
from .schemas import PolicyPreviewAnswer, PolicyPreviewRequest, RuleTestAnswer, RuleTestTicket


@rules.post("/test")
@rules.arguments(RuleTestTicket, required=False)  # every field has a default: no body is an empty ticket
@rules.response(200, RuleTestAnswer)
def match_rules(ticket: dict[str, Any]) -> service.RuleTest:
    """Which rule would prioritize a new ticket like this one (null: none, so ``low``)."""
    snapshot = TicketSnapshot(
        id="rule-test",
        product=ticket["product"],
        channel=ticket["channel"],
        subject=ticket["subject"],
        body=ticket["body"],
        requester_name=ticket["requester"].get("name", ""),
        requester_email=ticket["requester"].get("email", ""),
        tags=tuple(ticket["tags"]),
    )
    with tenant_access() as access:
        return service.try_rules(access.uow, access.tenant, snapshot)


@policies.post("/preview")
@policies.arguments(PolicyPreviewRequest)
@policies.response(200, PolicyPreviewAnswer)
def preview_policy(preview: dict[str, Any]) -> service.PolicyPreview:
    """Each target's due instant for a ticket created at ``created_at`` that gets no reply.

    ``policy`` is a saved policy's id or a draft policy object (previewed as if saved).
    """
    with tenant_access() as access:
        return service.preview_policy(access.uow, access.tenant, preview["policy"], preview["created_at"])

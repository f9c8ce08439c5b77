"""Read-only handlers behind the admin API: rule tests, policy previews, ticket targets and reports.

Nothing here writes; each answer is computed on the current settings by the same domain code as
the live path (rule matcher, business calendars, report arithmetic).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, cast

from plugin.domain.engine import TargetState, TargetStatus
from plugin.domain.events import TicketSnapshot
from plugin.domain.policies import Metric, SlaPolicy, match_policy
from plugin.domain.reports import Period, ReportRow, build_report
from plugin.domain.rules import DEFAULT_PRIORITY, first_matching_rule
from plugin.report_formats import iso_utc, target_document
from plugin.settings.loading import load_settings
from plugin.store.models import SlaTarget, Tenant

from .admin import ItemNotFound, due_instant
from .tenant_settings import current_settings
from .unit_of_work import UnitOfWork


def evaluate_rules(uow: UnitOfWork, tenant: Tenant, ticket: TicketSnapshot) -> dict[str, Any]:
    """Which rule would set this new ticket's priority, and which SLA policy would then apply."""
    _version, _document, settings = current_settings(uow, tenant.id, tenant.timezone)
    rule = first_matching_rule(ticket, settings.rules)
    priority = rule.priority if rule is not None else DEFAULT_PRIORITY
    policy = match_policy(ticket.product, ticket.channel, priority, settings.policies)
    return {"rule": rule.id if rule else None, "priority": priority, "policy": policy.id if policy else None}


def preview_policy(
    uow: UnitOfWork, tenant: Tenant, policy: str | dict[str, Any], created_at: datetime
) -> dict[str, Any]:
    """Each target's due instant for a ticket created at ``created_at`` that never gets an answer.

    ``policy`` is a saved policy's id, or a draft policy object, previewed as if it were saved.
    """
    _version, document, settings = current_settings(uow, tenant.id, tenant.timezone)
    if isinstance(policy, dict):
        draft_document = copy.deepcopy(document)
        drafts = draft_document.setdefault("sla_policies", [])
        drafts[:] = [item for item in drafts if item.get("id") != policy.get("id")] + [policy]
        chosen = _policy_by_id(load_settings(draft_document).policies, policy["id"])
    else:
        chosen = _policy_by_id(settings.policies, policy)
    return {
        "policy": chosen.id,
        "created_at": iso_utc(created_at),
        "targets": [
            {"metric": target.metric, "minutes": target.minutes,
             "due_at": iso_utc(due_instant(chosen, target, created_at))}
            for target in chosen.targets
        ],
    }


# tickets and reports -------------------------------------------------------------------------
def ticket_targets(uow: UnitOfWork, tenant: Tenant, ticket_id: str) -> dict[str, Any]:
    data = uow.data_of(tenant.id)
    ticket = data.ticket(ticket_id) if "\x00" not in ticket_id else None
    if ticket is None:
        raise ItemNotFound(f"no ticket {ticket_id!r} is known for this account")
    return {
        "id": ticket.ticket_id,
        "priority": ticket.priority,
        "policy": ticket.policy_id,
        "deleted": ticket.deleted,
        "targets": [stored_target_document(row) for row in data.targets_of(ticket_id)],
    }


def report_rows(
    uow: UnitOfWork, tenant: Tenant, period: Period, since: datetime | None, until: datetime | None,
    policy: str | None, metric: str | None,
) -> list[ReportRow]:
    """Report rows over the targets decided in [since, until), by period of the settings' time zone."""
    _version, _document, settings = current_settings(uow, tenant.id, tenant.timezone)
    decided = uow.data_of(tenant.id).decided_targets(since, until, policy, metric)
    return build_report((target_state(row) for row in decided), period, settings.timezone)


def at_risk_targets(uow: UnitOfWork, tenant: Tenant, now: datetime) -> list[dict[str, Any]]:
    """Running targets inside their warning window at ``now``, the soonest due first."""
    rows = uow.data_of(tenant.id).at_risk_targets(now)
    return [{"ticket_id": row.ticket_id, **stored_target_document(row)} for row in rows]


def target_state(row: SlaTarget) -> TargetState:
    return TargetState(
        metric=cast(Metric, row.metric),
        cycle=row.cycle,
        policy_id=row.policy_id,
        status=cast(TargetStatus, row.status),
        started_at=row.started_at,
        due_at=row.due_at,
        stopped_at=row.stopped_at,
        breached_at=row.breached_at,
        business_seconds=row.business_seconds,
        target_seconds=row.target_seconds,
        success_rate_percent=row.success_rate_percent,
        warn_at=row.warn_at,
    )


def stored_target_document(row: SlaTarget) -> dict[str, Any]:
    """report_formats.target_document plus the policy, the cycle and the warning instant."""
    return {**target_document(target_state(row)), "policy": row.policy_id, "cycle": row.cycle,
            "warn_at": iso_utc(row.warn_at)}


def _policy_by_id(policies: tuple[SlaPolicy, ...], policy_id: str) -> SlaPolicy:
    found = next((policy for policy in policies if policy.id == policy_id), None)
    if found is None:
        raise ItemNotFound(f"no policy has id {policy_id!r}")
    return found

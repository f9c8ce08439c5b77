"""Dry runs on a tenant's settings: which rule would fire, when a policy's targets would be due."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plugin.domain.calendar import NoBusinessTime
from plugin.domain.events import TicketSnapshot
from plugin.domain.policies import SlaPolicy, Target, match_policy
from plugin.domain.rules import decide_priority
from plugin.settings.loading import SettingsError, in_item_terms, load_settings
from plugin.store.records import TenantRecord

from .settings_versions import settings_in_force
from .unit_of_work import UnitOfWork


class DueInstantOutOfRange(ValueError):
    """A due instant would fall past the year 9999, where instants end."""


class PolicyNotFound(LookupError):
    """No policy of the tenant has that id."""


@dataclass(frozen=True)
class RuleTest:
    rule: str | None  # the first matching rule; None: none matched, so the default priority
    priority: str
    policy: str | None  # the SLA policy a ticket so prioritized gets


@dataclass(frozen=True)
class DuePreview:
    metric: str
    minutes: int
    due_at: datetime


@dataclass(frozen=True)
class PolicyPreview:
    policy: str
    created_at: datetime
    targets: list[DuePreview]


def try_rules(uow: UnitOfWork, tenant: TenantRecord, ticket: TicketSnapshot) -> RuleTest:
    """Which rule would set this new ticket's priority, and which SLA policy would then apply."""
    with uow:
        _version, _document, settings = settings_in_force(uow, tenant)
    decision = decide_priority(ticket, settings.rules)
    policy = match_policy(ticket.product, ticket.channel, decision.priority, settings.policies)
    return RuleTest(decision.rule.id if decision.rule else None, decision.priority, policy.id if policy else None)


def preview_policy(uow: UnitOfWork, tenant: TenantRecord, policy: str | dict[str, Any],
                   created_at: datetime) -> PolicyPreview:
    """Each target's due instant for a ticket created at ``created_at`` that never gets an answer.
    ``policy`` is a saved policy's id, or a draft policy object, previewed as if it were saved."""
    with uow:
        _version, document, settings = settings_in_force(uow, tenant)
    if isinstance(policy, dict):
        draft_document = copy.deepcopy(document)
        drafts = draft_document.setdefault("sla_policies", [])
        drafts[:] = [item for item in drafts if item.get("id") != policy.get("id")] + [policy]
        try:
            drafted = load_settings(draft_document)
        except SettingsError as error:
            raise SettingsError(in_item_terms(error.problems, draft_document, "sla_policies", policy["id"])) from None
        chosen = _policy_by_id(drafted.policies, policy["id"])
    else:
        chosen = _policy_by_id(settings.policies, policy)
    due = [DuePreview(target.metric, target.minutes, due_instant(chosen, target, created_at))
           for target in chosen.targets]
    return PolicyPreview(chosen.id, created_at, due)


def due_instant(policy: SlaPolicy, target: Target, start: datetime) -> datetime:
    """When ``target`` is due for a ticket that starts at ``start`` and gets no answer."""
    try:
        return policy.clock.deadline(start, target.seconds)
    except NoBusinessTime:
        raise
    except (OverflowError, ValueError):  # datetime's range ends with the year 9999
        raise DueInstantOutOfRange(
            f"{target.minutes} minutes of business time from {start:%Y-%m-%dT%H:%M:%SZ} end after the year 9999"
        ) from None


def _policy_by_id(policies: tuple[SlaPolicy, ...], policy_id: str) -> SlaPolicy:
    found = next((policy for policy in policies if policy.id == policy_id), None)
    if found is None:
        raise PolicyNotFound(f"no policy has id {policy_id!r}")
    return found

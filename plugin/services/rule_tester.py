"""The rule tester of the settings page: which rule would prioritize a new ticket, why, and which SLA
policy would then apply (``POST /api/v1/rules/explain``)."""

from __future__ import annotations

from dataclasses import dataclass

from plugin.domain.events import TicketSnapshot
from plugin.domain.policies import SlaPolicy, match_policy
from plugin.domain.rule_trace import RuleTrace, trace_rules
from plugin.store.records import TenantRecord

from .settings_versions import settings_in_force
from .unit_of_work import UnitOfWork


@dataclass(frozen=True)
class RuleExplanation:
    trace: RuleTrace
    policy: SlaPolicy | None  # the SLA policy a ticket so prioritized gets


def explain_rules(uow: UnitOfWork, tenant: TenantRecord, ticket: TicketSnapshot) -> RuleExplanation:
    """The rules in force tried on ``ticket``, as a new ticket's would be."""
    with uow:
        _version, _document, settings = settings_in_force(uow, tenant)
    trace = trace_rules(ticket, settings.rules)
    return RuleExplanation(trace, match_policy(ticket.product, ticket.channel, trace.decision.priority,
                                               settings.policies))

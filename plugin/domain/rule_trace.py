"""Why the prioritization rules give a ticket its priority: the rules tried, in order, up to the one
that fires, each condition of each with whether it holds.

Nothing here matches anything itself: every answer is the one matcher's (``plugin.domain.rules``),
read condition by condition, so the explanation cannot disagree with the decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .events import TicketSnapshot
from .rules import ANY, Condition, PrioritizationRule, PriorityDecision, decide_priority, field_values

OPERATOR_WORDS = {"is": "is", "is_not": "is not", "contains": "contains", "not_contains": "does not contain",
                  "starts_with": "starts with", "ends_with": "ends with", "in": "is one of"}


@dataclass(frozen=True, slots=True)
class ConditionCheck:
    condition: Condition
    holds: bool
    seen: tuple[str, ...]  # the ticket's values of the condition's field, as the host sent them


@dataclass(frozen=True, slots=True)
class RuleCheck:
    rule: PrioritizationRule
    in_scope: bool  # the rule is for the ticket's product and channel
    conditions: tuple[ConditionCheck, ...]
    fires: bool


@dataclass(frozen=True, slots=True)
class RuleTrace:
    decision: PriorityDecision
    tried: tuple[RuleCheck, ...]  # in the order the rules are tried, the one that fires last
    reason: str


def trace_rules(ticket: TicketSnapshot, rules: Iterable[PrioritizationRule]) -> RuleTrace:
    """The decision of ``decide_priority`` and how it was reached."""
    rules = tuple(rules)
    decision = decide_priority(ticket, rules)
    tried: list[RuleCheck] = []
    for rule in sorted(rules, key=lambda rule: rule.position):  # the order first_matching_rule tries them
        checks = tuple(ConditionCheck(condition, condition.matches(ticket), field_values(ticket, condition.field))
                       for condition in rule.conditions)
        tried.append(RuleCheck(rule, rule.applies_to(ticket.product, ticket.channel), checks, rule.matches(ticket)))
        if rule is decision.rule:
            break
    return RuleTrace(decision, tuple(tried), _reason(ticket, decision, tried))


def describe(condition: Condition) -> str:
    """``subject contains 'outage'``, ``tags is one of 'vip', 'gold'``."""
    values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
    return f"{condition.field} {OPERATOR_WORDS.get(condition.op, condition.op)} {', '.join(map(repr, values))}"


def _reason(ticket: TicketSnapshot, decision: PriorityDecision, tried: list[RuleCheck]) -> str:
    rule = decision.rule
    if rule is None:
        scope = f"product {ticket.product!r} and channel {ticket.channel!r}"
        if not any(check.in_scope for check in tried):
            return f"no rule is for {scope}; a ticket no rule matches gets priority {decision.priority}"
        return f"no rule for {scope} matched; a ticket no rule matches gets priority {decision.priority}"
    label = repr(rule.name or rule.id)
    scope = " and ".join(f"{what} {name!r}" if name != ANY else f"any {what}"
                         for what, name in (("product", rule.product), ("channel", rule.channel)))
    check = tried[-1]
    if not check.conditions:
        return f"rule {label} is for {scope} and has no conditions: it matches every such ticket"
    held = [describe(item.condition) for item in check.conditions if item.holds]
    if rule.match == "all":
        return f"rule {label} is for {scope}, and all of its conditions hold: {'; '.join(held)}"
    return f"rule {label} is for {scope}, and {'; '.join(held)} (any one of its conditions is enough)"

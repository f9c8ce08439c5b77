"""Prioritization rules: the first matching rule in order sets a new ticket's priority."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from .events import TicketSnapshot

ANY = "*"
DEFAULT_PRIORITY = "low"
CONDITION_FIELDS = ("subject", "body", "requester_name", "requester_email", "requester_domain", "tags")
OPERATORS = ("is", "is_not", "contains", "not_contains", "starts_with", "ends_with", "in")

# Positive tests on one string; a negated operator is "no value passes the positive test".
_TESTS: dict[str, Callable[[str, str | tuple[str, ...]], bool]] = {
    "is": lambda actual, wanted: actual == wanted,
    "contains": lambda actual, wanted: isinstance(wanted, str) and wanted in actual,
    "starts_with": lambda actual, wanted: isinstance(wanted, str) and actual.startswith(wanted),
    "ends_with": lambda actual, wanted: isinstance(wanted, str) and actual.endswith(wanted),
    "in": lambda actual, wanted: actual in wanted,
}
_NEGATIONS = {"is_not": "is", "not_contains": "contains"}


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: str | tuple[str, ...]

    def matches(self, ticket: TicketSnapshot) -> bool:
        values = _field_values(ticket, self.field)
        wanted = _fold(self.value)
        if self.op in _NEGATIONS:
            test = _TESTS[_NEGATIONS[self.op]]
            return not any(test(value, wanted) for value in values)
        test = _TESTS[self.op]
        return any(test(value, wanted) for value in values)


@dataclass(frozen=True, slots=True)
class PrioritizationRule:
    id: str
    name: str
    product: str
    channel: str
    position: int
    match: Literal["all", "any"]
    conditions: tuple[Condition, ...]
    priority: str

    def applies_to(self, product: str | None, channel: str | None) -> bool:
        return same_name(self.product, product) and same_name(self.channel, channel)

    def matches(self, ticket: TicketSnapshot) -> bool:
        """A rule without conditions matches every ticket in its scope."""
        if not self.applies_to(ticket.product, ticket.channel):
            return False
        if not self.conditions:
            return True
        combine = all if self.match == "all" else any
        return combine(condition.matches(ticket) for condition in self.conditions)


def same_name(configured: str, sent: str | None) -> bool:
    """Whether a product or channel of the settings (``*``: any) names the one a host sent: hosts and
    admins spell them differently ("Orange", "orange", " EMAIL "), so case and surrounding spaces
    do not count."""
    return configured == ANY or (sent is not None and name_key(configured) == name_key(sent))


def name_key(name: str) -> str:
    """A product's or channel's name as it is compared."""
    return name.strip().casefold()


def first_matching_rule(ticket: TicketSnapshot, rules: Iterable[PrioritizationRule]) -> PrioritizationRule | None:
    """Rules are tried by position (ties keep their given order); the first match wins."""
    for rule in sorted(rules, key=lambda rule: rule.position):
        if rule.matches(ticket):
            return rule
    return None


@dataclass(frozen=True, slots=True)
class PriorityDecision:
    """The priority the rules give a new ticket, and the rule that gave it (None: no rule matched)."""

    priority: str
    rule: PrioritizationRule | None


def decide_priority(ticket: TicketSnapshot, rules: Iterable[PrioritizationRule]) -> PriorityDecision:
    """The first matching rule's priority, or ``low`` when none matches."""
    rule = first_matching_rule(ticket, rules)
    return PriorityDecision(rule.priority if rule is not None else DEFAULT_PRIORITY, rule)


def field_values(ticket: TicketSnapshot, field: str) -> tuple[str, ...]:
    """What a condition on ``field`` reads of the ticket (before case folding)."""
    if field == "tags":
        return tuple(ticket.tags)
    return (str(getattr(ticket, field) or ""),)


def _field_values(ticket: TicketSnapshot, field: str) -> tuple[str, ...]:
    return tuple(value.casefold() for value in field_values(ticket, field))


def _fold(value: str | tuple[str, ...]) -> str | tuple[str, ...]:
    if isinstance(value, str):
        return value.casefold()
    return tuple(item.casefold() for item in value)

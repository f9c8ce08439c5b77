"""Prioritization rules: scope, order, all/any, every operator, case-insensitivity."""

from __future__ import annotations

import pytest

from plugin.domain.events import TicketSnapshot
from plugin.domain.policies import SlaPolicy, Target, match_policy
from plugin.domain.rules import Condition, PrioritizationRule, PriorityDecision, decide_priority, first_matching_rule


def ticket(**fields: object) -> TicketSnapshot:
    defaults: dict[str, object] = {
        "id": "T1",
        "product": "Orange",
        "channel": "email",
        "subject": "Service OUTAGE in Istanbul",
        "body": "Nobody can log in since 9am.",
        "requester_name": "Ayşe Yılmaz",
        "requester_email": "ayse@BigCorp.com",
        "tags": ("VIP", "billing"),
    }
    defaults.update(fields)
    return TicketSnapshot(**defaults)  # type: ignore[arg-type]


def rule(*conditions: Condition, match: str = "all", priority: str = "urgent", position: int = 1,
         product: str = "Orange", channel: str = "email", rule_id: str = "r") -> PrioritizationRule:
    return PrioritizationRule(rule_id, rule_id, product, channel, position, match, conditions, priority)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Condition("subject", "contains", "outage"), True),
        (Condition("subject", "contains", "refund"), False),
        (Condition("subject", "not_contains", "refund"), True),
        (Condition("subject", "not_contains", "Outage"), False),
        (Condition("subject", "starts_with", "service"), True),
        (Condition("subject", "ends_with", "ISTANBUL"), True),
        (Condition("subject", "is", "service outage in istanbul"), True),
        (Condition("subject", "is_not", "service outage in istanbul"), False),
        (Condition("body", "contains", "LOG IN"), True),
        (Condition("requester_name", "starts_with", "AYŞE"), True),
        (Condition("requester_email", "is", "ayse@bigcorp.com"), True),
        (Condition("requester_domain", "is", "bigcorp.com"), True),
        (Condition("requester_domain", "in", ("example.com", "BIGCORP.COM")), True),
        (Condition("requester_domain", "in", ("example.com",)), False),
        (Condition("tags", "is", "vip"), True),
        (Condition("tags", "is_not", "vip"), False),
        (Condition("tags", "is_not", "gold"), True),
        (Condition("tags", "contains", "bill"), True),
        (Condition("tags", "not_contains", "bill"), False),
        (Condition("tags", "in", ("gold", "Billing")), True),
    ],
    ids=lambda value: f"{value.field}-{value.op}-{value.value}" if isinstance(value, Condition) else str(value),
)
def test_operators_match_case_insensitively(condition: Condition, expected: bool) -> None:
    assert condition.matches(ticket()) is expected


def test_operators_are_literal_text_never_regular_expressions() -> None:
    assert not Condition("subject", "contains", "out.ge").matches(ticket())
    assert Condition("subject", "contains", "a+b").matches(ticket(subject="Is a+b broken?"))


def test_a_ticket_without_tags_satisfies_negative_tag_conditions_only() -> None:
    assert Condition("tags", "not_contains", "vip").matches(ticket(tags=()))
    assert not Condition("tags", "contains", "vip").matches(ticket(tags=()))


def test_all_needs_every_condition_and_any_needs_one() -> None:
    matching = Condition("subject", "contains", "outage")
    failing = Condition("body", "contains", "refund")
    assert not rule(matching, failing, match="all").matches(ticket())
    assert rule(matching, failing, match="any").matches(ticket())


def test_rule_without_conditions_matches_everything_in_its_scope() -> None:
    assert rule().matches(ticket())
    assert not rule(product="Lemon").matches(ticket())


def test_rule_applies_only_to_its_product_and_channel_unless_wildcard() -> None:
    condition = Condition("subject", "contains", "outage")
    assert not rule(condition, channel="chat").matches(ticket())
    assert rule(condition, channel="*").matches(ticket())
    assert rule(condition, product="*", channel="*").matches(ticket(product="Lemon", channel="phone"))


def test_first_matching_rule_by_position_wins() -> None:
    condition = Condition("subject", "contains", "outage")
    later = rule(condition, priority="normal", position=5, rule_id="later")
    earlier = rule(condition, priority="high", position=2, rule_id="earlier")
    chosen = first_matching_rule(ticket(), [later, earlier])
    assert chosen is not None and chosen.id == "earlier"
    assert decide_priority(ticket(), [later, earlier]).priority == "high"


def test_no_matching_rule_means_low() -> None:
    assert decide_priority(ticket(), [rule(Condition("subject", "contains", "refund"))]).priority == "low"
    assert decide_priority(ticket(), []) == PriorityDecision("low", None)


@pytest.mark.parametrize(("product", "channel"), [("orange", "email"), ("ORANGE", " EMAIL "), (" Orange", "Email")])
def test_products_and_channels_match_ignoring_case_and_surrounding_spaces(product: str, channel: str) -> None:
    rule = PrioritizationRule("r", "r", "Orange", "email", 1, "all", (), "urgent")
    ticket = TicketSnapshot(id="t", product=product, channel=channel)
    assert rule.matches(ticket) and decide_priority(ticket, [rule]).priority == "urgent"


def test_a_policy_for_a_product_matches_it_in_any_case() -> None:
    policy = SlaPolicy("p", "p", "Orange", "Email", "urgent", (Target("first_response", 30, 80),))
    assert match_policy(" orange ", "EMAIL", "urgent", [policy]) is policy
    assert match_policy("lemon", "email", "urgent", [policy]) is None

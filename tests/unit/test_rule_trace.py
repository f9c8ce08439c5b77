"""Why a rule fires: the rules tried in order up to it, each condition held or not (plugin.domain.rule_trace),
and the rule tester's service on the rules in force (plugin.services.rule_tester)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from plugin.domain.events import TicketSnapshot
from plugin.domain.rule_trace import describe, trace_rules
from plugin.domain.rules import Condition, PrioritizationRule, decide_priority
from plugin.services.rule_tester import explain_rules
from plugin.services.settings_changes import SettingsChange, replace_settings
from tests.unit.fakes import FakeUnitOfWork, example_settings, install_tenant


def rule(rule_id: str, position: int, *conditions: Condition, match: Literal["all", "any"] = "all",
         product: str = "Orange", channel: str = "email", priority: str = "high") -> PrioritizationRule:
    return PrioritizationRule(rule_id, rule_id.title(), product, channel, position, match, conditions, priority)


VIP = rule("vip", 1, Condition("requester_domain", "in", ("vip.example", "gold.example")),
           Condition("tags", "contains", "urgent"))
OUTAGE = rule("outage", 2, Condition("subject", "contains", "outage"), Condition("body", "contains", "down"),
              match="any", priority="urgent")
LEMON = rule("lemon", 0, product="Lemon", priority="normal")
EVERYTHING = rule("everything", 3, product="*", channel="*", priority="normal")


def test_the_rules_before_the_one_that_fires_are_listed_with_each_condition() -> None:
    ticket = TicketSnapshot("T-1", "orange", " Email ", subject="Outage!", requester_email="ada@vip.example",
                            tags=("billing",))

    trace = trace_rules(ticket, [EVERYTHING, OUTAGE, VIP, LEMON])

    assert trace.decision == decide_priority(ticket, [EVERYTHING, OUTAGE, VIP, LEMON])
    assert [(check.rule.id, check.in_scope, check.fires) for check in trace.tried] == [
        ("lemon", False, False), ("vip", True, False), ("outage", True, True)]
    vip = trace.tried[1]
    assert [(check.holds, check.seen) for check in vip.conditions] == [(True, ("vip.example",)),
                                                                       (False, ("billing",))]
    assert trace.reason == ("rule 'Outage' is for product 'Orange' and channel 'email', and subject contains "
                            "'outage' (any one of its conditions is enough)")


def test_all_conditions_are_named_when_all_must_hold() -> None:
    ticket = TicketSnapshot("T-1", "Orange", "email", requester_email="bo@gold.example", tags=("Urgent-now",))
    trace = trace_rules(ticket, [VIP])
    assert trace.reason == ("rule 'Vip' is for product 'Orange' and channel 'email', and all of its conditions "
                            "hold: requester_domain is one of 'vip.example', 'gold.example'; tags contains 'urgent'")


def test_a_rule_without_conditions_matches_every_ticket_of_its_scope() -> None:
    trace = trace_rules(TicketSnapshot("T-1", "Kiwi", "chat"), [EVERYTHING])
    assert trace.reason == ("rule 'Everything' is for any product and any channel and has no conditions: it "
                            "matches every such ticket")


def test_no_match_says_whether_any_rule_was_for_the_tickets_product_and_channel() -> None:
    nothing_for_it = trace_rules(TicketSnapshot("T-1", "Kiwi", "chat"), [VIP, OUTAGE])
    assert (nothing_for_it.decision.rule, nothing_for_it.decision.priority) == (None, "low")
    assert nothing_for_it.reason == ("no rule is for product 'Kiwi' and channel 'chat'; a ticket no rule matches "
                                     "gets priority low")
    none_held = trace_rules(TicketSnapshot("T-1", "Orange", "email", subject="Invoice"), [VIP, OUTAGE])
    assert [check.fires for check in none_held.tried] == [False, False]
    assert none_held.reason.startswith("no rule for product 'Orange' and channel 'email' matched")


def test_conditions_read_in_words() -> None:
    assert describe(Condition("body", "not_contains", "spam")) == "body does not contain 'spam'"
    assert describe(Condition("tags", "in", ("a", "b"))) == "tags is one of 'a', 'b'"


def test_the_service_explains_with_the_rules_in_force_and_names_the_policy_that_follows() -> None:
    uow = FakeUnitOfWork()
    tenant = install_tenant(uow)
    replace_settings(uow, tenant, example_settings(), SettingsChange("ada", datetime(2026, 3, 2, tzinfo=UTC)))

    explained = explain_rules(uow, tenant, TicketSnapshot("T-1", "Orange", "email", body="I cannot log in"))

    assert explained.trace.decision.rule is not None and explained.trace.decision.rule.id == "orange-email-urgent"
    assert explained.policy is not None and explained.policy.id == "orange-email-urgent"
    assert "body contains 'cannot log in'" in explained.trace.reason
    unmatched = explain_rules(uow, tenant, TicketSnapshot("T-2", "Orange", "email", subject="Invoice"))
    assert (unmatched.trace.decision.priority, unmatched.policy) == ("low", None)

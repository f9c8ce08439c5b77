"""The prioritization rules panel: an admin builds a rule with conditions, sees a problem next to the
condition it concerns without losing what was typed, reorders rules by keyboard and by drag, tests a
sample ticket (the rule, why, the priority, the policy), comes back to the SLA policy that needed the
rule; an agent reads the rules without edit controls."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from .conftest import EXAMPLE, PageVisit, UiStack, screenshot

ACCOUNT = "rules-co"
LEMONS = [{"id": f"lemon-{name}", "name": f"Lemon {name}", "product": "Lemon", "channel": "chat", "position": 10 + n,
           "conditions": [{"field": "subject", "op": "contains", "value": name}], "priority": "normal"}
          for n, name in enumerate(("first", "second", "third"))]


@pytest.fixture(scope="module")
def account(ui_stack: UiStack) -> str:
    settings = json.loads((EXAMPLE / "settings.json").read_text())
    settings["prioritization_rules"] += LEMONS
    ui_stack.install(ACCOUNT, settings)
    return ACCOUNT


def rules_tab(ui_stack: UiStack, visit: Callable[..., PageVisit], role: str = "admin") -> PageVisit:
    shown = visit(ui_stack.settings_url(ACCOUNT, role=role, tab="rules"))
    shown.page.get_by_role("region", name="Rules for Orange · email").wait_for()
    return shown


def lemon_order(ui_stack: UiStack) -> list[str]:
    listed = ui_stack.api(ACCOUNT, "GET", "/rules").json()["rules"]
    return [rule["id"] for rule in listed if rule["product"] == "Lemon"]


def test_an_admin_creates_a_rule_with_two_conditions_and_the_api_returns_it(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    shown = rules_tab(ui_stack, visit)
    page = shown.page
    page.get_by_role("button", name="New rule").click()
    form = page.get_by_role("form", name="New rule")
    assert form.get_by_label("Rule name").evaluate("node => node === document.activeElement")
    form.get_by_label("Rule name").fill("VIP chats")
    form.get_by_label("Product").fill("Orange")
    form.get_by_label("Channel").fill("chat")
    form.get_by_label("Priority it sets").select_option("high")
    form.get_by_label("Match").select_option("any")
    form.get_by_role("button", name="Add condition").click()
    form.get_by_label("Condition 1 field").select_option("requester_domain")
    form.get_by_label("Condition 1 operator").select_option("in")
    form.get_by_label("Condition 1 value").fill("vip.example, bigco.example")
    form.get_by_role("button", name="Add condition").click()
    form.get_by_label("Condition 2 field").select_option("tags")
    form.get_by_label("Condition 2 operator").select_option("is")
    form.get_by_label("Condition 2 value").fill("vip")
    form.get_by_role("button", name="Save rule").click()
    page.get_by_role("region", name="Rules for Orange · chat").get_by_text("VIP chats").wait_for()

    saved = ui_stack.api(ACCOUNT, "GET", "/rules/vip-chats")
    assert saved.status_code == 200, saved.text
    rule = saved.json()
    assert (rule["product"], rule["channel"], rule["priority"], rule["match"]) == ("Orange", "chat", "high", "any")
    assert rule["conditions"] == [{"field": "requester_domain", "op": "in", "value": ["vip.example", "bigco.example"]},
                                  {"field": "tags", "op": "is", "value": "vip"}]
    assert shown.foreign_requests(ui_stack.origin) == []


def test_an_invalid_condition_value_is_shown_next_to_it_and_nothing_typed_is_lost(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = rules_tab(ui_stack, visit).page
    page.get_by_role("button", name="New rule").click()
    form = page.get_by_role("form", name="New rule")
    form.get_by_label("Rule name").fill("Web outages")
    form.get_by_label("Product").fill("Orange")
    form.get_by_label("Channel").fill("web")
    form.get_by_label("Priority it sets").select_option("urgent")
    form.get_by_role("button", name="Add condition").click()
    form.get_by_label("Condition 1 value").fill("outage")
    form.get_by_role("button", name="Add condition").click()
    form.get_by_label("Condition 2 operator").select_option("in")
    form.get_by_label("Condition 2 value").fill(" , ")  # no value in the list
    form.get_by_role("button", name="Save rule").click()

    value = form.get_by_label("Condition 2 value")
    error = form.locator(f"#{value.get_attribute('id')}-error")
    error.wait_for()
    assert error.inner_text() == "operator 'in' takes a non-empty list of strings"
    assert value.get_attribute("aria-invalid") == "true"
    assert value.evaluate("node => node === document.activeElement")
    assert [form.get_by_label(label).input_value() for label in ("Rule name", "Product", "Channel",
                                                                 "Condition 1 value", "Condition 2 value")] == [
        "Web outages", "Orange", "web", "outage", " , "]
    assert ui_stack.api(ACCOUNT, "GET", "/rules/web-outages").status_code == 404

    value.fill("outage, down")
    form.get_by_role("button", name="Save rule").click()
    page.get_by_role("region", name="Rules for Orange · web").wait_for()
    assert ui_stack.api(ACCOUNT, "GET", "/rules/web-outages").json()["conditions"][1]["value"] == ["outage", "down"]


def test_the_tester_names_the_rule_why_the_priority_and_the_policy(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = rules_tab(ui_stack, visit).page
    tester = page.get_by_role("form", name="Rule tester")
    tester.get_by_label("Ticket product").fill("Orange")
    tester.get_by_label("Ticket channel").fill("email")
    tester.get_by_label("Subject").fill("Outage in Ankara")
    tester.get_by_role("button", name="Test", exact=True).click()

    verdict = tester.locator(".tester-verdict")
    verdict.get_by_text("fires").wait_for()
    assert verdict.inner_text() == "Rule “Outages on Orange email” fires → priority Urgent"
    reason = tester.locator(".tester-reason").inner_text()
    assert "subject contains 'outage' (any one of its conditions is enough)" in reason
    assert tester.locator(".tester-policy").inner_text() == "Orange urgent email"
    assert tester.locator(".checklist li.holds").inner_text().startswith("✓ Subject contains “outage”")
    screenshot(page, "rules")

    tester.get_by_text("Or paste a ticket (JSON)").click()
    tester.get_by_label("Ticket JSON").fill(json.dumps({"type": "ticket.created", "data": {"ticket": {
        "id": 7, "product": "Orange", "channel": "email", "subject": "Hello", "body": "I CANNOT LOG IN",
        "requester": {"name": "Ada", "email": None}, "status": "new"}}}))
    tester.get_by_role("button", name="Use this ticket").click()
    tester.locator(".tester-reason").get_by_text("body contains 'cannot log in'").wait_for()
    assert tester.get_by_label("Subject").input_value() == "Hello"

    tester.get_by_label("Ticket product").fill("Kiwi")
    tester.get_by_role("button", name="Test", exact=True).click()
    tester.locator(".tester-verdict").get_by_text("No rule matched").wait_for()
    assert tester.locator(".tester-verdict").inner_text() == "No rule matched: priority low"


def test_reordering_by_keyboard_and_by_drag_changes_the_order_the_api_returns(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = rules_tab(ui_stack, visit).page
    group = page.get_by_role("region", name="Rules for Lemon · chat")
    assert group.locator(".rule-name").all_inner_texts() == ["Lemon first", "Lemon second", "Lemon third"]

    move_up = group.get_by_role("button", name="Move Lemon second up")
    move_up.focus()
    page.keyboard.press("Enter")
    group.locator(".rule-row").first.get_by_text("Lemon second").wait_for()
    assert lemon_order(ui_stack) == ["lemon-second", "lemon-first", "lemon-third"]
    # focus stays with the moved rule: at the top "Move up" is disabled, so "Move down" has it
    moved_down = group.get_by_role("button", name="Move Lemon second down")
    assert moved_down.evaluate("node => node === document.activeElement")

    group.locator('[data-rule="lemon-third"]').focus()
    page.keyboard.press("Alt+ArrowUp")
    group.locator(".rule-row").nth(1).get_by_text("Lemon third").wait_for()
    assert lemon_order(ui_stack) == ["lemon-second", "lemon-third", "lemon-first"]

    group.locator('[data-rule="lemon-first"]').drag_to(group.locator('[data-rule="lemon-second"]'),
                                                      target_position={"x": 40, "y": 4})
    group.locator(".rule-row").first.get_by_text("Lemon first").wait_for()
    assert lemon_order(ui_stack) == ["lemon-first", "lemon-second", "lemon-third"]
    orange = ui_stack.api(ACCOUNT, "GET", "/rules").json()["rules"][0]
    assert orange["id"] == "orange-email-urgent"  # the other groups keep their places


def test_the_rule_a_policy_needs_is_created_prefilled_and_the_policy_is_resumed(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = visit(ui_stack.settings_url(ACCOUNT, tab="policies")).page
    page.get_by_role("button", name="New SLA policy").click()
    policy = page.get_by_role("form", name="New SLA policy")
    policy.get_by_label("Name").fill("Kiwi phone")
    policy.get_by_label("Product").fill("Kiwi")
    policy.get_by_label("Channel").fill("phone")
    policy.get_by_role("button", name="Create a rule for Kiwi / phone").click()

    form = page.get_by_role("form", name="New rule")
    assert form.get_by_label("Rule name").evaluate("node => node === document.activeElement")
    assert [form.get_by_label(label).input_value() for label in ("Rule name", "Product", "Channel", "Priority it sets")
            ] == ["Kiwi phone urgent", "Kiwi", "phone", "urgent"]  # the policy's priority comes along
    form.get_by_role("button", name="Save rule").click()
    back = form.get_by_role("button", name="Back to the SLA policy")
    back.wait_for()
    assert ui_stack.api(ACCOUNT, "GET", "/rules/kiwi-phone-urgent").json()["priority"] == "urgent"

    back.click()
    assert policy.get_by_label("Name").input_value() == "Kiwi phone"
    assert page.get_by_role("tab", name="SLA policies").get_attribute("aria-selected") == "true"


def test_an_agent_reads_the_rules_without_edit_controls(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = rules_tab(ui_stack, visit, role="agent").page
    panel = page.locator("#panel-rules")
    assert not panel.get_by_role("button", name="New rule").is_visible()
    for name in ("Edit", "Delete", "Move", "Add condition"):
        assert panel.get_by_role("button", name=name).count() == 0, name
    assert panel.locator('[draggable="true"]').count() == 0
    panel.get_by_role("button", name="View Outages on Orange email").click()
    form = page.get_by_role("form", name="Outages on Orange email")
    assert form.get_by_label("Condition 1 value").is_disabled()
    assert form.get_by_role("button", name="Save rule").count() == 0

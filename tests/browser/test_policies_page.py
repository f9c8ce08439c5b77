"""The SLA policies panel: an admin sets up the worked example's SLA, sees problems next to the fields they
concern without losing what was typed, and an agent can read but not save."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .conftest import PageVisit, UiStack, screenshot

CALENDAR = {"id": "istanbul-office", "name": "Istanbul office", "timezone": "Europe/Istanbul",
            "hours": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}}
RULE = {"id": "orange-email", "name": "Orange email", "product": "Orange", "channel": "email",
        "conditions": [{"field": "subject", "op": "contains", "value": "outage"}], "priority": "urgent"}


@pytest.fixture(scope="module")
def account(ui_stack: UiStack) -> str:
    ui_stack.install("policies-co", {"timezone": "Europe/Istanbul", "calendars": [CALENDAR],
                                     "prioritization_rules": [RULE]}, timezone="Europe/Istanbul")
    return "policies-co"


def open_editor(shown: PageVisit) -> Any:
    page = shown.page
    page.get_by_role("button", name="New SLA policy").click()
    return page.get_by_role("form", name="New SLA policy")


def test_an_admin_creates_the_worked_examples_sla_and_the_api_returns_it(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    shown = visit(ui_stack.settings_url(account))
    form = open_editor(shown)
    form.get_by_label("Name").fill("Orange urgent email")
    form.get_by_label("Description (optional)").fill("The worked example of the original description")
    form.get_by_label("Product").fill("Orange")
    form.get_by_label("Channel").fill("email")
    form.get_by_label("Priority").select_option("urgent")
    form.get_by_label("Business hours").select_option("istanbul-office")
    form.get_by_label("Minutes").fill("30")
    form.get_by_label("Targeted success rate (%)").fill("80")
    form.locator(".preview").get_by_text("A ticket created now would be due").wait_for()
    screenshot(shown.page, "policies-editor")
    form.get_by_role("button", name="Save policy").click()
    shown.page.get_by_role("table", name="SLA policies").get_by_text("Orange urgent email").wait_for()
    assert shown.page.get_by_role("form", name="New SLA policy").count() == 0  # saved: the editor closed
    screenshot(shown.page, "policies")

    saved = ui_stack.api(account, "GET", "/policies/orange-urgent-email")
    assert saved.status_code == 200, saved.text
    policy = saved.json()
    assert (policy["product"], policy["channel"], policy["priority"], policy["calendar"]) == \
        ("Orange", "email", "urgent", "istanbul-office")
    assert policy["targets"] == [{"metric": "first_response", "minutes": 30, "success_rate_percent": 80}]
    assert shown.foreign_requests(ui_stack.origin) == []


def test_an_invalid_field_shows_its_message_next_to_it_and_keeps_what_was_typed(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    shown = visit(ui_stack.settings_url(account))
    form = open_editor(shown)
    form.get_by_label("Name").fill("Too fast")
    form.get_by_label("Product").fill("Orange")
    form.get_by_label("Priority").select_option("high")
    form.get_by_label("Minutes").fill("0")
    form.get_by_role("button", name="Save policy").click()

    minutes = form.get_by_label("Minutes")
    error = form.locator(f"#{minutes.get_attribute('id')}-error")
    error.wait_for()
    assert "greater than or equal to 1" in error.inner_text()
    assert minutes.get_attribute("aria-invalid") == "true"
    assert form.get_by_label("Name").input_value() == "Too fast"
    assert ui_stack.api(account, "GET", "/policies/too-fast").status_code == 404


def test_a_policy_without_its_rule_is_flagged_inline_and_not_saved(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    shown = visit(ui_stack.settings_url(account))
    form = open_editor(shown)
    form.get_by_label("Name").fill("Lemon chat")
    form.get_by_label("Product").fill("Lemon")
    form.get_by_label("Channel").fill("chat")
    form.get_by_label("Minutes").fill("15")
    warning = form.locator("#policy-needs-rule")
    warning.wait_for()
    assert "Lemon / chat" in warning.inner_text()
    assert form.get_by_role("button", name="Create a rule for Lemon / chat").is_visible()

    form.get_by_role("button", name="Save policy").click()
    product_error = form.locator(f"#{form.get_by_label('Product').get_attribute('id')}-error")
    product_error.wait_for()
    assert "needs a prioritization rule" in product_error.inner_text()
    assert form.get_by_label("Name").input_value() == "Lemon chat"


def test_an_agent_reads_the_policies_and_cannot_save(ui_stack: UiStack, account: str,
                                                     visit: Callable[..., PageVisit]) -> None:
    shown = visit(ui_stack.settings_url(account, role="agent"))
    page = shown.page
    page.get_by_text("Read-only").wait_for()
    page.get_by_role("tab", name="SLA policies").click()
    assert page.get_by_role("button", name="New SLA policy").is_hidden()
    # Even a script of the page holding the agent's session is refused by the API.
    status = page.evaluate("""async () => {
        const ui = await import('/ui/static/ui.js');
        try { await ui.api('POST', '/policies', {body: {}}); return 200; } catch (failure) { return failure.status; }
    }""")
    assert status == 403

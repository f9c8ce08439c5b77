"""The story of the issue: an admin who has never seen the plugin sets up the worked example of the original
description through the pages alone — a calendar, the rule, and the SLA for Orange / email / Urgent (first
response in 30 minutes, 80 %) — starting from the SLA, as a newcomer would, and the API then returns all three."""

from __future__ import annotations

from collections.abc import Callable

from .conftest import PageVisit, UiStack

ACCOUNT = "newcomer-co"


def test_a_newcomer_sets_up_the_worked_example_through_the_pages(
        ui_stack: UiStack, visit: Callable[..., PageVisit]) -> None:
    ui_stack.install(ACCOUNT, timezone="Europe/Istanbul")
    shown = visit(ui_stack.settings_url(ACCOUNT))
    page = shown.page

    page.get_by_role("tab", name="Calendars").click()
    page.get_by_role("button", name="New calendar").click()
    calendar = page.get_by_role("form", name="New calendar")
    calendar.get_by_label("Calendar name").fill("Istanbul office")
    calendar.get_by_label("Time zone").fill("Europe/Istanbul")
    calendar.get_by_role("button", name="Save calendar").click()
    page.get_by_role("table", name="Calendars").get_by_text("Istanbul office").wait_for()

    page.get_by_role("tab", name="SLA policies").click()
    page.get_by_role("button", name="New SLA policy").click()
    policy = page.get_by_role("form", name="New SLA policy")
    policy.get_by_label("Name").fill("Orange urgent email")
    policy.get_by_label("Product").fill("Orange")
    policy.get_by_label("Channel").fill("email")
    policy.get_by_label("Priority").select_option("urgent")
    policy.get_by_label("Business hours").select_option(label="Istanbul office — Europe/Istanbul")
    policy.get_by_label("Minutes").fill("30")
    policy.get_by_label("Targeted success rate (%)").fill("80")
    policy.get_by_role("button", name="Create a rule for Orange / email").click()  # SLAs need their rule first

    rule = page.get_by_role("form", name="New rule")
    rule.get_by_label("Rule name").fill("Outages on Orange email")
    rule.get_by_label("Match").select_option("any")
    rule.get_by_role("button", name="Add condition").click()
    rule.get_by_label("Condition 1 field").select_option("subject")
    rule.get_by_label("Condition 1 operator").select_option("contains")
    rule.get_by_label("Condition 1 value").fill("outage")
    rule.get_by_role("button", name="Save rule").click()
    rule.get_by_role("button", name="Back to the SLA policy").click()

    assert policy.get_by_label("Minutes").input_value() == "30"  # nothing typed was lost on the way
    policy.locator(".preview").get_by_text("A ticket created now would be due").wait_for()
    policy.get_by_role("button", name="Save policy").click()
    page.get_by_role("table", name="SLA policies").get_by_text("Orange urgent email").wait_for()

    settings = ui_stack.api(ACCOUNT, "GET", "/settings").json()
    [saved_calendar] = settings["calendars"]
    assert (saved_calendar["name"], saved_calendar["timezone"]) == ("Istanbul office", "Europe/Istanbul")
    [saved_rule] = settings["prioritization_rules"]
    assert (saved_rule["product"], saved_rule["channel"], saved_rule["priority"], saved_rule["conditions"]) == \
        ("Orange", "email", "urgent", [{"field": "subject", "op": "contains", "value": "outage"}])
    [saved_policy] = settings["sla_policies"]
    assert (saved_policy["product"], saved_policy["channel"], saved_policy["priority"], saved_policy["calendar"]) == \
        ("Orange", "email", "urgent", saved_calendar["id"])
    assert saved_policy["targets"] == [{"metric": "first_response", "minutes": 30, "success_rate_percent": 80}]
    assert shown.foreign_requests(ui_stack.origin) == []

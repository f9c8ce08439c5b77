"""The What-if tab: the worked example's events uploaded, a draft that gives urgent email a first response
within 60 minutes, the current and the draft reports side by side; nothing saved until the draft is applied."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import EXAMPLE, PageVisit, UiStack, screenshot

ACCOUNT = "whatif-co"
EVENTS = EXAMPLE / "events.jsonl"
MINUTES = "Orange urgent email: First response minutes"


@pytest.fixture(scope="module")
def account(ui_stack: UiStack) -> str:
    ui_stack.install(ACCOUNT, json.loads((EXAMPLE / "settings.json").read_text()))
    return ACCOUNT


def saved_settings(ui_stack: UiStack) -> tuple[Any, str]:
    answer = ui_stack.api(ACCOUNT, "GET", "/settings")
    assert answer.status_code == 200, answer.text
    return answer.json(), answer.headers["ETag"]


def open_whatif(ui_stack: UiStack, visit: Callable[..., PageVisit], role: str = "admin") -> PageVisit:
    shown = visit(ui_stack.settings_url(ACCOUNT, role, tab="whatif"))
    shown.page.get_by_role("heading", name="What-if").wait_for()
    return shown


def compare(page: Any, events: Path, minutes: str) -> Any:
    page.get_by_label("Events file").set_input_files(str(events))
    page.get_by_label(MINUTES).fill(minutes)
    page.get_by_role("button", name="Compare").click()


def test_the_current_and_the_draft_reports_side_by_side_and_nothing_saved(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    before = saved_settings(ui_stack)
    shown = open_whatif(ui_stack, visit)
    page = shown.page
    problems: list[str] = []  # CSP refusals and script errors show in the console
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    compare(page, EVENTS, "60")
    results = page.get_by_role("region", name="What-if results")
    results.get_by_text("Replayed 220 events of 120 tickets").wait_for()

    current = results.get_by_role("region", name="Current settings").inner_text()
    draft = results.get_by_role("region", name="Draft").inner_text()
    assert "70.0 % / 80 %" in current and "70 of 100 met · 10 missed" in current
    assert "82.0 % / 80 %" in draft and "82 of 100 met · 0 missed" in draft and "+12.0 pts" in draft

    row = results.get_by_role("table", name="Current and draft reports by period").locator("tbody tr")
    assert row.count() == 1
    cells = row.first.locator("td").all_inner_texts()
    assert cells[1:3] == ["Orange urgent email", "First response"]
    assert cells[3].startswith("70.0 % / 80 %") and cells[4].startswith("82.0 % / 80 %") and cells[5] == "+12.0 pts"

    results.get_by_label("Periods").select_option("hourly")
    hourly = results.get_by_role("table", name="Current and draft reports by period").locator("tbody tr")
    hourly.nth(3).wait_for()
    assert hourly.count() == 4
    results.get_by_label("Periods").select_option("daily")
    row.first.wait_for()
    screenshot(page, "whatif")

    assert saved_settings(ui_stack) == before  # a comparison saves nothing
    assert shown.foreign_requests(ui_stack.origin) == []
    assert problems == []


def test_a_bad_line_of_the_file_is_named_next_to_the_file_field(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit], tmp_path: Path) -> None:
    lines = EVENTS.read_text().splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([lines[0], "{this is not json", *lines[1:]]) + "\n")
    page = open_whatif(ui_stack, visit).page
    compare(page, broken, "30")
    error = page.locator(".whatif-upload .field-error:not([hidden])")
    error.wait_for()
    assert error.inner_text().startswith("line 2: not valid JSON")
    assert page.get_by_label("Events file").get_attribute("aria-invalid") == "true"


def test_an_invalid_draft_shows_the_problem_next_to_its_field_and_keeps_what_was_typed(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = open_whatif(ui_stack, visit).page
    compare(page, EVENTS, "0")
    minutes = page.get_by_label(MINUTES)
    page.wait_for_function("() => document.querySelector('.whatif-draft [aria-invalid=\"true\"]') !== null")
    assert minutes.get_attribute("aria-invalid") == "true"
    message = page.locator(f"#{minutes.get_attribute('id')}-error").inner_text()
    assert "greater than or equal to 1" in message
    assert minutes.input_value() == "0"


def test_an_agent_may_compare_drafts_but_not_apply_them(ui_stack: UiStack, account: str,
                                                         visit: Callable[..., PageVisit]) -> None:
    page = open_whatif(ui_stack, visit, role="agent").page
    assert "only an admin of your helpdesk can apply one" in page.locator("#panel-whatif").inner_text()
    assert page.get_by_role("button", name="Compare").count() == 1
    assert page.get_by_role("button", name="Apply the draft").is_hidden()


def test_applying_the_draft_saves_it_through_the_settings_api(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    versions = len(ui_stack.api(ACCOUNT, "GET", "/settings/versions").json()["versions"])
    page = open_whatif(ui_stack, visit).page
    page.get_by_label(MINUTES).fill("60")
    page.get_by_label("Orange urgent email: First response success rate (%)").fill("85")
    page.get_by_role("button", name="Apply the draft").click()
    page.get_by_text("The draft is saved").wait_for()
    saved, _etag = saved_settings(ui_stack)
    target = saved["sla_policies"][0]["targets"][0]
    assert (target["minutes"], target["success_rate_percent"]) == (60, 85)
    assert len(ui_stack.api(ACCOUNT, "GET", "/settings/versions").json()["versions"]) == versions + 1
    assert page.get_by_label(MINUTES).input_value() == "60"  # the draft starts again from what is saved


def test_the_stored_history_can_be_compared_too(ui_stack: UiStack, account: str,
                                                visit: Callable[..., PageVisit]) -> None:
    page = open_whatif(ui_stack, visit).page
    page.get_by_role("radio", name="The last 30 days of this account's stored history").check()
    assert page.get_by_label("Events file").is_hidden()
    page.get_by_role("button", name="Compare").click()
    results = page.get_by_role("region", name="What-if results")
    results.get_by_text("Replayed 0 events of 0 tickets").wait_for()  # this account's webhooks sent none
    assert "No targets were decided on these events under either settings" in results.inner_text()


def test_a_draft_older_than_the_saved_settings_is_not_applied(ui_stack: UiStack, account: str,
                                                               visit: Callable[..., PageVisit]) -> None:
    page = open_whatif(ui_stack, visit).page
    page.get_by_label(MINUTES).fill("45")
    saved, _etag = saved_settings(ui_stack)
    saved["sla_policies"][0]["description"] = "Changed by another admin meanwhile"
    assert ui_stack.api(ACCOUNT, "PUT", "/settings", json=saved).status_code == 200
    page.get_by_role("button", name="Apply the draft").click()
    page.get_by_text("The settings were saved again").wait_for()
    after, _etag = saved_settings(ui_stack)
    assert after["sla_policies"][0]["description"] == "Changed by another admin meanwhile"
    assert after["sla_policies"][0]["targets"][0]["minutes"] != 45
    page.get_by_role("button", name="Reset the draft").click()
    page.get_by_text("The draft is back to the settings in force.").wait_for()
    page.get_by_role("button", name="Apply the draft").click()
    page.get_by_text("The draft is saved").wait_for()

"""The Reports tab on the worked example, ingested through the running stack: the daily row (100 targets,
70 met, 70.0 % against 80 %, 10 missed), the chart the server draws, the targets at risk and the CSV."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import signed_headers

from .conftest import EXAMPLE, PageVisit, UiStack, screenshot

ACCOUNT = "reports-co"
WORKED_DAY = "2026-03-02"


def worked_example_settings() -> dict[str, Any]:
    """The example's settings, warning 25 minutes before a first response is due (for the at-risk list)."""
    settings = json.loads((EXAMPLE / "settings.json").read_text())
    settings["sla_policies"][0]["warn_before_minutes"] = 25
    return settings


def at_risk_event(account: str, created: datetime) -> str:
    """A new urgent ticket, created 10 minutes ago and not answered: inside its warning window."""
    at = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"id": "evt-at-risk", "type": "ticket.created", "occurred_at": at, "account_id": account,
                       "data": {"ticket": {"id": "AR-1", "product": "Orange", "channel": "email",
                                           "subject": "Service outage in Izmir", "body": "Nothing loads.",
                                           "status": "new", "priority": None, "tags": [],
                                           "requester": {"name": "Ada", "email": "ada@example.com"},
                                           "created_at": at, "updated_at": at}}})


@pytest.fixture(scope="module")
def account(ui_stack: UiStack) -> str:
    """The worked example's events, sent signed to the account's webhook endpoint and applied by the worker."""
    installed = ui_stack.sandbox.install(ACCOUNT)
    assert installed["plugin"]["status"] == 200, installed["plugin"]
    ui_stack.sandbox.save_settings(ACCOUNT, worked_example_settings())
    lines = (EXAMPLE / "events.jsonl").read_text().splitlines()
    bodies = [line.replace('"account_id": "acme"', f'"account_id": "{ACCOUNT}"') for line in lines]
    bodies.append(at_risk_event(ACCOUNT, datetime.now(UTC) - timedelta(minutes=10)))
    with requests.Session() as http:
        for body in bodies:
            sent = http.post(f"{ui_stack.origin}/webhooks/{ACCOUNT}", data=body,
                             headers=signed_headers(installed["webhook_secret"], body), timeout=10)
            assert sent.status_code == 200, sent.text
    ui_stack.wait_drained(ACCOUNT)
    return ACCOUNT


def open_reports(ui_stack: UiStack, visit: Callable[..., PageVisit], role: str = "admin") -> PageVisit:
    shown = visit(ui_stack.settings_url(ACCOUNT, role, tab="reports"))
    shown.page.get_by_role("heading", name="Performance").wait_for()
    shown.page.locator("#panel-reports .report-table:not([aria-busy])").wait_for()
    return shown


def show_worked_day(page: Any) -> Any:
    page.get_by_label("From").fill(WORKED_DAY)
    page.get_by_label("To").fill(WORKED_DAY)
    page.get_by_role("button", name="Show report").click()
    row = page.get_by_role("table", name="Report rows").locator("tbody tr")
    row.first.wait_for()
    return row


def test_the_default_range_is_the_last_seven_days_and_says_what_to_do_when_empty(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = open_reports(ui_stack, visit).page
    today = datetime.now(UTC).date()  # the account's zone is UTC
    assert page.get_by_label("From").input_value() == (today - timedelta(days=6)).isoformat()
    assert page.get_by_label("To").input_value() == today.isoformat()
    panel = page.locator("#panel-reports")
    assert "No targets were decided in this range." in panel.locator(".report-table").inner_text()
    assert "No targets were decided in this range" in panel.locator(".report-chart svg desc").text_content()


def test_the_worked_examples_daily_row_its_chart_and_the_targets_at_risk(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    shown = open_reports(ui_stack, visit)
    page = shown.page
    problems: list[str] = []  # CSP refusals and script errors show in the console
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    rows = show_worked_day(page)
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[:6] == ["Mon 2 Mar", "Orange urgent email", "First response", "100", "70", "30"]
    assert cells[6].startswith("70.0 % / 80 %") and "below target" in cells[6]
    assert cells[7] == "10"
    assert all(cell.endswith(("s", "min", "h")) for cell in cells[8:10]), cells  # human units, not seconds
    assert "below-target" in (rows.first.get_attribute("class") or "")

    chart = page.locator("#panel-reports .report-chart svg")
    assert chart.get_attribute("role") == "img"
    assert chart.locator("title").first.text_content() == "Daily achieved against targeted success rate"
    assert "70.0 % achieved (70 of 100 met) against 80 % targeted" in (chart.locator("desc").text_content() or "")
    assert chart.locator("rect > title").count() == 1

    at_risk = page.get_by_role("table", name="Targets at risk").locator("tbody tr")
    assert at_risk.count() == 1
    ticket, policy, metric, _due, left = at_risk.first.locator("td").all_inner_texts()
    assert (ticket, policy, metric) == ("AR-1", "Orange urgent email", "First response")
    assert left.endswith("min")
    screenshot(page, "reports")
    assert shown.foreign_requests(ui_stack.origin) == []
    assert problems == []


def test_the_hourly_report_and_its_chart(ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = open_reports(ui_stack, visit).page
    show_worked_day(page)
    page.get_by_label("Period").select_option("hourly")
    rows = page.get_by_role("table", name="Report rows").locator("tbody tr")
    rows.nth(3).wait_for()
    assert [rows.nth(index).locator("td").nth(3).inner_text() for index in range(4)] == ["19", "39", "25", "17"]
    page.wait_for_function("() => document.querySelectorAll('#panel-reports svg rect > title').length === 4")


def test_the_csv_download_holds_the_rows_of_the_query(ui_stack: UiStack, account: str,
                                                      visit: Callable[..., PageVisit]) -> None:
    page = open_reports(ui_stack, visit).page
    show_worked_day(page)
    with page.expect_download() as started:
        page.get_by_role("button", name="Download CSV").click()
    download = started.value
    assert download.suggested_filename == f"sla-report-daily-{WORKED_DAY}-to-{WORKED_DAY}.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("period,period_start,policy,metric,total,met,breached,achieved_percent")
    assert len(lines) == 2 and ",100,70,30,70.0,80,10," in lines[1]


def test_an_agent_reads_the_report(ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = open_reports(ui_stack, visit, role="agent").page
    rows = show_worked_day(page)
    assert "70.0 % / 80 %" in rows.first.inner_text()


def test_a_range_that_ends_before_it_starts_is_named_next_to_the_field(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = open_reports(ui_stack, visit).page
    page.get_by_label("From").fill("2026-03-05")
    page.get_by_label("To").fill("2026-03-02")
    page.get_by_role("button", name="Show report").click()
    error = page.locator("#panel-reports .field-error:not([hidden])")
    error.wait_for()
    assert error.inner_text() == "must be after from"
    assert page.get_by_label("To").get_attribute("aria-invalid") == "true"

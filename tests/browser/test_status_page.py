"""The Status tab: delivery paused after a 401 and why, dead letters with a retry button (admins only), the
inbox, the summaries posted and the settings versions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.conftest import wait_for
from tests.unit.fakes import example_settings

from .conftest import PageVisit, UiStack, screenshot

ACCOUNT = "status-co"
PAUSED = "status-paused-co"


def outage(ticket_id: str) -> dict[str, Any]:
    return {"id": ticket_id, "product": "Orange", "channel": "email", "subject": "Service outage",
            "requester": {"name": "Ada", "email": "ada@example.com"}}


def delivery(ui_stack: UiStack, account: str) -> dict[str, Any]:
    answer = ui_stack.api(account, "GET", "/delivery")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture(scope="module")
def account(ui_stack: UiStack) -> Iterator[str]:
    """The worked example; the helpdesk refuses (422) the plugin's priority write for ST-1: a dead letter."""
    ui_stack.install(ACCOUNT, example_settings())
    ui_stack.sandbox.add_fault(mode="refused", methods=["PATCH"], paths=["/api/v1/tickets/ST-1"])
    ui_stack.sandbox.create_ticket(ACCOUNT, outage("ST-1"))
    wait_for(lambda: delivery(ui_stack, ACCOUNT)["commands"]["dead"] == 1, 30, "the dead letter")
    yield ACCOUNT


def open_status(ui_stack: UiStack, visit: Callable[..., PageVisit], account: str, role: str = "admin") -> Any:
    shown = visit(ui_stack.settings_url(account, role, tab="status"))
    shown.page.get_by_role("heading", name="Dead letters").wait_for()
    return shown


def test_an_agent_sees_the_dead_letter_and_no_retry_button(ui_stack: UiStack, account: str,
                                                            visit: Callable[..., PageVisit]) -> None:
    shown = open_status(ui_stack, visit, account, role="agent")
    row = shown.page.get_by_role("row", name="Set the priority")
    assert "ST-1" in row.inner_text() and "422" in row.inner_text()
    assert shown.page.get_by_role("button", name="Retry dead letters").count() == 0
    assert "An admin can send them again." in shown.page.locator("#panel-status").inner_text()


def test_the_admin_sees_the_installations_health_and_retries_the_dead_letter(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    shown = open_status(ui_stack, visit, account)
    panel = shown.page.locator("#panel-status")
    text = panel.inner_text()
    assert "Running" in text and "Tags, notes, priorities and summaries reach your helpdesk." in text
    assert "No event failed." in text and "none posted yet" in text
    versions = shown.page.get_by_role("region", name="Settings versions")
    assert "sandbox-admin" in versions.get_by_role("row").nth(1).inner_text()
    assert "in force" in versions.inner_text()
    row = shown.page.get_by_role("row", name="Set the priority")
    assert "ST-1" in row.inner_text() and "refused" in row.inner_text()
    shown.page.wait_for_load_state("networkidle")
    assert shown.foreign_requests(ui_stack.origin) == []
    screenshot(shown.page, "status")

    shown.page.get_by_role("button", name="Retry dead letters").click()
    shown.page.get_by_text("1 dead letter queued again.").wait_for()
    shown.page.get_by_text("None: the helpdesk accepted every call it was sent.").wait_for()
    wait_for(lambda: delivery(ui_stack, account)["commands"]["done"] >= 1, 30, "the priority write")
    tickets = ui_stack.sandbox.state()["accounts"][account]["tickets"]
    assert [(t["priority"], t["priority_set_by"]) for t in tickets if t["id"] == "ST-1"] == [("urgent", "plugin")]


def test_delivery_paused_after_a_401_says_why_and_what_to_do(ui_stack: UiStack,
                                                             visit: Callable[..., PageVisit]) -> None:
    ui_stack.install(PAUSED, example_settings())
    ui_stack.sandbox.revoke(PAUSED)
    try:
        ui_stack.sandbox.create_ticket(PAUSED, outage("SP-1"))
        wait_for(lambda: delivery(ui_stack, PAUSED)["paused"], 30, "delivery to pause")
        shown = open_status(ui_stack, visit, PAUSED)
        alert = shown.page.get_by_role("alert").filter(has_text="Paused")
        assert "Paused: nothing is sent to your helpdesk." in alert.inner_text()
        assert "401" in alert.inner_text() and "install the SLA plugin again" in alert.inner_text()
    finally:
        ui_stack.sandbox.restore(PAUSED)

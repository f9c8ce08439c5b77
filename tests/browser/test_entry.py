"""Entering the embedded pages: the host's one-time token, the frame that may hold them, and a clear page
for every token that cannot open them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.support import host_token, new_webhook_secret

from .conftest import PageVisit, UiStack, screenshot

FOREIGN = "http://elsewhere.test"


@pytest.fixture(scope="module")
def account(ui_stack: UiStack) -> str:
    ui_stack.install("entry-co")
    return "entry-co"


def test_the_settings_app_opens_with_its_tabs_and_asks_nothing_of_other_origins(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    shown = visit(ui_stack.settings_url(account))
    tabs = shown.page.get_by_role("tab")
    assert tabs.all_inner_texts() == ["SLA policies", "Rules", "Calendars", "Reports", "What-if", "Status"]
    assert shown.page.get_by_role("tab", name="SLA policies").get_attribute("aria-selected") == "true"
    shown.page.wait_for_load_state("networkidle")
    assert shown.foreign_requests(ui_stack.origin) == []


def test_the_page_never_shows_its_session_token_in_the_document(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    shown = visit(ui_stack.settings_url(account))
    shown.page.wait_for_load_state("networkidle")
    assert shown.page.locator('meta[name="sla-session"]').count() == 0


@pytest.mark.parametrize(("make_url", "title", "status"), [
    (lambda stack, account: f"{stack.origin}/settings", "This page opens from your helpdesk", 400),
    (lambda stack, account: f"{stack.origin}/settings?token=" + host_token(
        stack.plugin.app_secret, account, now=datetime.now(UTC) - timedelta(minutes=10)),
     "This link has expired", 401),
    (lambda stack, account: f"{stack.origin}/settings?token=" + host_token(new_webhook_secret(), account),
     "This link could not be verified", 401),
    (lambda stack, account: f"{stack.origin}/settings?token=not.a.jwt", "This link could not be verified", 401),
    (lambda stack, account: f"{stack.origin}/settings?token=" + host_token(stack.plugin.app_secret, "nobody-co"),
     "The SLA plugin is not installed for this account", 404),
    (lambda stack, account: stack.sidebar_url(account, "") , "Which ticket?", 400),
], ids=["missing", "expired", "forged", "malformed", "not-installed", "sidebar-without-ticket"])
def test_a_token_that_cannot_open_the_page_gets_a_page_that_says_why_and_what_to_do(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit],
        make_url: Callable[[UiStack, str], str], title: str, status: int) -> None:
    url = make_url(ui_stack, account)
    assert requests.get(url, timeout=10).status_code == status
    shown = visit(url)
    assert shown.page.get_by_role("heading", level=1).inner_text() == title
    assert "What to do:" in shown.page.locator(".problem-remedy").inner_text()
    assert "Traceback" not in shown.page.content()


def test_a_reused_token_gets_the_already_used_page(ui_stack: UiStack, account: str,
                                                   visit: Callable[..., PageVisit]) -> None:
    url = ui_stack.settings_url(account)
    assert requests.get(url, timeout=10).status_code == 200
    shown = visit(url)
    assert shown.page.get_by_role("heading", level=1).inner_text() == "This link was already used"
    screenshot(shown.page, "token-problem")


def frame_page(visit: Callable[..., PageVisit], outer_origin: str, inner_url: str) -> tuple[PageVisit, list[str]]:
    """A page of ``outer_origin`` (answered by the browser's router) that frames ``inner_url``."""
    shown = visit("about:blank")
    console: list[str] = []
    shown.page.on("console", lambda message: console.append(message.text))
    outer = f"{outer_origin}/admin-frame"
    shown.page.route(outer, lambda route: route.fulfill(
        content_type="text/html", body=f'<!doctype html><iframe src="{inner_url}" width="800" height="600"></iframe>'))
    shown.page.goto(outer)
    return shown, console


def test_the_page_loads_in_a_frame_of_its_helpdesk_and_is_refused_by_any_other(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    shown, _console = frame_page(visit, ui_stack.sandbox.base_url, ui_stack.settings_url(account))
    framed: Any = shown.page.frame_locator("iframe")
    framed.get_by_role("tab", name="SLA policies").wait_for()

    refused, console = frame_page(visit, FOREIGN, ui_stack.settings_url(account))
    refused.page.wait_for_load_state("load")
    refused.page.wait_for_timeout(500)
    assert refused.page.frame_locator("iframe").get_by_role("tab").count() == 0
    assert any("frame-ancestors" in line for line in console), console

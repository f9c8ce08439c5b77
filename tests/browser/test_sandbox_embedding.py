"""The sandbox helpdesk embeds the plugin as a real helpdesk does: its admin page frames the settings page,
its ticket page the sidebar, each with a freshly signed token. The plugin's pages load in frames of the
sandbox's origin (the install's host_origin) and are refused when the same sandbox page is reached under
another origin."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.unit.fakes import example_settings

from .conftest import PageVisit, UiStack, screenshot

ACCOUNT = "embed-co"


@pytest.fixture(scope="module")
def account(ui_stack: UiStack) -> Iterator[str]:
    ui_stack.install(ACCOUNT, example_settings())
    ui_stack.sandbox.create_ticket(ACCOUNT, {"id": "EMB/1", "product": "Orange", "channel": "email",
                                             "subject": "Service outage"})
    ui_stack.wait_drained(ACCOUNT)
    yield ACCOUNT


def inner_width(page: Any, path: str) -> int:
    """The width of the plugin's page inside the frame."""
    frame = next(frame for frame in page.frames if urlsplit(frame.url).path == path)
    return int(frame.evaluate("() => window.innerWidth"))


def console_of(page: Any) -> list[str]:
    lines: list[str] = []
    page.on("console", lambda message: lines.append(message.text))
    return lines


def test_the_admin_page_frames_the_settings_page_and_the_ticket_page_the_sidebar(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    sandbox = ui_stack.sandbox.base_url
    listing = visit(f"{sandbox}/", width=1100)
    listing.page.get_by_role("link", name="Admin: SLA plugin settings").first.wait_for()
    assert listing.page.locator(f'a[href="/accounts/{account}/admin"]').count() == 1
    assert listing.page.locator(f'a[href="/accounts/{account}/tickets/EMB%2F1"]').count() == 1

    admin = visit(f"{sandbox}/accounts/{account}/admin", width=880, height=1000)
    frame: Any = admin.page.frame_locator("#sla-settings")
    frame.get_by_role("tab", name="SLA policies").wait_for()
    assert frame.get_by_text("Orange urgent email").first.is_visible()
    assert inner_width(admin.page, "/settings") == 800
    admin.page.wait_for_load_state("networkidle")
    assert admin.foreign_requests(sandbox, ui_stack.origin) == []
    screenshot(admin.page, "sandbox-admin")

    ticket = visit(f"{sandbox}/accounts/{account}/tickets/EMB%2F1", width=1100)
    sidebar: Any = ticket.page.frame_locator("#sla-sidebar")
    first = sidebar.get_by_role("article", name="First response")
    first.wait_for()
    assert "due in" in first.inner_text()
    assert inner_width(ticket.page, "/sidebar") == 320


def test_the_same_sandbox_page_under_another_origin_gets_a_refused_frame(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    port = urlsplit(ui_stack.sandbox.base_url).port
    shown = visit("about:blank")
    console = console_of(shown.page)
    shown.page.goto(f"http://localhost:{port}/accounts/{account}/admin")  # the sandbox, but not its origin
    assert shown.page.get_by_role("heading", level=1).inner_text().startswith("Apps › SLA plugin")
    shown.page.wait_for_load_state("load")
    shown.page.wait_for_timeout(500)
    assert shown.page.frame_locator("#sla-settings").get_by_role("tab").count() == 0
    assert any("frame-ancestors" in line for line in console), console

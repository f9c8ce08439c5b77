"""What holds on every page of the settings app and in the sidebar, with the worked example loaded: every
form control has a label (or an accessible name), and no request leaves the plugin's origin."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests

from tests.support import signed_headers

from .conftest import EXAMPLE, PageVisit, UiStack

ACCOUNT = "every-page-co"
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter((control) => control.type !== 'hidden' && control.offsetParent !== null)
    .filter((control) => !(control.labels && control.labels.length) && !control.getAttribute('aria-label')
                         && !control.getAttribute('aria-labelledby'))
    .map((control) => control.outerHTML.slice(0, 120))"""
EDITORS = {"policies": "New SLA policy", "rules": "New rule", "calendars": "New calendar"}


@pytest.fixture(scope="module")
def account(ui_stack: UiStack) -> str:
    """The worked example's settings and its first 40 events, sent signed and applied."""
    installed = ui_stack.sandbox.install(ACCOUNT)
    assert installed["plugin"]["status"] == 200, installed["plugin"]
    ui_stack.sandbox.save_settings(ACCOUNT, json.loads((EXAMPLE / "settings.json").read_text()))
    with requests.Session() as http:
        for line in (EXAMPLE / "events.jsonl").read_text().splitlines()[:40]:
            body = line.replace('"account_id": "acme"', f'"account_id": "{ACCOUNT}"')
            sent = http.post(f"{ui_stack.origin}/webhooks/{ACCOUNT}", data=body,
                             headers=signed_headers(installed["webhook_secret"], body), timeout=10)
            assert sent.status_code == 200, sent.text
    ui_stack.wait_drained(ACCOUNT)
    return ACCOUNT


@pytest.mark.parametrize("tab", ["policies", "rules", "calendars", "reports", "whatif", "status"])
def test_every_control_of_a_tab_has_a_label_and_nothing_comes_from_elsewhere(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit], tab: str) -> None:
    shown = visit(ui_stack.settings_url(account, tab=tab))
    page = shown.page
    page.wait_for_function(f"() => !document.querySelector('#panel-{tab} .loading')")
    if tab in EDITORS:
        page.get_by_role("button", name=EDITORS[tab]).click()
        page.get_by_role("form", name=EDITORS[tab]).wait_for()
    page.wait_for_load_state("networkidle")
    assert page.evaluate(UNLABELLED) == []
    assert shown.foreign_requests(ui_stack.origin) == []


def test_the_sidebar_asks_nothing_of_another_origin(ui_stack: UiStack, account: str,
                                                    visit: Callable[..., PageVisit]) -> None:
    shown = visit(ui_stack.sidebar_url(account, "T001"), width=320)
    shown.page.wait_for_function("() => !document.querySelector('#sidebar-targets .loading')")
    shown.page.wait_for_load_state("networkidle")
    assert shown.page.evaluate(UNLABELLED) == []
    assert shown.foreign_requests(ui_stack.origin) == []

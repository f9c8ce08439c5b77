"""The rep's ticket sidebar: each target with its state, its due instant and a live countdown in business
time (ticking while the calendar is open, waiting while it is closed), breached, at-risk and paused targets
marked, and a friendly word for a ticket no SLA applies to."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from plugin.domain.calendar import WEEKDAYS

from .conftest import PageVisit, UiStack, screenshot

ACCOUNT = "sidebar-co"
ISTANBUL = ZoneInfo("Europe/Istanbul")


def _rule(product: str, channel: str) -> dict[str, Any]:
    return {"id": f"{product}-{channel}".lower(), "name": f"{product} {channel}", "product": product,
            "channel": channel, "match": "all", "conditions": [], "priority": "urgent", "position": 1}


def _policy(product: str, channel: str, calendar: str | None, targets: dict[str, int]) -> dict[str, Any]:
    return {"id": f"{product}-{channel}-urgent".lower(), "name": f"{product} {channel} urgent", "product": product,
            "channel": channel, "priority": "urgent", "calendar": calendar, "warn_before_minutes": 10,
            "targets": [{"metric": metric, "minutes": minutes, "success_rate_percent": 80}
                        for metric, minutes in targets.items()]}


def settings() -> dict[str, Any]:
    """Orange email runs 24/7; Orange chat on a calendar open around the clock in Istanbul; Lemon web on
    one that opens only the day after tomorrow (closed now, whatever the day)."""
    later = WEEKDAYS[(datetime.now(ISTANBUL).weekday() + 2) % 7]
    return {
        "timezone": "Europe/Istanbul",
        "calendars": [
            {"id": "always", "name": "Around the clock", "timezone": "Europe/Istanbul",
             "hours": {day: [["00:00", "24:00"]] for day in WEEKDAYS}, "holidays": []},
            {"id": "later", "name": "Later this week", "timezone": "Europe/Istanbul",
             "hours": {later: [["09:00", "17:00"]]}, "holidays": []},
        ],
        "prioritization_rules": [_rule("Orange", "email"), _rule("Orange", "chat"), _rule("Lemon", "web")],
        "sla_policies": [
            _policy("Orange", "email", None, {"first_response": 30, "resolution": 125}),
            _policy("Orange", "chat", "always", {"first_response": 60}),
            _policy("Lemon", "web", "later", {"first_response": 60}),
        ],
    }


def ticket(ticket_id: str, product: str, channel: str) -> dict[str, Any]:
    return {"id": ticket_id, "product": product, "channel": channel, "subject": "Service outage",
            "requester": {"name": "Ada", "email": "ada@example.com"}}


@pytest.fixture(scope="module")
def account(ui_stack: UiStack) -> Iterator[str]:
    ui_stack.install(ACCOUNT, settings(), timezone="Europe/Istanbul")
    sandbox = ui_stack.sandbox
    try:  # a ticket created two hours ago: its 30-minute first response is breached, its resolution at risk
        sandbox.set_clock(datetime.now(UTC) - timedelta(hours=2))
        sandbox.create_ticket(ACCOUNT, ticket("S-LATE", "Orange", "email"))
    finally:
        sandbox.set_clock(None)
    sandbox.create_ticket(ACCOUNT, ticket("S-RUN", "Orange", "email"))
    sandbox.create_ticket(ACCOUNT, ticket("S-PAUSED", "Orange", "email"))
    sandbox.update_ticket(ACCOUNT, "S-PAUSED", {"status": "pending"})
    sandbox.create_ticket(ACCOUNT, ticket("S-CAL", "Orange", "chat"))
    sandbox.create_ticket(ACCOUNT, ticket("S-CLOSED", "Lemon", "web"))
    ui_stack.wait_drained(ACCOUNT)
    yield ACCOUNT


def card(page: Any, name: str) -> Any:
    return page.get_by_role("article", name=name)


def seconds_of(countdown: str) -> int:
    """'12:05', '1:02:05' or '2 d 03:10:05' as seconds."""
    days = re.match(r"(\d+) d ", countdown)
    parts = [int(part) for part in countdown.rsplit(" ", maxsplit=1)[-1].split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    return (int(days.group(1)) if days else 0) * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2]


def test_a_running_24_7_target_counts_down_every_second_and_asks_only_the_plugin(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    shown = visit(ui_stack.sidebar_url(account, "S-RUN"), width=320)
    first = card(shown.page, "First response")
    assert "First response due in" in first.locator(".target-sentence").inner_text()
    assert first.locator(".target-sentence").inner_text().endswith("— 24/7")
    before = seconds_of(first.locator(".countdown").inner_text())
    shown.page.wait_for_timeout(2100)
    after = seconds_of(first.locator(".countdown").inner_text())
    assert 25 * 60 < after < before <= 30 * 60 and before - after in (2, 3)
    assert "Due " in first.locator(".target-detail").inner_text()
    assert "Policy: Orange email urgent" in shown.page.locator("#sidebar-policy").inner_text()
    assert shown.foreign_requests(ui_stack.origin) == []
    assert shown.page.evaluate("() => document.documentElement.scrollWidth") <= 320  # fits the frame


def test_a_breached_target_is_marked_and_one_inside_its_warning_window_is_at_risk(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    shown = visit(ui_stack.sidebar_url(account, "S-LATE"), width=320)
    breached = card(shown.page, "First response")
    assert "state-breached" in (breached.get_attribute("class") or "")
    assert breached.locator(".badge").inner_text() == "Breached"
    assert re.fullmatch(r"First response breached 1 h (29|30|31) min ago",
                        breached.locator(".target-sentence").inner_text())
    resolution = card(shown.page, "Resolution")
    assert "state-at-risk" in (resolution.get_attribute("class") or "")
    assert resolution.locator(".badge").inner_text() == "At risk"
    shown.page.wait_for_load_state("networkidle")
    screenshot(shown.page, "sidebar")


def test_a_paused_target_shows_the_time_it_has_left(ui_stack: UiStack, account: str,
                                                    visit: Callable[..., PageVisit]) -> None:
    shown = visit(ui_stack.sidebar_url(account, "S-PAUSED"), width=320)
    resolution = card(shown.page, "Resolution")
    assert "state-paused" in (resolution.get_attribute("class") or "")
    assert re.fullmatch(r"Resolution paused — 2 h 0[45] min left", resolution.locator(".target-sentence").inner_text())


def test_business_hours_count_while_open_and_wait_while_closed(ui_stack: UiStack, account: str,
                                                               visit: Callable[..., PageVisit]) -> None:
    shown = visit(ui_stack.sidebar_url(account, "S-CAL"), width=320)
    first = card(shown.page, "First response")
    assert re.fullmatch(r"First response due in (59|60) min — business hours, Europe/Istanbul \(Around the clock\)",
                        first.locator(".target-sentence").inner_text())

    closed = visit(ui_stack.sidebar_url(account, "S-CLOSED"), width=320)
    waiting = card(closed.page, "First response")
    later = WEEKDAYS[(datetime.now(ISTANBUL).weekday() + 2) % 7].capitalize()
    sentence = waiting.locator(".target-sentence").inner_text()
    assert sentence == f"First response: 1 h 00 min left — resumes {later} 09:00"
    assert waiting.locator(".countdown").inner_text() == "1:00:00"
    closed.page.wait_for_timeout(1100)
    assert waiting.locator(".countdown").inner_text() == "1:00:00"  # no business time passes while closed


def test_a_ticket_no_sla_applies_to_gets_a_friendly_word(ui_stack: UiStack, account: str,
                                                         visit: Callable[..., PageVisit]) -> None:
    shown = visit(ui_stack.sidebar_url(account, "NOT-SEEN"), width=320)
    shown.page.get_by_text("No SLA applies to this ticket (yet)").wait_for()
    assert shown.page.get_by_role("article").count() == 0

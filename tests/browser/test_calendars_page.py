"""The calendars panel: an admin builds a calendar with several windows a day, a holiday and a time zone,
imports a country's holidays, sees a window's problem next to its day without losing what was typed, and
reads the coming two weeks' open hours with the DST change marked; an agent sees no edit controls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .conftest import PageVisit, UiStack, screenshot

ACCOUNT = "calendars-co"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NEW_YORK = {"id": "new-york", "name": "New York office", "timezone": "America/New_York",
            "hours": {**{day: [["09:00", "17:00"]] for day in WEEKDAYS}, "sun": [["00:00", "24:00"]]},
            "holidays": [{"date": "2027-03-12", "name": "Company day"}]}


@pytest.fixture(scope="module")
def account(ui_stack: UiStack) -> str:
    ui_stack.install(ACCOUNT, {"calendars": [NEW_YORK]})
    return ACCOUNT


def calendars_tab(ui_stack: UiStack, visit: Callable[..., PageVisit], role: str = "admin") -> PageVisit:
    shown = visit(ui_stack.settings_url(ACCOUNT, role=role, tab="calendars"))
    shown.page.get_by_role("table", name="Calendars").wait_for()
    return shown


def open_hours_from(page: Any, day: str) -> tuple[Any, Any, Any]:
    """Edit the New York office and show its open hours from ``day``: the form, the open hours' region
    and their table, once ``day``'s row is there."""
    page.get_by_role("button", name="Edit New York office").click()
    form = page.get_by_role("form", name="Edit “New York office”")
    view = form.get_by_role("region", name="Open hours, next two weeks")
    view.get_by_label("From").fill(day)
    table = view.get_by_role("table", name="Open hours by day")
    table.locator(f"tr[data-date='{day}']").wait_for()
    return form, view, table


def test_an_admin_creates_a_calendar_with_two_windows_on_monday_and_a_holiday(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    shown = calendars_tab(ui_stack, visit)
    page = shown.page
    page.get_by_role("button", name="New calendar").click()
    form = page.get_by_role("form", name="New calendar")
    form.get_by_label("Calendar name").fill("Istanbul office")
    form.get_by_label("Time zone").fill("Europe/Istanbul")
    assert page.locator("#calendar-zones option[value='Europe/Istanbul']").count() == 1  # the picker's list
    form.get_by_label("Monday window 1 closes").fill("12:00")
    form.get_by_role("button", name="Add a window on Monday").click()
    assert form.get_by_label("Monday window 2 opens").input_value() == "12:00"  # starts where the last one ended
    form.get_by_label("Monday window 2 opens").fill("13:00")
    form.get_by_label("Monday window 2 closes").fill("18:00")
    form.get_by_role("button", name="Remove Friday window 1").click()
    form.get_by_label("Holiday date").fill("2027-04-23")
    form.get_by_label("Holiday name (optional)").fill("National Sovereignty Day")
    form.get_by_role("button", name="Add holiday").click()
    assert form.get_by_label("Holiday 1 name").input_value() == "National Sovereignty Day"
    form.get_by_role("button", name="Save calendar").click()
    page.get_by_role("table", name="Calendars").get_by_text("Istanbul office").wait_for()

    saved = ui_stack.api(ACCOUNT, "GET", "/calendars/istanbul-office")
    assert saved.status_code == 200, saved.text
    calendar = saved.json()
    assert calendar["timezone"] == "Europe/Istanbul"
    assert calendar["hours"] == {"mon": [["09:00", "12:00"], ["13:00", "18:00"]],
                                 **{day: [["09:00", "18:00"]] for day in ("tue", "wed", "thu")}}
    assert calendar["holidays"] == [{"date": "2027-04-23", "name": "National Sovereignty Day"}]
    assert shown.foreign_requests(ui_stack.origin) == []


def test_a_windows_problem_is_shown_next_to_its_day_and_nothing_typed_is_lost(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = calendars_tab(ui_stack, visit).page
    page.get_by_role("button", name="New calendar").click()
    form = page.get_by_role("form", name="New calendar")
    form.get_by_label("Calendar name").fill("Night shift")
    form.get_by_label("Time zone").fill("Asia/Tokyo")
    form.get_by_label("Tuesday window 1 closes").fill("08:00")
    form.get_by_role("button", name="Save calendar").click()

    error = form.locator("#calendar-day-tue-error")
    error.wait_for()
    assert error.inner_text() == "window 09:00–08:00 is reversed or empty"
    assert form.locator("#calendar-day-tue").get_attribute("aria-invalid") == "true"
    assert (form.get_by_label("Calendar name").input_value(), form.get_by_label("Time zone").input_value(),
            form.get_by_label("Tuesday window 1 closes").input_value()) == ("Night shift", "Asia/Tokyo", "08:00")
    assert ui_stack.api(ACCOUNT, "GET", "/calendars/night-shift").status_code == 404


def test_the_next_two_weeks_show_the_dst_change_and_the_holiday(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = calendars_tab(ui_stack, visit).page
    form, view, table = open_hours_from(page, "2027-03-08")

    sunday = table.locator("tr[data-date='2027-03-14']")
    assert "Clocks go forward 02:00 → 03:00" in sunday.inner_text()
    assert "23 h 00 min" in sunday.inner_text()  # the day clocks spring forward is an hour short
    assert "day-dst" in (sunday.get_attribute("class") or "")
    assert "Holiday: Company day" in table.locator("tr[data-date='2027-03-12']").inner_text()
    monday, next_monday = (table.locator(f"tr[data-date='{day}']") for day in ("2027-03-08", "2027-03-15"))
    assert "09:00–17:00" in monday.inner_text() and "14:00–22:00" in monday.inner_text()
    assert "13:00–21:00" in next_monday.inner_text()  # the same local hours, an hour earlier in UTC
    assert "UTC−05:00 → UTC−04:00" in view.locator(".dst-note").inner_text()

    form.get_by_label("Monday window 1 closes").fill("12:00")  # the draft's open hours, unsaved
    monday.get_by_text("09:00–12:00").wait_for()
    screenshot(page, "calendars")


def test_an_answer_that_comes_back_late_does_not_replace_the_newer_one(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = calendars_tab(ui_stack, visit).page
    held: list[Any] = []

    def hold_the_first(route: Any) -> None:  # the open hours from today, asked as the editor opens
        if not held:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/v1/calendars/preview", hold_the_first)
    _form, _view, table = open_hours_from(page, "2027-03-08")
    assert len(held) == 1
    with page.expect_response("**/api/v1/calendars/preview"):
        held[0].continue_()
    page.wait_for_timeout(500)  # time for the page to read the late answer (it shows it at once, if at all)
    assert table.locator("tr[data-date='2027-03-08']").is_visible()
    assert table.locator("tr").count() == 15  # a header and the 14 days asked for last


def test_a_countrys_public_holidays_are_imported_for_a_year(
        ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = calendars_tab(ui_stack, visit).page
    page.get_by_role("button", name="Edit New York office").click()
    form = page.get_by_role("form", name="Edit “New York office”")
    form.get_by_label("Import from country").select_option("US")
    form.get_by_label("Year", exact=True).fill("2027")
    form.get_by_role("button", name="Import holidays").click()
    form.get_by_label("Holiday 4 name").wait_for()
    names = [form.get_by_label(f"Holiday {n} name").input_value() for n in (1, 2, 3)]
    assert names == ["New Year's Day", "Martin Luther King Jr. Day", "Washington's Birthday"]
    form.get_by_label("Public holidays every year").select_option("US")
    form.get_by_label("Region (optional)").fill("NY")
    form.get_by_role("button", name="Save calendar").click()
    page.get_by_role("table", name="Calendars").get_by_text("US-NY public holidays").wait_for()

    calendar = ui_stack.api(ACCOUNT, "GET", "/calendars/new-york").json()
    assert {"date": "2027-07-05", "name": "Independence Day (observed)"} in calendar["holidays"]
    assert {"date": "2027-03-12", "name": "Company day"} in calendar["holidays"]
    assert calendar["holiday_preset"] == {"country": "US", "subdivision": "NY"}


def test_an_agent_sees_no_edit_controls(ui_stack: UiStack, account: str, visit: Callable[..., PageVisit]) -> None:
    page = calendars_tab(ui_stack, visit, role="agent").page
    panel = page.locator("#panel-calendars")
    assert not panel.get_by_role("button", name="New calendar").is_visible()
    for name in ("Edit", "Delete"):
        assert panel.get_by_role("button", name=name).count() == 0, name
    panel.get_by_role("button", name="View New York office").click()
    form = page.get_by_role("form", name="New York office")
    assert form.get_by_label("Monday window 1 opens").is_disabled()
    for name in ("Save calendar", "Add holiday", "Import holidays", "Remove", "Add a window"):
        assert form.get_by_role("button", name=name).count() == 0, name

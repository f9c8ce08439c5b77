"""A calendar's open hours day by day, its holidays and its zone's DST changes (plugin.domain.open_hours,
plugin.services.calendar_views), for a saved calendar or a draft; time zones and public holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from plugin.domain.calendar import BusinessCalendar
from plugin.domain.open_hours import offset_changes, open_days
from plugin.services.calendar_views import holiday_countries, preview_calendar, public_holidays, timezones
from plugin.services.settings_changes import ItemNotFound, SettingsChange, replace_settings
from plugin.settings.loading import SettingsError
from plugin.store.records import TenantRecord
from tests.unit.fakes import FakeUnitOfWork, example_settings, install_tenant

NOW = datetime(2027, 3, 10, 3, 0, tzinfo=UTC)  # Tuesday 9 March, 22:00 in New York
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NEW_YORK = {"id": "ny", "timezone": "America/New_York", "hours": {day: [["09:00", "17:00"]] for day in WEEKDAYS},
            "holidays": ["2027-03-12"]}


@pytest.fixture
def tenant(uow: FakeUnitOfWork) -> TenantRecord:
    tenant = install_tenant(uow)
    replace_settings(uow, tenant, {**example_settings(), "calendars": [NEW_YORK]}, SettingsChange("ada", NOW))
    return tenant


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_saved_calendar_starts_today_in_its_zone(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    preview = preview_calendar(uow, tenant, "ny", None, 14, NOW)

    assert (preview.calendar, preview.timezone, preview.first, len(preview.days)) == (
        "ny", "America/New_York", date(2027, 3, 9), 14)
    tuesday, friday = preview.days[0], preview.days[3]
    assert [(w.opens, w.closes, w.opens_at) for w in tuesday.windows] == [("09:00", "17:00", utc("2027-03-09T14:00"))]
    assert (friday.holiday, friday.windows, friday.open_seconds) == ("", (), 0)
    monday = preview.days[6]
    assert (monday.day, monday.weekday, monday.windows[0].opens_at) == (
        date(2027, 3, 15), "mon", utc("2027-03-15T13:00"))
    [change] = preview.offset_changes
    assert (change.at, change.day, change.direction, change.local_before, change.local_after) == (
        utc("2027-03-14T07:00"), date(2027, 3, 14), "forward", "02:00", "03:00")


def test_a_draft_is_previewed_with_its_presets_holiday_names(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    draft = {"id": "tr", "timezone": "Europe/Istanbul", "hours": {"mon": [["09:00", "12:00"], ["12:00", "18:00"]]},
             "holidays": [{"date": "2027-04-26", "name": "Spring cleaning"}],
             "holiday_preset": {"country": "TR", "subdivision": None}}

    preview = preview_calendar(uow, tenant, draft, date(2027, 4, 19), 8, NOW)

    assert [(day.day.day, day.holiday, day.open_seconds) for day in preview.days] == [
        (19, None, 9 * 3600), (20, None, 0), (21, None, 0), (22, None, 0),
        (23, "National Sovereignty and Children's Day", 0), (24, None, 0), (25, None, 0), (26, "Spring cleaning", 0)]
    assert [(w.opens, w.closes) for w in preview.days[0].windows] == [("09:00", "18:00")]  # touching windows: one
    assert preview.offset_changes == []


def test_a_drafts_problems_are_told_in_its_own_terms_and_an_unknown_id_is_not_found(
        uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    with pytest.raises(SettingsError) as zone:
        preview_calendar(uow, tenant, {"id": "x", "timezone": "Mars/Base", "hours": {"mon": [["09:00", "17:00"]]}},
                         None, 14, NOW)
    assert zone.value.problems == ["timezone: unknown IANA time zone 'Mars/Base'"]
    with pytest.raises(SettingsError) as windows:
        preview_calendar(uow, tenant, {"timezone": "UTC", "hours": {"mon": [["09:00", "08:00"]]}}, None, 14, NOW)
    assert windows.value.problems == ["hours.mon: window 09:00–08:00 is reversed or empty"]  # a draft needs no id
    with pytest.raises(ItemNotFound, match="no calendar has id 'nope'"):
        preview_calendar(uow, tenant, "nope", None, 14, NOW)


def test_days_when_clocks_change_are_an_hour_shorter_or_longer() -> None:
    around_the_clock = BusinessCalendar.from_hours("America/New_York", {"sun": [["00:00", "24:00"]]})
    spring, autumn = (open_days(around_the_clock, day, 1, {})[0] for day in (date(2027, 3, 14), date(2027, 11, 7)))
    assert [(w.opens, w.closes) for w in spring.windows] == [("00:00", "24:00")]
    assert (spring.open_seconds, autumn.open_seconds) == (23 * 3600, 25 * 3600)
    [back] = offset_changes("America/New_York", utc("2027-11-01T00:00"), utc("2027-11-10T00:00"))
    assert (back.direction, back.local_before, back.local_after, back.offset_after) == ("back", "02:00", "01:00",
                                                                                       -5 * 3600)


def test_a_window_across_the_spring_forward_gap_opens_and_closes_on_its_wall_clock_times() -> None:
    night = BusinessCalendar.from_hours("Europe/Istanbul", {"mon": [["01:00", "04:00"]]})
    berlin = BusinessCalendar.from_hours("Europe/Berlin", {"sun": [["01:00", "04:00"]]})
    [sunday] = open_days(berlin, date(2027, 3, 28), 1, {})
    assert [(w.opens, w.closes, w.opens_at, w.closes_at) for w in sunday.windows] == [
        ("01:00", "04:00", utc("2027-03-28T00:00"), utc("2027-03-28T02:00"))]
    assert sunday.open_seconds == 2 * 3600
    assert open_days(night, date(2027, 3, 29), 1, {})[0].open_seconds == 3 * 3600  # Istanbul keeps +03:00


def test_time_zones_and_public_holidays() -> None:
    assert "America/New_York" in timezones() and "localtime" not in timezones()
    assert public_holidays("TR", 2027)[0].name == "New Year's Day"
    assert [holiday.day for holiday in public_holidays("US", 2027, "CA")][:2] == [date(2027, 1, 1), date(2027, 1, 18)]
    turkey: Any = next(country for country in holiday_countries() if country.code == "TR")
    assert (turkey.name, turkey.subdivisions) == ("Turkey", [])

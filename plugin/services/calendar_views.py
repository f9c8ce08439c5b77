"""What the calendars page shows beside a calendar: its open hours day by day with its holidays and
DST changes (``preview_calendar``, for a saved calendar or a draft), the time zones a calendar may
use, and a country's public holidays from the ``holidays`` package."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_data
from holidays.registry import COUNTRIES

from plugin.domain.open_hours import OffsetChange, OpenDay, offset_changes, open_days
from plugin.domain.reports import day_start
from plugin.settings.loading import SettingsError, in_item_terms, read_settings
from plugin.settings.schemas import TIMEZONES, CalendarSchema
from plugin.store.records import TenantRecord

from .settings_changes import ItemNotFound
from .settings_versions import settings_in_force
from .unit_of_work import UnitOfWork

DRAFT_ID = "draft"  # the id a draft without one is checked under
HOLIDAY_LANGUAGE = "en_US"  # names in English where the holidays package has them
_WORD_START = re.compile(r"(?<=[a-z])(?=[A-Z])")


@dataclass(frozen=True)
class CalendarPreview:
    calendar: str
    timezone: str
    first: date
    days: list[OpenDay]
    offset_changes: list[OffsetChange]


@dataclass(frozen=True)
class NamedHoliday:
    day: date
    name: str


@dataclass(frozen=True)
class HolidayCountry:
    code: str
    name: str
    subdivisions: list[str]


def preview_calendar(uow: UnitOfWork, tenant: TenantRecord, calendar: str | dict[str, Any], first: date | None,
                     count: int, now: datetime) -> CalendarPreview:
    """``count`` local days from ``first`` (default: today in the calendar's zone) of a saved
    calendar (its id) or a draft (checked as the calendars endpoints would check it)."""
    if isinstance(calendar, str):
        with uow:
            _version, document, _settings = settings_in_force(uow, tenant)
        item = next((found for found in document.get("calendars", []) if found.get("id") == calendar), None)
        if item is None:
            raise ItemNotFound(f"no calendar has id {calendar!r}")
    else:
        item = {"id": DRAFT_ID, **copy.deepcopy(calendar)}
    item_id = item["id"]
    checked = {"calendars": [item]}
    try:
        business = read_settings(checked).settings.calendars[item_id]
    except SettingsError as error:
        raise SettingsError(in_item_terms(error.problems, checked, "calendars", item_id)) from None
    data = CalendarSchema().load(item)
    zone = data["timezone"]
    first = first or now.astimezone(ZoneInfo(zone)).date()
    end = first + timedelta(days=count)
    names = _holiday_names(data, first, end)
    days = open_days(business, first, count, names)
    return CalendarPreview(item_id, zone, first, days,
                           offset_changes(zone, day_start(first, zone), day_start(end, zone)))


def public_holidays(country: str, year: int, subdivision: str | None = None) -> list[NamedHoliday]:
    """A country's (or subdivision's) public holidays of one year, in date order."""
    found = country_holidays(country, subdivision, [year])
    return [NamedHoliday(day, name) for day, name in sorted(found.items())]


def holiday_countries() -> list[HolidayCountry]:
    """The countries the holidays package knows (two-letter codes), by name."""
    codes = holiday_data.list_supported_countries(include_aliases=False)
    named = {code: name for name, code in _country_names()}
    return sorted((HolidayCountry(code, named.get(code, code), list(subdivisions))
                   for code, subdivisions in codes.items()), key=lambda country: country.name)


def timezones() -> tuple[str, ...]:
    """The IANA zones a calendar may name (the ones the settings schema accepts)."""
    return TIMEZONES


def country_holidays(country: str, subdivision: str | None, years: list[int]) -> Any:
    """The holidays package's entity for a country, with English names where it has them."""
    entity = holiday_data.country_holidays(country, subdiv=subdivision, years=years)
    if HOLIDAY_LANGUAGE in entity.supported_languages and entity.default_language != HOLIDAY_LANGUAGE:
        entity = holiday_data.country_holidays(country, subdiv=subdivision, years=years, language=HOLIDAY_LANGUAGE)
    return entity


def _holiday_names(data: dict[str, Any], first: date, end: date) -> dict[date, str]:
    """The calendar's holidays in ``[first, end)``: its own dates (their names, or "") and its preset's."""
    names: dict[date, str] = {}
    preset = data.get("holiday_preset")
    if preset:
        found = country_holidays(preset["country"], preset["subdivision"], list(range(first.year, end.year + 1)))
        names.update((day, name) for day, name in found.items() if first <= day < end)
    for day, name in data.get("holidays", []):
        if first <= day < end:
            names[day] = name or names.get(day, "")
    return names


def _country_names() -> list[tuple[str, str]]:
    """(name, code) of each country of the holidays package's registry ("UnitedStates" → "United States")."""
    return [(_WORD_START.sub(" ", entry[0]), entry[1]) for entry in COUNTRIES.values()]

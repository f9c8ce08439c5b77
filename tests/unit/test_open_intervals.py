"""The open intervals of a calendar between two instants, read from the engine's own clocks."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.domain.calendar import BusinessCalendar, TwentyFourSeven, to_epoch
from plugin.domain.open_intervals import next_open_second, open_intervals

OFFICE = {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def at(text: str) -> int:
    return to_epoch(datetime.fromisoformat(text))


def test_a_24_7_clock_is_open_throughout() -> None:
    found = open_intervals(TwentyFourSeven(), at("2026-03-02T09:00:00Z"), at("2026-03-09T09:00:00Z"))
    assert found.intervals == ((at("2026-03-02T09:00:00Z"), at("2026-03-09T09:00:00Z")),) and found.complete


def test_office_hours_in_istanbul_from_a_friday_afternoon_to_the_monday() -> None:
    calendar = BusinessCalendar.from_hours("Europe/Istanbul", OFFICE)
    found = open_intervals(calendar, at("2026-03-06T15:30:00+03:00"), at("2026-03-09T10:15:00+03:00"))
    assert found.intervals == ((at("2026-03-06T15:30:00+03:00"), at("2026-03-06T17:00:00+03:00")),
                               (at("2026-03-09T09:00:00+03:00"), at("2026-03-09T10:15:00+03:00")))
    assert found.complete


def test_windows_that_touch_across_midnight_are_one_interval() -> None:
    calendar = BusinessCalendar.from_hours("UTC", {"mon": [["18:00", "24:00"]], "tue": [["00:00", "06:00"]]})
    found = open_intervals(calendar, at("2026-03-02T00:00:00Z"), at("2026-03-04T00:00:00Z"))
    assert found.intervals == ((at("2026-03-02T18:00:00Z"), at("2026-03-03T06:00:00Z")),)


def test_holidays_and_a_dst_change_are_the_calendars_own() -> None:
    calendar = BusinessCalendar.from_hours("Europe/Berlin", {"sun": [["01:00", "04:00"]], "mon": [["09:00", "10:00"]]},
                                           holidays={date(2026, 3, 30)})
    found = open_intervals(calendar, at("2026-03-29T00:00:00Z"), at("2026-04-07T00:00:00Z"))
    # Sunday 29 March: 02:00 does not exist in Berlin, so the window is two hours long; Monday is a holiday.
    assert found.intervals == ((at("2026-03-29T00:00:00Z"), at("2026-03-29T02:00:00Z")),
                               (at("2026-04-05T01:00:00+02:00"), at("2026-04-05T04:00:00+02:00")),
                               (at("2026-04-06T09:00:00+02:00"), at("2026-04-06T10:00:00+02:00")))


def test_the_limit_cuts_the_list_and_says_so() -> None:
    calendar = BusinessCalendar.from_hours("UTC", OFFICE)
    found = open_intervals(calendar, at("2026-03-02T00:00:00Z"), at("2026-04-02T00:00:00Z"), limit=3)
    assert len(found.intervals) == 3 and not found.complete
    assert found.intervals[2] == (at("2026-03-03T09:00:00Z"), at("2026-03-03T12:00:00Z"))
    exact = open_intervals(calendar, at("2026-03-02T00:00:00Z"), at("2026-03-03T12:00:00Z"), limit=3)
    assert len(exact.intervals) == 3 and exact.complete


def test_an_empty_or_closed_span_has_no_interval() -> None:
    calendar = BusinessCalendar.from_hours("UTC", OFFICE)
    assert open_intervals(calendar, at("2026-03-07T00:00:00Z"), at("2026-03-08T00:00:00Z")).intervals == ()
    assert open_intervals(calendar, at("2026-03-02T10:00:00Z"), at("2026-03-02T10:00:00Z")).intervals == ()


def test_the_next_open_second() -> None:
    calendar = BusinessCalendar.from_hours("UTC", OFFICE)
    assert next_open_second(calendar, at("2026-03-02T12:30:00Z")) == at("2026-03-02T13:00:00Z")
    assert next_open_second(calendar, at("2026-03-02T10:00:00Z")) == at("2026-03-02T10:00:00Z")


@settings(max_examples=60, deadline=None)
@given(start=st.integers(0, 14 * 86_400), length=st.integers(0, 21 * 86_400),
       zone=st.sampled_from(["UTC", "Europe/Istanbul", "America/New_York", "Australia/Lord_Howe"]))
def test_the_intervals_hold_exactly_the_business_seconds_of_the_span(start: int, length: int, zone: str) -> None:
    calendar = BusinessCalendar.from_hours(zone, OFFICE | {"sat": [["10:00", "24:00"]], "sun": [["00:00", "02:00"]]})
    begin = at("2026-03-01T00:00:00Z") + start
    found = open_intervals(calendar, begin, begin + length, limit=10_000)
    assert sum(closes - opens for opens, closes in found.intervals) == calendar.business_seconds_ts(begin,
                                                                                                     begin + length)
    for (_, closes), (opens, _) in zip(found.intervals, found.intervals[1:], strict=False):
        assert closes < opens and calendar.business_seconds_ts(closes, opens) == 0  # a closed gap between runs
    for opens, closes in found.intervals:
        assert begin <= opens < closes <= begin + length


@pytest.mark.parametrize("instant", ["2026-03-02T08:59:59Z", "2026-03-02T16:59:59Z"])
def test_single_seconds_at_the_edges(instant: str) -> None:
    calendar = BusinessCalendar.from_hours("UTC", OFFICE)
    found = open_intervals(calendar, at(instant), at(instant) + 2)
    assert sum(closes - opens for opens, closes in found.intervals) == 1


"""Business calendars, spelled out by example.

Expected instants are written in UTC (``Z``), with the local wall-clock time in a comment, so each
example can be checked by hand against the definition in design.md §3.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from plugin.domain.calendar import BeyondHorizon, BusinessCalendar, NoBusinessTime, TwentyFourSeven

HOUR = 3600
NINE_TO_FIVE = [["09:00", "17:00"]]
WEEKDAYS_NINE_TO_FIVE = {day: NINE_TO_FIVE for day in ("mon", "tue", "wed", "thu", "fri")}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def only_on(weekday: str, *windows: tuple[str, str], zone: str = "UTC") -> BusinessCalendar:
    return BusinessCalendar.from_hours(zone, {weekday: [list(window) for window in windows]})


class EveryDate:
    """A holiday list that holds every date there is."""

    def __contains__(self, item: object) -> bool:
        return True


class EveryMonday:
    def __contains__(self, item: object) -> bool:
        return isinstance(item, date) and item.weekday() == 0


# -- windows, closes and roll-overs -------------------------------------------------------------


def test_deadline_inside_a_window_is_start_plus_budget() -> None:
    calendar = BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE)

    assert calendar.deadline(utc(2026, 3, 4, 10), 2 * HOUR) == utc(2026, 3, 4, 12)


def test_deadline_that_lands_at_the_close_is_the_close() -> None:
    calendar = BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE)

    assert calendar.deadline(utc(2026, 3, 4, 15), 2 * HOUR) == utc(2026, 3, 4, 17)
    assert calendar.deadline(utc(2026, 3, 4, 9), 8 * HOUR) == utc(2026, 3, 4, 17)


def test_one_second_past_the_close_rolls_to_the_next_opening() -> None:
    calendar = BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE)

    assert calendar.deadline(utc(2026, 3, 4, 15), 2 * HOUR + 1) == utc(2026, 3, 5, 9, 0, 1)


def test_deadline_before_opening_starts_counting_at_the_opening() -> None:
    calendar = BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE)

    assert calendar.deadline(utc(2026, 3, 4, 6), HOUR) == utc(2026, 3, 4, 10)


def test_deadline_rolls_over_the_weekend() -> None:
    calendar = BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE)

    # Friday 16:00 + 2 h = Monday 10:00.
    assert calendar.deadline(utc(2026, 3, 6, 16), 2 * HOUR) == utc(2026, 3, 9, 10)


def test_deadline_rolls_over_a_holiday() -> None:
    calendar = BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE, holidays={date(2026, 3, 5)})

    # Wednesday 16:00 + 2 h: one hour on Wednesday, Thursday is a holiday, one hour on Friday.
    assert calendar.deadline(utc(2026, 3, 4, 16), 2 * HOUR) == utc(2026, 3, 6, 10)
    assert calendar.business_seconds(utc(2026, 3, 4, 16), utc(2026, 3, 6, 10)) == 2 * HOUR


def test_deadline_started_on_a_holiday_waits_for_the_next_business_day() -> None:
    calendar = BusinessCalendar.from_hours(
        "UTC", WEEKDAYS_NINE_TO_FIVE, holidays={date(2026, 3, 5), date(2026, 3, 6)}
    )

    # Thursday and Friday are holidays: the clock starts on Monday morning.
    assert calendar.deadline(utc(2026, 3, 5, 12), 30 * 60) == utc(2026, 3, 9, 9, 30)


def test_holiday_is_a_local_date_of_the_calendar_zone() -> None:
    calendar = BusinessCalendar.from_hours(
        "Asia/Tokyo",
        {day: [["00:00", "24:00"]] for day in ("wed", "thu", "fri")},
        holidays={date(2026, 3, 5)},
    )

    # Thursday 2026-03-05 in Tokyo (+09:00) is 2026-03-04T15:00Z to 2026-03-05T15:00Z.
    assert calendar.business_seconds(utc(2026, 3, 4, 15), utc(2026, 3, 5, 15)) == 0
    assert calendar.business_seconds(utc(2026, 3, 4, 14), utc(2026, 3, 5, 16)) == 2 * HOUR
    assert not calendar.is_business_time(utc(2026, 3, 4, 16))  # Thursday 01:00 in Tokyo


def test_windows_are_open_at_the_opening_and_closed_at_the_close() -> None:
    calendar = BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE)

    assert calendar.is_business_time(utc(2026, 3, 4, 9))
    assert calendar.is_business_time(utc(2026, 3, 4, 16, 59, 59))
    assert not calendar.is_business_time(utc(2026, 3, 4, 17))
    assert not calendar.is_business_time(utc(2026, 3, 4, 8, 59, 59))


# -- several windows a day, "24:00" --------------------------------------------------------------


def test_several_windows_a_day_skip_the_gap_between_them() -> None:
    # Istanbul keeps +03:00 all year: 09:00 local is 06:00Z.
    hours = {day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    calendar = BusinessCalendar.from_hours("Europe/Istanbul", hours)

    # 11:00 local + 2 h = 12:00 (one hour), lunch, 13:00 + one hour = 14:00 local.
    assert calendar.deadline(utc(2026, 3, 4, 8), 2 * HOUR) == utc(2026, 3, 4, 11)
    # Landing at the lunch close gives the close, not the afternoon opening.
    assert calendar.deadline(utc(2026, 3, 4, 8), HOUR) == utc(2026, 3, 4, 9)
    assert calendar.business_seconds(utc(2026, 3, 4, 6), utc(2026, 3, 4, 15)) == 8 * HOUR
    assert not calendar.is_business_time(utc(2026, 3, 4, 9, 30))


def test_windows_may_be_listed_in_any_order() -> None:
    calendar = BusinessCalendar.from_hours("UTC", {"mon": [["14:00", "16:00"], ["08:00", "10:00"]]})

    assert calendar.deadline(utc(2026, 3, 2, 9), 2 * HOUR) == utc(2026, 3, 2, 15)


def test_touching_windows_count_as_one_stretch() -> None:
    calendar = BusinessCalendar.from_hours("UTC", {"mon": [["09:00", "12:00"], ["12:00", "18:00"]]})

    assert calendar.deadline(utc(2026, 3, 2, 10), 4 * HOUR) == utc(2026, 3, 2, 14)
    assert calendar.business_seconds(utc(2026, 3, 2, 0), utc(2026, 3, 3, 0)) == 9 * HOUR


def test_24_00_close_and_next_day_midnight_opening_count_contiguously() -> None:
    calendar = BusinessCalendar.from_hours(
        "Europe/Berlin", {"fri": [["18:00", "24:00"]], "sat": [["00:00", "06:00"]]}
    )

    # Berlin is at +01:00 in early March: Friday 22:00 local is 21:00Z.
    assert calendar.deadline(utc(2026, 3, 6, 21), 4 * HOUR) == utc(2026, 3, 7, 1)  # Sat 02:00 local
    assert calendar.business_seconds(utc(2026, 3, 6, 19), utc(2026, 3, 7, 3)) == 8 * HOUR
    assert calendar.is_business_time(utc(2026, 3, 6, 23))  # Saturday 00:00 local


def test_deadline_landing_at_a_24_00_close_is_midnight() -> None:
    calendar = only_on("fri", ("20:00", "24:00"))

    assert calendar.deadline(utc(2026, 3, 6, 20), 4 * HOUR) == utc(2026, 3, 7, 0)
    assert calendar.deadline(utc(2026, 3, 6, 20), 4 * HOUR + 1) == utc(2026, 3, 13, 20, 0, 1)


def test_a_day_open_around_the_clock_is_one_day_of_business_time() -> None:
    calendar = only_on("sat", ("00:00", "24:00"))

    assert calendar.deadline(utc(2026, 3, 7), 24 * HOUR) == utc(2026, 3, 8)
    assert calendar.business_seconds(utc(2026, 3, 1), utc(2026, 3, 15)) == 2 * 24 * HOUR


# -- daylight saving time ------------------------------------------------------------------------


def test_spring_forward_day_in_new_york_has_23_hours() -> None:
    calendar = only_on("sun", ("00:00", "24:00"), zone="America/New_York")

    # 2026-03-08: midnight EST is 05:00Z, the next midnight (EDT) is 2026-03-09T04:00Z.
    assert calendar.business_seconds(utc(2026, 3, 7), utc(2026, 3, 10)) == 23 * HOUR
    assert calendar.deadline(utc(2026, 3, 8, 5), 23 * HOUR) == utc(2026, 3, 9, 4)
    # One second more waits for the next Sunday, 2026-03-15 00:00 EDT = 04:00Z.
    assert calendar.deadline(utc(2026, 3, 8, 5), 23 * HOUR + 1) == utc(2026, 3, 15, 4, 0, 1)


def test_fall_back_day_in_new_york_has_25_hours() -> None:
    calendar = only_on("sun", ("00:00", "24:00"), zone="America/New_York")

    # 2026-11-01: midnight EDT is 04:00Z, the next midnight (EST) is 2026-11-02T05:00Z.
    assert calendar.business_seconds(utc(2026, 10, 31), utc(2026, 11, 3)) == 25 * HOUR
    assert calendar.deadline(utc(2026, 11, 1, 4), 25 * HOUR) == utc(2026, 11, 2, 5)


def test_window_across_the_repeated_hour_counts_real_time() -> None:
    calendar = only_on("sun", ("01:00", "03:00"), zone="America/New_York")

    # 2026-11-01 01:00 EDT = 05:00Z; 01:00-02:00 happens twice; 03:00 EST = 08:00Z: three real hours.
    assert calendar.business_seconds(utc(2026, 11, 1), utc(2026, 11, 2)) == 3 * HOUR
    assert calendar.deadline(utc(2026, 11, 1), 3 * HOUR) == utc(2026, 11, 1, 8)
    # Half an hour into the second 02:00 hour: 02:30 EST = 07:30Z.
    assert calendar.deadline(utc(2026, 11, 1), 2 * HOUR + 30 * 60) == utc(2026, 11, 1, 7, 30)


def test_window_opening_inside_the_spring_forward_gap_starts_at_three() -> None:
    calendar = only_on("sun", ("02:30", "05:00"), zone="America/New_York")

    # 2026-03-08: 02:00-03:00 does not exist; the window runs 03:00 EDT (07:00Z) to 05:00 EDT (09:00Z).
    assert calendar.business_seconds(utc(2026, 3, 8), utc(2026, 3, 9)) == 2 * HOUR
    assert calendar.deadline(utc(2026, 3, 8), 1) == utc(2026, 3, 8, 7, 0, 1)
    assert calendar.deadline(utc(2026, 3, 8), 2 * HOUR) == utc(2026, 3, 8, 9)


def test_workday_deadline_across_spring_forward_follows_the_wall_clock() -> None:
    calendar = BusinessCalendar.from_hours("America/New_York", WEEKDAYS_NINE_TO_FIVE)

    # Friday 2026-03-06 16:00 EST (21:00Z) + 2 h = Monday 2026-03-09 10:00 EDT (14:00Z).
    assert calendar.deadline(utc(2026, 3, 6, 21), 2 * HOUR) == utc(2026, 3, 9, 14)


def test_spring_forward_day_in_berlin_has_23_hours() -> None:
    calendar = only_on("sun", ("00:00", "24:00"), zone="Europe/Berlin")

    # 2026-03-29: midnight CET = 2026-03-28T23:00Z, next midnight CEST = 2026-03-29T22:00Z.
    assert calendar.business_seconds(utc(2026, 3, 28), utc(2026, 3, 31)) == 23 * HOUR
    assert calendar.deadline(utc(2026, 3, 28, 23), 23 * HOUR) == utc(2026, 3, 29, 22)


def test_fall_back_day_in_berlin_has_25_hours() -> None:
    calendar = only_on("sun", ("00:00", "24:00"), zone="Europe/Berlin")

    # 2026-10-25: midnight CEST = 2026-10-24T22:00Z, next midnight CET = 2026-10-25T23:00Z.
    assert calendar.business_seconds(utc(2026, 10, 24), utc(2026, 10, 27)) == 25 * HOUR
    assert calendar.deadline(utc(2026, 10, 24, 22), 25 * HOUR) == utc(2026, 10, 25, 23)


def test_window_across_berlin_fall_back_is_an_hour_longer() -> None:
    calendar = only_on("sun", ("02:00", "04:00"), zone="Europe/Berlin")

    # 2026-10-25 02:00 CEST = 00:00Z; 02:00-03:00 happens twice; 04:00 CET = 03:00Z.
    assert calendar.business_seconds(utc(2026, 10, 24), utc(2026, 10, 26)) == 3 * HOUR


def test_window_wholly_inside_the_spring_forward_gap_never_opens() -> None:
    calendar = only_on("sun", ("02:00", "03:00"), zone="Europe/Berlin")

    assert calendar.business_seconds(utc(2026, 3, 28), utc(2026, 3, 30)) == 0
    # The next Sunday's 02:00 CEST is 2026-04-05T00:00Z.
    assert calendar.deadline(utc(2026, 3, 28), 60) == utc(2026, 4, 5, 0, 1)


def test_day_whose_midnight_is_skipped_starts_at_one_in_santiago() -> None:
    calendar = only_on("sun", ("00:00", "24:00"), zone="America/Santiago")

    # 2026-09-06: clocks jump from 00:00 (-04) to 01:00 (-03) at 04:00Z; the day ends at 2026-09-07T03:00Z.
    assert calendar.business_seconds(utc(2026, 9, 5), utc(2026, 9, 8)) == 23 * HOUR
    assert calendar.deadline(utc(2026, 9, 5), 1) == utc(2026, 9, 6, 4, 0, 1)


def test_day_whose_last_hour_repeats_has_25_hours_in_santiago() -> None:
    calendar = only_on("sat", ("00:00", "24:00"), zone="America/Santiago")

    # 2026-04-04: midnight (-03) = 03:00Z; 23:00-24:00 happens twice; the day ends at 2026-04-05T04:00Z.
    assert calendar.business_seconds(utc(2026, 4, 3), utc(2026, 4, 6)) == 25 * HOUR
    assert calendar.deadline(utc(2026, 4, 4, 3), 25 * HOUR) == utc(2026, 4, 5, 4)


# -- half- and quarter-hour offsets --------------------------------------------------------------


def test_kolkata_half_hour_offset() -> None:
    calendar = BusinessCalendar.from_hours("Asia/Kolkata", WEEKDAYS_NINE_TO_FIVE)

    # 09:00 IST (+05:30) is 03:30Z; 17:00 IST is 11:30Z.
    assert calendar.deadline(utc(2026, 3, 2), HOUR) == utc(2026, 3, 2, 4, 30)
    assert calendar.deadline(utc(2026, 3, 2), 8 * HOUR) == utc(2026, 3, 2, 11, 30)
    assert calendar.business_seconds(utc(2026, 3, 2), utc(2026, 3, 2, 4)) == 30 * 60


def test_kathmandu_quarter_hour_offset() -> None:
    calendar = BusinessCalendar.from_hours("Asia/Kathmandu", WEEKDAYS_NINE_TO_FIVE)

    # 09:00 NPT (+05:45) is 03:15Z; 17:00 NPT is 11:15Z.
    assert calendar.deadline(utc(2026, 3, 2), 8 * HOUR) == utc(2026, 3, 2, 11, 15)
    assert calendar.business_seconds(utc(2026, 3, 2, 3), utc(2026, 3, 2, 4)) == 45 * 60
    # Friday 17:00 NPT + 15 min = Monday 09:15 NPT = 03:30Z.
    assert calendar.deadline(utc(2026, 3, 6, 11, 15), 15 * 60) == utc(2026, 3, 9, 3, 30)


def test_lord_howe_fall_back_day_has_24_and_a_half_hours() -> None:
    calendar = only_on("sun", ("00:00", "24:00"), zone="Australia/Lord_Howe")

    # 2026-04-05: midnight (+11:00) = 2026-04-04T13:00Z; next midnight (+10:30) = 2026-04-05T13:30Z.
    assert calendar.business_seconds(utc(2026, 4, 3), utc(2026, 4, 7)) == 24 * HOUR + 30 * 60
    assert calendar.deadline(utc(2026, 4, 4, 13), 24 * HOUR + 30 * 60) == utc(2026, 4, 5, 13, 30)


def test_lord_howe_spring_forward_day_has_23_and_a_half_hours() -> None:
    calendar = only_on("sun", ("00:00", "24:00"), zone="Australia/Lord_Howe")

    # 2025-10-05: midnight (+10:30) = 2025-10-04T13:30Z; next midnight (+11:00) = 2025-10-05T13:00Z.
    assert calendar.business_seconds(utc(2025, 10, 3), utc(2025, 10, 7)) == 23 * HOUR + 30 * 60


def test_lord_howe_half_hour_shift_inside_a_window() -> None:
    repeated = only_on("sun", ("01:30", "02:00"), zone="Australia/Lord_Howe")
    skipped = only_on("sun", ("02:00", "02:30"), zone="Australia/Lord_Howe")
    straddling = only_on("sun", ("01:30", "03:00"), zone="Australia/Lord_Howe")

    # 2026-04-05: 01:30-02:00 happens twice (14:30Z-15:30Z), a full real hour.
    assert repeated.business_seconds(utc(2026, 4, 4), utc(2026, 4, 6)) == HOUR
    # 2026-10-04: 02:00-02:30 does not exist, and 01:30-03:00 lasts one real hour (15:00Z-16:00Z).
    assert skipped.business_seconds(utc(2026, 10, 3), utc(2026, 10, 5)) == 0
    assert straddling.business_seconds(utc(2026, 10, 3), utc(2026, 10, 5)) == HOUR
    assert straddling.deadline(utc(2026, 10, 3), HOUR) == utc(2026, 10, 3, 16)


# -- calendars with no business time --------------------------------------------------------------


@pytest.mark.parametrize("hours", [{}, {"mon": []}, {day: [] for day in ("mon", "tue", "sat")}])
def test_calendar_with_no_hours_raises_no_business_time(hours: dict[str, list[list[str]]]) -> None:
    with pytest.raises(NoBusinessTime):
        BusinessCalendar.from_hours("UTC", hours)


def test_no_business_time_is_a_value_error() -> None:
    assert issubclass(NoBusinessTime, ValueError)


def test_calendar_always_on_holiday_raises_instead_of_looping_forever() -> None:
    calendar = BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE, holidays=EveryDate())

    with pytest.raises(NoBusinessTime):
        calendar.deadline(utc(2026, 3, 2, 10), HOUR)


def test_calendar_whose_only_open_weekday_is_always_a_holiday_raises() -> None:
    calendar = BusinessCalendar.from_hours("Europe/Berlin", {"mon": NINE_TO_FIVE}, holidays=EveryMonday())

    with pytest.raises(NoBusinessTime):
        calendar.deadline(utc(2026, 3, 2, 10), 1)


def test_a_target_needing_more_than_five_years_of_a_sparse_calendar_is_refused_not_walked() -> None:
    # Open one minute a week: 400,000 minutes would be due some 7,700 years later.
    calendar = BusinessCalendar.from_hours("UTC", {"mon": [["09:00", "09:01"]]})

    with pytest.raises(BeyondHorizon, match="400000 minutes of business time take more than 5 years"):
        calendar.deadline(utc(2026, 3, 2, 10), 400_000 * 60)
    assert calendar.deadline(utc(2026, 3, 2, 10), 200 * 60) < utc(2030, 3, 2)  # 200 weeks: within the horizon


def test_business_seconds_on_a_calendar_that_never_opens_is_zero() -> None:
    # [start, end) is bounded, so the definition gives 0: nothing beyond `end` needs looking at.
    calendar = BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE, holidays=EveryDate())

    assert calendar.business_seconds(utc(2026, 3, 2, 10), utc(2026, 3, 2, 11)) == 0


# -- long targets -------------------------------------------------------------------------------


def test_a_target_of_500_business_hours_is_exact() -> None:
    calendar = BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE)
    start = utc(2026, 1, 5, 9)  # a Monday

    # 500 h = 62 days of 8 h + 4 h: twelve whole weeks, Monday and Tuesday, then Wednesday 09:00-13:00.
    deadline = calendar.deadline(start, 500 * HOUR)

    assert deadline == utc(2026, 4, 1, 13)
    assert calendar.business_seconds(start, deadline) == 500 * HOUR


def test_a_target_of_500_business_hours_across_dst_and_a_holiday_is_exact() -> None:
    calendar = BusinessCalendar.from_hours(
        "America/New_York", WEEKDAYS_NINE_TO_FIVE, holidays={date(2026, 2, 16)}
    )
    start = utc(2026, 1, 5, 14)  # Monday 09:00 EST

    # As above, one business day later for the holiday; Thursday 13:00 EDT is 17:00Z.
    deadline = calendar.deadline(start, 500 * HOUR)

    assert deadline == utc(2026, 4, 2, 17)
    assert calendar.business_seconds(start, deadline) == 500 * HOUR
    assert calendar.business_seconds(start, deadline - timedelta(seconds=1)) == 500 * HOUR - 1


def test_a_whole_year_of_workdays_across_both_dst_changes() -> None:
    calendar = BusinessCalendar.from_hours("America/New_York", WEEKDAYS_NINE_TO_FIVE)

    # 2026 starts on a Thursday: 52 weeks and one more Thursday, 261 workdays of 8 h.
    assert calendar.business_seconds(utc(2026, 1, 1, 5), utc(2027, 1, 1, 5)) == 261 * 8 * HOUR


def test_a_whole_year_of_sundays_loses_and_regains_the_dst_half_hour_on_lord_howe() -> None:
    calendar = only_on("sun", ("00:00", "24:00"), zone="Australia/Lord_Howe")

    # 52 Sundays in 2026; 2026-04-05 has 24.5 h and 2026-10-04 has 23.5 h. Midnight is +11:00 on both ends.
    assert calendar.business_seconds(utc(2025, 12, 31, 13), utc(2026, 12, 31, 13)) == 52 * 24 * HOUR
    assert calendar.business_seconds(utc(2026, 4, 4, 13), utc(2026, 10, 5)) == 27 * 24 * HOUR


# -- arguments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "clock", [BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE), TwentyFourSeven()]
)
def test_naive_datetimes_are_rejected(clock: BusinessCalendar | TwentyFourSeven) -> None:
    naive = datetime(2026, 3, 4, 10)
    aware = utc(2026, 3, 4, 10)

    with pytest.raises(ValueError):
        clock.deadline(naive, HOUR)
    with pytest.raises(ValueError):
        clock.business_seconds(naive, aware)
    with pytest.raises(ValueError):
        clock.business_seconds(aware, naive)


@pytest.mark.parametrize(
    "clock", [BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE), TwentyFourSeven()]
)
def test_negative_budgets_are_rejected(clock: BusinessCalendar | TwentyFourSeven) -> None:
    with pytest.raises(ValueError):
        clock.deadline(utc(2026, 3, 4, 10), -1)


@pytest.mark.parametrize(
    "clock", [BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE), TwentyFourSeven()]
)
def test_business_seconds_with_end_before_start_is_zero(clock: BusinessCalendar | TwentyFourSeven) -> None:
    assert clock.business_seconds(utc(2026, 3, 4, 12), utc(2026, 3, 4, 10)) == 0
    assert clock.business_seconds(utc(2026, 3, 4, 12), utc(2026, 3, 4, 12)) == 0


@pytest.mark.parametrize(
    "start",
    [utc(2026, 3, 4, 10), utc(2026, 3, 7, 10), utc(2026, 3, 4, 17)],
    ids=["inside a window", "on a closed day", "at a close"],
)
def test_deadline_with_no_budget_is_the_start(start: datetime) -> None:
    calendar = BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE)

    assert calendar.deadline(start, 0) == start
    assert TwentyFourSeven().deadline(start, 0) == start


def test_instants_in_any_offset_mean_the_same_moment() -> None:
    calendar = BusinessCalendar.from_hours("UTC", WEEKDAYS_NINE_TO_FIVE)
    tokyo_time = datetime(2026, 3, 4, 19, tzinfo=timezone(timedelta(hours=9)))  # 10:00Z

    assert calendar.deadline(tokyo_time, 2 * HOUR) == utc(2026, 3, 4, 12)
    assert calendar.business_seconds(tokyo_time, utc(2026, 3, 4, 12)) == 2 * HOUR


@pytest.mark.parametrize(
    "hours",
    [
        {"mon": [["9:00", "17:00"]]},
        {"mon": [["09:00", "24:30"]]},
        {"mon": [["25:00", "26:00"]]},
        {"mon": [["09:60", "17:00"]]},
        {"mon": [["17:00", "09:00"]]},
        {"mon": [["09:00", "09:00"]]},
        {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]},
        {"monday": [["09:00", "17:00"]]},
    ],
    ids=[
        "one-digit hour",
        "after 24:00",
        "hour 25",
        "minute 60",
        "closes before it opens",
        "empty",
        "overlap",
        "unknown weekday",
    ],
)
def test_malformed_hours_are_rejected(hours: dict[str, list[list[str]]]) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar.from_hours("UTC", hours)


# -- 24/7 ----------------------------------------------------------------------------------------


def test_twenty_four_seven_counts_every_second() -> None:
    clock = TwentyFourSeven()

    assert clock.deadline(utc(2026, 3, 7, 23), 2 * HOUR) == utc(2026, 3, 8, 1)
    assert clock.business_seconds(utc(2026, 3, 7), utc(2026, 3, 9)) == 48 * HOUR


def test_one_calendar_answers_queries_in_any_order_as_a_fresh_one_would() -> None:
    # The calendar extends its covered days both ways as queries arrive; the order must not matter.
    hours = {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    reused = BusinessCalendar.from_hours("Europe/Berlin", hours)
    starts = [utc(2026, 3, 6, 15), utc(2026, 3, 2, 8), utc(2027, 1, 4, 9), utc(2025, 6, 1, 12), utc(2026, 3, 3, 14)]
    for start in starts:
        fresh = BusinessCalendar.from_hours("Europe/Berlin", hours)
        for budget in (3600, 8 * 3600, 200 * 3600):
            assert reused.deadline(start, budget) == fresh.deadline(start, budget)
        end = start + timedelta(days=40)
        assert reused.business_seconds(start, end) == BusinessCalendar.from_hours(
            "Europe/Berlin", hours
        ).business_seconds(start, end)

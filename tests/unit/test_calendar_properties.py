"""BusinessCalendar against a slow reference that reads the definition of design.md §3 literally.

The reference walks UTC time in pieces that never cross a whole minute, converts each piece's first
instant to the calendar's zone with zoneinfo and asks: is the local date a holiday, and does the local
wall-clock time lie in one of that weekday's windows [open, close)?

Why per-minute pieces are exact: generated windows open and close on quarter hours, local dates change
at local midnight, and every zone below has a UTC offset of whole minutes that changes at an instant of
whole minutes. So, inside a piece [t, next whole UTC minute), the local time stays inside one local
minute and no boundary can fall strictly within it: the answer for the piece's first instant holds for
all of it. Starts and ends may carry seconds; the first and last piece are then partial minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.domain.calendar import BusinessCalendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTE, HOUR, DAY = 60, 3600, 86_400
RANGE_START = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
RANGE_END = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())
HORIZON = 4 * DAY  # how far the reference walks

# Offset changes in 2025 and 2026 (UTC instants), in both hemispheres, with 30- and 60-minute shifts,
# and Santiago, whose changes happen at local midnight.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "America/New_York": ("2025-03-09T07:00", "2025-11-02T06:00", "2026-03-08T07:00", "2026-11-01T06:00"),
    "Europe/Berlin": ("2025-03-30T01:00", "2025-10-26T01:00", "2026-03-29T01:00", "2026-10-25T01:00"),
    "Australia/Sydney": ("2025-04-05T16:00", "2025-10-04T16:00", "2026-04-04T16:00", "2026-10-03T16:00"),
    "Australia/Lord_Howe": ("2025-04-05T15:00", "2025-10-04T15:30", "2026-04-04T15:00", "2026-10-03T15:30"),
    "America/Santiago": ("2025-04-06T03:00", "2025-09-07T04:00", "2026-04-05T03:00", "2026-09-06T04:00"),
    "Pacific/Chatham": ("2025-04-05T14:00", "2025-09-27T14:00", "2026-04-04T14:00", "2026-09-26T14:00"),
    "America/St_Johns": ("2025-03-09T05:30", "2025-11-02T04:30", "2026-03-08T05:30", "2026-11-01T04:30"),
    "Asia/Kolkata": (),
    "Asia/Kathmandu": (),
    "UTC": (),
}
ZONES = tuple(TRANSITIONS)


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def as_datetime(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# -- the reference --------------------------------------------------------------------------------


def clock_seconds(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * HOUR + int(minutes) * MINUTE


@dataclass(frozen=True)
class Spec:
    timezone: str
    hours: dict[str, list[list[str]]]
    holidays: frozenset[date]

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar.from_hours(self.timezone, self.hours, self.holidays)

    def is_business(self, at: int) -> bool:
        local = datetime.fromtimestamp(at, ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        wall = local.hour * HOUR + local.minute * MINUTE + local.second
        windows = self.hours.get(WEEKDAYS[local.weekday()], [])
        return any(clock_seconds(opens) <= wall < clock_seconds(closes) for opens, closes in windows)


def pieces(start: int, end: int) -> Iterator[tuple[int, int]]:
    """[start, end) cut at every whole UTC minute."""
    at = start
    while at < end:
        nxt = min((at // MINUTE + 1) * MINUTE, end)
        yield at, nxt
        at = nxt


def reference_business_seconds(spec: Spec, start: int, end: int) -> int:
    return sum(nxt - at for at, nxt in pieces(start, end) if spec.is_business(at))


def reference_deadline(spec: Spec, start: int, seconds: int, horizon: int) -> int | None:
    """The earliest D ≥ start with ``seconds`` business seconds in [start, D); None if beyond horizon."""
    if seconds == 0:
        return start
    remaining = seconds
    for at, nxt in pieces(start, horizon):
        if spec.is_business(at):
            if nxt - at >= remaining:
                return at + remaining
            remaining -= nxt - at
    return None


# -- strategies -----------------------------------------------------------------------------------


def quarter_hour(index: int) -> str:
    return f"{index // 4:02d}:{index % 4 * 15:02d}"  # index 96 is "24:00"


@st.composite
def day_windows(draw: st.DrawFn) -> list[list[str]]:
    """0-3 sorted windows on quarter hours; neighbours may touch; "24:00" may close the last one."""
    marks = sorted(draw(st.lists(st.integers(0, 96), max_size=6)))
    pairs = [(marks[i], marks[i + 1]) for i in range(0, len(marks) - 1, 2) if marks[i] < marks[i + 1]]
    return [[quarter_hour(opens), quarter_hour(closes)] for opens, closes in pairs]


ALL_DAY = [["00:00", "24:00"]]
weekly_hours = (
    st.fixed_dictionaries(
        {day: st.one_of(day_windows(), day_windows(), st.just(ALL_DAY)) for day in WEEKDAYS}
    )
    .map(lambda hours: {day: windows for day, windows in hours.items() if windows})
    .filter(bool)
)


@st.composite
def instants(draw: st.DrawFn, timezone: str) -> int:
    """Mostly near the zone's offset changes, otherwise anywhere in 2025-2026; sometimes with seconds."""
    if TRANSITIONS[timezone] and draw(st.booleans()):
        near = epoch(draw(st.sampled_from(TRANSITIONS[timezone])))
        at = near + draw(st.integers(-48 * 60, 48 * 60)) * MINUTE
    else:
        at = draw(st.integers(RANGE_START // MINUTE, RANGE_END // MINUTE)) * MINUTE
    return at + draw(st.sampled_from([0, 0, 0, 0, 1, 30, 59]))


@st.composite
def specs_and_starts(draw: st.DrawFn) -> tuple[Spec, int]:
    timezone = draw(st.sampled_from(ZONES))
    start = draw(instants(timezone))
    start_date = datetime.fromtimestamp(start, ZoneInfo(timezone)).date()
    holiday_offsets = draw(st.sets(st.integers(-2, 6), max_size=4))
    holidays = frozenset(start_date + timedelta(days=offset) for offset in holiday_offsets)
    return Spec(timezone, draw(weekly_hours), holidays), start


def spans(max_hours: int) -> st.SearchStrategy[int]:
    """Whole hours, quarter hours and odd seconds drawn separately, so long spans are as likely as short."""
    return st.builds(
        lambda hours, minutes, seconds: hours * HOUR + minutes * MINUTE + seconds,
        st.integers(0, max_hours),
        st.sampled_from([0, 15, 30, 45, 1, 59]),
        st.sampled_from([0, 0, 0, 1, 30, 59]),
    )


durations = spans(HORIZON // HOUR)
budgets = st.one_of(st.integers(0, 120), spans(8), spans(48))

PROPERTY = settings(
    max_examples=1000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


# -- the reference itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("timezone", [zone for zone in ZONES if TRANSITIONS[zone]])
def test_listed_instants_are_offset_changes(timezone: str) -> None:
    zone = ZoneInfo(timezone)
    for text in TRANSITIONS[timezone]:
        at = as_datetime(epoch(text))
        assert (at - timedelta(seconds=1)).astimezone(zone).utcoffset() != at.astimezone(zone).utcoffset()


def test_reference_counts_the_new_york_spring_forward_day_as_23_hours() -> None:
    spec = Spec("America/New_York", {"sun": ALL_DAY}, frozenset())

    assert reference_business_seconds(spec, epoch("2026-03-07T00:00"), epoch("2026-03-10T00:00")) == 23 * HOUR


# -- properties -----------------------------------------------------------------------------------


@PROPERTY
@given(case=specs_and_starts(), duration=durations, backwards=st.booleans())
def test_business_seconds_equal_the_reference(case: tuple[Spec, int], duration: int, backwards: bool) -> None:
    spec, start = case
    end = start - duration if backwards else start + duration

    counted = spec.calendar().business_seconds(as_datetime(start), as_datetime(end))

    assert counted == reference_business_seconds(spec, start, end)


@PROPERTY
@given(case=specs_and_starts(), seconds=budgets)
def test_deadline_is_the_earliest_instant_with_the_budget(case: tuple[Spec, int], seconds: int) -> None:
    spec, start = case
    calendar = spec.calendar()

    deadline = calendar.deadline(as_datetime(start), seconds)

    assert deadline >= as_datetime(start)
    assert calendar.business_seconds(as_datetime(start), deadline) == seconds
    if seconds > 0:
        one_second_earlier = deadline - timedelta(seconds=1)
        assert calendar.business_seconds(as_datetime(start), one_second_earlier) == seconds - 1
    expected = reference_deadline(spec, start, seconds, start + HORIZON)
    if expected is None:
        assert deadline > as_datetime(start + HORIZON)
    else:
        assert deadline == as_datetime(expected)


@settings(PROPERTY, max_examples=500)
@given(case=specs_and_starts(), first=durations, second=durations)
def test_business_seconds_add_up_over_adjacent_ranges(
    case: tuple[Spec, int], first: int, second: int
) -> None:
    spec, a = case
    b, c = a + first, a + first + second
    calendar = spec.calendar()

    def between(lo: int, hi: int) -> int:
        return calendar.business_seconds(as_datetime(lo), as_datetime(hi))

    assert between(a, c) == between(a, b) + between(b, c)


@settings(PROPERTY, max_examples=1000)
@given(case=specs_and_starts())
def test_is_business_time_agrees_with_the_reference(case: tuple[Spec, int]) -> None:
    spec, at = case

    assert spec.calendar().is_business_time(as_datetime(at)) == spec.is_business(at)

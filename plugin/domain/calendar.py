"""Business calendars: when an SLA clock runs, and how far a budget of business seconds reaches.

An instant is business time iff, in the calendar's zone, its wall-clock time lies in one of
that weekday's windows ``[open, close)`` and its local date is not a holiday. Business time
counts real elapsed seconds, so a window that spans a DST change is an hour shorter or longer.

The implementation never steps through time: each local day is turned once into the UTC
intervals it contributes, kept with running totals, and a deadline or a sum is two binary
searches over them, so its cost does not grow with the length of the target.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from operator import sub
from typing import Protocol
from zoneinfo import ZoneInfo

from .zones import OffsetTimeline

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 86_400
_EPOCH_DATE = date(1970, 1, 1)
# Local days are mapped to UTC through every UTC offset in use (-12h … +14h), plus a margin.
_SPAN_BEFORE, _SPAN_AFTER = 15 * 3600, DAY + 15 * 3600
# A calendar closed this many days in a row is treated as never opening again.
MAX_CLOSED_DAYS = 3 * 366
# No target may need more calendar time than this: a calendar open one minute a week would otherwise
# walk to the year 9999 for a long target (seconds of work, for a due instant no one will see).
HORIZON_DAYS = 5 * 366
FIRST_CHUNK_DAYS, CHUNK_DAYS = 7, 366  # the covered range starts small and grows up to a year at a time

Interval = tuple[int, int]


class NoBusinessTime(ValueError):
    """The calendar has no open time in which the clock could run."""


class BeyondHorizon(NoBusinessTime):
    """The target would need more than ``HORIZON_DAYS`` of calendar time."""


class Clock(Protocol):
    """What the SLA engine needs of a calendar: 24/7 and business calendars both provide it."""

    def deadline(self, start: datetime, seconds: int) -> datetime: ...

    def business_seconds(self, start: datetime, end: datetime) -> int: ...

    def deadline_ts(self, start: int, seconds: int) -> int: ...

    def business_seconds_ts(self, start: int, end: int) -> int: ...


def parse_clock_time(text: str) -> int:
    """``"HH:MM"`` (``"24:00"`` allowed) as seconds after local midnight."""
    hours, sep, minutes = text.partition(":")
    digits = hours + minutes
    if not (sep and len(hours) == 2 and len(minutes) == 2 and digits.isascii() and digits.isdigit()):  # not "٠٩"
        raise ValueError(f"{text!r} is not a time of day in HH:MM form")
    value = int(hours) * 3600 + int(minutes) * 60
    if int(minutes) > 59 or value > DAY:
        raise ValueError(f"{text!r} is not a time of day between 00:00 and 24:00")
    return value


def to_epoch(instant: datetime, *, round_up: bool = False) -> int:
    """Whole seconds since the epoch of an aware instant (the calendar's precision is one second)."""
    if instant.tzinfo is None:
        raise ValueError(f"{instant.isoformat()} has no time zone; instants must be aware")
    seconds = math.floor(instant.timestamp())
    return seconds + 1 if round_up and instant.microsecond else seconds


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class TwentyFourSeven:
    """The clock of a policy without a calendar: every second counts."""

    def deadline(self, start: datetime, seconds: int) -> datetime:
        _check_budget(seconds)
        return from_epoch(to_epoch(start, round_up=True) + seconds)

    def business_seconds(self, start: datetime, end: datetime) -> int:
        return max(0, to_epoch(end) - to_epoch(start))

    def deadline_ts(self, start: int, seconds: int) -> int:
        _check_budget(seconds)
        return start + seconds

    def business_seconds_ts(self, start: int, end: int) -> int:
        return max(0, end - start)


class BusinessCalendar:
    """Weekly opening windows in an IANA zone, minus holidays."""

    def __init__(
        self,
        timezone: str,
        weekly: Mapping[str, Sequence[tuple[int, int]]],
        holidays: Container[date] = frozenset(),
    ) -> None:
        self.timezone = timezone
        self._zone = ZoneInfo(timezone)
        self._weekly: tuple[tuple[Interval, ...], ...] = tuple(
            tuple(sorted(weekly.get(day, ()))) for day in WEEKDAYS
        )
        unknown = set(weekly) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekday(s): {', '.join(sorted(unknown))}")
        for day, windows in zip(WEEKDAYS, self._weekly, strict=True):
            _check_windows(day, windows)
        if not any(self._weekly):
            raise NoBusinessTime("the calendar has no opening hours on any weekday")
        # Each weekday's windows with touching ones joined (09–12 and 12–18 are one interval).
        self._joined: tuple[tuple[Interval, ...], ...] = tuple(tuple(_merge(list(day))) for day in self._weekly)
        self._joined_opens = tuple(tuple(opening for opening, _ in day) for day in self._joined)
        self._joined_closes = tuple(tuple(closing for _, closing in day) for day in self._joined)
        self._holidays = holidays
        self._coverage = _NOTHING_COVERED

    @classmethod
    def from_hours(
        cls,
        timezone: str,
        hours: Mapping[str, Sequence[Sequence[str]]],
        holidays: Container[date] = frozenset(),
    ) -> BusinessCalendar:
        """Build from the settings format: ``{"mon": [["09:00", "17:00"]], ...}``."""
        weekly = {
            day: [(parse_clock_time(open_), parse_clock_time(close)) for open_, close in windows]
            for day, windows in hours.items()
        }
        return cls(timezone, weekly, holidays)

    # -- public API on aware datetimes ------------------------------------------------------

    def deadline(self, start: datetime, seconds: int) -> datetime:
        """The earliest instant D ≥ start with exactly ``seconds`` business seconds in [start, D).

        A start between two whole seconds counts from the next one, so D is never early."""
        if start.tzinfo is None:
            to_epoch(start)  # raises the naive-datetime error
        return datetime.fromtimestamp(self.deadline_ts(math.ceil(start.timestamp()), seconds), UTC)

    def business_seconds(self, start: datetime, end: datetime) -> int:
        """Business seconds in [start, end); zero when end is not after start."""
        return self.business_seconds_ts(to_epoch(start), to_epoch(end))

    def is_business_time(self, instant: datetime) -> bool:
        at = to_epoch(instant)
        return self.business_seconds_ts(at, at + 1) == 1

    # -- the same on epoch seconds, for the engine's inner loops ----------------------------

    def deadline_ts(self, start: int, seconds: int) -> int:
        if seconds <= 0:
            _check_budget(seconds)
            return start
        coverage = self._coverage
        if not coverage.lo_safe <= start <= coverage.hi_safe:
            coverage = self._cover(coverage, start)
        cumulative, closes = coverage.cumulative, coverage.closes
        # Inlined _spent_before(start): this is the hottest line of the engine.
        index = bisect_right(closes, start)
        if index == len(closes):
            goal = (cumulative[-1] if cumulative else 0) + seconds
        else:
            goal = (cumulative[index - 1] if index else 0) + max(0, start - coverage.opens[index]) + seconds
        horizon = start + HORIZON_DAYS * DAY
        while not cumulative or goal > cumulative[-1]:
            if coverage.closed_run > MAX_CLOSED_DAYS:
                raise NoBusinessTime(f"the calendar is closed for more than {MAX_CLOSED_DAYS} days in a row")
            if coverage.hi_safe > horizon:
                raise BeyondHorizon(f"{seconds // 60} minutes of business time take more than "
                                    f"{HORIZON_DAYS // 366} years of this calendar")
            coverage = self._coverage = self._appended(coverage, coverage.end_day + coverage.next_chunk())
            cumulative, closes = coverage.cumulative, coverage.closes
        # The first interval whose running total reaches the goal holds the deadline; a goal met
        # exactly at an interval's end is that close, not the next opening.
        index = bisect_left(cumulative, goal)
        return closes[index] - (cumulative[index] - goal)

    def business_seconds_ts(self, start: int, end: int) -> int:
        if end <= start:
            return 0
        coverage = self._coverage
        for instant in (start, end):
            if not coverage.lo_safe <= instant <= coverage.hi_safe:
                coverage = self._cover(coverage, instant)
        return coverage.spent_before(end) - coverage.spent_before(start)

    # -- internals ---------------------------------------------------------------------------
    # The business intervals of a contiguous range of local days are a _Coverage, grown on demand.
    # A query is then two binary searches, whatever the length of the target.

    def _cover(self, coverage: _Coverage, instant: int) -> _Coverage:
        """``coverage`` grown until ``instant`` lies well inside it, and kept for the next queries."""
        if coverage is _NOTHING_COVERED:
            day = datetime.fromtimestamp(instant, self._zone).date()
            coverage = self._appended(_Coverage.starting(day - timedelta(days=3)),
                                      day + timedelta(days=FIRST_CHUNK_DAYS))
        while instant < coverage.lo_safe:
            coverage = self._prepended(coverage, coverage.first_day - coverage.next_chunk())
        while instant > coverage.hi_safe:
            coverage = self._appended(coverage, coverage.end_day + coverage.next_chunk())
        self._coverage = coverage
        return coverage

    def _appended(self, coverage: _Coverage, end_day: date) -> _Coverage:
        opens, closes, totals, closed_run = self._days_between(coverage.end_day, end_day)
        carried = coverage.cumulative[-1] if coverage.cumulative else 0
        return replace(
            coverage, end_day=end_day, opens=coverage.opens + opens, closes=coverage.closes + closes,
            cumulative=coverage.cumulative + [carried + total for total in totals],
            closed_run=closed_run if opens else coverage.closed_run + closed_run,
            hi_safe=_naive_midnight(end_day) - DAY,  # a day's intervals end by midnight + 36 h
        )

    def _prepended(self, coverage: _Coverage, first_day: date) -> _Coverage:
        opens, closes, totals, closed_run = self._days_between(first_day, coverage.first_day)
        carried = totals[-1] if totals else 0
        return replace(
            coverage, first_day=first_day, opens=opens + coverage.opens, closes=closes + coverage.closes,
            cumulative=totals + [carried + total for total in coverage.cumulative],
            closed_run=coverage.closed_run if coverage.opens else coverage.closed_run + closed_run,
            lo_safe=_naive_midnight(first_day) + 2 * DAY,  # a day's intervals start after midnight - 14 h
        )

    def _days_between(self, first_day: date, end_day: date) -> tuple[list[int], list[int], list[int], int]:
        """Intervals of local days [first_day, end_day): opens, closes, running totals, closed days at the end."""
        opens: list[int] = []
        closes: list[int] = []
        closed_run = 0
        offsets = OffsetTimeline(
            self._zone, _naive_midnight(first_day) - _SPAN_BEFORE, _naive_midnight(end_day) + _SPAN_AFTER
        )
        day = first_day
        while day < end_day:
            weekday = day.weekday()
            if not self._joined[weekday] or day in self._holidays:
                closed_run += 1
            else:
                closed_run = 0
                midnight = _naive_midnight(day)  # local midnight, read as if it were UTC
                segments = list(offsets.segments(midnight - _SPAN_BEFORE, midnight + _SPAN_AFTER))
                if len(segments) == 1:  # one UTC offset all day (most days): the weekday's windows, shifted
                    shift = midnight - segments[0][2]
                    opens += [shift + opening for opening in self._joined_opens[weekday]]
                    closes += [shift + closing for closing in self._joined_closes[weekday]]
                else:
                    for opening, closing in self._clipped(self._joined[weekday], midnight, segments):
                        opens.append(opening)
                        closes.append(closing)
            day += timedelta(days=1)
        return opens, closes, list(accumulate(map(sub, closes, opens))), closed_run

    @staticmethod
    def _clipped(windows: Sequence[Interval], midnight: int,
                 segments: Sequence[tuple[int, int, int]]) -> list[Interval]:
        """A day's windows on a day whose UTC offset changes: each clipped to the pieces of one offset."""
        intervals: list[Interval] = []
        for seg_start, seg_end, offset in segments:
            for opens, closes in windows:
                lo = max(seg_start, midnight + opens - offset)
                hi = min(seg_end, midnight + closes - offset)
                if lo < hi:
                    intervals.append((lo, hi))
        return list(_merge(sorted(intervals)))


@dataclass(frozen=True, slots=True)
class _Coverage:
    """The business intervals of the local days [first_day, end_day): opening and closing instants,
    and the running total of business seconds at each close.

    Never changed once made: a calendar grows by swapping in a larger coverage, so threads sharing a
    calendar (the worker's jobs share each parsed settings version) always read one whole coverage.
    """

    first_day: date
    end_day: date
    opens: list[int]
    closes: list[int]
    cumulative: list[int]
    closed_run: int  # closed days at the end
    lo_safe: int  # instants in [lo_safe, hi_safe] lie well inside the covered days
    hi_safe: int

    @staticmethod
    def starting(day: date) -> _Coverage:
        return _Coverage(day, day, [], [], [], 0, _naive_midnight(day) + 2 * DAY, 0)

    def next_chunk(self) -> timedelta:
        """Grow by as much as is covered already (at most a year): few extensions, small first ones."""
        return timedelta(days=max(FIRST_CHUNK_DAYS, min(CHUNK_DAYS, (self.end_day - self.first_day).days)))

    def spent_before(self, instant: int) -> int:
        """Business seconds from the start of the covered days up to ``instant``."""
        index = bisect_right(self.closes, instant)
        if index == len(self.closes):
            return self.cumulative[-1] if self.cumulative else 0
        before = self.cumulative[index - 1] if index else 0
        return before + max(0, instant - self.opens[index])


_NOTHING_COVERED = _Coverage(date.min, date.min, [], [], [], 0, 1, 0)


def _naive_midnight(day: date) -> int:
    return (day - _EPOCH_DATE).days * DAY


def _merge(intervals: list[Interval]) -> Iterator[Interval]:
    """Join intervals that touch or overlap, e.g. windows 09–12 and 12–18."""
    current: Interval | None = None
    for opens, closes in intervals:
        if current is not None and opens <= current[1]:
            current = (current[0], max(current[1], closes))
            continue
        if current is not None:
            yield current
        current = (opens, closes)
    if current is not None:
        yield current


def _check_windows(day: str, windows: Sequence[Interval]) -> None:
    previous_close = -1
    for opens, closes in windows:
        if not 0 <= opens < closes <= DAY:
            raise ValueError(f"{day}: window {_hhmm(opens)}–{_hhmm(closes)} must open before it closes")
        if opens < previous_close:
            raise ValueError(f"{day}: windows overlap at {_hhmm(opens)}")
        previous_close = closes


def _check_budget(seconds: int) -> None:
    if seconds < 0:
        raise ValueError(f"a business-time budget cannot be negative ({seconds} s)")


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"

"""Business calendars: when an SLA clock runs, and how far a budget of business seconds reaches.

An instant is business time iff, in the calendar's zone, its wall-clock time lies in one of
that weekday's windows ``[open, close)`` and its local date is not a holiday. Business time
counts real elapsed seconds, so a window that spans a DST change is an hour shorter or longer.

The implementation walks windows, never minutes: each local day is turned once into the UTC
intervals it contributes (cached), and a deadline is found by subtracting whole intervals.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 86_400
_EPOCH_DATE = date(1970, 1, 1)
# Local days are mapped to UTC through every UTC offset in use (-12h … +14h), plus a margin.
_SPAN_BEFORE, _SPAN_AFTER = 15 * 3600, DAY + 15 * 3600
_OFFSET_PROBE_STEP = 3 * 3600  # no zone changes its offset twice within three hours
# A calendar closed this many days in a row is treated as never opening again.
MAX_CLOSED_DAYS = 3 * 366

Interval = tuple[int, int]


class NoBusinessTime(ValueError):
    """The calendar has no open time in which the clock could run."""


class Clock(Protocol):
    """What the SLA engine needs of a calendar: 24/7 and business calendars both provide it."""

    def deadline(self, start: datetime, seconds: int) -> datetime: ...

    def business_seconds(self, start: datetime, end: datetime) -> int: ...

    def deadline_ts(self, start: int, seconds: int) -> int: ...

    def business_seconds_ts(self, start: int, end: int) -> int: ...


def parse_clock_time(text: str) -> int:
    """``"HH:MM"`` (``"24:00"`` allowed) as seconds after local midnight."""
    hours, sep, minutes = text.partition(":")
    if not (sep and len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"{text!r} is not a time of day in HH:MM form")
    value = int(hours) * 3600 + int(minutes) * 60
    if int(minutes) > 59 or value > DAY:
        raise ValueError(f"{text!r} is not a time of day between 00:00 and 24:00")
    return value


def to_epoch(instant: datetime, *, round_up: bool = False) -> int:
    """Whole seconds since the epoch of an aware instant (the calendar's precision is one second)."""
    if instant.tzinfo is None:
        raise ValueError(f"{instant.isoformat()} has no time zone; instants must be aware")
    seconds = int(instant.replace(microsecond=0).timestamp())
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
        self._holidays = holidays
        self._days: dict[date, tuple[Interval, ...]] = {}

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
        return from_epoch(self.deadline_ts(to_epoch(start, round_up=True), seconds))

    def business_seconds(self, start: datetime, end: datetime) -> int:
        """Business seconds in [start, end); zero when end is not after start."""
        return self.business_seconds_ts(to_epoch(start), to_epoch(end))

    def is_business_time(self, instant: datetime) -> bool:
        at = to_epoch(instant)
        return self.business_seconds_ts(at, at + 1) == 1

    # -- the same on epoch seconds, for the engine's inner loops ----------------------------

    def deadline_ts(self, start: int, seconds: int) -> int:
        _check_budget(seconds)
        if seconds == 0:
            return start
        remaining = seconds
        for opens, closes in self._intervals_from(start):
            span = closes - opens
            if span >= remaining:
                return opens + remaining
            remaining -= span
        raise AssertionError("unreachable: without `until`, _intervals_from ends only by raising")

    def business_seconds_ts(self, start: int, end: int) -> int:
        total = 0
        if end <= start:
            return 0
        for opens, closes in self._intervals_from(start, until=end):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total

    # -- internals ---------------------------------------------------------------------------

    def _intervals_from(self, start: int, until: int | None = None) -> Iterator[Interval]:
        """Business intervals in UTC order, clipped to begin at ``start``; endless unless ``until``."""
        day = datetime.fromtimestamp(start, self._zone).date() - timedelta(days=1)
        closed_days = 0
        while until is None or (day - _EPOCH_DATE).days * DAY - _SPAN_BEFORE < until:
            intervals = self._day_intervals(day)
            closed_days = 0 if intervals else closed_days + 1
            if closed_days > MAX_CLOSED_DAYS:
                raise NoBusinessTime(
                    f"the calendar is closed for more than {MAX_CLOSED_DAYS} days in a row after {day}"
                )
            for opens, closes in intervals:
                if closes > start:
                    yield max(opens, start), closes
            day += timedelta(days=1)

    def _day_intervals(self, day: date) -> tuple[Interval, ...]:
        cached = self._days.get(day)
        if cached is not None:
            return cached
        windows = () if day in self._holidays else self._weekly[day.weekday()]
        intervals: list[Interval] = []
        if windows:
            midnight = (day - _EPOCH_DATE).days * DAY  # local midnight, read as if it were UTC
            for seg_start, seg_end, offset in self._offset_segments(
                midnight - _SPAN_BEFORE, midnight + _SPAN_AFTER
            ):
                for opens, closes in windows:
                    lo = max(seg_start, midnight + opens - offset)
                    hi = min(seg_end, midnight + closes - offset)
                    if lo < hi:
                        intervals.append((lo, hi))
        result = tuple(_merge(sorted(intervals)))
        self._days[day] = result
        return result

    def _offset_segments(self, lo: int, hi: int) -> Iterator[tuple[int, int, int]]:
        """Split [lo, hi) into pieces of constant UTC offset: (start, end, offset)."""
        seg_start, offset = lo, utc_offset(self._zone, lo)
        probe = lo
        while probe < hi:
            nxt = min(probe + _OFFSET_PROBE_STEP, hi)
            nxt_offset = utc_offset(self._zone, nxt)
            if nxt_offset != offset:
                change = first_second_with_offset(self._zone, probe, nxt, nxt_offset)
                yield seg_start, change, offset
                seg_start, offset = change, nxt_offset
            probe = nxt
        yield seg_start, hi, offset


def utc_offset(zone: ZoneInfo, at: int) -> int:
    offset = datetime.fromtimestamp(at, zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def first_second_with_offset(zone: ZoneInfo, before: int, after: int, offset: int) -> int:
    """The first second in (before, after] at which ``zone`` has ``offset`` (one change between)."""
    while after - before > 1:
        middle = (before + after) // 2
        if utc_offset(zone, middle) == offset:
            after = middle
        else:
            before = middle
    return after


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

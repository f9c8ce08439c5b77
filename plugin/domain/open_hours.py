"""A calendar's open hours, day by day, as its business-time code sees them, and the changes of its
zone's UTC offset (DST) in a range.

The windows are read out of ``BusinessCalendar`` itself (``plugin.domain.open_intervals``): holidays,
windows that touch and DST days come out exactly as the SLA clocks count them, with no second reading
of the weekly hours here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .calendar import WEEKDAYS, BusinessCalendar, from_epoch, to_epoch
from .open_intervals import open_intervals
from .reports import day_start
from .zones import OffsetTimeline


@dataclass(frozen=True, slots=True)
class OpenWindow:
    opens_at: datetime  # UTC
    closes_at: datetime
    opens: str  # local wall-clock time, HH:MM
    closes: str  # HH:MM; "24:00" when the window lasts to the end of the day


@dataclass(frozen=True, slots=True)
class OpenDay:
    day: date  # a local date of the calendar's zone
    starts_at: datetime  # its first instant (UTC)
    ends_at: datetime  # the next day's first instant
    windows: tuple[OpenWindow, ...]
    holiday: str | None  # None: no holiday; else its name ("" when it has none)

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.day.weekday()]

    @property
    def open_seconds(self) -> int:
        return sum(int((window.closes_at - window.opens_at).total_seconds()) for window in self.windows)


@dataclass(frozen=True, slots=True)
class OffsetChange:
    """A change of the zone's UTC offset: clocks go forward (DST begins) or back (it ends)."""

    at: datetime  # the first instant of the new offset (UTC)
    day: date  # the local date on which it happens
    offset_before: int  # seconds east of UTC
    offset_after: int
    local_before: str  # the wall-clock time the clocks show as it happens, HH:MM…
    local_after: str  # …and what they are set to

    @property
    def direction(self) -> str:
        return "forward" if self.offset_after > self.offset_before else "back"


def open_days(calendar: BusinessCalendar, first: date, count: int, holidays: Mapping[date, str]) -> list[OpenDay]:
    """Each local day of ``[first, first + count)``: its open windows and whether it is a holiday
    (``holidays``: the calendar's holidays in the range, by date, with their names)."""
    zone = ZoneInfo(calendar.timezone)
    days = [first + timedelta(days=offset) for offset in range(count + 1)]
    bounds = [to_epoch(day_start(day, calendar.timezone)) for day in days]
    answer = []
    for day, lo, hi in zip(days, bounds, bounds[1:], strict=False):
        windows = tuple(
            OpenWindow(from_epoch(opens), from_epoch(closes), _clock(opens, zone),
                       "24:00" if closes == hi else _clock(closes, zone))
            for opens, closes in open_intervals(calendar, lo, hi).intervals
        )
        answer.append(OpenDay(day, from_epoch(lo), from_epoch(hi), windows, holidays.get(day)))
    return answer


def offset_changes(timezone: str, start: datetime, end: datetime) -> list[OffsetChange]:
    """The changes of the zone's UTC offset in ``[start, end)``."""
    zone = ZoneInfo(timezone)
    lo, hi = to_epoch(start), to_epoch(end)
    timeline = OffsetTimeline(zone, lo, hi)
    changes = []
    for at, before, after in zip(timeline.starts[1:], timeline.offsets, timeline.offsets[1:], strict=False):
        changes.append(OffsetChange(from_epoch(at), from_epoch(at + after).date(), before, after,
                                    _clock(at, zone, before), _clock(at, zone, after)))
    return changes


def _clock(epoch: int, zone: ZoneInfo, offset: int | None = None) -> str:
    """The local wall-clock time of an instant (under ``offset`` when given), HH:MM."""
    if offset is None:
        return datetime.fromtimestamp(epoch, zone).strftime("%H:%M")
    return from_epoch(epoch + offset).strftime("%H:%M")

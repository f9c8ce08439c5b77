"""When a clock runs between two instants: the open intervals of a calendar, for a live countdown.

A page that counts a target down in business time needs to know when the calendar is open between
now and the due instant; with these intervals it counts down only while one of them holds ``now``,
and shows when the next one begins. They are read from the same ``Clock`` the engine uses
(``plugin.domain.calendar``): the first open second at or after an instant is where one second of
business time, counted from there, begins; an interval runs on while every second of it is business
time. Touching intervals (a calendar open until midnight and again from midnight) come out as one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .calendar import Clock, NoBusinessTime

Interval = tuple[int, int]
DEFAULT_LIMIT = 200


@dataclass(frozen=True)
class OpenIntervals:
    """``intervals``: [open, close) in epoch seconds, in order, within the span asked for; ``complete``:
    False when the limit cut them short (more open time follows the last one before the span ends)."""

    intervals: tuple[Interval, ...]
    complete: bool


def open_intervals(clock: Clock, start: int, end: int, limit: int = DEFAULT_LIMIT) -> OpenIntervals:
    """The open intervals of ``clock`` within [start, end), at most ``limit`` of them."""
    found: list[Interval] = []
    at = start
    while at < end:
        opens = next_open_second(clock, at)
        if opens is None or opens >= end:
            break
        if len(found) == limit:
            return OpenIntervals(tuple(found), complete=False)
        closes = _close_of(clock, opens, end)
        found.append((opens, closes))
        at = closes
    return OpenIntervals(tuple(found), complete=True)


def next_open_second(clock: Clock, at: int) -> int | None:
    """The first second at or after ``at`` that is business time; None if the calendar never opens again."""
    try:
        return clock.deadline_ts(at, 1) - 1
    except NoBusinessTime:
        return None


def _close_of(clock: Clock, opens: int, end: int) -> int:
    """The end of the open run that begins at ``opens`` (an open second), or ``end`` if it lasts until then."""

    def open_throughout(until: int) -> bool:
        return clock.business_seconds_ts(opens, until) == until - opens

    low, step = opens + 1, 60  # [opens, low) is open; double the step until a closed second is found
    while True:
        high = min(end, low + step)
        if open_throughout(high):
            if high == end:
                return end
            low, step = high, step * 2
            continue
        break
    while high - low > 1:  # [opens, low) open, [opens, high) not: the close lies in (low, high)
        middle = (low + high) // 2
        if open_throughout(middle):
            low = middle
        else:
            high = middle
    return low

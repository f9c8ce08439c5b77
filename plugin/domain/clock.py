"""One SLA clock: a budget of business seconds spent over the intervals in which it runs.

Ties (design §3): a clock stopped exactly at its due instant is met; one still running at its
due instant is breached at that instant; one paused exactly at its due instant is neither, and
breaches the moment it runs again. A breach is final, whatever happens later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .calendar import Clock

ClockStatus = Literal["active", "paused", "met", "breached"]


@dataclass(frozen=True, slots=True)
class ClockReading:
    status: ClockStatus
    due_at: int | None
    stopped_at: int | None
    breached_at: int | None
    business_seconds: int  # spent up to the stop, or up to ``now`` while not stopped
    warn_at: int | None = None


def run_clock(
    clock: Clock,
    budget: int,
    intervals: Sequence[tuple[int, int | None]],
    stopped_at: int | None,
    now: int,
    started_at: int,
    warn_seconds: int = 0,
) -> ClockReading:
    """Read a clock that runs over ``intervals`` ([a, b), b None = still running at ``now``).

    ``stopped_at`` is the instant the target was met (the end of its last interval, or a
    moment while paused); None while it has not been.
    """
    spent = 0
    breached_at: int | None = None
    resume, left = started_at, budget  # where the due instant is measured from
    due: int | None = None  # known once computed for the current ``resume``
    running_now = False
    for opens, closes in intervals:
        running_now = closes is None
        until = now if closes is None else closes
        if until <= opens and not running_now:
            continue
        used = clock.business_seconds_ts(opens, until)
        if breached_at is None:
            resume, left, due = opens, budget - spent, None
            if used >= left or running_now:
                due = clock.deadline_ts(opens, left)
                if due < until or (running_now and due <= now):
                    breached_at = due
        spent += used
    if breached_at is not None:
        return ClockReading("breached", breached_at, stopped_at, breached_at, spent)
    if stopped_at is None and not running_now:
        return ClockReading("paused", None, None, None, spent)
    if due is None:
        due = clock.deadline_ts(resume, left)
    if stopped_at is not None:
        return ClockReading("met", due, stopped_at, None, spent)
    warn_at = clock.deadline_ts(resume, max(0, left - warn_seconds)) if warn_seconds else None
    return ClockReading("active", due, None, None, spent, warn_at)

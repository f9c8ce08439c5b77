"""Report arithmetic: achieved against targeted success rates, per policy, metric and period.

A target counts in the hour and day (in the tenant's zone) in which its outcome was decided:
met at its stop, breached at its due instant. ``missed_tickets`` is how many more tickets had
to be met for the period to reach its targeted rate: 100 tickets, 70 met, target 80 % → 10.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

from .calendar import from_epoch, to_epoch
from .engine import TargetState
from .zones import first_second_with_offset, utc_offset

Period = Literal["hourly", "daily"]


@dataclass(frozen=True, slots=True)
class ReportRow:
    period_start: datetime
    policy: str
    metric: str
    total: int
    met: int
    breached: int
    achieved_percent: float
    target_percent: float
    missed_tickets: int
    median_business_seconds: float
    p90_business_seconds: float


def period_start(instant: datetime, period: Period, timezone: str) -> datetime:
    """The first instant (UTC) of the local hour or day that holds ``instant``."""
    zone = ZoneInfo(timezone)
    local = instant.astimezone(zone)
    if period == "hourly":  # keeps the fold: a repeated hour of a DST fall-back is its own hour
        start = local.replace(minute=0, second=0, microsecond=0)
    else:
        start = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    utc = start.astimezone(UTC)
    if utc <= instant:
        return utc
    # The local start lies in a DST gap: the period began when the clocks jumped.
    before = to_epoch(start.replace(fold=1).astimezone(UTC))
    after = to_epoch(instant)
    return from_epoch(first_second_with_offset(zone, before, after, utc_offset(zone, after)))


def day_start(day: date, timezone: str) -> datetime:
    """The first instant (UTC) of a local day (a DST gap at midnight moves it later)."""
    return period_start(datetime.combine(day, time(12), ZoneInfo(timezone)), "daily", timezone)


def achieved_percent(met: int, total: int) -> float:
    if total == 0:
        return 0.0
    exact = Decimal(100 * met) / Decimal(total)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def missed_tickets(target_percent: float, total: int, met: int) -> int:
    """max(0, ⌈target·total/100⌉ − met), computed exactly."""
    needed = math.ceil(Fraction(str(target_percent)) * total / 100)
    return max(0, needed - met)


def percentile(values: list[int], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def time_to_outcome(target: TargetState) -> int:
    """Business seconds until the outcome was decided: all of the budget for a breach."""
    return target.target_seconds if target.status == "breached" else target.business_seconds


class ReportBuilder:
    """Adds targets one at a time (a stream of any length) and yields the rows at the end.

    Holds per row only counts and each target's business time to outcome, for exact percentiles.
    """

    def __init__(self, period: Period, timezone: str) -> None:
        self.period, self.timezone = period, timezone
        self._groups: dict[tuple[datetime, str, str], _Group] = {}
        self._starts: dict[tuple[int, int, int, int, int], datetime] = {}  # UTC minute → period start

    def add(self, target: TargetState) -> None:
        decided = target.decided_at
        if decided is None:
            return
        key = (self._period_start(decided), target.policy_id, target.metric)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(target.success_rate_percent)
        group.durations.append(time_to_outcome(target))
        if target.status == "met":
            group.met += 1

    def rows(self) -> list[ReportRow]:
        """Rows for every (period, policy, metric) that had a decided target, in that order."""
        return list(self.iter_rows())

    def iter_rows(self) -> Iterator[ReportRow]:
        """The same rows, made one at a time (a long history has many hours)."""
        for key in sorted(self._groups):
            yield self._groups[key].row(*key)

    def _period_start(self, decided: datetime) -> datetime:
        # Zone offsets and their changes fall on whole minutes, so every instant of one UTC
        # minute lies in the same local hour: compute each minute's period start once.
        minute = (decided.year, decided.month, decided.day, decided.hour, decided.minute)
        start = self._starts.get(minute)
        if start is None:
            if len(self._starts) > 50_000:
                self._starts.clear()
            start = self._starts[minute] = period_start(decided, self.period, self.timezone)
        return start


class _Group:
    __slots__ = ("durations", "met", "rate")

    def __init__(self, rate: float) -> None:
        self.rate, self.met = rate, 0
        self.durations: array[int] = array("q")

    def row(self, start: datetime, policy: str, metric: str) -> ReportRow:
        total = len(self.durations)
        durations = list(self.durations)
        return ReportRow(
            period_start=start,
            policy=policy,
            metric=metric,
            total=total,
            met=self.met,
            breached=total - self.met,
            achieved_percent=achieved_percent(self.met, total),
            target_percent=self.rate,
            missed_tickets=missed_tickets(self.rate, total, self.met),
            median_business_seconds=percentile(durations, 0.5),
            p90_business_seconds=percentile(durations, 0.9),
        )


def build_report(targets: Iterable[TargetState], period: Period, timezone: str) -> list[ReportRow]:
    """Rows for every (period, policy, metric) that had a decided target, in that order."""
    builder = ReportBuilder(period, timezone)
    for target in targets:
        builder.add(target)
    return builder.rows()

"""Report arithmetic: achieved against targeted success rates, per policy, metric and period.

A target counts in the hour and day (in the tenant's zone) in which its outcome was decided:
met at its stop, breached at its due instant. ``missed_tickets`` is how many more tickets had
to be met for the period to reach its targeted rate: 100 tickets, 70 met, target 80 % → 10.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

from .calendar import first_second_with_offset, from_epoch, to_epoch, utc_offset
from .engine import TargetState

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


def build_report(targets: Iterable[TargetState], period: Period, timezone: str) -> list[ReportRow]:
    """Rows for every (period, policy, metric) that had a decided target, in that order."""
    groups: dict[tuple[datetime, str, str], list[TargetState]] = defaultdict(list)
    for target in targets:
        decided = target.decided_at
        if decided is None:
            continue
        groups[(period_start(decided, period, timezone), target.policy_id, target.metric)].append(target)
    rows = []
    for (start, policy, metric), members in sorted(groups.items()):
        met = sum(1 for target in members if target.status == "met")
        total = len(members)
        rate = members[0].success_rate_percent
        durations = [time_to_outcome(target) for target in members]
        rows.append(
            ReportRow(
                period_start=start,
                policy=policy,
                metric=metric,
                total=total,
                met=met,
                breached=total - met,
                achieved_percent=achieved_percent(met, total),
                target_percent=rate,
                missed_tickets=missed_tickets(rate, total, met),
                median_business_seconds=percentile(durations, 0.5),
                p90_business_seconds=percentile(durations, 0.9),
            )
        )
    return rows

"""Report arithmetic: periods in the tenant's zone, rates, missed tickets, percentiles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plugin.domain.engine import TargetState
from plugin.domain.reports import achieved_percent, build_report, missed_tickets, percentile, period_start


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def target(status: str, decided: datetime, seconds: int = 600, policy: str = "p", metric: str = "first_response",
           rate: float = 80) -> TargetState:
    return TargetState(
        metric=metric,  # type: ignore[arg-type]
        cycle=0,
        policy_id=policy,
        status=status,  # type: ignore[arg-type]
        started_at=utc(2026, 3, 2),
        due_at=decided,
        stopped_at=decided if status == "met" else None,
        breached_at=decided if status == "breached" else None,
        business_seconds=seconds,
        target_seconds=1800,
        success_rate_percent=rate,
    )


@pytest.mark.parametrize(
    ("target_percent", "total", "met", "missed"),
    [(80, 100, 70, 10), (80, 100, 80, 0), (80, 100, 95, 0), (80, 19, 16, 0), (80, 39, 27, 5), (95, 7, 6, 1),
     (99.9, 1000, 998, 1), (0, 10, 0, 0), (100, 3, 2, 1), (33.3, 3, 0, 1)],
)
def test_missed_tickets_is_the_shortfall_against_the_target(
    target_percent: float, total: int, met: int, missed: int
) -> None:
    assert missed_tickets(target_percent, total, met) == missed


def test_achieved_percent_rounds_half_up_to_one_decimal() -> None:
    assert achieved_percent(16, 19) == 84.2
    assert achieved_percent(1, 8) == 12.5
    assert achieved_percent(1, 16) == 6.3  # 6.25 → 6.3, not banker's 6.2
    assert achieved_percent(0, 0) == 0.0


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([10, 20, 30, 40], 0.5) == 25
    assert percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9) == 91
    assert percentile([], 0.9) == 0


@pytest.mark.parametrize(
    ("instant", "period", "zone", "start"),
    [
        (utc(2026, 3, 2, 9, 54), "hourly", "UTC", utc(2026, 3, 2, 9)),
        (utc(2026, 3, 2, 9, 54), "daily", "UTC", utc(2026, 3, 2)),
        (utc(2026, 3, 2, 22, 30), "daily", "Europe/Istanbul", utc(2026, 3, 2, 21)),  # already the 3rd there
        (utc(2026, 3, 2, 9, 10), "hourly", "Asia/Kolkata", utc(2026, 3, 2, 8, 30)),  # UTC+5:30
        (utc(2026, 3, 2, 9, 20), "hourly", "Asia/Kathmandu", utc(2026, 3, 2, 9, 15)),  # UTC+5:45
        (utc(2026, 3, 2, 9, 14, 59), "hourly", "Asia/Kathmandu", utc(2026, 3, 2, 8, 15)),
        # New York falls back on 2026-11-01: that day is 25 hours long and 01:00 happens twice.
        (utc(2026, 11, 2, 4, 30), "daily", "America/New_York", utc(2026, 11, 1, 4)),
        (utc(2026, 11, 1, 5, 30), "hourly", "America/New_York", utc(2026, 11, 1, 5)),
        (utc(2026, 11, 1, 6, 30), "hourly", "America/New_York", utc(2026, 11, 1, 6)),
        # Santiago springs forward at local midnight (2026-09-06): the day begins at 01:00.
        (utc(2026, 9, 6, 12), "daily", "America/Santiago", utc(2026, 9, 6, 4)),
    ],
)
def test_periods_follow_the_tenant_zone(instant: datetime, period: str, zone: str, start: datetime) -> None:
    assert period_start(instant, period, zone) == start  # type: ignore[arg-type]


def test_a_target_counts_where_its_outcome_was_decided() -> None:
    rows = build_report(
        [
            target("met", utc(2026, 3, 2, 9, 20)),
            target("breached", utc(2026, 3, 2, 9, 59, 59)),
            target("met", utc(2026, 3, 2, 10, 0)),
            target("active", utc(2026, 3, 2, 10, 5)),
            target("cancelled", utc(2026, 3, 2, 10, 5)),
        ],
        "hourly",
        "UTC",
    )
    assert [(row.period_start, row.total, row.met, row.breached) for row in rows] == [
        (utc(2026, 3, 2, 9), 2, 1, 1),
        (utc(2026, 3, 2, 10), 1, 1, 0),
    ]


def test_rows_are_per_policy_and_metric() -> None:
    rows = build_report(
        [target("met", utc(2026, 3, 2, 9), policy="b"), target("met", utc(2026, 3, 2, 9), policy="a"),
         target("met", utc(2026, 3, 2, 9), policy="a", metric="resolution", rate=95)],
        "daily",
        "UTC",
    )
    assert [(row.policy, row.metric, row.target_percent) for row in rows] == [
        ("a", "first_response", 80), ("a", "resolution", 95), ("b", "first_response", 80)
    ]


def test_breached_targets_count_their_whole_budget_as_time_to_outcome() -> None:
    rows = build_report(
        [target("met", utc(2026, 3, 2, 9), seconds=600), target("breached", utc(2026, 3, 2, 9), seconds=5000)],
        "daily",
        "UTC",
    )
    assert rows[0].median_business_seconds == (600 + 1800) / 2

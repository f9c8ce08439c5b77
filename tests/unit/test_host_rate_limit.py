"""Per-tenant token buckets: a burst at once, then the rate; no tenant ever slows another."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.host.rate_limit import RateLimiter


@dataclass
class Clock:
    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now


class ReferenceBuckets:
    """The token bucket, plainly: every tenant's bucket kept for ever."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}

    def try_acquire(self, tenant: str, now: float) -> float:
        tokens, then = self.buckets.get(tenant, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        if tokens >= 1 - 1e-9:
            self.buckets[tenant] = (tokens - 1, now)
            return 0.0
        self.buckets[tenant] = (tokens, now)
        return (1 - tokens) / self.rate


rates = st.sampled_from([0.5, 1.0, 2.5, 10.0])
bursts = st.integers(min_value=1, max_value=5)
steps = st.integers(min_value=0, max_value=3_000)  # milliseconds between two calls
calls = st.lists(st.tuples(steps, st.sampled_from(["a", "b", "c"])), max_size=150)


def test_a_burst_goes_at_once_then_calls_wait_for_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_second=2, burst=3, clock=clock)

    assert [limiter.try_acquire("acme") for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]
    clock.now += 0.2
    assert limiter.try_acquire("acme") == pytest.approx(0.3)
    clock.now += 0.3
    assert limiter.try_acquire("acme") == 0.0


def test_a_tenants_own_rate_and_burst_replace_the_defaults() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_second=100, burst=100, clock=clock)

    assert [limiter.try_acquire("slow", rate=0.25, burst=1) for _ in range(2)] == [0.0, 4.0]
    assert limiter.try_acquire("fast") == 0.0


def test_a_clock_that_steps_back_refills_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_second=1, burst=1, clock=clock)
    limiter.try_acquire("acme")
    clock.now -= 50

    assert limiter.try_acquire("acme") > 0
    clock.now += 50
    assert limiter.try_acquire("acme") > 0  # the step back gave nothing, and took nothing either
    clock.now += 1
    assert limiter.try_acquire("acme") == 0.0


def test_tenants_whose_buckets_refilled_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_second=10, burst=20, clock=clock)
    for tenant in range(10_000):
        limiter.try_acquire(tenant)
    assert len(limiter) == 10_000

    clock.now += 20 / 10  # every bucket is full again
    limiter.try_acquire("latest")

    assert len(limiter) == 1


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_a_limit_that_admits_nothing_is_an_error(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate > 0 and burst >= 1"):
        RateLimiter(rate_per_second=rate, burst=burst)
    with pytest.raises(ValueError, match="rate > 0 and burst >= 1"):
        RateLimiter().try_acquire("acme", rate=rate, burst=burst)


@given(rates, bursts, st.lists(steps, max_size=150))
def test_no_stretch_of_calls_gets_more_than_the_burst_plus_the_rate_times_its_length(
        rate: float, burst: int, gaps: list[int]) -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_second=rate, burst=burst, clock=clock)
    admitted: list[float] = []
    for gap in gaps:
        clock.now += gap / 1000
        if limiter.try_acquire("acme") == 0.0:
            admitted.append(clock.now)

    for first in range(len(admitted)):
        for last in range(first, len(admitted)):
            assert last - first + 1 <= burst + rate * (admitted[last] - admitted[first]) + 1e-6


@given(rates, bursts, st.lists(steps, min_size=1, max_size=50))
def test_a_tenant_that_waits_the_time_it_was_told_is_admitted(rate: float, burst: int, gaps: list[int]) -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_second=rate, burst=burst, clock=clock)
    for gap in gaps:
        clock.now += gap / 1000
        wait = limiter.try_acquire("acme")
        if wait > 0:
            clock.now += wait
            assert limiter.try_acquire("acme") == 0.0


@given(rates, bursts, calls)
def test_a_tenant_never_slows_another(rate: float, burst: int, sequence: list[tuple[int, str]]) -> None:
    shared_clock, alone_clock = Clock(), Clock()
    shared = RateLimiter(rate_per_second=rate, burst=burst, clock=shared_clock)
    alone = {tenant: RateLimiter(rate_per_second=rate, burst=burst, clock=alone_clock) for tenant in "abc"}
    for gap, tenant in sequence:
        shared_clock.now += gap / 1000
        alone_clock.now = shared_clock.now

        assert shared.try_acquire(tenant) == alone[tenant].try_acquire(tenant)


@given(rates, bursts, calls)
def test_forgetting_full_buckets_changes_no_answer(rate: float, burst: int, sequence: list[tuple[int, str]]) -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_second=rate, burst=burst, clock=clock)
    reference = ReferenceBuckets(rate, burst)
    for gap, tenant in sequence:
        clock.now += gap / 1000

        assert limiter.try_acquire(tenant) == pytest.approx(reference.try_acquire(tenant, clock.now), abs=1e-9)

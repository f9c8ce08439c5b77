"""Backoff between a host command's attempts: full jitter under a growing ceiling, never before Retry-After."""

from __future__ import annotations

import random
from statistics import mean

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.host.backoff import MAX_ATTEMPTS, RETRY_AFTER_CAP_SECONDS, retry_delay

attempts = st.integers(min_value=0, max_value=2_000)
seeds = st.integers(min_value=0, max_value=2**32)
bases = st.floats(min_value=0.001, max_value=60)
caps = st.floats(min_value=0, max_value=86_400)
retry_afters = st.floats(min_value=0, max_value=10**7)


@given(attempts, seeds, bases, caps)
def test_a_delay_lies_between_zero_and_the_smaller_of_the_cap_and_the_doubled_base(
        failed: int, seed: int, base: float, cap: float) -> None:
    delay = retry_delay(failed, random.Random(seed), base, cap)

    assert 0 <= delay <= min(cap, base * 2.0 ** min(failed, 1000))


@given(attempts, seeds, bases, caps, retry_afters)
def test_a_delay_is_never_shorter_than_retry_after_up_to_an_hour(
        failed: int, seed: int, base: float, cap: float, retry_after: float) -> None:
    delay = retry_delay(failed, random.Random(seed), base, cap, retry_after)

    assert delay >= min(retry_after, RETRY_AFTER_CAP_SECONDS)
    assert delay <= max(cap, min(retry_after, RETRY_AFTER_CAP_SECONDS))


@given(st.integers(min_value=0, max_value=60), seeds, bases, caps)
def test_the_same_draw_never_waits_less_after_more_failures(failed: int, seed: int, base: float, cap: float) -> None:
    sooner, later = (retry_delay(count, random.Random(seed), base, cap) for count in (failed, failed + 1))

    assert sooner <= later


def test_the_delay_grows_in_expectation_until_the_cap() -> None:
    rng = random.Random(7)
    means = [mean(retry_delay(failed, rng) for _ in range(4_000)) for failed in range(12)]

    for failed, average in enumerate(means):  # full jitter: half the ceiling, on average
        assert average == pytest.approx(min(300.0, 2.0**failed) / 2, rel=0.05)
    assert means[:9] == sorted(means[:9])


def test_full_jitter_spreads_the_delays_over_the_whole_range() -> None:
    rng = random.Random(11)
    delays = [retry_delay(5, rng) for _ in range(1_000)]

    assert min(delays) < 0.05 * 32 and max(delays) > 0.95 * 32


def test_a_day_long_retry_after_waits_an_hour() -> None:
    assert retry_delay(1, random.Random(0), retry_after=86_400) == RETRY_AFTER_CAP_SECONDS == 3600


def test_a_retry_after_shorter_than_the_draw_leaves_the_draw() -> None:
    drawn = retry_delay(20, random.Random(3))

    assert retry_delay(20, random.Random(3), retry_after=drawn / 2) == drawn


def test_the_attempts_before_a_dead_letter_span_minutes_not_seconds() -> None:
    spans = [sum(retry_delay(failed, rng) for failed in range(1, MAX_ATTEMPTS))
             for rng in (random.Random(seed) for seed in range(200))]

    assert 5 * 60 < mean(spans) < 20 * 60


@pytest.mark.parametrize(("failed", "base", "cap"), [(-1, 1.0, 300.0), (1, 0.0, 300.0), (1, 1.0, -1.0)])
def test_a_negative_count_base_or_cap_is_an_error(failed: int, base: float, cap: float) -> None:
    with pytest.raises(ValueError, match="retry_delay needs"):
        retry_delay(failed, random.Random(0), base, cap)

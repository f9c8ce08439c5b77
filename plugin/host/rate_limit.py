"""How fast the plugin calls each tenant's host: one token bucket per tenant.

A bucket holds up to ``burst`` tokens and gains ``rate`` tokens a second; a call takes one. So over
any stretch of t seconds a tenant gets at most ``burst + rate · t`` calls, and one tenant's calls
never take from another's bucket. The clock is injected: the limiter is deterministic.

Memory stays bounded without changing an answer: a bucket that has refilled to ``burst`` is the
same as one never used, so it is forgotten: only tenants called within the last ``burst / rate``
seconds (the longest of any tenant's) are held.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

# Float rounding must not turn "one token, exactly" into a wait of a few femtoseconds.
_EPSILON = 1e-9


@dataclass
class _Bucket:
    tokens: float
    updated_at: float
    rate: float
    burst: int

    def full_at(self) -> float:
        return self.updated_at + (self.burst - self.tokens) / self.rate


class RateLimiter:
    def __init__(self, rate_per_second: float = 10, burst: int = 20,
                 clock: Callable[[], float] = time.monotonic) -> None:
        _check(rate_per_second, burst)
        self.rate_per_second = rate_per_second
        self.burst = burst
        self._clock = clock
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Tenants whose buckets are held (the others' are full)."""
        return len(self._buckets)

    def try_acquire(self, tenant_id: Hashable, rate: float | None = None, burst: int | None = None) -> float:
        """0.0 if the tenant may call now (and the call is counted), else the seconds until it may.

        ``tenant_id`` is any hashable key (the store's id); ``rate`` and ``burst`` are the tenant's
        own limits, if it has them, otherwise the limiter's.
        """
        rate = self.rate_per_second if rate is None else rate
        burst = self.burst if burst is None else burst
        _check(rate, burst)
        with self._lock:
            now = self._clock()
            self._forget_full(now)
            bucket = self._buckets.pop(tenant_id, None) or _Bucket(float(burst), now, rate, burst)
            self._buckets[tenant_id] = bucket  # now the most recently used
            elapsed = max(0.0, now - bucket.updated_at)  # a clock that steps back refills nothing
            bucket.tokens = min(float(burst), bucket.tokens + elapsed * rate)
            bucket.updated_at = max(bucket.updated_at, now)
            bucket.rate, bucket.burst = rate, burst
            if bucket.tokens >= 1.0 - _EPSILON:
                bucket.tokens -= 1.0  # perhaps -1e-9: owed, not forgiven
                return 0.0
            return (1.0 - bucket.tokens) / rate

    def _forget_full(self, now: float) -> None:
        # From the least recently used on, until one is not full yet: amortized O(1) a call. Those
        # left behind it were used later, so none has waited longer than the longest refill.
        while self._buckets:
            tenant_id, bucket = next(iter(self._buckets.items()))
            if bucket.full_at() > now:
                return
            del self._buckets[tenant_id]


def _check(rate: float, burst: int) -> None:
    if not rate > 0 or burst < 1:
        raise ValueError(f"a rate limit needs rate > 0 and burst >= 1, not rate={rate}, burst={burst}")

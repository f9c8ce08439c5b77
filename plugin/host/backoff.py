"""When to try a host command again: exponential backoff with full jitter, never before ``Retry-After``.

Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): the wait after the n-th
failed attempt is uniform in [0, min(cap, base · 2ⁿ)], so the commands that failed together (a
host that was down for everyone) spread out instead of coming back in step.
"""

from __future__ import annotations

import math
import random

# A command is a dead letter once its 12th attempt has failed. With the defaults (base 1 s, cap
# 300 s) its 11 waits add up to about 12 minutes on average and at most about 23 minutes, more
# when the host sent Retry-After: a host away for longer leaves its commands for the admin to see.
MAX_ATTEMPTS = 12

# The longest Retry-After honoured: a host asking for a day is most likely wrong, and waiting a
# day would hold the ticket's later commands (delivered in order) for as long.
RETRY_AFTER_CAP_SECONDS = 3600.0


def retry_delay(attempts: int, rng: random.Random, base: float = 1.0, cap: float = 300.0,
                retry_after: float | None = None) -> float:
    """Seconds to wait after ``attempts`` failed attempts (1 after the first failure).

    Uniform in [0, min(cap, base · 2^attempts)]; when the host asked for ``retry_after`` seconds,
    never less than that (up to ``RETRY_AFTER_CAP_SECONDS``).
    """
    if attempts < 0 or not base > 0 or not cap >= 0:
        raise ValueError(f"retry_delay needs attempts >= 0, base > 0 and cap >= 0, not {attempts}, {base}, {cap}")
    ceiling = min(cap, base * 2.0 ** min(attempts, 1000))  # 2.0 ** 1024 overflows; 2 ** 1000 is past any cap
    delay = rng.uniform(0.0, ceiling)
    if retry_after is not None and not math.isnan(retry_after):
        delay = max(delay, min(max(retry_after, 0.0), RETRY_AFTER_CAP_SECONDS))
    return delay

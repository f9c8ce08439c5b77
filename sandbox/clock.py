"""The helpdesk's clock: when its tickets are created, answered and solved.

Tests freeze it at fixed instants; the demo runs it faster than real time so that a working day
plays in minutes. Signatures and JWTs never use it: the plugin checks those against real time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SandboxClock:
    """Real time by default; ``set(instant)`` freezes it, ``set(instant, rate=60)`` runs it 60× from there."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._anchor: datetime | None = None  # None: the real clock
        self._anchored_at = 0.0
        self._rate = 0.0

    def now(self) -> datetime:
        with self._lock:
            if self._anchor is None:
                return datetime.now(UTC)
            elapsed = (self._monotonic() - self._anchored_at) * self._rate
            return self._anchor + timedelta(seconds=elapsed)

    def set(self, instant: datetime | None, rate: float = 0.0) -> None:
        """Freeze at ``instant`` (rate 0), run from it ``rate`` times faster than real time, or
        follow the real clock again (``instant`` None)."""
        if instant is not None and instant.tzinfo is None:
            raise ValueError("the clock's instant needs a time zone offset")
        if rate < 0:
            raise ValueError("the clock's rate cannot be negative")
        with self._lock:
            self._anchor = instant.astimezone(UTC) if instant is not None else None
            self._anchored_at = self._monotonic()
            self._rate = rate

    def describe(self) -> dict[str, object]:
        now = self.now()
        with self._lock:
            mode = "real" if self._anchor is None else "frozen" if self._rate == 0 else "accelerated"
            rate = 1.0 if self._anchor is None else self._rate
        return {"now": iso(now), "mode": mode, "rate": rate}


def iso(instant: datetime) -> str:
    """An instant as the protocol writes it: UTC, whole seconds, ``Z``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: object, what: str) -> datetime:
    """An ISO 8601 instant with an offset (``Z`` included); ValueError naming ``what`` otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"{what}: must be an ISO 8601 instant with an offset")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not an ISO 8601 instant") from None
    if value.tzinfo is None:
        raise ValueError(f"{what}: {text!r} has no time zone offset")
    return value.astimezone(UTC)

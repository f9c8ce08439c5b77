"""Faults the host API injects on demand, so the plugin's delivery can be tried against them.

A fault answers the next ``count`` host API calls that match it (by method and path glob). Modes:

- ``unavailable``: 5xx (``status``, default 503) and nothing applied;
- ``unavailable_after_apply``: the call is applied, its answer stored for its Idempotency-Key,
  and then lost: the caller gets the 5xx. A retry with the same key gets the stored success;
- ``rate_limited``: 429 with ``Retry-After: <retry_after>`` (seconds), nothing applied;
- ``refused``: a 4xx (``status``, default 422) that says the call is wrong, nothing applied: the
  plugin makes it a dead letter at once (401 and 403 pause its delivery; 404 drops the command);
- ``slow``: wait ``seconds`` before handling the call, then answer normally;
- ``drop``: close the connection without an answer, nothing applied;
- ``drop_after_apply``: apply the call, then close the connection without an answer.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass
from typing import Any

MODES = ("unavailable", "unavailable_after_apply", "rate_limited", "refused", "slow", "drop", "drop_after_apply")
MAX_SLOW_SECONDS = 120.0


class FaultSpecError(ValueError):
    """A fault the sandbox cannot inject; the message names the field."""


@dataclass
class Fault:
    id: int
    mode: str
    count: int | None  # None: every matching call until the faults are cleared
    methods: tuple[str, ...] | None  # None: any method
    paths: tuple[str, ...] | None  # fnmatch globs of the decoded path; None: any host API path
    status: int = 503
    retry_after: int = 1
    seconds: float = 0.0
    used: int = 0

    @property
    def after_apply(self) -> bool:
        return self.mode.endswith("_after_apply")

    def matches(self, method: str, path: str) -> bool:
        if self.count is not None and self.used >= self.count:
            return False
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.paths is None or any(fnmatch.fnmatchcase(path, glob) for glob in self.paths)

    def describe(self) -> dict[str, Any]:
        remaining = None if self.count is None else self.count - self.used
        return {"id": self.id, "mode": self.mode, "count": self.count, "used": self.used, "remaining": remaining,
                "methods": list(self.methods) if self.methods else None,
                "paths": list(self.paths) if self.paths else None, "status": self.status,
                "retry_after": self.retry_after, "seconds": self.seconds}


class FaultBook:
    """The faults in force, first added first tried; each call takes at most one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._made = 0

    def add(self, spec: Any) -> Fault:
        fault = _read_spec(spec, self._made + 1)
        with self._lock:
            self._made = fault.id
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.used += 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.describe() for fault in self._faults]


def _read_spec(spec: Any, fault_id: int) -> Fault:
    if not isinstance(spec, dict):
        raise FaultSpecError("a fault is a JSON object, e.g. {\"mode\": \"unavailable\", \"count\": 2}")
    known = {"mode", "count", "methods", "paths", "status", "retry_after", "seconds"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise FaultSpecError(f"{unknown[0]}: unknown field (a fault takes {', '.join(sorted(known))})")
    mode = spec.get("mode")
    if mode not in MODES:
        raise FaultSpecError(f"mode: must be one of {', '.join(MODES)}")
    count = spec.get("count", 1)
    if count is not None and (not _is_int(count) or count < 1):
        raise FaultSpecError("count: must be a whole number of calls (at least 1), or null for every call")
    refused = mode == "refused"
    status = spec.get("status", 422 if refused else 503)
    if refused and (not _is_int(status) or not 400 <= status <= 499):
        raise FaultSpecError("status: must be a 4xx status for a refused call")
    if not refused and (not _is_int(status) or not 500 <= status <= 599):
        raise FaultSpecError("status: must be a 5xx status")
    retry_after = spec.get("retry_after", 1)
    if not _is_int(retry_after) or retry_after < 0:
        raise FaultSpecError("retry_after: must be whole seconds, 0 or more")
    seconds = spec.get("seconds", 1.0 if mode == "slow" else 0.0)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_SLOW_SECONDS:
        raise FaultSpecError(f"seconds: must be a number from 0 to {MAX_SLOW_SECONDS:g}")
    return Fault(fault_id, mode, count, _strings(spec.get("methods"), "methods", upper=True),
                 _strings(spec.get("paths"), "paths"), status, retry_after, float(seconds))


def _strings(value: Any, name: str, upper: bool = False) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
        raise FaultSpecError(f"{name}: must be a non-empty list of strings, or null")
    return tuple(item.upper() if upper else item for item in value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

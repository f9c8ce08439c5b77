"""The SLA tags a ticket should carry on the host at an instant, and when they next change by
themselves.

Tags mirror the engine's state of the ticket:

- ``sla-at-risk`` while at least one running target is inside its warning window
  (``warn_at`` ≤ now < ``due_at``);
- ``sla-breached`` and ``sla-breached-<metric>`` (the metric's dashes: ``sla-breached-first-response``)
  once a target has breached; a later answer does not take them away, only a history that shows
  the target was met after all.

A running target's tags change with no event at two instants: when its warning window opens and
when it falls due. ``next_tag_change`` is the earliest such instant after ``now``: the sweep looks
at a ticket again then, and at no other time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .engine import TargetState

AT_RISK = "sla-at-risk"
BREACHED = "sla-breached"
PLUGIN_TAG_PREFIX = "sla-"


def breached_tag(metric: str) -> str:
    return f"{BREACHED}-{metric.replace('_', '-')}"


def sla_tags(targets: Iterable[TargetState], now: datetime) -> frozenset[str]:
    tags: set[str] = set()
    for target in targets:
        if target.status == "breached":
            tags |= {BREACHED, breached_tag(target.metric)}
        elif target.status == "active" and target.due_at is not None and target.warn_at is not None \
                and target.warn_at <= now < target.due_at:
            tags.add(AT_RISK)
    return frozenset(tags)


def next_tag_change(targets: Iterable[TargetState], now: datetime) -> datetime | None:
    """The first instant after ``now`` at which a running target enters its warning window or falls due."""
    instants = [instant for target in targets if target.status == "active"
                for instant in (target.warn_at, target.due_at) if instant is not None and instant > now]
    return min(instants, default=None)

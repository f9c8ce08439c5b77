"""SLA policies, their targets, and which policy governs a ticket."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from .calendar import BusinessCalendar, Clock, TwentyFourSeven
from .rules import ANY, PrioritizationRule, same_name

Metric = Literal["first_response", "next_response", "resolution"]
METRICS: tuple[Metric, ...] = ("first_response", "next_response", "resolution")
DEFAULT_PAUSE_STATUSES = frozenset({"pending", "on_hold"})
ALWAYS_OPEN = TwentyFourSeven()


@dataclass(frozen=True, slots=True)
class Target:
    metric: Metric
    minutes: int
    success_rate_percent: float

    @property
    def seconds(self) -> int:
        return self.minutes * 60


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    id: str
    name: str
    product: str
    channel: str
    priority: str
    targets: tuple[Target, ...]
    description: str = ""
    calendar_id: str | None = None
    calendar: BusinessCalendar | None = field(default=None, compare=False)
    pause_statuses: frozenset[str] = DEFAULT_PAUSE_STATUSES
    warn_before_minutes: int | None = None
    warn_before_percent: float | None = None
    enabled: bool = True

    @property
    def clock(self) -> Clock:
        return self.calendar if self.calendar is not None else ALWAYS_OPEN

    def target(self, metric: Metric) -> Target | None:
        return next((target for target in self.targets if target.metric == metric), None)

    def warning_seconds(self, target: Target) -> int:
        """Business seconds before the due instant at which a running target is at risk."""
        if self.warn_before_percent is not None:
            return round(target.seconds * self.warn_before_percent / 100)
        return (self.warn_before_minutes or 0) * 60


@dataclass(frozen=True)
class Reporting:
    """When the tenant's summaries are posted to the host: the previous local day's at
    ``daily_summary_at`` (seconds after local midnight), and each hour's if ``hourly_summary``."""

    daily_summary_at: int = 8 * 3600
    hourly_summary: bool = False


@dataclass(frozen=True)
class Settings:
    """A tenant's whole configuration, validated (see plugin.settings for loading it)."""

    timezone: str = "UTC"
    calendars: Mapping[str, BusinessCalendar] = field(default_factory=dict)
    rules: tuple[PrioritizationRule, ...] = ()
    policies: tuple[SlaPolicy, ...] = ()
    reporting: Reporting = field(default_factory=Reporting)


def _specificity(policy: SlaPolicy) -> int:
    return (policy.product != ANY) * 2 + (policy.channel != ANY)


def match_policy(
    product: str | None, channel: str | None, priority: str | None, policies: Iterable[SlaPolicy]
) -> SlaPolicy | None:
    """The enabled policy for (product, channel, priority); a named product or channel beats ``*``."""
    candidates = [
        policy
        for policy in policies
        if policy.enabled
        and policy.priority == priority
        and same_name(policy.product, product)
        and same_name(policy.channel, channel)
    ]
    return max(candidates, key=_specificity, default=None)

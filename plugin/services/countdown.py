"""A ticket's targets as the rep's sidebar counts them down: each with the clock it runs on.

For each running target the answer names its calendar (or 24/7), the business seconds left at
``as_of`` and, for an active one, the calendar's open intervals between ``as_of`` and its due
instant, so that a page can count down second by second, only while the calendar is open, without
asking again. The calendar is the one of the settings version the ticket's targets were computed on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plugin.domain.calendar import NoBusinessTime, from_epoch, to_epoch
from plugin.domain.engine import TargetState
from plugin.domain.open_intervals import DEFAULT_LIMIT, open_intervals
from plugin.domain.policies import ALWAYS_OPEN, Settings, SlaPolicy
from plugin.store.records import TenantRecord, TicketRecord

from .queries import ticket_targets
from .settings_versions import empty_document, empty_settings
from .unit_of_work import UnitOfWork

RUNNING = ("active", "paused")


@dataclass(frozen=True)
class TargetClock:
    """The clock a running target runs on, and how much of it is left at ``as_of``."""

    calendar_id: str | None  # None: 24/7
    calendar_name: str | None
    timezone: str | None  # the calendar's zone; None for 24/7
    remaining_seconds: int  # business seconds left at as_of (a paused target: left when it resumes)
    open_intervals: tuple[tuple[datetime, datetime], ...]  # active targets: [open, close) up to the due instant
    intervals_complete: bool  # False: cut at the limit; more open time follows before the due instant


@dataclass(frozen=True)
class CountdownTarget:
    state: TargetState
    at_risk: bool  # active and inside its warning window at as_of
    clock: TargetClock | None  # None unless running under a policy of the ticket's settings


@dataclass(frozen=True)
class TicketCountdown:
    ticket: TicketRecord
    policy_name: str | None
    timezone: str  # the settings' zone, for instants shown to the account
    as_of: datetime
    targets: list[CountdownTarget]


def ticket_countdown(uow: UnitOfWork, tenant: TenantRecord, ticket_id: str, now: datetime,
                     limit: int = DEFAULT_LIMIT) -> TicketCountdown:
    """The ticket's targets with their clocks at ``now`` (ItemNotFound for a ticket the plugin does not know)."""
    found = ticket_targets(uow, tenant, ticket_id)
    settings, document = _ticket_settings(uow, tenant, found.ticket.settings_version)
    policies = {policy.id: policy for policy in settings.policies}
    names = {item.get("id"): item.get("name") for section in ("calendars", "sla_policies")
             for item in document.get(section, []) if isinstance(item, dict)}
    targets = [_countdown(state, policies.get(state.policy_id), names, now, limit) for state in found.targets]
    policy_name = names.get(found.ticket.policy_id) if found.ticket.policy_id else None
    return TicketCountdown(found.ticket, policy_name, settings.timezone, now, targets)


def _ticket_settings(uow: UnitOfWork, tenant: TenantRecord, version: int | None) -> tuple[Settings, dict[str, Any]]:
    """The settings version the ticket is on (the newest for a ticket on none), parsed and as written."""
    with uow:
        candidates = uow.settings_versions.candidates(tenant.id, {version} if version else set())
        meta = next((meta for meta in candidates if meta.version == version), candidates[-1] if candidates else None)
        if meta is None:
            return empty_settings(tenant.timezone), empty_document(tenant.timezone)
        document = uow.settings_versions.document(tenant.id, meta.version) or {}
        return uow.settings_versions.settings(tenant.id, meta), document


def _countdown(state: TargetState, policy: SlaPolicy | None, names: dict[Any, Any], now: datetime,
               limit: int) -> CountdownTarget:
    at_risk = state.status == "active" and state.warn_at is not None and state.warn_at <= now
    if state.status not in RUNNING or policy is None:
        return CountdownTarget(state, at_risk, None)
    clock = policy.clock
    calendar = policy.calendar
    named = {"calendar_id": policy.calendar_id if calendar else None,
             "calendar_name": names.get(policy.calendar_id) if calendar else None,
             "timezone": calendar.timezone if calendar else None}
    if state.status == "paused" or state.due_at is None:
        left = max(0, state.target_seconds - state.business_seconds)
        return CountdownTarget(state, at_risk, TargetClock(**named, remaining_seconds=left, open_intervals=(),
                                                           intervals_complete=True))
    start, due = to_epoch(now), to_epoch(state.due_at)
    try:
        found = open_intervals(clock, start, due, limit) if due > start else None
        left = clock.business_seconds_ts(start, due)
    except NoBusinessTime:  # cannot happen for a target that has a due instant; read it as 24/7 then
        found, left = open_intervals(ALWAYS_OPEN, start, due, limit), max(0, due - start)
    intervals = tuple((from_epoch(opens), from_epoch(closes)) for opens, closes in found.intervals) if found else ()
    return CountdownTarget(state, at_risk, TargetClock(**named, remaining_seconds=left, open_intervals=intervals,
                                                       intervals_complete=found.complete if found else True))

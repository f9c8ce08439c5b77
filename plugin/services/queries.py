"""What the admin API reads: the settings document and its items, tickets' targets, reports and the
installation's status. Nothing here writes; answers are domain objects and records, which the
API's response schemas serialize."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from plugin.domain.engine import TargetState
from plugin.domain.reports import Period, ReportRow, build_report, day_start, period_start
from plugin.store.records import (
    FailedEvent,
    InboxCounts,
    PostedSummary,
    TenantRecord,
    TicketRecord,
    TicketTarget,
    VersionEntry,
)

from .settings_changes import RULES, ItemNotFound, index_of
from .settings_versions import settings_in_force
from .unit_of_work import UnitOfWork


@dataclass(frozen=True)
class TicketTargets:
    ticket: TicketRecord
    targets: list[TargetState]


@dataclass(frozen=True)
class InstallationStatus:
    """How the installation is doing, for its admins: the inbox the processor works through, and the
    newest summaries the host accepted."""

    inbox: InboxCounts
    failed_events: list[FailedEvent]
    settings_version: int
    as_of: datetime
    timezone: str = "UTC"  # the settings' zone, in which the account reads instants
    summaries: dict[str, PostedSummary | None] = field(default_factory=dict)  # daily, hourly


def settings_document(uow: UnitOfWork, tenant: TenantRecord) -> tuple[int, dict[str, Any]]:
    with uow:
        version, document, _settings = settings_in_force(uow, tenant)
    return version, document


def settings_history(uow: UnitOfWork, tenant: TenantRecord) -> list[VersionEntry]:
    """The audit trail, newest first."""
    with uow:
        return list(reversed(uow.settings_versions.history(tenant.id)))


def settings_version(uow: UnitOfWork, tenant: TenantRecord, version: int) -> dict[str, Any]:
    with uow:
        document = uow.settings_versions.document(tenant.id, version)
    if document is None:
        raise ItemNotFound(f"there is no settings version {version}")
    return document


def list_items(uow: UnitOfWork, tenant: TenantRecord, section: str) -> tuple[int, list[dict[str, Any]]]:
    """Rules come in the order they are tried; other items in document order."""
    version, document = settings_document(uow, tenant)
    items = list(document.get(section, []))
    if section == RULES:
        items.sort(key=lambda rule: rule.get("position", 0))
    return version, items


def get_item(uow: UnitOfWork, tenant: TenantRecord, section: str, item_id: str) -> tuple[int, dict[str, Any]]:
    version, document = settings_document(uow, tenant)
    items = document.get(section, [])
    return version, items[index_of(items, section, item_id)]


def ticket_targets(uow: UnitOfWork, tenant: TenantRecord, ticket_id: str) -> TicketTargets:
    with uow:
        ticket = uow.tickets.get(tenant.id, ticket_id)
        if ticket is None:
            raise ItemNotFound(f"no ticket {ticket_id!r} is known for this account")
        return TicketTargets(ticket, uow.targets.of_ticket(tenant.id, ticket_id))


class InvalidQuery(ValueError):
    """Query parameters that name nothing or contradict each other; ``problems`` name each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def report_rows(
    uow: UnitOfWork, tenant: TenantRecord, period: Period, since: datetime | date | None,
    until: datetime | date | None, policy: str | None, metric: str | None,
) -> list[ReportRow]:
    """The rows of every whole period (hour or day of the settings' time zone) that starts in
    [since, until); a plain date is that day's start. A policy no version of the settings has and no
    stored target counts under is refused (InvalidQuery)."""
    with uow:
        _version, _document, settings = settings_in_force(uow, tenant)
        first, end = report_range(since, until, period, settings.timezone)
        if policy is not None and policy not in {known.id for known in settings.policies} \
                and not uow.targets.has_policy(tenant.id, policy):
            raise InvalidQuery([f"policy: no policy has id {policy!r}"])
        decided = uow.targets.decided(tenant.id, first, end, policy, metric)
    return build_report(decided, period, settings.timezone)


def report_range(since: datetime | date | None, until: datetime | date | None, period: Period,
                 timezone: str) -> tuple[datetime | None, datetime | None]:
    """[first, end): from the first period starting at or after ``since`` to the first starting at or
    after ``until``, so that only whole periods whose start lies in [since, until) are counted."""
    start, stop = (day_start(value, timezone) if isinstance(value, date) and not isinstance(value, datetime)
                   else value for value in (since, until))
    if start is not None and stop is not None and start >= stop:
        raise InvalidQuery(["to: must be after from"])
    return (None if start is None else first_period_at_or_after(start, period, timezone),
            None if stop is None else first_period_at_or_after(stop, period, timezone))


def first_period_at_or_after(instant: datetime, period: Period, timezone: str) -> datetime:
    start = period_start(instant, period, timezone)
    if start == instant:
        return start
    step = timedelta(hours=1 if period == "hourly" else 24)
    later = start + step
    while period_start(later, period, timezone) <= start:  # an hour or day longer than its step (DST)
        later += timedelta(minutes=30)
    return period_start(later, period, timezone)


def at_risk_targets(uow: UnitOfWork, tenant: TenantRecord, now: datetime) -> list[TicketTarget]:
    """Running targets inside their warning window at ``now``, the soonest due first."""
    with uow:
        return uow.targets.at_risk(tenant.id, now)


def installation_status(uow: UnitOfWork, tenant: TenantRecord, now: datetime) -> InstallationStatus:
    with uow:
        version, _document, settings = settings_in_force(uow, tenant)
        posted = {summary.period: summary for summary in uow.outbox.last_summaries(tenant.id)}
        return InstallationStatus(uow.inbox.counts(tenant.id), uow.inbox.failed(tenant.id), version, now,
                                  settings.timezone, {period: posted.get(period) for period in ("daily", "hourly")})

"""What the admin API reads: the settings document and its items, tickets' targets, reports and the
installation's status. Nothing here writes; answers are domain objects and records, which the
API's response schemas serialize."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plugin.domain.engine import TargetState
from plugin.domain.reports import Period, ReportRow, build_report
from plugin.store.records import FailedEvent, InboxCounts, TenantRecord, TicketRecord, TicketTarget, VersionEntry

from .settings_changes import RULES, ItemNotFound, index_of
from .settings_versions import settings_in_force
from .unit_of_work import UnitOfWork


@dataclass(frozen=True)
class TicketTargets:
    ticket: TicketRecord
    targets: list[TargetState]


@dataclass(frozen=True)
class InstallationStatus:
    """How the installation is doing, for its admins: the inbox the processor works through."""

    inbox: InboxCounts
    failed_events: list[FailedEvent]
    settings_version: int
    as_of: datetime


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


def report_rows(
    uow: UnitOfWork, tenant: TenantRecord, period: Period, since: datetime | None, until: datetime | None,
    policy: str | None, metric: str | None,
) -> list[ReportRow]:
    """Report rows over the targets decided in [since, until), by period of the settings' time zone."""
    with uow:
        _version, _document, settings = settings_in_force(uow, tenant)
        decided = uow.targets.decided(tenant.id, since, until, policy, metric)
    return build_report(decided, period, settings.timezone)


def at_risk_targets(uow: UnitOfWork, tenant: TenantRecord, now: datetime) -> list[TicketTarget]:
    """Running targets inside their warning window at ``now``, the soonest due first."""
    with uow:
        return uow.targets.at_risk(tenant.id, now)


def installation_status(uow: UnitOfWork, tenant: TenantRecord, now: datetime) -> InstallationStatus:
    with uow:
        version, _document, _settings = settings_in_force(uow, tenant)
        return InstallationStatus(uow.inbox.counts(tenant.id), uow.inbox.failed(tenant.id), version, now)

"""Which settings version is in force: for the tenant now, and for each of its tickets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plugin.domain.policies import Settings
from plugin.settings.loading import load_settings
from plugin.store.records import TenantRecord, VersionMeta

from .unit_of_work import UnitOfWork


def empty_document(timezone: str) -> dict[str, Any]:
    """The settings of a tenant that has saved none: its zone, and no calendars, rules or policies."""
    return {"timezone": timezone, "calendars": [], "prioritization_rules": [], "sla_policies": []}


def empty_settings(timezone: str) -> Settings:
    return load_settings(empty_document(timezone))


def version_for_ticket(candidates: Sequence[VersionMeta], pinned_version: int | None) -> VersionMeta | None:
    """The version that governs a ticket: the newest for a new ticket (``pinned_version`` None); for
    one already evaluated, the version it was on (0: none had been saved), unless a newer one was
    saved for open tickets too. ``candidates`` are in version order (``SettingsVersions.candidates``).
    None: the empty settings."""
    if pinned_version is None:
        return candidates[-1] if candidates else None
    newest_for_open = max((meta for meta in candidates if meta.apply_to == "open_tickets"),
                          key=lambda meta: meta.version, default=None)
    if newest_for_open is not None and newest_for_open.version >= pinned_version:
        return newest_for_open
    return next((meta for meta in candidates if meta.version == pinned_version), None)


def settings_in_force(uow: UnitOfWork, tenant: TenantRecord) -> tuple[int, dict[str, Any], Settings]:
    """(version, document, parsed settings) of the tenant's newest version; version 0 with the empty
    document when it has saved none."""
    meta = uow.settings_versions.newest(tenant.id)
    if meta is None:
        document = empty_document(tenant.timezone)
        return 0, document, load_settings(document)
    stored = uow.settings_versions.document(tenant.id, meta.version)
    assert stored is not None
    return meta.version, stored, uow.settings_versions.settings(tenant.id, meta)

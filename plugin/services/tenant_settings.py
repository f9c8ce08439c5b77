"""Reading and changing a tenant's settings document (every change is a new, audited version)."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from plugin.domain.policies import Settings
from plugin.settings.loading import load_settings
from plugin.store.models import SettingsVersion

from .unit_of_work import UnitOfWork

_PARSED: OrderedDict[tuple[int, datetime], Settings] = OrderedDict()
_PARSED_LIMIT = 256


def empty_document(timezone: str) -> dict[str, Any]:
    return {"timezone": timezone, "calendars": [], "prioritization_rules": [], "sla_policies": []}


def current_settings(uow: UnitOfWork, tenant_id: int, timezone: str) -> tuple[int, dict[str, Any], Settings]:
    """(version, document, parsed settings). Versions never change once saved, so parsing is cached."""
    return _parsed(uow.data_of(tenant_id).current_settings(), timezone)


def settings_for_ticket(
    uow: UnitOfWork, tenant_id: int, timezone: str, pinned_version: int | None
) -> tuple[int, dict[str, Any], Settings]:
    """The settings that govern a ticket: the newest for a new one; for one already evaluated,
    the version it had unless a newer one was saved to apply to open tickets too."""
    data = uow.data_of(tenant_id)
    if pinned_version is None:
        return _parsed(data.current_settings(), timezone)
    newest_for_open = data.newest_version_for_open_tickets()
    if newest_for_open >= pinned_version:
        return _parsed(data.settings_version(newest_for_open), timezone)
    return _parsed(data.settings_version(pinned_version), timezone)


def _parsed(row: SettingsVersion | None, timezone: str) -> tuple[int, dict[str, Any], Settings]:
    if row is None:
        document = empty_document(timezone)
        return 0, document, load_settings(document)
    key = (row.id, row.created_at)
    settings = _PARSED.get(key)
    if settings is None:
        settings = _PARSED[key] = load_settings(row.document)
        if len(_PARSED) > _PARSED_LIMIT:
            _PARSED.popitem(last=False)
    return row.version, row.document, settings


def save_settings(
    uow: UnitOfWork,
    tenant_id: int,
    document: dict[str, Any],
    author: str,
    now: datetime,
    apply_to: str = "open_tickets",
) -> int:
    """Validate the whole document (raises SettingsError, changing nothing) and store it as a new version."""
    load_settings(document)
    return uow.data_of(tenant_id).add_settings(document, author, now, apply_to).version

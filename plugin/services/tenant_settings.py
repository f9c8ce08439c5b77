"""Reading and changing a tenant's settings document (every change is a new, audited version)."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from plugin.domain.policies import Settings
from plugin.settings.loading import load_settings

from .unit_of_work import UnitOfWork

_PARSED: OrderedDict[tuple[int, datetime], Settings] = OrderedDict()
_PARSED_LIMIT = 256


def empty_document(timezone: str) -> dict[str, Any]:
    return {"timezone": timezone, "calendars": [], "prioritization_rules": [], "sla_policies": []}


def current_settings(uow: UnitOfWork, tenant_id: int, timezone: str) -> tuple[int, dict[str, Any], Settings]:
    """(version, document, parsed settings). Versions never change once saved, so parsing is cached."""
    row = uow.data_of(tenant_id).current_settings()
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

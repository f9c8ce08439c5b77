"""Reading and changing a tenant's settings document (every change is a new, audited version)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from plugin.domain.policies import Settings
from plugin.settings.loading import load_settings
from plugin.store.repositories import VersionMeta

from .unit_of_work import UnitOfWork

_PARSED: OrderedDict[tuple[int, datetime], Settings] = OrderedDict()
_PARSED_LIMIT = 256


def empty_document(timezone: str) -> dict[str, Any]:
    return {"timezone": timezone, "calendars": [], "prioritization_rules": [], "sla_policies": []}


class TenantRef(Protocol):
    """What recomputing needs of a tenant (an ORM row or the webhook path's light record)."""

    @property
    def id(self) -> int: ...

    @property
    def timezone(self) -> str: ...


def current_settings(uow: UnitOfWork, tenant_id: int, timezone: str) -> tuple[int, dict[str, Any], Settings]:
    """(version, document, parsed settings) in force now."""
    row = uow.data_of(tenant_id).current_settings()
    if row is None:
        document = empty_document(timezone)
        return 0, document, load_settings(document)
    return row.version, row.document, _parse(row.id, row.created_at, lambda: row.document)


def settings_for_ticket(
    uow: UnitOfWork, tenant_id: int, timezone: str, pinned_version: int | None, versions: Sequence[VersionMeta]
) -> tuple[int, Settings]:
    """The settings that govern a ticket: the newest for a new one; for one already evaluated,
    the version it had, unless a newer one was saved to apply to open tickets too.

    ``versions`` are the candidates' metadata in version order (``TenantData.ticket_history``): this
    runs on every webhook, and never reads a document it has parsed before.
    """
    if not versions:
        return 0, load_settings(empty_document(timezone))
    chosen = versions[-1]
    if pinned_version is not None:
        newest_for_open = max((meta for meta in versions if meta.apply_to == "open_tickets"),
                              key=lambda meta: meta.version, default=None)
        pinned = next((meta for meta in versions if meta.version == pinned_version), None)
        if pinned is not None and (newest_for_open is None or newest_for_open.version < pinned_version):
            chosen = pinned
        elif newest_for_open is not None:
            chosen = newest_for_open
    data = uow.data_of(tenant_id)
    return chosen.version, _parse(chosen.id, chosen.created_at, lambda: data.settings_document(chosen.id))


def _parse(
    row_id: int, created_at: datetime, document: Callable[[], dict[str, Any]], parsed: Settings | None = None
) -> Settings:
    """Saved versions never change, so each is parsed once per process (keyed so a reused row id cannot
    be mistaken for another); ``parsed`` remembers one its saver already loaded."""
    key = (row_id, created_at)
    settings = _PARSED.get(key)
    if settings is None:
        settings = _PARSED[key] = parsed if parsed is not None else load_settings(document())
        if len(_PARSED) > _PARSED_LIMIT:
            _PARSED.popitem(last=False)
    return settings


def save_settings(
    uow: UnitOfWork,
    tenant_id: int,
    document: dict[str, Any],
    author: str,
    now: datetime,
    apply_to: str = "open_tickets",
    validated: Settings | None = None,
) -> int:
    """Validate the whole document (raises SettingsError, changing nothing) and store it as a new version.

    ``validated`` is the document already loaded by the caller; either way it is parsed once, and the
    result is kept for the webhooks that will read this version next."""
    settings = validated if validated is not None else load_settings(document)
    row = uow.data_of(tenant_id).add_settings(document, author, now, apply_to)
    _parse(row.id, row.created_at, lambda: document, parsed=settings)
    return row.version

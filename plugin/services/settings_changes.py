"""Changing a tenant's settings: the whole document, or one calendar, rule or policy of it.

Every change is a new version of the whole document, validated whole, saved with who made it and
when, and (unless saved for new tickets only) applied to the open tickets in the same transaction.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plugin.domain.calendar import NoBusinessTime
from plugin.domain.policies import Settings
from plugin.settings.loading import SettingsError, load_settings
from plugin.store.errors import Conflict
from plugin.store.limits import nul_characters
from plugin.store.records import TenantRecord

from .previews import DueInstantOutOfRange, due_instant
from .recompute import recompute_tickets
from .settings_versions import settings_in_force
from .unit_of_work import UnitOfWork

# Sections of the settings document and what one item of each is called in messages.
ITEM_NOUNS = {"calendars": "calendar", "prioritization_rules": "rule", "sla_policies": "policy"}
RULES = "prioritization_rules"


@dataclass(frozen=True)
class SettingsChange:
    """Who saves a change, when, and whether it applies to open tickets or new tickets only."""

    author: str
    now: datetime
    apply_to: str = "open_tickets"


class ItemNotFound(LookupError):
    """No item (calendar, rule, policy, ticket, settings version) of this tenant has that id."""


class DuplicateId(ValueError):
    """An item with that id already exists."""


class SettingsChanged(RuntimeError):
    """Another change was saved at the same moment."""


class StaleSettings(RuntimeError):
    """The settings are no longer at the version the caller read."""


def replace_settings(
    uow: UnitOfWork, tenant: TenantRecord, document: Any, change: SettingsChange, expected_version: int | None = None
) -> int:
    """Save a whole new document (all of it valid, or nothing changes); optionally only over ``expected_version``."""
    with uow:
        if expected_version is not None:
            version, _document, _settings = settings_in_force(uow, tenant)
            if version != expected_version:
                raise StaleSettings(f"the settings are at version {version}, not {expected_version}; reload them")
        return _save(uow, tenant, document, change)


def create_item(
    uow: UnitOfWork, tenant: TenantRecord, section: str, item: dict[str, Any], change: SettingsChange
) -> tuple[int, dict[str, Any]]:
    """Add an item; a rule without a position goes last."""
    with uow:
        document = _editable_document(uow, tenant)
        items = document.setdefault(section, [])
        if any(existing.get("id") == item["id"] for existing in items):
            raise DuplicateId(f"a {ITEM_NOUNS[section]} with id {item['id']!r} already exists")
        if section == RULES and "position" not in item:
            item = {**item, "position": max((rule.get("position", 0) for rule in items), default=0) + 1}
        items.append(item)
        return _save(uow, tenant, document, change), item


def replace_item(
    uow: UnitOfWork, tenant: TenantRecord, section: str, item_id: str, item: dict[str, Any], change: SettingsChange
) -> tuple[int, dict[str, Any]]:
    """Replace an item whole; a rule without a position keeps its place."""
    if item["id"] != item_id:
        raise SettingsError([f"id: {item['id']!r} does not match the id in the URL ({item_id!r})"])
    with uow:
        document = _editable_document(uow, tenant)
        items = document.setdefault(section, [])
        index = index_of(items, section, item_id)
        if section == RULES and "position" not in item:
            item = {**item, "position": items[index].get("position", 0)}
        items[index] = item
        return _save(uow, tenant, document, change), item


def delete_item(uow: UnitOfWork, tenant: TenantRecord, section: str, item_id: str, change: SettingsChange) -> int:
    """Refused (SettingsError) when the rest of the document needs the item."""
    with uow:
        document = _editable_document(uow, tenant)
        items = document.setdefault(section, [])
        del items[index_of(items, section, item_id)]
        return _save(uow, tenant, document, change)


def reorder_rules(
    uow: UnitOfWork, tenant: TenantRecord, ids: list[str], change: SettingsChange
) -> tuple[int, list[dict[str, Any]]]:
    """Positions 1..n in the order of ``ids``, which must name every rule once."""
    with uow:
        document = _editable_document(uow, tenant)
        rules = {rule["id"]: rule for rule in document.setdefault(RULES, [])}
        problems = [f"ids: no rule has id {rule_id!r}" for rule_id in ids if rule_id not in rules]
        problems += [f"ids: {rule_id!r} is listed more than once"
                     for rule_id in sorted(set(ids)) if ids.count(rule_id) > 1]
        problems += [f"ids: rule {rule_id!r} is missing" for rule_id in rules if rule_id not in ids]
        if problems:
            raise SettingsError(problems)
        document[RULES] = [{**rules[rule_id], "position": number} for number, rule_id in enumerate(ids, start=1)]
        return _save(uow, tenant, document, change), document[RULES]


def index_of(items: list[dict[str, Any]], section: str, item_id: str) -> int:
    for index, item in enumerate(items):
        if item.get("id") == item_id:
            return index
    raise ItemNotFound(f"no {ITEM_NOUNS[section]} has id {item_id!r}")


def _editable_document(uow: UnitOfWork, tenant: TenantRecord) -> dict[str, Any]:
    """A copy of the current document (the stored one may be shared)."""
    return copy.deepcopy(settings_in_force(uow, tenant)[1])


def _save(uow: UnitOfWork, tenant: TenantRecord, document: Any, change: SettingsChange) -> int:
    """Validate and store a new version, recompute the open tickets under it (unless for new tickets
    only), commit."""
    problems = nul_characters(document)
    if problems:
        raise SettingsError(problems)
    settings = load_settings(document)
    problems = _unreachable_due_instants(settings, change.now)
    if problems:
        raise SettingsError(problems)
    try:
        meta = uow.settings_versions.add(tenant.id, document, settings, change.author, change.now, change.apply_to)
        if change.apply_to == "open_tickets":
            recompute_tickets(uow, tenant.id, tenant.timezone, uow.tickets.open_ids(tenant.id), change.now)
        uow.commit()
    except Conflict:  # another change took the same version number first
        raise SettingsChanged("another change was saved at the same moment; reload the settings and retry") from None
    return meta.version


def _unreachable_due_instants(settings: Settings, now: datetime) -> list[str]:
    """Targets whose budget no ticket could ever spend: past the year 9999, or on a calendar that never opens."""
    problems = []
    for index, policy in enumerate(settings.policies):
        for number, target in enumerate(policy.targets):
            try:
                due_instant(policy, target, now)
            except (DueInstantOutOfRange, NoBusinessTime) as error:
                problems.append(f"sla_policies[{index}].targets[{number}].minutes: {error}")
    return problems

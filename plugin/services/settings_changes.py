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
from plugin.domain.rules import same_name
from plugin.settings.loading import ITEM_NOUNS, ReadSettings, SettingsError, in_item_terms, read_settings
from plugin.store.errors import Conflict
from plugin.store.limits import unstorable_characters
from plugin.store.records import TenantRecord

from .previews import DueInstantOutOfRange, due_instant
from .recompute import recompute_tickets
from .settings_versions import settings_in_force
from .unit_of_work import UnitOfWork

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


class ItemInUse(RuntimeError):
    """The item cannot be deleted: other items of the settings need it."""


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
        return _save(uow, tenant, document, change)[0]


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
        version, stored = _save_item(uow, tenant, document, change, section, item["id"])
        return version, _stored_item(stored, section, item["id"])


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
        version, stored = _save_item(uow, tenant, document, change, section, item_id)
        return version, _stored_item(stored, section, item_id)


def delete_item(uow: UnitOfWork, tenant: TenantRecord, section: str, item_id: str, change: SettingsChange) -> int:
    """Refused (ItemInUse) when the rest of the document needs the item."""
    with uow:
        document = _editable_document(uow, tenant)
        items = document.setdefault(section, [])
        removed = items.pop(index_of(items, section, item_id))
        users = _needed_by(document, section, removed)
        if users:
            raise ItemInUse(users)
        return _save_item(uow, tenant, document, change, section, item_id)[0]


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
        version, stored = _save(uow, tenant, document, change)
        return version, stored[RULES]


def index_of(items: list[dict[str, Any]], section: str, item_id: str) -> int:
    for index, item in enumerate(items):
        if item.get("id") == item_id:
            return index
    raise ItemNotFound(f"no {ITEM_NOUNS[section]} has id {item_id!r}")


def _editable_document(uow: UnitOfWork, tenant: TenantRecord) -> dict[str, Any]:
    """A copy of the current document (the stored one may be shared)."""
    return copy.deepcopy(settings_in_force(uow, tenant)[1])


def _needed_by(document: dict[str, Any], section: str, removed: dict[str, Any]) -> str | None:
    """Why the rest of ``document`` cannot do without ``removed``, in the item's terms; None if it can."""
    policies = document.get("sla_policies") or []
    if section == "calendars":
        users = [policy.get("id") for policy in policies if policy.get("calendar") == removed.get("id")]
        if users:
            return f"calendar {removed.get('id')!r} is used by {_policies_named(users)}; change or delete them first"
    if section == RULES:
        product, channel = removed.get("product"), removed.get("channel")
        if not any(same_name(rule.get("product"), product) and same_name(rule.get("channel"), channel)
                   for rule in document.get(RULES) or []):
            users = [policy.get("id") for policy in policies
                     if same_name(policy.get("product"), product) and same_name(policy.get("channel"), channel)]
            if users:
                return (f"rule {removed.get('id')!r} is the only prioritization rule for product {product!r} and "
                        f"channel {channel!r}, which {_policies_named(users)} needs; add another rule for them or "
                        "delete the policy first")
    return None


def _policies_named(ids: list[Any]) -> str:
    quoted = ", ".join(repr(policy_id) for policy_id in ids)
    return f"policy {quoted}" if len(ids) == 1 else f"policies {quoted}"


def _save_item(uow: UnitOfWork, tenant: TenantRecord, document: dict[str, Any], change: SettingsChange,
               section: str, item_id: str) -> tuple[int, dict[str, Any]]:
    """Save a document changed in one item; its problems are told in that item's terms."""
    try:
        return _save(uow, tenant, document, change)
    except SettingsError as error:
        raise SettingsError(in_item_terms(error.problems, document, section, item_id)) from None


def _stored_item(document: dict[str, Any], section: str, item_id: str) -> dict[str, Any]:
    return next(item for item in document[section] if item["id"] == item_id)


def _save(uow: UnitOfWork, tenant: TenantRecord, document: Any, change: SettingsChange) -> tuple[int, dict[str, Any]]:
    """Validate and store a new version (the document as read), recompute the open tickets under it
    (unless for new tickets only), commit. Returns the version and the stored document."""
    problems = unstorable_characters(document)
    if problems:
        raise SettingsError(problems)
    read = settings_as_saved(document, tenant, change.now)
    try:
        meta = uow.settings_versions.add(tenant.id, read.document, read.settings, change.author, change.now,
                                         change.apply_to)
        if change.apply_to == "open_tickets":
            recompute_tickets(uow, tenant, uow.tickets.open_ids(tenant.id), change.now)
        uow.commit()
    except Conflict:  # another change took the same version number first
        raise SettingsChanged("another change was saved at the same moment; reload the settings and retry") from None
    return meta.version, read.document


def settings_as_saved(document: Any, tenant: TenantRecord, now: datetime) -> ReadSettings:
    """A settings document as a save reads it: in the installation's zone unless it names one (reports keep
    it), valid whole, every target reachable; SettingsError naming each problem otherwise."""
    if isinstance(document, dict) and "timezone" not in document:
        document = {"timezone": tenant.timezone, **document}
    read = read_settings(document)
    problems = _unreachable_due_instants(read.settings, now)
    if problems:
        raise SettingsError(problems)
    return read


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

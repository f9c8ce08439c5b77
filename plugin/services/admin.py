"""Service handlers behind the admin API that change things: sessions, the settings document and its items.

Every change of settings is a whole new document version, validated whole by load_settings, and
recomputes the tenant's open tickets in the same transaction (unless saved for new tickets only).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from plugin.domain.calendar import NoBusinessTime
from plugin.domain.policies import Settings, SlaPolicy, Target
from plugin.report_formats import iso_utc
from plugin.security.tokens import Identity, verify_host_token
from plugin.settings.loading import SettingsError, load_settings
from plugin.store.models import Tenant

from .tenant_settings import current_settings, save_settings
from .tickets import recompute_ticket
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


class UnknownAccount(LookupError):
    """No installation for the account a token names."""


class TokenReused(ValueError):
    """A host token's jti was exchanged before."""


class ItemNotFound(LookupError):
    """No item (calendar, rule, policy, ticket, settings version) of this tenant has that id."""


class DuplicateId(ValueError):
    """An item with that id already exists."""


class SettingsChanged(RuntimeError):
    """Another change was saved at the same moment."""


class StaleSettings(RuntimeError):
    """The settings are no longer at the version the caller read."""


class DueInstantOutOfRange(ValueError):
    """A due instant would fall past the year 9999, where instants end."""


# sessions ----------------------------------------------------------------------------------
def open_session(uow: UnitOfWork, token: str, app_id: str, app_secret: str, now: datetime) -> tuple[Identity, Tenant]:
    """Verify a host token and spend its jti; the account must be installed."""
    identity, jti, expires = verify_host_token(token, app_id, app_secret, now)
    tenant = uow.tenants.by_account(identity.account_id)
    if tenant is None:
        raise UnknownAccount(f"no installation for account {identity.account_id!r}")
    if not uow.token_ids.use_once(jti, expires, now):
        raise TokenReused("this token was already used; open the settings page again for a new one")
    uow.commit()
    return identity, tenant


# the settings document ---------------------------------------------------------------------
def settings_document(uow: UnitOfWork, tenant: Tenant) -> tuple[int, dict[str, Any]]:
    version, document, _settings = current_settings(uow, tenant.id, tenant.timezone)
    return version, document


def settings_versions(uow: UnitOfWork, tenant: Tenant) -> list[dict[str, Any]]:
    """The audit trail, newest first."""
    return [
        {"version": row.version, "created_at": iso_utc(row.created_at), "created_by": row.created_by,
         "apply_to": row.apply_to}
        for row in reversed(uow.data_of(tenant.id).settings_history())
    ]


def settings_version(uow: UnitOfWork, tenant: Tenant, version: int) -> dict[str, Any]:
    # PostgreSQL's integer column would reject a larger number rather than find nothing.
    row = uow.data_of(tenant.id).settings_version(version) if version < 2**31 else None
    if row is None:
        raise ItemNotFound(f"there is no settings version {version}")
    return row.document


def replace_settings(
    uow: UnitOfWork, tenant: Tenant, document: Any, change: SettingsChange, expected_version: int | None = None
) -> int:
    """Save a whole new document (all of it valid, or nothing changes); optionally only over ``expected_version``."""
    if expected_version is not None:
        version, _document = settings_document(uow, tenant)
        if version != expected_version:
            raise StaleSettings(f"the settings are at version {version}, not {expected_version}; reload them")
    return _save(uow, tenant, document, change)


# items of the document: calendars, rules, policies ----------------------------------------
def list_items(uow: UnitOfWork, tenant: Tenant, section: str) -> tuple[int, list[dict[str, Any]]]:
    """Rules come in the order they are tried; other items in document order."""
    version, document = settings_document(uow, tenant)
    items = list(document.get(section, []))
    if section == RULES:
        items.sort(key=lambda rule: rule.get("position", 0))
    return version, items


def get_item(uow: UnitOfWork, tenant: Tenant, section: str, item_id: str) -> tuple[int, dict[str, Any]]:
    version, document = settings_document(uow, tenant)
    items = document.get(section, [])
    return version, items[_index_of(items, section, item_id)]


def create_item(
    uow: UnitOfWork, tenant: Tenant, section: str, item: dict[str, Any], change: SettingsChange
) -> tuple[int, dict[str, Any]]:
    """Add an item; a rule without a position goes last."""
    document = _editable_document(uow, tenant)
    items = document.setdefault(section, [])
    if any(existing.get("id") == item["id"] for existing in items):
        raise DuplicateId(f"a {ITEM_NOUNS[section]} with id {item['id']!r} already exists")
    if section == RULES and "position" not in item:
        item = {**item, "position": max((rule.get("position", 0) for rule in items), default=0) + 1}
    items.append(item)
    return _save(uow, tenant, document, change), item


def replace_item(
    uow: UnitOfWork, tenant: Tenant, section: str, item_id: str, item: dict[str, Any], change: SettingsChange
) -> tuple[int, dict[str, Any]]:
    """Replace an item whole; a rule without a position keeps its place."""
    if item["id"] != item_id:
        raise SettingsError([f"id: {item['id']!r} does not match the id in the URL ({item_id!r})"])
    document = _editable_document(uow, tenant)
    items = document.setdefault(section, [])
    index = _index_of(items, section, item_id)
    if section == RULES and "position" not in item:
        item = {**item, "position": items[index].get("position", 0)}
    items[index] = item
    return _save(uow, tenant, document, change), item


def delete_item(uow: UnitOfWork, tenant: Tenant, section: str, item_id: str, change: SettingsChange) -> int:
    """Refused (SettingsError) when the rest of the document needs the item."""
    document = _editable_document(uow, tenant)
    items = document.setdefault(section, [])
    del items[_index_of(items, section, item_id)]
    return _save(uow, tenant, document, change)


def reorder_rules(
    uow: UnitOfWork, tenant: Tenant, ids: list[str], change: SettingsChange
) -> tuple[int, list[dict[str, Any]]]:
    """Positions 1..n in the order of ``ids``, which must name every rule once."""
    document = _editable_document(uow, tenant)
    rules = {rule["id"]: rule for rule in document.setdefault(RULES, [])}
    problems = [f"ids: no rule has id {rule_id!r}" for rule_id in ids if rule_id not in rules]
    problems += [f"ids: {rule_id!r} is listed more than once" for rule_id in sorted(set(ids)) if ids.count(rule_id) > 1]
    problems += [f"ids: rule {rule_id!r} is missing" for rule_id in rules if rule_id not in ids]
    if problems:
        raise SettingsError(problems)
    document[RULES] = [{**rules[rule_id], "position": number} for number, rule_id in enumerate(ids, start=1)]
    return _save(uow, tenant, document, change), document[RULES]


# internals -----------------------------------------------------------------------------------
def _editable_document(uow: UnitOfWork, tenant: Tenant) -> dict[str, Any]:
    """A copy of the current document: the stored one is shared with the parsed-settings cache."""
    return copy.deepcopy(settings_document(uow, tenant)[1])


def _index_of(items: list[dict[str, Any]], section: str, item_id: str) -> int:
    for index, item in enumerate(items):
        if item.get("id") == item_id:
            return index
    raise ItemNotFound(f"no {ITEM_NOUNS[section]} has id {item_id!r}")


def _save(uow: UnitOfWork, tenant: Tenant, document: Any, change: SettingsChange) -> int:
    """Validate and store a new version, recompute the open tickets under it (unless for new tickets only), commit."""
    problems = _nul_characters(document, "settings")
    if problems:
        raise SettingsError(problems)
    settings = load_settings(document)
    problems = _unreachable_due_instants(settings, change.now)
    if problems:
        raise SettingsError(problems)
    try:
        author = change.author[:200]  # the column's width; the host names its users
        version = save_settings(uow, tenant.id, document, author, change.now, change.apply_to, validated=settings)
        if change.apply_to == "open_tickets":
            for ticket_id in uow.data_of(tenant.id).open_ticket_ids():
                recompute_ticket(uow, tenant, ticket_id, change.now)
        uow.commit()
    except IntegrityError:  # another change took the same version number first
        raise SettingsChanged("another change was saved at the same moment; reload the settings and retry") from None
    return version


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


def due_instant(policy: SlaPolicy, target: Target, start: datetime) -> datetime:
    """When ``target`` is due for a ticket that starts at ``start`` and gets no answer."""
    try:
        return policy.clock.deadline(start, target.seconds)
    except NoBusinessTime:
        raise
    except (OverflowError, ValueError):  # datetime's range ends with the year 9999
        raise DueInstantOutOfRange(
            f"{target.minutes} minutes of business time from {iso_utc(start)} end after the year 9999"
        ) from None


def _nul_characters(value: Any, path: str) -> list[str]:
    """NUL characters cannot be stored (PostgreSQL rejects them in JSON), so they are named as problems."""
    if isinstance(value, str):
        return [f"{path}: must not contain NUL characters"] if "\x00" in value else []
    if isinstance(value, dict):
        return [line for key, item in value.items()
                for line in _nul_characters(key, path) + _nul_characters(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [line for index, item in enumerate(value) for line in _nul_characters(item, f"{path}[{index}]")]
    return []

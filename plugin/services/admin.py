"""Service handlers behind the admin API: sessions, the settings document and its items, previews, reports.

Every change of settings is a whole new document version, validated whole by load_settings, and
recomputes the tenant's open tickets in the same transaction.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, cast

from sqlalchemy.exc import IntegrityError

from plugin.domain.engine import TargetState, TargetStatus
from plugin.domain.events import TicketSnapshot
from plugin.domain.policies import Metric, SlaPolicy, match_policy
from plugin.domain.reports import Period, ReportRow, build_report
from plugin.domain.rules import DEFAULT_PRIORITY, first_matching_rule
from plugin.report_formats import iso_utc, target_document
from plugin.security.tokens import Identity, verify_host_token
from plugin.settings.loading import SettingsError, load_settings
from plugin.store.models import SlaTarget, Tenant

from .tenant_settings import current_settings, save_settings
from .tickets import recompute_ticket
from .unit_of_work import UnitOfWork

# Sections of the settings document and what one item of each is called in messages.
ITEM_NOUNS = {"calendars": "calendar", "prioritization_rules": "rule", "sla_policies": "policy"}
RULES = "prioritization_rules"


class UnknownAccount(LookupError):
    """No installation for the account a token names."""


class TokenReused(ValueError):
    """A host token's jti was exchanged before."""


class ItemNotFound(LookupError):
    """No item (calendar, rule, policy, ticket, settings version) of this tenant has that id."""


class DuplicateId(ValueError):
    """An item with that id already exists."""


class SettingsChanged(RuntimeError):
    """The settings changed since the caller read them (or at the same moment)."""


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
    row = next((row for row in uow.data_of(tenant.id).settings_history() if row.version == version), None)
    if row is None:
        raise ItemNotFound(f"there is no settings version {version}")
    return row.document


def replace_settings(
    uow: UnitOfWork, tenant: Tenant, document: Any, author: str, now: datetime, expected_version: int | None = None
) -> int:
    """Save a whole new document (all of it valid, or nothing changes); optionally only over ``expected_version``."""
    if expected_version is not None:
        version, _document = settings_document(uow, tenant)
        if version != expected_version:
            raise SettingsChanged(f"the settings are at version {version}, not {expected_version}; reload them")
    return _save(uow, tenant, document, author, now)


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
    uow: UnitOfWork, tenant: Tenant, section: str, item: dict[str, Any], author: str, now: datetime
) -> tuple[int, dict[str, Any]]:
    """Add an item; a rule without a position goes last."""
    document = _editable_document(uow, tenant)
    items = document.setdefault(section, [])
    if any(existing.get("id") == item["id"] for existing in items):
        raise DuplicateId(f"a {ITEM_NOUNS[section]} with id {item['id']!r} already exists")
    if section == RULES and "position" not in item:
        item = {**item, "position": max((rule.get("position", 0) for rule in items), default=0) + 1}
    items.append(item)
    return _save(uow, tenant, document, author, now), item


def replace_item(
    uow: UnitOfWork, tenant: Tenant, section: str, item_id: str, item: dict[str, Any], author: str, now: datetime
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
    return _save(uow, tenant, document, author, now), item


def delete_item(uow: UnitOfWork, tenant: Tenant, section: str, item_id: str, author: str, now: datetime) -> int:
    """Refused (SettingsError) when the rest of the document needs the item."""
    document = _editable_document(uow, tenant)
    items = document.setdefault(section, [])
    del items[_index_of(items, section, item_id)]
    return _save(uow, tenant, document, author, now)


def reorder_rules(
    uow: UnitOfWork, tenant: Tenant, ids: list[str], author: str, now: datetime
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
    return _save(uow, tenant, document, author, now), document[RULES]


# previews ------------------------------------------------------------------------------------
def evaluate_rules(uow: UnitOfWork, tenant: Tenant, ticket: TicketSnapshot) -> dict[str, Any]:
    """Which rule would set this new ticket's priority, and which SLA policy would then apply."""
    _version, _document, settings = current_settings(uow, tenant.id, tenant.timezone)
    rule = first_matching_rule(ticket, settings.rules)
    priority = rule.priority if rule is not None else DEFAULT_PRIORITY
    policy = match_policy(ticket.product, ticket.channel, priority, settings.policies)
    return {"rule": rule.id if rule else None, "priority": priority, "policy": policy.id if policy else None}


def preview_policy(
    uow: UnitOfWork, tenant: Tenant, policy: str | dict[str, Any], created_at: datetime
) -> dict[str, Any]:
    """Each target's due instant for a ticket created at ``created_at`` that never gets an answer.

    ``policy`` is a saved policy's id, or a draft policy object, previewed as if it were saved.
    """
    _version, document, settings = current_settings(uow, tenant.id, tenant.timezone)
    if isinstance(policy, dict):
        draft_document = copy.deepcopy(document)
        drafts = draft_document.setdefault("sla_policies", [])
        drafts[:] = [item for item in drafts if item.get("id") != policy.get("id")] + [policy]
        chosen = _policy_by_id(load_settings(draft_document).policies, policy["id"])
    else:
        chosen = _policy_by_id(settings.policies, policy)
    return {
        "policy": chosen.id,
        "created_at": iso_utc(created_at),
        "targets": [
            {"metric": target.metric, "minutes": target.minutes,
             "due_at": iso_utc(chosen.clock.deadline(created_at, target.seconds))}
            for target in chosen.targets
        ],
    }


# tickets and reports -------------------------------------------------------------------------
def ticket_targets(uow: UnitOfWork, tenant: Tenant, ticket_id: str) -> dict[str, Any]:
    data = uow.data_of(tenant.id)
    ticket = data.ticket(ticket_id) if "\x00" not in ticket_id else None
    if ticket is None:
        raise ItemNotFound(f"no ticket {ticket_id!r} is known for this account")
    return {
        "id": ticket.ticket_id,
        "priority": ticket.priority,
        "policy": ticket.policy_id,
        "deleted": ticket.deleted,
        "targets": [stored_target_document(row) for row in data.targets_of(ticket_id)],
    }


def report_rows(
    uow: UnitOfWork, tenant: Tenant, period: Period, since: datetime | None, until: datetime | None,
    policy: str | None, metric: str | None,
) -> list[ReportRow]:
    """Report rows over the targets decided in [since, until), by period of the settings' time zone."""
    _version, _document, settings = current_settings(uow, tenant.id, tenant.timezone)
    decided = uow.data_of(tenant.id).decided_targets(since, until, policy, metric)
    return build_report((target_state(row) for row in decided), period, settings.timezone)


def at_risk_targets(uow: UnitOfWork, tenant: Tenant, now: datetime) -> list[dict[str, Any]]:
    """Running targets inside their warning window at ``now``, the soonest due first."""
    return [
        {"ticket_id": row.ticket_id, **stored_target_document(row)}
        for row in uow.data_of(tenant.id).running_targets()
        if row.warn_at is not None and row.warn_at <= now
    ]


def target_state(row: SlaTarget) -> TargetState:
    return TargetState(
        metric=cast(Metric, row.metric),
        cycle=row.cycle,
        policy_id=row.policy_id,
        status=cast(TargetStatus, row.status),
        started_at=row.started_at,
        due_at=row.due_at,
        stopped_at=row.stopped_at,
        breached_at=row.breached_at,
        business_seconds=row.business_seconds,
        target_seconds=row.target_seconds,
        success_rate_percent=row.success_rate_percent,
        warn_at=row.warn_at,
    )


def stored_target_document(row: SlaTarget) -> dict[str, Any]:
    """report_formats.target_document plus the policy, the cycle and the warning instant."""
    return {**target_document(target_state(row)), "policy": row.policy_id, "cycle": row.cycle,
            "warn_at": iso_utc(row.warn_at)}


# internals -----------------------------------------------------------------------------------
def _editable_document(uow: UnitOfWork, tenant: Tenant) -> dict[str, Any]:
    """A copy of the current document: the stored one is shared with the parsed-settings cache."""
    return copy.deepcopy(settings_document(uow, tenant)[1])


def _index_of(items: list[dict[str, Any]], section: str, item_id: str) -> int:
    for index, item in enumerate(items):
        if item.get("id") == item_id:
            return index
    raise ItemNotFound(f"no {ITEM_NOUNS[section]} has id {item_id!r}")


def _policy_by_id(policies: tuple[SlaPolicy, ...], policy_id: str) -> SlaPolicy:
    found = next((policy for policy in policies if policy.id == policy_id), None)
    if found is None:
        raise ItemNotFound(f"no policy has id {policy_id!r}")
    return found


def _save(uow: UnitOfWork, tenant: Tenant, document: Any, author: str, now: datetime) -> int:
    """Validate and store a new version, recompute the open tickets under it, commit."""
    problems = _nul_characters(document, "settings")
    if problems:
        raise SettingsError(problems)
    try:
        version = save_settings(uow, tenant.id, document, author, now)
        for ticket_id in uow.data_of(tenant.id).open_ticket_ids():
            recompute_ticket(uow, tenant, ticket_id, now)
        uow.commit()
    except IntegrityError:  # another change took the same version number first
        raise SettingsChanged("another change was saved at the same moment; reload the settings and retry") from None
    return version


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

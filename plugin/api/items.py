"""CRUD of the settings document's items: /api/v1/calendars, /rules and /policies, plus rule order.

Each write edits the current document and saves it as a new version, validated whole: an item
the rest of the settings needs cannot be deleted, an SLA without its rule cannot be created.
``?apply_to=new_tickets`` leaves open tickets on the settings they had.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from plugin.services import queries, settings_changes

from .access import API_PREFIX, tenant_access
from .errors import api_blueprint
from .schemas import ITEM_BODIES, RuleList, RuleOrder, SettingsWriteQuery
from .settings import VERSION_HEADERS, version_headers

Answer = tuple[Any, int, dict[str, str]]


def item_blueprint(url_name: str, section: str, description: str) -> Blueprint:
    """list, get, create (409 on a duplicate id), replace and delete for one section of the document."""
    blueprint = api_blueprint(url_name, f"{API_PREFIX}/{url_name}", description)
    body = ITEM_BODIES[section]
    listing = Schema.from_dict({url_name: fields.List(fields.Nested(body))}, name=f"{body.__name__}List")

    @blueprint.get("")
    @blueprint.alt_response(200, schema=listing, headers=VERSION_HEADERS, success=True)
    def list_items() -> Answer:
        with tenant_access() as access:
            version, items = queries.list_items(access.uow, access.tenant, section)
        return {url_name: items}, 200, version_headers(version)

    @blueprint.get("/<item_id>")
    @blueprint.alt_response(200, schema=body, headers=VERSION_HEADERS, success=True)
    def get_item(item_id: str) -> Answer:
        with tenant_access() as access:
            version, item = queries.get_item(access.uow, access.tenant, section, item_id)
        return item, 200, version_headers(version)

    @blueprint.post("")
    @blueprint.arguments(body)
    @blueprint.arguments(SettingsWriteQuery, location="query", error_status_code=400, unknown=RAISE)
    @blueprint.alt_response(201, schema=body, headers=VERSION_HEADERS, success=True)
    def create_item(item: dict[str, Any], query: dict[str, Any]) -> Answer:
        with tenant_access(write=True) as access:
            change = access.change(query["apply_to"])
            version, item = settings_changes.create_item(access.uow, access.tenant, section, item, change)
        location = f"{API_PREFIX}/{url_name}/{quote(item['id'], safe='')}"  # an id may hold any character
        return item, 201, {**version_headers(version), "Location": location}

    @blueprint.put("/<item_id>")
    @blueprint.arguments(body)
    @blueprint.arguments(SettingsWriteQuery, location="query", error_status_code=400, unknown=RAISE)
    @blueprint.alt_response(200, schema=body, headers=VERSION_HEADERS, success=True)
    def replace_item(item: dict[str, Any], query: dict[str, Any], item_id: str) -> Answer:
        with tenant_access(write=True) as access:
            change = access.change(query["apply_to"])
            version, item = settings_changes.replace_item(access.uow, access.tenant, section, item_id, item, change)
        return item, 200, version_headers(version)

    @blueprint.delete("/<item_id>")
    @blueprint.arguments(SettingsWriteQuery, location="query", error_status_code=400, unknown=RAISE)
    @blueprint.alt_response(204, headers=VERSION_HEADERS, success=True)
    def delete_item(query: dict[str, Any], item_id: str) -> Answer:
        with tenant_access(write=True) as access:
            change = access.change(query["apply_to"])
            version = settings_changes.delete_item(access.uow, access.tenant, section, item_id, change)
        return "", 204, version_headers(version)

    return blueprint


calendars = item_blueprint("calendars", "calendars", "Business calendars: weekly hours and holidays")
rules = item_blueprint("rules", "prioritization_rules", "Prioritization rules: the first match sets a priority")
policies = item_blueprint("policies", "sla_policies", "SLA policies and their targets")


@rules.post("/reorder")
@rules.arguments(RuleOrder)
@rules.arguments(SettingsWriteQuery, location="query", error_status_code=400, unknown=RAISE)
@rules.alt_response(200, schema=RuleList, headers=VERSION_HEADERS, success=True)
def reorder_rules(order: dict[str, Any], query: dict[str, Any]) -> Answer:
    """Set the order in which rules are tried: positions 1..n in the order of ``ids``."""
    with tenant_access(write=True) as access:
        change = access.change(query["apply_to"])
        version, ordered = settings_changes.reorder_rules(access.uow, access.tenant, order["ids"], change)
    return {"rules": ordered}, 200, version_headers(version)

"""The whole settings document: GET and PUT /api/v1/settings, and its audited versions."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from marshmallow import RAISE

from plugin.http_errors import ApiError
from plugin.json_bodies import read_json_body
from plugin.services import queries, settings_changes

from .access import API_PREFIX, tenant_access
from .errors import api_blueprint
from .schemas import ETAG_PATTERN, SettingsDocument, SettingsPrecondition, SettingsVersionList, SettingsWriteQuery

blueprint = api_blueprint("settings", f"{API_PREFIX}/settings", "The settings export document (design.md §5)")
VERSION_HEADERS = {"ETag": {"description": "the settings version, quoted"},
                   "X-Settings-Version": {"description": "the settings version"}}


def version_headers(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"', "X-Settings-Version": str(version)}


@blueprint.get("")
@blueprint.alt_response(200, schema=SettingsDocument, headers=VERSION_HEADERS, success=True)
def get_settings() -> tuple[dict[str, Any], int, dict[str, str]]:
    """The settings document in force; its version is in ETag and X-Settings-Version."""
    with tenant_access() as access:
        version, document = queries.settings_document(access.uow, access.tenant)
    return document, 200, version_headers(version)


@blueprint.put("")
@blueprint.arguments(SettingsWriteQuery, location="query", error_status_code=400, unknown=RAISE)
@blueprint.arguments(SettingsPrecondition, location="headers", error_status_code=400)
@blueprint.doc(requestBody={"required": True, "content": {"application/json": {"schema": SettingsDocument}}})
@blueprint.alt_response(200, schema=SettingsDocument, headers=VERSION_HEADERS, success=True)
def put_settings(query: dict[str, Any], precondition: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Replace the whole document: every part is valid and saved as a new version, or nothing changes."""
    document = read_json_body(request.get_data())
    with tenant_access(write=True) as access:
        expected_version = _version_in_etag(precondition["if_match"])
        change = access.change(query["apply_to"])
        version = settings_changes.replace_settings(access.uow, access.tenant, document, change, expected_version)
    return document, 200, version_headers(version)


@blueprint.get("/versions")
@blueprint.response(200, SettingsVersionList)
def list_versions() -> dict[str, Any]:
    """Every saved version, newest first: who saved it and when."""
    with tenant_access() as access:
        return {"versions": queries.settings_history(access.uow, access.tenant)}


@blueprint.get("/versions/<int:version>")
@blueprint.alt_response(200, schema=SettingsDocument, success=True)
def get_version(version: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The document as it was saved in ``version``."""
    with tenant_access() as access:
        document = queries.settings_version(access.uow, access.tenant, version)
    return document, 200, version_headers(version)


def _version_in_etag(if_match: str | None) -> int | None:
    if if_match is None or if_match == "*":
        return None
    if not re.fullmatch(ETAG_PATTERN, if_match):
        raise ApiError(412, "settings_changed", "If-Match must be the quoted settings version of an ETag")
    return int(if_match.removeprefix("W/").strip('"'))

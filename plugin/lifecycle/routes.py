"""POST /lifecycle/install and /lifecycle/uninstall, signed with the app secret."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates

from plugin.http_errors import error_response
from plugin.runtime import current_runtime
from plugin.security.signatures import SignatureError, verify_signature
from plugin.services.lifecycle import Installation, install, uninstall
from plugin.settings.loading import flatten_errors
from plugin.settings.schemas import validate_timezone

blueprint = Blueprint("lifecycle", __name__, url_prefix="/lifecycle")
log = logging.getLogger("sla.lifecycle")


def _http_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("must be an http(s) URL")


class InstallSchema(Schema):
    account_id = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    api_base_url = fields.Str(required=True, validate=_http_url)
    access_token = fields.Str(required=True, validate=validate.Length(min=1))
    webhook_secret = fields.Str(required=True)
    timezone = fields.Str(load_default="UTC", validate=validate_timezone)
    host_origin = fields.Str(required=True, validate=_http_url)

    @validates("webhook_secret")
    def _standard_webhooks_secret(self, value: str, **_: Any) -> None:
        try:
            valid = value.startswith("whsec_") and len(base64.b64decode(value[6:], validate=True)) >= 16
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ValidationError("must be a Standard Webhooks secret ('whsec_' and at least 16 bytes in base64)")


class UninstallSchema(Schema):
    account_id = fields.Str(required=True, validate=validate.Length(min=1, max=200))


@blueprint.post("/install")
def install_route() -> tuple[Response, int]:
    data, problem = _verified_body(InstallSchema())
    if data is None:
        assert problem is not None
        return problem
    runtime = current_runtime()
    with runtime.uow() as uow:
        created = install(uow, runtime.box, Installation(**data), runtime.now())
    log.info("lifecycle.installed", extra={"account_id": data["account_id"]})
    return jsonify({"status": "installed" if created else "updated", "account_id": data["account_id"]}), 200


@blueprint.post("/uninstall")
def uninstall_route() -> tuple[Response, int]:
    data, problem = _verified_body(UninstallSchema())
    if data is None:
        assert problem is not None
        return problem
    runtime = current_runtime()
    with runtime.uow() as uow:
        removed = uninstall(uow, data["account_id"])
    log.info("lifecycle.uninstalled", extra={"account_id": data["account_id"]})
    return jsonify({"status": "uninstalled" if removed else "not_installed", "account_id": data["account_id"]}), 200


def _verified_body(schema: Schema) -> tuple[dict[str, Any] | None, tuple[Response, int] | None]:
    """The verified, validated body, or the error answer to give instead."""
    runtime = current_runtime()
    body = request.get_data(cache=False)
    try:
        verify_signature(runtime.config.app_secret, body, request.headers)
    except SignatureError as error:
        log.warning("lifecycle.rejected.invalid_signature", extra={"reason": str(error)})
        return None, error_response(401, "invalid_signature", str(error))
    if b"\\u0000" in body:  # PostgreSQL cannot store NUL; no installation field needs one
        return None, error_response(400, "invalid_request", "the body must not contain NUL characters")
    try:
        return schema.load(json.loads(body)), None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return None, error_response(400, "malformed_body", f"body is not valid JSON: {error}")
    except RecursionError:
        return None, error_response(400, "malformed_body", "body is nested too deeply")
    except ValidationError as error:
        problems = flatten_errors(error.messages, root="body")
        return None, error_response(400, "invalid_request", "; ".join(problems), problems=problems)

"""POST /lifecycle/install and /lifecycle/uninstall, signed with the app secret."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from plugin.config import MAX_REQUESTS_PER_SECOND, MIN_REQUESTS_PER_SECOND
from plugin.host.registry import REGISTRY
from plugin.http_errors import ApiError, invalid_request
from plugin.json_bodies import read_json_body
from plugin.runtime import current_runtime
from plugin.security.signatures import SignatureError, verify_signature
from plugin.services.lifecycle import HostKindChanged, Installation, install, uninstall
from plugin.settings.loading import flatten_errors
from plugin.settings.schemas import validate_timezone
from plugin.store.limits import IDENTIFIER_LENGTH

blueprint = Blueprint("lifecycle", __name__, url_prefix="/lifecycle")
log = logging.getLogger("sla.lifecycle")


def _http_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("must be an http(s) URL")


def _registered_host_kind(value: str) -> None:
    if value not in REGISTRY:
        raise ValidationError(f"{value[:40]!r} is not a host kind the plugin has an adapter for "
                              f"(one of: {', '.join(REGISTRY.names())})")


# An account id is a path segment of its webhooks' URL: unreserved URL characters only (RFC 3986).
ACCOUNT_ID = validate.And(
    validate.Length(min=1, max=IDENTIFIER_LENGTH),
    validate.Predicate("isprintable", error="must not contain NUL or other control characters"),
    validate.Regexp(r"^[A-Za-z0-9._~-]+$", error="must be letters, digits, '.', '_', '~' or '-' (it is part of "
                    "the webhooks' URL)"),
    validate.NoneOf((".", ".."), error="must not be '.' or '..' (it is part of the webhooks' URL)"),
)


class InstallSchema(Schema):
    """An install; fields the marketplace adds that the plugin does not use are ignored (and logged)."""

    class Meta:
        unknown = EXCLUDE

    account_id = fields.Str(required=True, validate=ACCOUNT_ID)
    api_base_url = fields.Str(required=True, validate=_http_url)
    access_token = fields.Str(required=True, validate=validate.Length(min=1))
    webhook_secret = fields.Str(required=True)
    timezone = fields.Str(load_default="UTC", validate=validate_timezone)
    host_origin = fields.Str(required=True, validate=_http_url)
    # Null or absent: a new account's is "reference", a re-install keeps the account's own.
    host_kind = fields.Str(load_default=None, allow_none=True, validate=_registered_host_kind)
    requests_per_second = fields.Float(
        load_default=None, allow_none=True, allow_nan=False,
        validate=validate.Range(min=MIN_REQUESTS_PER_SECOND, max=MAX_REQUESTS_PER_SECOND,
                                error="must be a number from {min:g} to {max:g}"))

    @validates("webhook_secret")
    def _standard_webhooks_secret(self, value: str, **_: Any) -> None:
        try:
            valid = value.startswith("whsec_") and len(base64.b64decode(value[6:], validate=True)) >= 16
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ValidationError("must be a Standard Webhooks secret ('whsec_' and at least 16 bytes in base64)")


class UninstallSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    account_id = fields.Str(required=True, validate=validate.Length(min=1, max=IDENTIFIER_LENGTH))


@blueprint.post("/install")
def install_route() -> tuple[Response, int]:
    data = _verified_body(InstallSchema())
    runtime = current_runtime()
    try:
        created = install(runtime.uow(), runtime.box, Installation(**data), runtime.now())
    except HostKindChanged as error:
        raise ApiError(409, "host_kind_changed", str(error)) from None
    log.info("lifecycle.installed", extra={"account_id": data["account_id"]})
    return jsonify({"status": "installed" if created else "updated", "account_id": data["account_id"]}), 200


@blueprint.post("/uninstall")
def uninstall_route() -> tuple[Response, int]:
    data = _verified_body(UninstallSchema())
    runtime = current_runtime()
    removed = uninstall(runtime.uow(), data["account_id"])
    log.info("lifecycle.uninstalled", extra={"account_id": data["account_id"]})
    return jsonify({"status": "uninstalled" if removed else "not_installed", "account_id": data["account_id"]}), 200


def _verified_body(schema: Schema) -> dict[str, Any]:
    """The body, verified against the app secret before it is read, then validated."""
    runtime = current_runtime()
    body = request.get_data(cache=False)
    try:
        verify_signature(runtime.config.app_secret, body, request.headers)
    except SignatureError as error:
        log.warning("lifecycle.rejected.invalid_signature", extra={"reason": str(error)})
        raise
    document = read_json_body(body)
    ignored = sorted(set(document) - set(schema.fields)) if isinstance(document, dict) else []
    if ignored:
        log.info("lifecycle.fields_ignored", extra={"reason": ", ".join(name[:40] for name in ignored[:20])})
    try:
        return schema.load(document)
    except ValidationError as error:
        raise invalid_request(flatten_errors(error.messages, root="body")) from None

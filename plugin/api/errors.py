"""Errors of the admin API, all in the shape of plugin.http_errors: {"error", "message", "problems"?}.

flask-smorest would answer validation errors in its own shape; ``PluginApi`` leaves the app's
JSON error handler in place and each API blueprint maps webargs' errors and the service layer's
domain errors here, so every answer under /api/v1 reads the same.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from plugin.domain.calendar import NoBusinessTime
from plugin.http_errors import error_response
from plugin.security.tokens import TokenError
from plugin.services.admin import (
    DueInstantOutOfRange,
    DuplicateId,
    ItemNotFound,
    SettingsChanged,
    StaleSettings,
    TokenReused,
    UnknownAccount,
)
from plugin.settings.loading import SettingsError, flatten_errors

# Domain error → (HTTP status, error code); the exception's message is the answer's message.
DOMAIN_ERRORS: dict[type[Exception], tuple[int, str]] = {
    TokenError: (401, "invalid_token"),
    TokenReused: (401, "token_reused"),
    UnknownAccount: (404, "unknown_account"),
    ItemNotFound: (404, "not_found"),
    DuplicateId: (409, "duplicate_id"),
    SettingsChanged: (409, "settings_changed"),
    StaleSettings: (412, "settings_changed"),
    NoBusinessTime: (422, "no_business_time"),
    DueInstantOutOfRange: (422, "out_of_range"),
}


class ApiError(Exception):
    """An answer decided in a route or in request authentication."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class ErrorSchema(Schema):
    """Documents every error answer of the API (see plugin.http_errors)."""

    error = fields.Str(metadata={"description": "machine-readable code, e.g. invalid_settings"})
    message = fields.Str(metadata={"description": "what is wrong, for a person"})
    problems = fields.List(fields.Str(), metadata={"description": "`path: message` lines, for validation errors"})


class PluginApi(Api):
    """flask-smorest's Api without its app-wide error handler (plugin.http_errors keeps that job)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        pass


def api_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    """A smorest blueprint whose errors come out in the plugin's JSON shape."""
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix, description=description)
    blueprint.register_error_handler(ApiError, _api_error)
    blueprint.register_error_handler(SettingsError, _settings_error)
    blueprint.register_error_handler(HTTPException, _http_error)
    blueprint.register_error_handler(RecursionError, _too_deep)
    for kind in DOMAIN_ERRORS:
        blueprint.register_error_handler(kind, _domain_error)
    return blueprint


def _api_error(error: ApiError) -> tuple[Response, int]:
    response, status = error_response(error.status, error.code, error.message)
    response.headers.update(error.headers)
    return response, status


def _settings_error(error: SettingsError) -> tuple[Response, int]:
    return error_response(422, "invalid_settings", "; ".join(error.problems), problems=error.problems)


def _domain_error(error: Exception) -> tuple[Response, int]:
    status, code = next(value for kind, value in DOMAIN_ERRORS.items() if isinstance(error, kind))
    return error_response(status, code, str(error))


def _too_deep(_error: RecursionError) -> tuple[Response, int]:
    return error_response(400, "malformed_body", "the JSON body is nested too deeply")


def _http_error(error: HTTPException) -> tuple[Response, int]:
    """webargs' validation errors (with ``data.messages``) as problems; anything else as plugin.http_errors does."""
    status = error.code or 500
    messages: dict[str, Any] | None = (getattr(error, "data", None) or {}).get("messages")
    if status == 413:
        return error_response(413, "body_too_large", "the request body exceeds 1 MiB")
    if not messages:
        code = (error.name or "error").lower().replace(" ", "_")
        return error_response(status, code, error.description or error.name)
    problems = [
        line
        for location, detail in messages.items()
        for line in flatten_errors(detail, root="query" if location == "query" else "body")
    ]
    code = "invalid_parameter" if "query" in messages else ("malformed_body" if status == 400 else "invalid_request")
    return error_response(status, code, "; ".join(problems), problems=problems)

"""Every error answer of every HTTP entry point: JSON ``{"error": code, "message": text}``, plus
``problems`` (``path: message`` lines) for validation errors.

Routes and services raise; one table maps each error type to its status and code, and the app's
handlers render it. Nothing else builds an error answer.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from prometheus_client import Counter
from werkzeug.exceptions import HTTPException

from plugin.domain.calendar import NoBusinessTime
from plugin.json_bodies import MalformedBody
from plugin.security.secrets import SecretUnreadable
from plugin.security.signatures import SignatureError
from plugin.security.tokens import TokenError
from plugin.services.ingest import InstallationChanged, InvalidEvent, UnknownAccount
from plugin.services.previews import DueInstantOutOfRange, PolicyNotFound
from plugin.services.queries import InvalidQuery
from plugin.services.sessions import TokenReused, UnknownInstallation
from plugin.services.settings_changes import DuplicateId, ItemInUse, ItemNotFound, SettingsChanged, StaleSettings
from plugin.settings.loading import SettingsError, flatten_errors
from plugin.store.limits import NotStorable

log = logging.getLogger("sla.http")
ERROR_ANSWERS_SENT = Counter("sla_http_errors_total", "Error answers by HTTP status and error code",
                             ["status", "error"])


class ApiError(Exception):
    """An answer decided by an entry point itself (authentication, a precondition, a header)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                 problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}
        self.problems = problems


def invalid_request(problems: list[str]) -> ApiError:
    """400 for a body that is JSON but not what the endpoint takes; ``problems`` name each field."""
    return ApiError(400, "invalid_request", "; ".join(problems), problems=problems)


# Error type → (HTTP status, error code); the exception's message is the answer's message.
ERROR_ANSWERS: dict[type[Exception], tuple[int, str]] = {
    MalformedBody: (400, "malformed_body"),
    InvalidEvent: (400, "invalid_event"),
    NotStorable: (400, "invalid_request"),
    SignatureError: (401, "invalid_signature"),
    TokenError: (401, "invalid_token"),
    TokenReused: (401, "token_reused"),
    UnknownAccount: (404, "unknown_account"),
    UnknownInstallation: (404, "unknown_account"),
    ItemNotFound: (404, "not_found"),
    PolicyNotFound: (404, "not_found"),
    DuplicateId: (409, "duplicate_id"),
    ItemInUse: (409, "item_in_use"),
    SettingsChanged: (409, "settings_changed"),
    StaleSettings: (412, "settings_changed"),
    SettingsError: (422, "invalid_settings"),
    NoBusinessTime: (422, "no_business_time"),
    DueInstantOutOfRange: (422, "out_of_range"),
    InstallationChanged: (503, "installation_changed"),
    SecretUnreadable: (503, "secrets_unreadable"),  # the key was changed under a running plugin
}
KNOWN_ERRORS = tuple(ERROR_ANSWERS)


def error_answer(error: Exception) -> tuple[int, str]:
    """The status and code of a known error."""
    return next(answer for kind, answer in ERROR_ANSWERS.items() if isinstance(error, kind))


def error_response(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    ERROR_ANSWERS_SENT.labels(str(status), code).inc()
    return jsonify({"error": code, "message": message, **extra}), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _decided(error: ApiError) -> tuple[Response, int]:
        extra = {"problems": error.problems} if error.problems is not None else {}
        response, status = error_response(error.status, error.code, error.message, **extra)
        response.headers.update(error.headers)
        return response, status

    @app.errorhandler(SettingsError)
    def _invalid_settings(error: SettingsError) -> tuple[Response, int]:
        return error_response(422, "invalid_settings", "; ".join(error.problems), problems=error.problems)

    @app.errorhandler(InvalidQuery)
    def _invalid_query(error: InvalidQuery) -> tuple[Response, int]:
        return error_response(400, "invalid_parameter", "; ".join(error.problems), problems=error.problems)

    for kind in ERROR_ANSWERS:
        if kind is not SettingsError:
            app.register_error_handler(kind, _known)

    @app.errorhandler(RecursionError)
    def _too_deep(_error: RecursionError) -> tuple[Response, int]:
        return error_response(400, "malformed_body", "body is nested too deeply")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response, int]:
        return _http_answer(error)

    @app.errorhandler(Exception)
    def _unexpected(_error: Exception) -> tuple[Response, int]:
        log.exception("http.unhandled_error")
        return error_response(500, "internal_error", "the plugin failed to handle this request; it has been logged")


def _known(error: Exception) -> tuple[Response, int]:
    status, code = error_answer(error)
    return error_response(status, code, str(error))


def _http_answer(error: HTTPException) -> tuple[Response, int]:
    """Werkzeug's errors, and the request validation errors of the API (webargs puts its messages in
    ``data.messages``) as problems."""
    status = error.code or 500
    if status == 413:
        return error_response(413, "body_too_large", "the request body exceeds 1 MiB")
    messages: dict[str, Any] | None = (getattr(error, "data", None) or {}).get("messages")
    if not messages:
        code = (error.name or "error").lower().replace(" ", "_")
        return error_response(status, code, error.description or error.name)
    problems = [line for location, detail in messages.items()
                for line in flatten_errors(detail, root="query" if location == "query" else "body")]
    code = "invalid_parameter" if "query" in messages else ("malformed_body" if status == 400 else "invalid_request")
    return error_response(status, code, "; ".join(problems), problems=problems)

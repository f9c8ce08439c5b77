"""The API's blueprints and the error schema that documents every error answer.

Errors themselves are answered app-wide (``plugin.http_errors``): ``PluginApi`` leaves that
handler in place instead of flask-smorest's, so every answer under /api/v1 reads the same as the
webhook and lifecycle endpoints' answers.
"""

from __future__ import annotations

from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields


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
    return Blueprint(name, __name__, url_prefix=url_prefix, description=description)

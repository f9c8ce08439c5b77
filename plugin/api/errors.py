"""The API's blueprints and the error schema that documents every error answer.

Errors themselves are answered app-wide (``plugin.http_errors``): ``PluginApi`` leaves that
handler in place instead of flask-smorest's, so every answer under /api/v1 reads the same as the
webhook and lifecycle endpoints' answers.
"""

from __future__ import annotations

from typing import Any

import flask
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, missing
from webargs.flaskparser import FlaskParser, is_json_request

from plugin.json_bodies import read_json_body


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


class BodyParser(FlaskParser):
    """webargs' parser, reading a JSON body as every other entry point does (``read_json_body``:
    NaN is no number, nor is one of 5,000 digits); no body at all is no arguments, as in webargs."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return missing
        raw = req.get_data(cache=True)
        return read_json_body(raw) if raw.strip() else missing


class PluginBlueprint(Blueprint):
    ARGUMENTS_PARSER = BodyParser()


def api_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    return PluginBlueprint(name, __name__, url_prefix=url_prefix, description=description)

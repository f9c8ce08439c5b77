"""The admin API under /api/v1 (flask-smorest, OpenAPI at /api/v1/openapi.json).

Every route is short: authenticate (plugin.api.access), validate with a marshmallow schema, call
one service handler (plugin.services: settings_changes, queries, previews, sessions);
plugin.http_errors maps their errors to HTTP answers.
"""

from __future__ import annotations

from flask import Flask

from . import (
    auth,
    charts,  # noqa: F401  (adds /reports/hourly/chart and /reports/daily/chart)
    countdown,
    delivery,
    items,
    previews,  # noqa: F401  (adds /rules/test and /policies/preview to those blueprints)
    reports,
    settings,
    settings_tools,  # adds /rules/explain and /calendars/preview; its blueprint: /timezones, /holidays
    tickets,
    what_if,
)
from .access import API_PREFIX, authenticate_first, frame_ancestors
from .errors import PluginApi
from .openapi import DocumentingPlugin

OPENAPI_CONFIG = {
    "API_TITLE": "SLA plugin admin API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": API_PREFIX,
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "components": {"securitySchemes": {"session": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        "security": [{"session": []}],
        "info": {"description": "The SLA plugin's settings, reports and tickets, for one installed account. No text "
                                "of the settings (calendars, rules, policies) may contain NUL (U+0000): the stores "
                                "cannot keep it. Rules that span fields are stated in their descriptions."},
    },
}


def init_app(app: Flask) -> None:
    """Register the API's blueprints on ``app``."""
    for key, value in OPENAPI_CONFIG.items():
        app.config.setdefault(key, value)
    api = PluginApi(app, spec_kwargs={"marshmallow_plugin": DocumentingPlugin()})
    for blueprint in (auth.blueprint, settings.blueprint, items.calendars, items.rules, items.policies,
                      tickets.blueprint, tickets.status, reports.blueprint, delivery.blueprint,
                      countdown.blueprint, what_if.blueprint, settings_tools.blueprint):
        api.register_blueprint(blueprint)
    app.before_request(authenticate_first)
    app.after_request(frame_ancestors)

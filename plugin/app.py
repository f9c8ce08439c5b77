"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask

from plugin import api, settings_ui
from plugin.config import Config
from plugin.http_errors import register_error_handlers
from plugin.lifecycle.routes import blueprint as lifecycle_blueprint
from plugin.logs import configure_logging
from plugin.observability import blueprint as ops_blueprint
from plugin.runtime import Runtime, wall_clock
from plugin.webhooks.routes import blueprint as webhooks_blueprint


def create_app(config: Config | None = None, clock: Callable[[], datetime] = wall_clock) -> Flask:
    """Build the web app; ``config`` defaults to the environment, ``clock`` to the wall clock."""
    config = config or Config.from_env()
    configure_logging(config.log_level)
    app = Flask("plugin")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.extensions["sla_runtime"] = Runtime.build(config, clock)
    register_error_handlers(app)
    app.register_blueprint(ops_blueprint)
    app.register_blueprint(lifecycle_blueprint)
    app.register_blueprint(webhooks_blueprint)
    api.init_app(app)
    settings_ui.init_app(app)
    return app

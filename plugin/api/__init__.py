"""The admin API under /api/v1 (flask-smorest, OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API's blueprints on ``app``."""

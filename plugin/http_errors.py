"""Every error answer is JSON that names the problem: {"error": code, "message": text}."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger("sla.http")


def error_response(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message, **extra}), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response, int]:
        code = (error.name or "error").lower().replace(" ", "_")
        status = error.code or 500
        if status == 413:
            return error_response(413, "body_too_large", "the request body exceeds 1 MiB")
        return error_response(status, code, error.description or error.name)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("http.unhandled_error")
        return error_response(500, "internal_error", "the plugin failed to handle this request; it has been logged")

"""``create_sandbox_app``: the sandbox helpdesk as one Flask app (host API, driver endpoints, page)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from .clock import SandboxClock
from .control import control
from .embedding import embedding
from .faults import FaultBook
from .host import SandboxHost
from .host_api import DROP, host_api
from .page import page
from .plugin_link import PluginLink, Transport, http_transport
from .store import Helpdesk


@dataclass(frozen=True)
class Sandbox:
    helpdesk: Helpdesk
    host: SandboxHost
    faults: FaultBook
    clock: SandboxClock


def create_sandbox_app(base_url: str = "http://127.0.0.1:8090", plugin: PluginLink | None = None,
                       clock: SandboxClock | None = None, transport: Transport = http_transport,
                       helpdesk: Helpdesk | None = None) -> Flask:
    """``base_url`` is where the plugin reaches this sandbox (the installs' ``api_base_url``);
    without ``plugin`` the webhooks are recorded and not sent."""
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    clock = clock or SandboxClock()
    helpdesk = helpdesk or Helpdesk()
    host = SandboxHost(helpdesk, base_url, plugin, clock, transport)
    app.extensions["sandbox"] = Sandbox(helpdesk, host, FaultBook(), clock)
    app.register_blueprint(host_api)
    app.register_blueprint(control)
    app.register_blueprint(page)
    app.register_blueprint(embedding)

    @app.get("/healthz")
    @app.get("/readyz")
    def ready() -> Response:
        return jsonify(status="ok")

    @app.errorhandler(HTTPException)
    def http_error(problem: HTTPException) -> tuple[Response, int]:
        return jsonify(error="not_found" if problem.code == 404 else "http_error",
                       message=f"{problem.description} ({request.method} {request.path})"), problem.code or 500

    app.wsgi_app = ConnectionDropper(app.wsgi_app)  # type: ignore[method-assign]
    return app


def sandbox_of(app: Flask) -> Sandbox:
    sandbox: Sandbox = app.extensions["sandbox"]
    return sandbox


class ConnectionDropper:
    """Closes the connection without an answer when the host API marked the request (a ``drop`` fault).

    The socket is shut down and ConnectionAbortedError raised: werkzeug's server takes that for a
    client that went away and writes nothing; the client sees the connection closed with no
    answer. Without a socket (the Flask test client) the error reaches the caller instead.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started: list[Any] = []

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started.append((status, headers, exc_info))
            return lambda data: None

        body: Iterable[bytes] = self.app(environ, hold)
        if environ.get(DROP):
            if hasattr(body, "close"):
                body.close()
            connection = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
            if connection is not None:
                with contextlib.suppress(OSError):  # the client left first
                    connection.shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("the sandbox dropped the connection (an injected fault)")
        start_response(*started[0])
        return body

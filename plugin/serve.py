"""``sla-plugin serve``: the web app under gunicorn, after bringing the schema up to date."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings:  # older gunicorns lack some settings (the control socket)
                self.cfg.set(key, value)

    def load(self) -> Any:
        from plugin.app import create_app  # noqa: PLC0415  (each worker builds its own app and pool)

        return create_app()


def gunicorn_options(bind: str, workers: int, threads: int) -> dict[str, Any]:
    """How the plugin is served; ``bench/bare_verify_app.py`` serves its baseline the same way.

    With more than one thread, gunicorn runs threaded workers: a request waiting on the database
    leaves the worker free for another one.
    """
    return {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "accesslog": None,
        "errorlog": "-",
        "logger_class": "plugin.logs.JsonGunicornLogger",
        "timeout": 30,
        "graceful_timeout": 10,
        "preload_app": False,
        "control_socket_disable": True,  # several servers may share a machine (tests, benchmarks)
    }


def serve(bind: str, workers: int, threads: int = 1) -> None:
    """Run gunicorn (each worker builds its app from the environment); the store is prepared first
    (``plugin.startup``)."""
    # Metrics of all workers are added up through files in this folder (prometheus-client's way).
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="sla-metrics-"))
    _Gunicorn(gunicorn_options(bind, workers, threads)).run()

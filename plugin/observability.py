"""Metrics (Prometheus), health checks and structured logs without secrets."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from plugin.runtime import current_runtime
from plugin.store.models import OutboxCommand

WEBHOOKS = Counter("sla_webhooks_total", "Webhooks by outcome", ["result"])
WEBHOOK_SECONDS = Histogram("sla_webhook_processing_seconds", "Time to verify, store and process a webhook")

blueprint = Blueprint("ops", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@blueprint.get("/readyz")
def readyz() -> tuple[Response, int]:
    try:
        with current_runtime().engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    return jsonify({"status": "ready"}), 200


@blueprint.get("/metrics")
def metrics() -> Response:
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # under gunicorn: add up every worker
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    text = generate_latest(registry).decode() + _outbox_depth()
    return Response(text, content_type=CONTENT_TYPE_LATEST)


def _outbox_depth() -> str:
    with current_runtime().uow() as uow:
        rows = uow.session.execute(
            sa.select(OutboxCommand.status, sa.func.count()).group_by(OutboxCommand.status)
        ).all()
    lines = ["# HELP sla_outbox_commands Host commands in the outbox by status", "# TYPE sla_outbox_commands gauge"]
    lines += [f'sla_outbox_commands{{status="{status}"}} {count}' for status, count in rows]
    return "\n".join(lines) + "\n"


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line. Only whitelisted context keys are written: never a token or a secret."""

    CONTEXT_KEYS = ("account_id", "webhook_id", "reason", "ticket_id", "command", "status")

    def format(self, record: logging.LogRecord) -> str:
        entry = {"level": record.levelname.lower(), "event": record.getMessage(), "logger": record.name}
        entry.update({key: getattr(record, key) for key in self.CONTEXT_KEYS if hasattr(record, key)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is emitted (it may be replaced after start-up)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging() -> None:
    handler = _StderrHandler()
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger("sla")
    if not root.handlers:
        root.addHandler(handler)
        root.setLevel(os.environ.get("SLA_LOG_LEVEL", "INFO"))
        root.propagate = False

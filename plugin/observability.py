"""Metrics (Prometheus) and health checks."""

from __future__ import annotations

import os
from datetime import datetime

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
from plugin.services.operations import OperationalFigures, inbox_lag_seconds, operational_figures

WEBHOOKS = Counter("sla_webhooks_total", "Webhooks by outcome", ["result"])
WEBHOOK_SECONDS = Histogram("sla_webhook_processing_seconds", "Time to verify, validate and store a webhook")

blueprint = Blueprint("ops", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@blueprint.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready while the database answers and the inbox processor keeps up (its oldest pending event
    has waited less than ``SLA_READY_MAX_LAG_SECONDS``)."""
    runtime = current_runtime()
    try:
        lag = inbox_lag_seconds(runtime.uow(), runtime.wall_now())
    except sa.exc.SQLAlchemyError:
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    if lag > runtime.config.ready_max_lag_seconds:
        return jsonify({"status": "unavailable", "inbox_lag_seconds": round(lag, 1),
                        "reason": "the inbox processor (sla-plugin worker) is behind or not running"}), 503
    return jsonify({"status": "ready"}), 200


@blueprint.get("/metrics")
def metrics() -> Response:
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # under gunicorn: add up every worker
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    runtime = current_runtime()
    text = generate_latest(registry).decode() + store_metrics(operational_figures(runtime.uow()), runtime.wall_now())
    return Response(text, content_type=CONTENT_TYPE_LATEST)


def store_metrics(figures: OperationalFigures, now: datetime) -> str:
    """Gauges read from the database at each scrape (the same for every web worker)."""
    lines = ["# HELP sla_outbox_commands Host commands in the outbox by status",
             "# TYPE sla_outbox_commands gauge"]
    lines += [f'sla_outbox_commands{{status="{status}"}} {count}'
              for status, count in sorted(figures.outbox_by_status.items())]
    lines += ["# HELP sla_inbox_events Webhook events in the inbox by status (pending, failed), all tenants",
              "# TYPE sla_inbox_events gauge"]
    for status in ("pending", "failed"):
        total = sum(getattr(counts, status) for counts in figures.inbox_by_tenant.values())
        lines.append(f'sla_inbox_events{{status="{status}"}} {total}')
    lines += ["# HELP sla_inbox_lag_seconds How long the oldest pending event has waited for the processor",
              "# TYPE sla_inbox_lag_seconds gauge", f"sla_inbox_lag_seconds {figures.inbox_lag_seconds(now):.3f}"]
    return "\n".join(lines) + "\n"

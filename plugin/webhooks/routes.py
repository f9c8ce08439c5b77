"""POST /webhooks/<account_id>: verify, validate, store in the inbox, answer 200.

The checks (tenant, signature before the body is read, body, event) are the service's; each
refusal is logged under a dotted name and counted.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from plugin.http_errors import KNOWN_ERRORS, error_answer
from plugin.observability import WEBHOOK_SECONDS, WEBHOOKS
from plugin.runtime import current_runtime
from plugin.services.ingest import receive_webhook

blueprint = Blueprint("webhooks", __name__)
log = logging.getLogger("sla.webhooks")


@blueprint.post("/webhooks/<account_id>")
def receive(account_id: str) -> tuple[Response, int]:
    started = time.perf_counter()
    runtime = current_runtime()
    try:
        body = request.get_data(cache=False)  # over 1 MiB: 413 before anything else
    except RequestEntityTooLarge:
        WEBHOOKS.labels("rejected_body_too_large").inc()
        log.warning("webhook.rejected.body_too_large", extra={"account_id": account_id})
        raise
    try:
        received = receive_webhook(runtime.uow(), runtime.credentials, runtime.box, account_id, body,
                                   request.headers, runtime.wall_now())
    except KNOWN_ERRORS as error:
        _status, code = error_answer(error)
        WEBHOOKS.labels(f"rejected_{code}").inc()
        log.warning("webhook.rejected.%s", code, extra={"reason": str(error), "account_id": account_id})
        raise
    WEBHOOKS.labels(received.status).inc()
    WEBHOOK_SECONDS.observe(time.perf_counter() - started)
    # Debug, not info: one line per event would be most of the log; the metrics count them.
    log.debug("webhook.%s", received.status, extra={"account_id": account_id, "webhook_id": received.webhook_id})
    return jsonify({"status": received.status}), 200

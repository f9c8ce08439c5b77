"""POST /webhooks/<account_id>: tenant, signature, body, event, then one service call.

Checks run in this order and each failure is logged under a dotted name; the body is not
parsed before its signature verifies.
"""

from __future__ import annotations

import json
import logging
import time

from flask import Blueprint, Response, jsonify, request

from plugin.http_errors import error_response
from plugin.observability import WEBHOOK_SECONDS, WEBHOOKS
from plugin.runtime import current_runtime
from plugin.security.signatures import SignatureError, verify_signature
from plugin.services.webhooks import handle_webhook
from plugin.webhooks.payloads import PayloadError, parse_event, without_nul_characters

blueprint = Blueprint("webhooks", __name__)
log = logging.getLogger("sla.webhooks")


@blueprint.post("/webhooks/<account_id>")
def receive(account_id: str) -> tuple[Response, int]:
    started = time.perf_counter()
    runtime = current_runtime()
    body = request.get_data(cache=False)  # over 1 MiB: 413 before anything else
    with runtime.uow() as uow:
        tenant = uow.tenants.credentials(account_id) if "\x00" not in account_id else None
        if tenant is None:
            return _reject(404, "unknown_account", f"no installation for account {account_id!r}")
        try:
            webhook_id = verify_signature(runtime.box.open(tenant.webhook_secret_encrypted), body, request.headers)
        except SignatureError as error:
            return _reject(401, "invalid_signature", str(error), account_id=account_id)
        try:
            document = json.loads(body)
            if b"\\u0000" in body:  # JSON can carry NUL only escaped
                document = without_nul_characters(document)
            event = parse_event(document)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            return _reject(400, "malformed_body", f"body is not valid JSON: {error}", account_id=account_id)
        except RecursionError:
            return _reject(400, "malformed_body", "body is nested too deeply", account_id=account_id)
        except PayloadError as error:
            return _reject(400, "invalid_event", str(error), account_id=account_id)
        if document.get("account_id") not in (None, account_id):
            return _reject(400, "invalid_event", "account_id: does not match the URL", account_id=account_id)
        result = handle_webhook(uow, tenant, webhook_id, document, event, runtime.now())
    WEBHOOKS.labels(result.value).inc()
    WEBHOOK_SECONDS.observe(time.perf_counter() - started)
    # Debug, not info: one line per event would be most of the log; the metrics count them.
    log.debug("webhook.%s", result.value, extra={"account_id": account_id, "webhook_id": webhook_id})
    return jsonify({"status": result.value}), 200


def _reject(status: int, code: str, message: str, **context: str) -> tuple[Response, int]:
    WEBHOOKS.labels(f"rejected_{code}").inc()
    log.warning("webhook.rejected.%s", code, extra={"reason": message, **context})
    return error_response(status, code, message)

"""POST /webhooks/<account_id>: tenant, signature, body, event, then one service call.

Checks run in this order and each failure is logged under a dotted name; the body is not
parsed before its signature verifies.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from flask import Blueprint, Response, jsonify, request

from plugin.domain.events import TicketEvent
from plugin.http_errors import error_response
from plugin.observability import WEBHOOK_SECONDS, WEBHOOKS
from plugin.runtime import Runtime, current_runtime
from plugin.security.signatures import SignatureError, verify_signature
from plugin.services.webhooks import StaleCredentials, WebhookResult, handle_webhook
from plugin.webhooks.payloads import PayloadError, parse_event, without_nul_characters

blueprint = Blueprint("webhooks", __name__)
log = logging.getLogger("sla.webhooks")


class Rejected(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@blueprint.post("/webhooks/<account_id>")
def receive(account_id: str) -> tuple[Response, int]:
    started = time.perf_counter()
    body = request.get_data(cache=False)  # over 1 MiB: 413 before anything else
    try:
        result, webhook_id = _receive(current_runtime(), account_id, body)
    except Rejected as rejected:
        WEBHOOKS.labels(f"rejected_{rejected.code}").inc()
        log.warning("webhook.rejected.%s", rejected.code, extra={"reason": rejected.message, "account_id": account_id})
        return error_response(rejected.status, rejected.code, rejected.message)
    WEBHOOKS.labels(result.value).inc()
    WEBHOOK_SECONDS.observe(time.perf_counter() - started)
    # Debug, not info: one line per event would be most of the log; the metrics count them.
    log.debug("webhook.%s", result.value, extra={"account_id": account_id, "webhook_id": webhook_id})
    return jsonify({"status": result.value}), 200


def _receive(runtime: Runtime, account_id: str, body: bytes) -> tuple[WebhookResult, str]:
    """Verify, parse and handle; with the process's remembered credentials first, and once more with
    fresh ones if those no longer verify or no longer hold (the tenant reinstalled meanwhile)."""
    for remembered in (True, False) if runtime.credentials.knows(account_id) else (False,):
        with runtime.uow() as uow:
            tenant = runtime.credentials.lookup(uow, account_id, remembered=remembered) \
                if "\x00" not in account_id else None
            if tenant is None:
                raise Rejected(404, "unknown_account", f"no installation for account {account_id!r}")
            try:
                webhook_id = verify_signature(runtime.box.open(tenant.webhook_secret_encrypted), body,
                                              request.headers)
            except SignatureError as error:
                if remembered:
                    continue
                raise Rejected(401, "invalid_signature", str(error)) from None
            document, event = _parsed(body, account_id)
            try:
                return handle_webhook(uow, tenant, webhook_id, document, event, runtime.now()), webhook_id
            except StaleCredentials:
                runtime.credentials.forget(account_id)
    raise Rejected(503, "installation_changed", "the installation changed while this webhook was handled; "
                   "send it again")


def _parsed(body: bytes, account_id: str) -> tuple[dict[str, Any], TicketEvent | None]:
    try:
        document = json.loads(body)
        if b"\\u0000" in body:  # JSON can carry NUL only escaped
            document = without_nul_characters(document)
        event = parse_event(document)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Rejected(400, "malformed_body", f"body is not valid JSON: {error}") from None
    except RecursionError:
        raise Rejected(400, "malformed_body", "body is nested too deeply") from None
    except PayloadError as error:
        raise Rejected(400, "invalid_event", str(error)) from None
    if document.get("account_id") not in (None, account_id):
        raise Rejected(400, "invalid_event", "account_id: does not match the URL")
    return document, event

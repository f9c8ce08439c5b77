"""The host REST API of design.md §4, under ``/api/v1``, as the plugin calls it.

Every call goes through ``_serve``: a fault may answer first; then the bearer token, the
``Idempotency-Key`` of a write (a repeated key gets the first answer and no second effect), the
operation, and a line in the call log.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from . import operations
from .clock import iso
from .faults import Fault
from .operations import Answer, Context, Invalid, error
from .paths import raw_path, segments_after
from .store import NotFound, StoredAnswer

DROP = "sandbox.drop_connection"  # set on the request's environ: app.py closes the socket unanswered
Operation = Callable[[Context, Any], Answer]

host_api = Blueprint("host_api", __name__, url_prefix="/api/v1")


@host_api.get("/tickets")
def list_tickets() -> Response:
    return _serve(lambda context, _: operations.list_tickets(context, request.args), write=False)


@host_api.post("/reports")
def post_report() -> Response:
    return _serve(operations.post_report, write=True)


@host_api.route("/tickets/<path:_rest>", methods=["GET", "PATCH", "POST", "DELETE"])
def ticket_resource(_rest: str) -> Response:
    segments = segments_after(request, 3)  # after /api/v1/tickets
    method = request.method
    if len(segments) == 1:
        if method == "GET":
            return _serve(lambda context, _: operations.get_ticket(context, segments[0]), write=False)
        if method == "PATCH":
            return _serve(lambda context, body: operations.set_priority(context, segments[0], body), write=True)
    elif len(segments) == 2 and segments[1] == "tags" and method == "POST":
        return _serve(lambda context, body: operations.add_tags(context, segments[0], body), write=True)
    elif len(segments) == 3 and segments[1] == "tags" and method == "DELETE":
        return _serve(lambda context, _: operations.remove_tag(context, segments[0], segments[2]), write=True)
    elif len(segments) == 2 and segments[1] == "notes" and method == "POST":
        return _serve(lambda context, body: operations.post_note(context, segments[0], body), write=True)
    return _serve(lambda context, _: error(404, "not_found", f"no {method} endpoint at {raw_path(request)} "
                                                             "(escape '/' in ticket ids and tags as %2F)"),
                  write=False)


def _serve(operation: Operation, write: bool) -> Response:
    sandbox = current_app.extensions["sandbox"]
    started, received = time.monotonic(), datetime.now(UTC)
    entry: dict[str, Any] = {
        "at": iso(received), "sandbox_time": iso(sandbox.clock.now()), "method": request.method,
        "path": request.path, "raw_path": raw_path(request), "account_id": None,
        "idempotency_key": request.headers.get("Idempotency-Key"), "status": None, "replay": False,
        "fault": None, "effect": None, "dropped": False,
    }
    fault: Fault | None = sandbox.faults.take(request.method, request.path)
    if fault is not None:
        entry["fault"] = fault.mode
        if fault.mode == "slow":
            time.sleep(fault.seconds)
    if fault is not None and fault.mode in ("unavailable", "rate_limited", "refused", "drop"):
        answer = _fault_answer(fault)
    else:
        answer = _answer(sandbox, operation, write, entry, received)
        if fault is not None and fault.after_apply:
            answer = _fault_answer(fault)
    dropped = fault is not None and fault.mode.startswith("drop")
    entry.update(status=None if dropped else answer.status, dropped=dropped,
                 duration_ms=round((time.monotonic() - started) * 1000, 1))
    sandbox.helpdesk.log_call(entry)
    response = jsonify(answer.body)
    response.status_code = answer.status
    response.headers.update(answer.headers)
    if dropped:
        request.environ[DROP] = True
    return response


def _answer(sandbox: Any, operation: Operation, write: bool, entry: dict[str, Any], received: datetime) -> Answer:
    helpdesk = sandbox.helpdesk
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not token:
        return error(401, "missing_token", "send the access token as 'Authorization: Bearer <token>'",
                     **{"WWW-Authenticate": "Bearer"})
    account = helpdesk.account_for_token(token)
    if account is None:
        return error(401, "invalid_token", "the access token is not one this helpdesk gave",
                     **{"WWW-Authenticate": "Bearer"})
    entry["account_id"] = account.account_id
    if token in helpdesk.revoked:
        return error(401, "token_revoked", "the access token has been revoked", **{"WWW-Authenticate": "Bearer"})
    key = entry["idempotency_key"]
    if write and not key:
        return error(400, "missing_idempotency_key", "every write needs an Idempotency-Key header")
    fingerprint = f"{request.method} {entry['raw_path']} {hashlib.sha256(request.get_data()).hexdigest()}"
    with helpdesk.lock:  # held until the answer is stored: a concurrent repetition waits, then replays it
        stored = helpdesk.answers.get((token, key)) if write else None
        if stored is not None:
            entry.update(replay=True, replay_of_effect=stored.effect, key_reused_for_another_request=(
                stored.fingerprint != fingerprint))
            return Answer(stored.status, stored.body)
        context = Context(helpdesk, account, key, sandbox.clock.now(), received)
        answer = _run(operation, context, write)
        entry["effect"] = answer.effect
        if write:
            helpdesk.answers[(token, key)] = StoredAnswer(answer.status, answer.body, fingerprint, answer.effect)
        return answer


def _run(operation: Operation, context: Context, write: bool) -> Answer:
    body = None
    if write and request.method != "DELETE":
        body = request.get_json(silent=True)
        if body is None:
            return error(400, "malformed_body", "the body must be JSON (Content-Type: application/json)")
    try:
        return operation(context, body)
    except NotFound as missing:
        return error(404, "not_found", str(missing))
    except (Invalid, ValueError) as problem:
        return error(400, "invalid_request", str(problem))


def _fault_answer(fault: Fault) -> Answer:
    if fault.mode == "rate_limited":
        return error(429, "rate_limited", f"too many requests: retry after {fault.retry_after} s",
                     **{"Retry-After": str(fault.retry_after)})
    if fault.mode == "refused":
        return error(fault.status, "refused", "the helpdesk refused the call (an injected fault)")
    return error(fault.status, "unavailable", "the helpdesk is unavailable (an injected fault)")

"""``/sandbox/...``: how a driver in another process (a test, the demo) works the helpdesk.

It installs accounts, makes tickets happen (each action changes the sandbox's ticket and sends
the plugin its webhook), sets the clock, injects faults, revokes tokens, and reads back
everything the host API received.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from .clock import parse_instant
from .faults import FaultSpecError
from .paths import segments_after
from .plugin_link import PluginNotConfigured, PluginRefused
from .store import Conflict, NotFound

control = Blueprint("sandbox_control", __name__, url_prefix="/sandbox")


def _sandbox() -> Any:
    return current_app.extensions["sandbox"]


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


@control.errorhandler(NotFound)
@control.errorhandler(LookupError)
def _not_found(problem: Exception) -> tuple[Response, int]:
    return jsonify(error="not_found", message=str(problem)), 404


@control.errorhandler(ValueError)
def _invalid(problem: Exception) -> tuple[Response, int]:
    if isinstance(problem, Conflict):
        return jsonify(error="conflict", message=str(problem)), 409
    code = "invalid_fault" if isinstance(problem, FaultSpecError) else "invalid_request"
    return jsonify(error=code, message=str(problem)), 400


@control.errorhandler(PluginNotConfigured)
def _no_plugin(problem: Exception) -> tuple[Response, int]:
    return jsonify(error="no_plugin", message=str(problem)), 409


@control.errorhandler(PluginRefused)
def _refused(problem: PluginRefused) -> tuple[Response, int]:
    return jsonify(error="plugin_refused", message=str(problem), plugin=problem.answer.describe()), 502


@control.errorhandler(HTTPException)
def _http(problem: HTTPException) -> tuple[Response, int]:
    return jsonify(error="http_error", message=problem.description), problem.code or 500


@control.get("/state")
def state() -> Response:
    sandbox = _sandbox()
    return jsonify(sandbox.helpdesk.state() | {"clock": sandbox.clock.describe(), "faults": sandbox.faults.describe(),
                                               "base_url": sandbox.host.base_url,
                                               "plugin_url": sandbox.host.plugin.url if sandbox.host.plugin else None})


@control.get("/calls")
def calls() -> Response:
    """The host API calls received, oldest first; ``?since=<seq>`` only those after that one."""
    since = request.args.get("since", "0")
    if not since.isdigit():
        raise ValueError("since: must be a call's seq")
    with _sandbox().helpdesk.lock:
        return jsonify(calls=[call for call in _sandbox().helpdesk.calls if call["seq"] > int(since)])


@control.get("/effects")
def effects() -> Response:
    with _sandbox().helpdesk.lock:
        return jsonify(effects=list(_sandbox().helpdesk.effects))


@control.get("/webhooks")
def webhooks() -> Response:
    """Every event the sandbox built for an account, with its body and its deliveries."""
    account = _sandbox().helpdesk.account(request.args.get("account_id", ""))
    with _sandbox().helpdesk.lock:
        return jsonify(webhooks=[dict(record) for record in account.webhooks])


@control.post("/reset")
def reset() -> Response:
    sandbox = _sandbox()
    sandbox.helpdesk.reset()
    sandbox.faults.clear()
    sandbox.clock.set(None)
    return jsonify(status="reset")


@control.route("/clock", methods=["GET", "POST"])
def clock() -> Response:
    """``{"now": instant, "rate": r}``: frozen at ``now`` (rate 0, the default) or running r× from it;
    ``{"now": null}``: the real clock."""
    if request.method == "POST":
        body = _body()
        now = body.get("now")
        rate = body.get("rate", 0)
        if isinstance(rate, bool) or not isinstance(rate, int | float):
            raise ValueError("rate: must be a number")
        _sandbox().clock.set(parse_instant(now, "now") if now is not None else None, float(rate))
    return jsonify(_sandbox().clock.describe())


@control.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> tuple[Response, int]:
    book = _sandbox().faults
    if request.method == "POST":
        return jsonify(book.add(_body()).describe()), 201
    if request.method == "DELETE":
        book.clear()
    return jsonify(faults=book.describe()), 200


@control.post("/revoke")
def revoke() -> Response:
    """Revoke the access token of ``account_id`` (default: every account): every call then gets 401."""
    return jsonify(revoked=_sandbox().helpdesk.set_revoked(True, _body().get("account_id")))


@control.post("/restore")
def restore() -> Response:
    return jsonify(restored=_sandbox().helpdesk.set_revoked(False, _body().get("account_id")))


@control.post("/accounts")
def install() -> tuple[Response, int]:
    body = _body()
    account_id, timezone = body.get("account_id"), body.get("timezone", "UTC")
    if not isinstance(account_id, str) or not account_id or not isinstance(timezone, str):
        raise ValueError("account_id: required, a string; timezone: an IANA zone name")
    return jsonify(_sandbox().host.install(account_id, timezone)), 201


@control.delete("/accounts/<account_id>")
def uninstall(account_id: str) -> Response:
    return jsonify(_sandbox().host.uninstall(account_id))


@control.post("/accounts/<account_id>/session")
def session(account_id: str) -> Response:
    """A session token of the plugin's admin API, as the settings page would get it."""
    return jsonify(access_token=_sandbox().host.admin_session(account_id, _body().get("role", "admin")))


@control.get("/accounts/<account_id>/settings-page")
def settings_page(account_id: str) -> WerkzeugResponse:
    """Open the plugin's settings page as this account's admin (a fresh JWT each time)."""
    host = _sandbox().host
    token = host.settings_token(account_id, request.args.get("role", "admin"))
    return redirect(f"{host.plugin.url}/settings?token={token}")


@control.put("/accounts/<account_id>/settings")
def save_settings(account_id: str) -> tuple[Response, int]:
    """Save a settings document on the plugin as the account's admin; answers the plugin's answer."""
    answer = _sandbox().host.save_settings(account_id, request.get_json(silent=True))
    return jsonify(plugin=answer.describe()), 200 if answer.ok else 502


@control.post("/accounts/<account_id>/tickets")
def create_ticket(account_id: str) -> tuple[Response, int]:
    """The ticket's fields (``id`` optional); ``?send=false`` changes the ticket without a webhook."""
    return jsonify(_sandbox().host.create_ticket(account_id, _body(), _send())), 201


@control.route("/accounts/<account_id>/tickets/<path:_rest>", methods=["PATCH", "DELETE", "POST"])
def ticket_action(account_id: str, _rest: str) -> Response:
    host = _sandbox().host
    segments = segments_after(request, 4)  # after /sandbox/accounts/<account_id>/tickets
    if len(segments) == 1 and request.method == "PATCH":
        return jsonify(host.update_ticket(account_id, segments[0], _body(), _send()))
    if len(segments) == 1 and request.method == "DELETE":
        return jsonify(host.delete_ticket(account_id, segments[0], _send()))
    if len(segments) == 2 and segments[1] == "messages" and request.method == "POST":
        body = _body()
        unknown = sorted(set(body) - {"author", "body", "public", "status"})
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown field (a message takes author, body, public, status)")
        return jsonify(host.reply(account_id, segments[0], body.get("author"), body.get("body", ""),
                                  body.get("public", True), body.get("status"), _send()))
    raise LookupError(f"no {request.method} action at this ticket path")


@control.post("/accounts/<account_id>/webhooks/<event_id>/resend")
def resend(account_id: str, event_id: str) -> Response:
    """``{"new_delivery": true}`` sends it under a new webhook-id (default: the same, a redelivery)."""
    return jsonify(_sandbox().host.resend(account_id, event_id, bool(_body().get("new_delivery", False))))


def _send() -> bool:
    value = request.args.get("send", "true").lower()
    if value not in ("true", "false"):
        raise ValueError("send: must be true or false")
    return value == "true"

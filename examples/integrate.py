#!/usr/bin/env python3
"""Integrate a helpdesk with a running SLA plugin, the way a host does it, in five calls.

1. install a tenant (``POST /lifecycle/install``, signed with the app secret);
2. open an admin session with a settings-page JWT, as the host would sign it (``POST /api/v1/auth/session``);
3. save the settings (``PUT /api/v1/settings``): the worked example, Orange / email / urgent,
   first response within 30 minutes, targeted success rate 80 %, and a rule that makes such
   tickets urgent;
4. send one signed ``ticket.created`` webhook (``POST /webhooks/<account_id>``);
5. poll ``GET /api/v1/tickets/<id>/targets`` until the plugin's worker has applied it, and print
   the ticket's targets.

It needs only ``requests``, ``standardwebhooks`` and ``PyJWT`` (the plugin installs all three)
and reads ``SLA_APP_SECRET`` (required) and ``SLA_APP_ID`` (default ``sla-plugin``): the same
values the plugin runs with. See docs/quickstart.md and docs/protocol.md.

    SLA_APP_SECRET=whsec_... python examples/integrate.py --url http://127.0.0.1:8000

Exit codes: 0 the targets were printed, 1 a call failed or the worker did not apply the event in
time, 2 a missing or bad setting or option.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import quote

import jwt
import requests
from standardwebhooks import Webhook

DEFAULT_URL = "http://127.0.0.1:8000"
HOST = "https://helpdesk.example"  # the helpdesk this script pretends to be (its URLs are never called)

# The worked example: reps must answer 80 of every 100 urgent Orange email tickets within 30 minutes.
SETTINGS: dict[str, Any] = {
    "timezone": "UTC",
    "calendars": [],
    "prioritization_rules": [{
        "id": "orange-email-outages",
        "name": "Outages on Orange email are urgent",
        "product": "Orange",
        "channel": "email",
        "position": 1,
        "match": "any",
        "conditions": [
            {"field": "subject", "op": "contains", "value": "outage"},
            {"field": "body", "op": "contains", "value": "cannot log in"},
        ],
        "priority": "urgent",
    }],
    "sla_policies": [{
        "id": "orange-email-urgent",
        "name": "Orange urgent email",
        "description": "First response within 30 minutes for 80 % of urgent Orange email tickets",
        "product": "Orange",
        "channel": "email",
        "priority": "urgent",
        "calendar": None,
        "targets": [{"metric": "first_response", "minutes": 30, "success_rate_percent": 80}],
        "pause_statuses": ["pending", "on_hold"],
        "warn_before_minutes": 10,
        "enabled": True,
    }],
}


class Failure(Exception):
    """A step failed; the message says which and why."""


def main(argv: list[str] | None = None) -> int:
    options = _options(argv)
    app_secret = os.environ.get("SLA_APP_SECRET", "").strip()
    app_id = os.environ.get("SLA_APP_ID", "").strip() or "sla-plugin"
    if not app_secret:
        _usage_error("SLA_APP_SECRET is not set: export the app secret the plugin runs with (whsec_...)")
    plugin = options.url.rstrip("/")
    http = requests.Session()
    try:
        webhook_secret = install(http, plugin, app_secret, options.account)
        token = open_admin_session(http, plugin, app_secret, app_id, options.account)
        save_settings(http, plugin, token)
        send_ticket_created(http, plugin, webhook_secret, options.account, options.ticket_id, options.created_at)
        ticket = wait_for_targets(http, plugin, token, options.ticket_id, options.timeout)
    except requests.ConnectionError:
        print(f"error: cannot connect to {plugin}: is the plugin running there (sla-plugin run --bind ...)?",
              file=sys.stderr)
        return 1
    except requests.RequestException as error:
        print(f"error: request to {plugin} failed: {error}", file=sys.stderr)
        return 1
    except Failure as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print_targets(ticket)
    return 0


def install(http: requests.Session, plugin: str, app_secret: str, account_id: str) -> str:
    """Install (or re-install) the tenant; returns the webhook secret the host will sign webhooks with."""
    webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    body = {
        "account_id": account_id,
        "api_base_url": HOST,
        "access_token": "host-api-token-" + secrets.token_hex(8),
        "webhook_secret": webhook_secret,
        "timezone": "UTC",
        "host_origin": HOST,
    }
    answer = _post_signed(http, f"{plugin}/lifecycle/install", app_secret, body)
    _expect(answer, 200, "install the tenant (POST /lifecycle/install)",
            hint="a 401 means SLA_APP_SECRET differs from the plugin's, or the clocks differ by over 5 minutes")
    print(f"1. installed account {account_id!r}: {answer.json()['status']}")
    return webhook_secret


def open_admin_session(http: requests.Session, plugin: str, app_secret: str, app_id: str, account_id: str) -> str:
    """Sign the settings-page JWT the host would put in the iframe's URL, and exchange it for a session token."""
    now = int(time.time())
    claims = {
        "iss": HOST,
        "aud": app_id,
        "sub": "admin-1",
        "account_id": account_id,
        "role": "admin",
        "iat": now,
        "exp": now + 300,  # at most 5 minutes
        "jti": uuid.uuid4().hex,  # used once
    }
    host_token = jwt.encode(claims, app_secret.encode(), algorithm="HS256")
    answer = http.post(f"{plugin}/api/v1/auth/session", json={"token": host_token}, timeout=10)
    _expect(answer, 200, "open an admin session (POST /api/v1/auth/session)",
            hint="a 401 'not meant for this app' means SLA_APP_ID differs from the plugin's")
    session = answer.json()
    print(f"2. opened an admin session: {session['token_type']} token, valid {session['expires_in']} s")
    return str(session["access_token"])


def save_settings(http: requests.Session, plugin: str, token: str) -> None:
    answer = http.put(f"{plugin}/api/v1/settings", json=SETTINGS, headers=_bearer(token), timeout=30)
    _expect(answer, 200, "save the settings (PUT /api/v1/settings)")
    print(f"3. saved the settings: version {answer.headers.get('X-Settings-Version')}")


def send_ticket_created(http: requests.Session, plugin: str, webhook_secret: str, account_id: str, ticket_id: str,
                        created_at: datetime) -> None:
    """A new ticket without a priority: the plugin's rules decide it (urgent: the subject says 'outage')."""
    instant = created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": "ticket.created",
        "occurred_at": instant,
        "account_id": account_id,
        "data": {"ticket": {
            "id": ticket_id,
            "product": "Orange",
            "channel": "email",
            "subject": "Service outage in Istanbul",
            "body": "Nothing loads since this morning.",
            "status": "new",
            "priority": None,
            "requester": {"name": "Ayşe Yılmaz", "email": "ayse@customer.example"},
            "tags": [],
            "created_at": instant,
            "updated_at": instant,
        }},
    }
    answer = _post_signed(http, f"{plugin}/webhooks/{account_id}", webhook_secret, body)
    _expect(answer, 200, "send the ticket.created webhook (POST /webhooks/<account_id>)")
    print(f"4. sent ticket.created for ticket {ticket_id!r} (created {instant}): {answer.json()['status']}")


def wait_for_targets(http: requests.Session, plugin: str, token: str, ticket_id: str,
                     timeout: float) -> dict[str, Any]:
    """The ticket's targets once the worker has applied the webhook (404 until then)."""
    url = f"{plugin}/api/v1/tickets/{quote(ticket_id, safe='')}/targets"
    deadline = time.monotonic() + timeout
    while True:
        answer = http.get(url, headers=_bearer(token), timeout=10)
        if answer.status_code == 200 and answer.json()["targets"]:
            print("5. the worker has applied the event")
            return dict(answer.json())
        if answer.status_code not in (200, 404):
            _expect(answer, 200, "read the ticket's targets (GET /api/v1/tickets/<id>/targets)")
        if time.monotonic() > deadline:
            raise Failure(_why_no_targets(http, plugin, token, ticket_id, timeout))
        time.sleep(0.2)


def _why_no_targets(http: requests.Session, plugin: str, token: str, ticket_id: str, timeout: float) -> str:
    status = http.get(f"{plugin}/api/v1/status", headers=_bearer(token), timeout=10)
    pending = status.json()["inbox"]["pending"] if status.status_code == 200 else None
    if pending:
        return (f"the plugin stored the webhook but did not apply it within {timeout:g} s ({pending} event(s) "
                "wait in its inbox): is its worker running? 'sla-plugin run' starts one, 'sla-plugin serve' "
                "alone does not")
    return (f"the worker has applied the webhook, but ticket {ticket_id!r} has no SLA targets to show after "
            f"{timeout:g} s (GET /api/v1/status: {status.text.strip()[:300]})")


def print_targets(ticket: dict[str, Any]) -> None:
    print(f"\nticket {ticket['id']}: priority {ticket['priority']}, policy {ticket['policy']}")
    for target in ticket["targets"]:
        cycle = f" #{target['cycle']}" if target["metric"] == "next_response" else ""
        print(f"  {target['metric']}{cycle}: {target['status']}, started {target['started_at']}, "
              f"due {target['due_at']}, at risk from {target['warn_at']}")
    if ticket["priority"] == "urgent":
        print(f"\nThe rules set the priority, so the plugin has queued PATCH /api/v1/tickets/{ticket['id']} "
              '{"priority": "urgent"} for the helpdesk: the worker sends it to the api_base_url of the install '
              f"({HOST}, which this example only pretends to be: see docs/protocol.md).")


def _post_signed(http: requests.Session, url: str, secret: str, document: dict[str, Any]) -> requests.Response:
    """POST a JSON body with Standard Webhooks headers: the signature covers these exact bytes."""
    body = json.dumps(document)
    message_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
    }
    return http.post(url, data=body.encode(), headers=headers, timeout=10)


def _expect(answer: requests.Response, status: int, step: str, hint: str = "") -> None:
    if answer.status_code == status:
        return
    try:
        error = answer.json()
        reason = f"{error.get('error')}: {error.get('message')}"
    except ValueError:
        reason = answer.text.strip()[:300] or answer.reason
    raise Failure(f"could not {step}: HTTP {answer.status_code} {reason}" + (f" ({hint})" if hint else ""))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Install a tenant on a running SLA plugin, save the worked "
                                                 "example's settings, send one ticket and print its SLA targets.")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the plugin's base URL (default: {DEFAULT_URL})")
    parser.add_argument("--account", default="example-helpdesk",
                        help="the account id to install (letters, digits, '.', '_', '~', '-')")
    parser.add_argument("--ticket-id", default=f"EX-{uuid.uuid4().hex[:8]}", help="default: a new one each run")
    parser.add_argument("--created-at", type=_past_instant, default=None,
                        help="the ticket's creation instant, ISO 8601 with an offset, not in the future "
                             "(default: now)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for the worker to apply the webhook (default: 30)")
    options = parser.parse_args(argv)
    options.created_at = options.created_at or datetime.now(UTC).replace(microsecond=0)
    return options


def _past_instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant, e.g. 2026-03-02T09:00:00Z") from None
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs an offset, e.g. 2026-03-02T09:00:00Z")
    if instant > datetime.now(UTC) + timedelta(seconds=5):
        raise argparse.ArgumentTypeError("must not be in the future: the plugin counts events once they happen")
    return instant.astimezone(UTC).replace(microsecond=0)


def _usage_error(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


if __name__ == "__main__":
    raise SystemExit(main())

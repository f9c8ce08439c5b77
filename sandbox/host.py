"""The helpdesk's outgoing side: installs, settings-page JWTs and webhooks, signed as docs/protocol.md says.

``SandboxHost`` lives in the sandbox's process, next to the helpdesk it acts for: a ticket action
changes the sandbox's own ticket and then sends the plugin the webhook that tells of it, so what
the plugin hears and what the host API shows never disagree. Drivers in other processes reach it
through the sandbox's ``/sandbox/...`` endpoints (``SandboxClient``); tests may also call it in
process.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import jwt
from standardwebhooks import Webhook

from .clock import SandboxClock, iso
from .plugin_link import PluginAnswer, PluginLink, PluginNotConfigured, PluginRefused, Transport, http_transport
from .store import PRIORITIES, STATUSES, Account, Conflict, Helpdesk, Message, Ticket

TICKET_FIELDS = ("product", "channel", "subject", "body", "status", "priority", "requester", "tags")
WEBHOOK_ATTEMPTS = 3


class SandboxHost:
    def __init__(self, helpdesk: Helpdesk, base_url: str, plugin: PluginLink | None = None,
                 clock: SandboxClock | None = None, transport: Transport = http_transport,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC),
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.helpdesk = helpdesk
        self.base_url = base_url.rstrip("/")  # the install's api_base_url: the plugin appends /api/v1/...
        self.plugin = plugin
        self.clock = clock or SandboxClock()
        self._transport = transport
        self._wall = wall  # real time, for signatures and JWTs (the plugin checks them against its clock)
        self._sleep = sleep

    # The marketplace's side: install, uninstall, the settings page.

    def install(self, account_id: str, timezone: str = "UTC") -> dict[str, Any]:
        """Make the account's webhook secret and access token, tell the plugin (if there is one),
        and accept the token on the host API from then on."""
        webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        access_token = "sbx_" + secrets.token_urlsafe(24)
        document = {"account_id": account_id, "api_base_url": self.base_url, "access_token": access_token,
                    "webhook_secret": webhook_secret, "timezone": timezone, "host_origin": self.base_url}
        answer = None
        if self.plugin is not None:
            answer = self._signed(f"{self.plugin.url}/lifecycle/install", self.plugin.app_secret, document)
            if not answer.ok:
                raise PluginRefused("install the account", answer)
        self.helpdesk.install(account_id, timezone, access_token, webhook_secret)
        return document | {"plugin": answer.describe() if answer else None}

    def uninstall(self, account_id: str) -> dict[str, Any]:
        self.helpdesk.account(account_id)
        answer = None
        if self.plugin is not None:
            answer = self._signed(f"{self.plugin.url}/lifecycle/uninstall", self.plugin.app_secret,
                                  {"account_id": account_id})
            if not answer.ok:
                raise PluginRefused("uninstall the account", answer)
        self.helpdesk.uninstall(account_id)
        return {"account_id": account_id, "plugin": answer.describe() if answer else None}

    def settings_token(self, account_id: str, role: str = "admin", user: str = "sandbox-admin") -> str:
        """The settings-page JWT: HS256 keyed with the app secret string, lasting 5 minutes, used once."""
        plugin = self._plugin()
        self.helpdesk.account(account_id)
        now = int(self._wall().timestamp())
        claims = {"iss": self.base_url, "aud": plugin.app_id, "sub": user, "account_id": account_id,
                  "role": role, "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, plugin.app_secret.encode(), algorithm="HS256")

    def admin_session(self, account_id: str, role: str = "admin") -> str:
        """A session token of the plugin's admin API, exchanged for a fresh settings-page JWT."""
        plugin = self._plugin()
        body = json.dumps({"token": self.settings_token(account_id, role)}).encode()
        answer = self._transport("POST", f"{plugin.url}/api/v1/auth/session", body,
                                 {"content-type": "application/json"})
        if not answer.ok or not isinstance(answer.body, dict):
            raise PluginRefused("open an admin session", answer)
        return str(answer.body["access_token"])

    def save_settings(self, account_id: str, document: Any) -> PluginAnswer:
        """What an admin does on the settings page: PUT the whole settings document."""
        token = self.admin_session(account_id)
        return self._transport("PUT", f"{self._plugin().url}/api/v1/settings", json.dumps(document).encode(),
                               {"content-type": "application/json", "authorization": f"Bearer {token}"})

    # The helpdesk's side: tickets change here, and the plugin hears of it by webhook.

    def set_clock(self, now: datetime | None, rate: float = 0.0) -> None:
        """The instant the next actions happen at (see ``SandboxClock.set``)."""
        self.clock.set(now, rate)

    def create_ticket(self, account_id: str, fields: dict[str, Any], send: bool = True) -> dict[str, Any]:
        """``fields``: ``id`` (default ``T<n>``) and any of the ticket object's fields; a priority
        given here is the host's (the plugin's rules then leave it alone)."""
        _check_fields(fields, allowed={"id", *TICKET_FIELDS})
        now = self.clock.now()
        with self.helpdesk.lock:
            account = self.helpdesk.account(account_id)
            account.tickets_made += 1
            ticket_id = fields.get("id", f"T{account.tickets_made}")
            if not isinstance(ticket_id, str | int) or isinstance(ticket_id, bool) or not str(ticket_id):
                raise ValueError("id: must be a non-empty string")
            if str(ticket_id) in account.tickets:
                raise Conflict(f"ticket {ticket_id!r} exists already")
            ticket = Ticket(str(ticket_id), fields.get("product"), fields.get("channel"), fields.get("subject"),
                            fields.get("body"), fields.get("status") or "new", fields.get("priority"),
                            "host" if fields.get("priority") else None, fields.get("requester"), now, now)
            for tag in fields.get("tags") or []:
                _set_tag(ticket, tag, "host")
            account.tickets[ticket.id] = ticket
            record = self._event(account, "ticket.created", ticket, {"ticket": ticket.host_object()}, now)
        return self._deliver(account, record, send)

    def update_ticket(self, account_id: str, ticket_id: str, fields: dict[str, Any],
                      send: bool = True) -> dict[str, Any]:
        """An agent changes fields (a status change: pending, on_hold, solved, open to reopen):
        ``ticket.updated`` with ``changes: {field: [old, new]}`` of what really changed."""
        _check_fields(fields, allowed=set(TICKET_FIELDS))
        now = self.clock.now()
        with self.helpdesk.lock:
            account = self.helpdesk.account(account_id)
            ticket = account.ticket(ticket_id)
            changes = _apply(ticket, fields)
            if not changes:
                return {"ticket": ticket.state(), "webhooks": []}
            ticket.updated_at = now
            record = self._event(account, "ticket.updated", ticket,
                                 {"ticket": ticket.host_object(), "changes": changes}, now)
        return self._deliver(account, record, send)

    def reply(self, account_id: str, ticket_id: str, author: str, body: str = "", public: bool = True,
              status: str | None = None, send: bool = True) -> dict[str, Any]:
        """A message (``message.created``); with ``status``, the status change that went with it
        (``ticket.updated`` at the same instant), as when an agent answers and sets the ticket pending."""
        if author not in ("customer", "agent"):
            raise ValueError("author: must be 'customer' or 'agent'")
        if not isinstance(public, bool) or not isinstance(body, str):
            raise ValueError("public: must be true or false; body: a string")
        now = self.clock.now()
        with self.helpdesk.lock:
            account = self.helpdesk.account(account_id)
            ticket = account.ticket(ticket_id)
            account.messages_made += 1
            message = Message(f"M{self.helpdesk.run_id}-{account.messages_made}", author, public, body, now)
            ticket.messages.append(message)
            ticket.updated_at = now
            data = {"ticket": ticket.host_object(),
                    "message": {"id": message.id, "author_type": author, "public": public,
                                "created_at": iso(now), "body": body}}
            record = self._event(account, "message.created", ticket, data, now)
        delivered = self._deliver(account, record, send)
        if status is None:
            return delivered
        updated = self.update_ticket(account_id, ticket_id, {"status": status}, send)
        return {"ticket": updated["ticket"], "webhooks": delivered["webhooks"] + updated["webhooks"]}

    def delete_ticket(self, account_id: str, ticket_id: str, send: bool = True) -> dict[str, Any]:
        now = self.clock.now()
        with self.helpdesk.lock:
            account = self.helpdesk.account(account_id)
            ticket = account.ticket(ticket_id)
            ticket.deleted, ticket.updated_at = True, now
            record = self._event(account, "ticket.deleted", ticket, {"ticket": {"id": ticket.id}}, now)
        return self._deliver(account, record, send)

    def resend(self, account_id: str, event_id: str, new_delivery: bool = False) -> dict[str, Any]:
        """Send an event again: a redelivery (same ``webhook-id``: the plugin answers ``duplicate``),
        or with ``new_delivery`` a new ``webhook-id`` (the plugin keeps the event once by its id)."""
        with self.helpdesk.lock:
            account = self.helpdesk.account(account_id)
            record = next((r for r in account.webhooks if r["event_id"] == event_id), None)
            if record is None:
                raise LookupError(f"account {account_id!r} sent no event {event_id!r}")
            if new_delivery:
                record["webhook_id"] = f"msg_{uuid.uuid4().hex}"
        return self._deliver(account, record, True)

    # Signing and sending.

    def _event(self, account: Account, kind: str, ticket: Ticket, data: dict[str, Any],
               now: datetime) -> dict[str, Any]:
        event_id = self.helpdesk.next_event_id()
        body = json.dumps({"id": event_id, "type": kind, "occurred_at": iso(now), "account_id": account.account_id,
                           "data": data})
        record = {"event_id": event_id, "type": kind, "ticket_id": ticket.id, "occurred_at": iso(now),
                  "webhook_id": f"msg_{event_id}", "body": body, "attempts": [], "outcome": "pending"}
        account.webhooks.append(record)
        return record

    def _deliver(self, account: Account, record: dict[str, Any], send: bool) -> dict[str, Any]:
        """Send the event, retrying 5xx and network errors with the same webhook-id (outside the lock)."""
        if self.plugin is None or not send:
            outcome = "withheld" if not send else "not_sent"
        else:
            url = f"{self.plugin.url}/webhooks/{quote(account.account_id, safe='')}"
            outcome = "failed"
            for attempt in range(WEBHOOK_ATTEMPTS):
                if attempt:
                    self._sleep(0.2 * 2 ** attempt)
                answer = self._signed(url, account.webhook_secret, record["body"], record["webhook_id"])
                with self.helpdesk.lock:
                    record["attempts"].append({"at": iso(self._wall()), **answer.describe()})
                if answer.ok:
                    outcome = str(answer.body.get("status")) if isinstance(answer.body, dict) else "accepted"
                    break
                if answer.status is not None and answer.status < 500:
                    outcome = "refused"
                    break
        with self.helpdesk.lock:
            record["outcome"] = outcome
            ticket = account.tickets[record["ticket_id"]]
            summary = {key: value for key, value in record.items() if key != "body"}
            return {"ticket": ticket.state(), "webhooks": [summary]}

    def _signed(self, url: str, secret: str, document: dict[str, Any] | str,
                webhook_id: str | None = None) -> PluginAnswer:
        """POST with Standard Webhooks headers over the exact bytes sent."""
        body = document if isinstance(document, str) else json.dumps(document)
        webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
        at = self._wall().astimezone(UTC)
        headers = {"content-type": "application/json", "webhook-id": webhook_id,
                   "webhook-timestamp": str(int(at.timestamp())),
                   "webhook-signature": Webhook(secret).sign(webhook_id, at, body)}
        return self._transport("POST", url, body.encode(), headers)

    def _plugin(self) -> PluginLink:
        if self.plugin is None:
            raise PluginNotConfigured("the sandbox runs without a plugin: start it with --plugin-url and "
                                      "--app-secret")
        return self.plugin


def _check_fields(fields: Any, allowed: set[str]) -> None:
    if not isinstance(fields, dict):
        raise ValueError("the ticket's fields must be a JSON object")
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown ticket field (known: {', '.join(sorted(allowed))})")
    for name in ("product", "channel", "subject", "body"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise ValueError(f"{name}: must be a string or null")
    if "status" in fields and fields["status"] not in STATUSES:
        raise ValueError(f"status: must be one of {', '.join(STATUSES)}")
    if fields.get("priority") is not None and fields["priority"] not in PRIORITIES:
        raise ValueError(f"priority: must be one of {', '.join(PRIORITIES)}, or null")
    requester = fields.get("requester")
    if requester is not None and (not isinstance(requester, dict) or set(requester) - {"name", "email"}):
        raise ValueError("requester: must be {\"name\": …, \"email\": …} or null")
    tags = fields.get("tags")
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags)):
        raise ValueError("tags: must be a list of non-empty strings")


def _apply(ticket: Ticket, fields: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for name, value in fields.items():
        old = list(ticket.tags) if name == "tags" else getattr(ticket, name)
        new = list(dict.fromkeys(value or [])) if name == "tags" else value
        if old == new:
            continue
        changes[name] = [old, new]
        if name == "tags":
            for tag in [t for t in ticket.tags if t not in new]:
                ticket.tags.remove(tag)
                ticket.tags_added_by.pop(tag, None)
            for tag in new:
                _set_tag(ticket, tag, "host")
        else:
            setattr(ticket, name, new)
        if name == "priority":
            ticket.priority_set_by = "agent"
    return changes


def _set_tag(ticket: Ticket, tag: str, by: str) -> None:
    if tag not in ticket.tags:
        ticket.tags.append(tag)
        ticket.tags_added_by[tag] = by

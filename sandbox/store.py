"""The sandbox helpdesk's memory: accounts, tickets, reports, and the logs tests read.

One ``Helpdesk`` holds everything behind one re-entrant lock: the host API, the driver's ticket
actions and the page all go through it, from any of the server's threads.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import iso

PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
SLA_TAGS = ("sla-at-risk", "sla-breached")  # and every sla-breached-<metric>


class NotFound(LookupError):
    """No such account or ticket (a deleted ticket is not found either)."""


class Conflict(ValueError):
    """The action contradicts what exists, e.g. a ticket id already taken."""


def is_sla_tag(tag: str) -> bool:
    return tag in SLA_TAGS or tag.startswith("sla-breached-")


@dataclass
class Note:
    id: str
    body: str
    internal: bool
    created_at: datetime


@dataclass
class Message:
    id: str
    author_type: str
    public: bool
    body: str
    created_at: datetime


@dataclass
class Ticket:
    id: str
    product: str | None
    channel: str | None
    subject: str | None
    body: str | None
    status: str
    priority: str | None
    priority_set_by: str | None  # "host" (sent on creation), "agent" (changed later) or "plugin" (the API)
    requester: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    tags: list[str] = field(default_factory=list)  # in the order added; each once
    tags_added_by: dict[str, str] = field(default_factory=dict)  # tag -> "host" or "plugin"
    notes: list[Note] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    deleted: bool = False

    def host_object(self) -> dict[str, Any]:
        """The protocol's ticket object, as webhooks carry it and ``GET /api/v1/tickets/{id}`` answers it."""
        return {
            "id": self.id, "product": self.product, "channel": self.channel, "subject": self.subject,
            "body": self.body, "status": self.status, "priority": self.priority, "requester": self.requester,
            "tags": list(self.tags), "created_at": iso(self.created_at), "updated_at": iso(self.updated_at),
        }

    def state(self) -> dict[str, Any]:
        """Everything the sandbox knows of the ticket, for tests and the page."""
        return self.host_object() | {
            "priority_set_by": self.priority_set_by,
            "tags_added_by": dict(self.tags_added_by),
            "notes": [{"id": note.id, "body": note.body, "internal": note.internal,
                       "created_at": iso(note.created_at)} for note in self.notes],
            "messages": [{"id": message.id, "author_type": message.author_type, "public": message.public,
                          "body": message.body, "created_at": iso(message.created_at)}
                         for message in self.messages],
            "deleted": self.deleted,
        }


@dataclass
class Report:
    id: str
    title: str
    period_start: str
    period_end: str
    body_markdown: str
    data: dict[str, Any]
    received_at: datetime

    def state(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "period_start": self.period_start,
                "period_end": self.period_end, "body_markdown": self.body_markdown, "data": self.data,
                "received_at": iso(self.received_at)}


@dataclass
class Account:
    account_id: str
    timezone: str
    access_token: str
    webhook_secret: str
    installed: bool = True
    tickets: dict[str, Ticket] = field(default_factory=dict)
    reports: list[Report] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)  # every event built, with its deliveries
    tickets_made: int = 0
    messages_made: int = 0
    notes_made: int = 0

    def ticket(self, ticket_id: str) -> Ticket:
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket.deleted:
            raise NotFound(f"account {self.account_id!r} has no ticket {ticket_id!r}")
        return ticket


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer to an Idempotency-Key, replayed to every repetition of it."""

    status: int
    body: dict[str, Any]
    fingerprint: str  # method, path and body of the first request: a repetition that differs is logged
    effect: int | None


class Helpdesk:
    def __init__(self, run_id: str | None = None) -> None:
        self.lock = threading.RLock()
        # Event ids carry the run's id: a sandbox restarted against the same plugin database must
        # not send ids the plugin has already kept (it would drop the new events as repeats).
        self.run_id = run_id or secrets.token_hex(4)
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, str] = {}  # access token -> account id
        self.revoked: set[str] = set()
        self.answers: dict[tuple[str, str], StoredAnswer] = {}  # (access token, Idempotency-Key)
        self.calls: list[dict[str, Any]] = []
        self.effects: list[dict[str, Any]] = []
        self.events_made = 0

    def reset(self) -> None:
        """Forget every account, ticket, answer and log entry (a clean sandbox for the next test)."""
        with self.lock:
            self.accounts.clear()
            self.tokens.clear()
            self.revoked.clear()
            self.answers.clear()
            self.calls.clear()
            self.effects.clear()

    def install(self, account_id: str, timezone: str, access_token: str, webhook_secret: str) -> Account:
        """A new installation; a re-install keeps the tickets and replaces the credentials (the old
        token stops working)."""
        with self.lock:
            account = self.accounts.get(account_id)
            if account is None:
                account = self.accounts[account_id] = Account(account_id, timezone, access_token, webhook_secret)
            else:
                self.tokens.pop(account.access_token, None)
                account.timezone, account.access_token, account.webhook_secret = timezone, access_token, webhook_secret
                account.installed = True
            self.tokens[access_token] = account_id
            return account

    def uninstall(self, account_id: str) -> Account:
        with self.lock:
            account = self.account(account_id)
            self.tokens.pop(account.access_token, None)
            account.installed = False
            return account

    def account(self, account_id: str) -> Account:
        with self.lock:
            account = self.accounts.get(account_id)
            if account is None:
                raise NotFound(f"no account {account_id!r}: install it first (POST /sandbox/accounts)")
            return account

    def account_for_token(self, token: str) -> Account | None:
        with self.lock:
            account_id = self.tokens.get(token)
            return self.accounts[account_id] if account_id is not None else None

    def set_revoked(self, revoked: bool, account_id: str | None = None) -> list[str]:
        """Revoke (or restore) the access token of one account, or of every account; returns their ids."""
        with self.lock:
            accounts = [self.account(account_id)] if account_id is not None else list(self.accounts.values())
            for account in accounts:
                (self.revoked.add if revoked else self.revoked.discard)(account.access_token)
            return [account.account_id for account in accounts]

    def next_event_id(self) -> str:
        with self.lock:
            self.events_made += 1
            return f"evt_{self.run_id}_{self.events_made:06d}"

    def log_call(self, entry: dict[str, Any]) -> int:
        with self.lock:
            entry["seq"] = len(self.calls) + 1
            self.calls.append(entry)
            return int(entry["seq"])

    def log_effect(self, entry: dict[str, Any]) -> int:
        with self.lock:
            entry["seq"] = len(self.effects) + 1
            self.effects.append(entry)
            return int(entry["seq"])

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "accounts": {account.account_id: {
                    "account_id": account.account_id,
                    "timezone": account.timezone,
                    "installed": account.installed,
                    "token_revoked": account.access_token in self.revoked,
                    "tickets": [ticket.state() for ticket in account.tickets.values()],
                    "reports": [report.state() for report in account.reports],
                    "webhooks": [{key: value for key, value in record.items() if key != "body"}
                                 for record in account.webhooks],
                } for account in self.accounts.values()},
                "effects": list(self.effects),
                "calls": list(self.calls),
            }

"""Host commands: what the plugin asks of the host's REST API (design.md §4), as outbox rows.

Each command carries an idempotency key. The outbox stores a key once per tenant, so a command
decided twice (a redelivered webhook, a recompute, two workers) is queued once, and the key goes
to the host with the request so that a retried delivery never doubles a tag, a note or a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote


class CommandKind(StrEnum):
    SET_PRIORITY = "set_priority"
    ADD_TAGS = "add_tags"
    REMOVE_TAG = "remove_tag"
    POST_NOTE = "post_note"
    POST_REPORT = "post_report"


URGENCY = {CommandKind.ADD_TAGS: 0, CommandKind.REMOVE_TAG: 0, CommandKind.POST_NOTE: 0,
           CommandKind.SET_PRIORITY: 1, CommandKind.POST_REPORT: 2}


@dataclass(frozen=True)
class HostRequest:
    method: str
    path: str
    json: dict[str, Any] | None


@dataclass(frozen=True)
class HostCommand:
    kind: CommandKind
    ticket_id: str | None
    payload: dict[str, Any]
    idempotency_key: str

    @property
    def urgency(self) -> int:
        """Delivery order across tickets, 0 first: what a rep must see now (tags, notes) before
        priority writes, and those before reports."""
        return URGENCY[self.kind]

    @classmethod
    def from_stored(cls, kind: str, ticket_id: str | None, payload: dict[str, Any], key: str) -> HostCommand:
        """A command as the outbox stores it."""
        return cls(CommandKind(kind), ticket_id, payload, key)

    def request(self) -> HostRequest:
        """The host API call that carries the command out."""
        ticket = f"/api/v1/tickets/{quote(self.ticket_id or '', safe='')}"
        if self.kind is CommandKind.SET_PRIORITY:
            return HostRequest("PATCH", ticket, {"priority": self.payload["priority"]})
        if self.kind is CommandKind.ADD_TAGS:
            return HostRequest("POST", f"{ticket}/tags", {"tags": self.payload["tags"]})
        if self.kind is CommandKind.REMOVE_TAG:
            return HostRequest("DELETE", f"{ticket}/tags/{quote(self.payload['tag'], safe='')}", None)
        if self.kind is CommandKind.POST_NOTE:
            return HostRequest("POST", f"{ticket}/notes", {"body": self.payload["body"], "internal": True})
        return HostRequest("POST", "/api/v1/reports", self.payload)


def set_priority(ticket_id: str, priority: str, rule_id: str) -> HostCommand:
    """Once per ticket: the rules decide a new ticket's priority once."""
    return HostCommand(CommandKind.SET_PRIORITY, ticket_id, {"priority": priority, "rule_id": rule_id},
                       f"set-priority:{ticket_id}")


def add_tags(ticket_id: str, tags: list[str], reason: str) -> HostCommand:
    """``reason`` names the event that calls for the tags, e.g. ``breach:first_response:0``."""
    return HostCommand(CommandKind.ADD_TAGS, ticket_id, {"tags": sorted(set(tags))},
                       f"add-tags:{ticket_id}:{reason}:{','.join(sorted(set(tags)))}")


def remove_tag(ticket_id: str, tag: str, reason: str) -> HostCommand:
    return HostCommand(CommandKind.REMOVE_TAG, ticket_id, {"tag": tag}, f"remove-tag:{ticket_id}:{reason}:{tag}")


def post_note(ticket_id: str, body: str, reason: str) -> HostCommand:
    return HostCommand(CommandKind.POST_NOTE, ticket_id, {"body": body}, f"post-note:{ticket_id}:{reason}")


def post_report(title: str, period: str, period_start: datetime, period_end: datetime, body_markdown: str,
                data: dict[str, Any]) -> HostCommand:
    """One report per period: ``period`` is ``hourly`` or ``daily``."""
    start, end = _iso(period_start), _iso(period_end)
    payload = {"title": title, "period_start": start, "period_end": end, "body_markdown": body_markdown, "data": data}
    return HostCommand(CommandKind.POST_REPORT, None, payload, f"post-report:{period}:{start}")


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")

"""What each call of the host REST API (design.md §4) does to the helpdesk, and what it answers.

The checks are strict on purpose: the sandbox is where a plugin finds out that it sends a field
the protocol does not name. A 404 always means "no such ticket" (the plugin drops the command),
so removing a tag the ticket does not have is a 200 that changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import iso, parse_instant
from .store import PRIORITIES, Account, Helpdesk, Note, Report

PAGE_SIZE, MAX_PAGE_SIZE = 100, 500
MAX_TAG_LENGTH = 100


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    effect: int | None = None  # the effect log's entry this call applied


def error(status: int, code: str, message: str, **headers: str) -> Answer:
    return Answer(status, {"error": code, "message": message}, dict(headers))


@dataclass(frozen=True)
class Context:
    """Who calls, under which key, and the helpdesk's time of the call."""

    helpdesk: Helpdesk
    account: Account
    key: str | None
    now: datetime
    received_at: datetime

    def effect(self, kind: str, ticket_id: str | None, detail: dict[str, Any]) -> int:
        return self.helpdesk.log_effect({
            "account_id": self.account.account_id, "idempotency_key": self.key, "kind": kind,
            "ticket_id": ticket_id, "detail": detail, "at": iso(self.now), "received_at": iso(self.received_at),
        })


class Invalid(ValueError):
    """A body or a parameter the protocol does not allow; 400 with the message."""


def get_ticket(context: Context, ticket_id: str) -> Answer:
    return Answer(200, {"ticket": context.account.ticket(ticket_id).host_object()})


def list_tickets(context: Context, arguments: Mapping[str, str]) -> Answer:
    """Tickets updated at or after ``updated_since``, oldest change first, a page at a time."""
    unknown = sorted(set(arguments) - {"updated_since", "cursor", "limit"})
    if unknown:
        raise Invalid(f"unknown parameter(s): {', '.join(unknown)}")
    since = parse_instant(arguments["updated_since"], "updated_since") if "updated_since" in arguments else None
    after = _read_cursor(arguments["cursor"]) if "cursor" in arguments else None
    limit = _limit(arguments.get("limit"))
    tickets = sorted((ticket for ticket in context.account.tickets.values() if not ticket.deleted
                      and (since is None or ticket.updated_at >= since)),
                     key=lambda ticket: (ticket.updated_at, ticket.id))
    if after is not None:
        tickets = [ticket for ticket in tickets if (ticket.updated_at, ticket.id) > after]
    page = tickets[:limit]
    more = len(tickets) > limit
    cursor = _cursor(page[-1].updated_at, page[-1].id) if more else None
    return Answer(200, {"tickets": [ticket.host_object() for ticket in page], "next_cursor": cursor})


def set_priority(context: Context, ticket_id: str, body: Any) -> Answer:
    ticket = context.account.ticket(ticket_id)
    fields = _fields(body, required={"priority"})
    priority = fields["priority"]
    if priority not in PRIORITIES:
        raise Invalid(f"priority: must be one of {', '.join(PRIORITIES)}, not {priority!r}")
    previous = ticket.priority
    ticket.priority, ticket.priority_set_by, ticket.updated_at = priority, "plugin", context.now
    effect = context.effect("set_priority", ticket.id, {"priority": priority, "previous": previous})
    return Answer(200, {"ticket": ticket.host_object()}, effect=effect)


def add_tags(context: Context, ticket_id: str, body: Any) -> Answer:
    ticket = context.account.ticket(ticket_id)
    tags = _fields(body, required={"tags"})["tags"]
    if not isinstance(tags, list) or not tags:
        raise Invalid("tags: must be a non-empty list of tags")
    for tag in tags:
        _check_tag(tag, "tags[]")
    added = [tag for tag in dict.fromkeys(tags) if tag not in ticket.tags]
    for tag in added:
        ticket.tags.append(tag)
        ticket.tags_added_by[tag] = "plugin"
    if added:
        ticket.updated_at = context.now
    effect = context.effect("add_tags", ticket.id, {"added": added, "requested": tags})
    return Answer(200, {"ticket": ticket.host_object()}, effect=effect)


def remove_tag(context: Context, ticket_id: str, tag: str) -> Answer:
    ticket = context.account.ticket(ticket_id)
    _check_tag(tag, "tag")
    removed = tag in ticket.tags
    if removed:
        ticket.tags.remove(tag)
        ticket.tags_added_by.pop(tag, None)
        ticket.updated_at = context.now
    effect = context.effect("remove_tag", ticket.id, {"tag": tag, "removed": removed})
    return Answer(200, {"ticket": ticket.host_object()}, effect=effect)


def post_note(context: Context, ticket_id: str, body: Any) -> Answer:
    ticket = context.account.ticket(ticket_id)
    fields = _fields(body, required={"body", "internal"})
    if not isinstance(fields["body"], str) or not fields["body"].strip():
        raise Invalid("body: must be a non-empty string")
    if not isinstance(fields["internal"], bool):
        raise Invalid("internal: must be true or false")
    context.account.notes_made += 1
    note = Note(f"note-{context.account.notes_made}", fields["body"], fields["internal"], context.now)
    ticket.notes.append(note)
    ticket.updated_at = context.now
    effect = context.effect("post_note", ticket.id, {"note_id": note.id, "internal": note.internal})
    return Answer(201, {"note": {"id": note.id, "ticket_id": ticket.id, "internal": note.internal,
                                 "created_at": iso(note.created_at)}}, effect=effect)


def post_report(context: Context, body: Any) -> Answer:
    fields = _fields(body, required={"title", "period_start", "period_end", "body_markdown", "data"})
    if not isinstance(fields["title"], str) or not fields["title"].strip():
        raise Invalid("title: must be a non-empty string")
    start, end = (_utc_instant(fields[name], name) for name in ("period_start", "period_end"))
    if start >= end:
        raise Invalid("period_end: must be after period_start")
    if not isinstance(fields["body_markdown"], str):
        raise Invalid("body_markdown: must be a string")
    if not isinstance(fields["data"], dict):
        raise Invalid("data: must be a JSON object")
    report = Report(f"report-{len(context.account.reports) + 1}", fields["title"], fields["period_start"],
                    fields["period_end"], fields["body_markdown"], fields["data"], context.now)
    context.account.reports.append(report)
    effect = context.effect("post_report", None, {"report_id": report.id, "title": report.title,
                                                  "period_start": report.period_start})
    return Answer(201, {"report": {"id": report.id, "period_start": report.period_start,
                                   "period_end": report.period_end}}, effect=effect)


def _fields(body: Any, required: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    missing, unknown = sorted(required - set(body)), sorted(set(body) - required)
    if missing:
        raise Invalid(f"{missing[0]}: missing")
    if unknown:
        raise Invalid(f"{unknown[0]}: unknown field (the protocol names {', '.join(sorted(required))})")
    return body


def _check_tag(tag: Any, where: str) -> None:
    if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG_LENGTH or any(c.isspace() for c in tag):
        raise Invalid(f"{where}: a tag is 1-{MAX_TAG_LENGTH} characters without spaces, not {tag!r}")


def _utc_instant(value: Any, name: str) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise Invalid(f"{name}: must be an instant in UTC with 'Z', e.g. 2026-03-02T00:00:00Z")
    try:
        return parse_instant(value, name)
    except ValueError as problem:
        raise Invalid(str(problem)) from None


def _limit(text: str | None) -> int:
    if text is None:
        return PAGE_SIZE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise Invalid(f"limit: must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(text)


def _cursor(updated_at: datetime, ticket_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([updated_at.isoformat(), ticket_id]).encode()).decode()


def _read_cursor(text: str) -> tuple[datetime, str]:
    try:
        updated_at, ticket_id = json.loads(base64.urlsafe_b64decode(text.encode()))
        return datetime.fromisoformat(updated_at), str(ticket_id)
    except (ValueError, TypeError, binascii.Error):
        raise Invalid("cursor: not a cursor this listing gave") from None


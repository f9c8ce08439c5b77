"""Webhook bodies of the reference host protocol (design.md §4) read into domain events.

Hand-written rather than a marshmallow schema: it runs once per event on the hot path (the
webhook request, the simulator's million-event replays) and must stay a few microseconds.
Every problem names the field it found it in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from plugin.domain.events import EVENT_TYPES, PRIORITIES, STATUSES, Message, TicketEvent, TicketSnapshot

from .adapter import PayloadError, WebhookEvent

__all__ = ["PayloadError", "parse_event", "read_webhook"]

_AUTHORS: dict[str, Literal["customer", "agent"]] = {"customer": "customer", "agent": "agent"}


def read_webhook(body: Any, account_id: str) -> WebhookEvent:
    """A webhook body sent to ``account_id``'s URL: its event, and an ``account_id`` in the body, if
    any, must be the URL's."""
    event = parse_event(body)
    if body.get("account_id") not in (None, account_id):
        raise PayloadError("account_id: does not match the URL")
    return WebhookEvent(body["type"], event)


def parse_event(body: Any) -> TicketEvent | None:
    """The event in a webhook body; None for an event type the plugin does not handle."""
    root = _object(body, "body")
    kind = _string(root, "type", "")
    if kind not in EVENT_TYPES:  # acknowledged and ignored, whatever else it carries
        return None
    event_id = _string(root, "id", "")
    occurred_at = _instant(root, "occurred_at", "")
    data = _object(root.get("data"), "data")
    if kind == "message.created":
        ticket_data = _object(data.get("ticket"), "data.ticket")
        ticket = _ticket(ticket_data, "data.ticket") if len(ticket_data) > 1 else None
        return TicketEvent(
            id=event_id,
            type=kind,
            occurred_at=occurred_at,
            ticket_id=_ident(ticket_data, "id", "data.ticket."),
            ticket=ticket,
            message=_message(_object(data.get("message"), "data.message")),
        )
    ticket_data = _object(data.get("ticket"), "data.ticket")
    if kind == "ticket.deleted":
        return TicketEvent(event_id, kind, occurred_at, _ident(ticket_data, "id", "data.ticket."))
    ticket = _ticket(ticket_data, "data.ticket")
    changes = _changes(data.get("changes")) if kind == "ticket.updated" else {}
    return TicketEvent(event_id, kind, occurred_at, ticket.id, ticket, changes)


def _ticket(data: dict[str, Any], where: str) -> TicketSnapshot:
    prefix = f"{where}."
    requester = data.get("requester")
    requester = _object(requester, f"{prefix}requester") if requester is not None else {}
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise PayloadError(f"{prefix}tags: must be a list of strings")
    created = data.get("created_at")
    return TicketSnapshot(
        id=_ident(data, "id", prefix),
        product=_optional_string(data, "product", prefix),
        channel=_optional_string(data, "channel", prefix),
        subject=_optional_string(data, "subject", prefix) or "",
        body=_optional_string(data, "body", prefix) or "",
        status=_enumerated(data.get("status"), STATUSES, f"{prefix}status"),
        priority=_enumerated(data.get("priority"), PRIORITIES, f"{prefix}priority"),
        requester_name=_optional_string(requester, "name", f"{prefix}requester.") or "",
        requester_email=_optional_string(requester, "email", f"{prefix}requester.") or "",
        tags=tuple(tags),
        created_at=_instant(data, "created_at", prefix) if created is not None else None,
    )


def _message(data: dict[str, Any]) -> Message:
    author_text = _string(data, "author_type", "data.message.")
    author = _AUTHORS.get(author_text)
    if author is None:
        raise PayloadError(f"data.message.author_type: must be 'customer' or 'agent', not {author_text!r}")
    public = data.get("public")
    if not isinstance(public, bool):
        raise PayloadError("data.message.public: must be true or false")
    return Message(_ident(data, "id", "data.message."), author, public, _instant(data, "created_at", "data.message."))


def _changes(value: Any) -> dict[str, tuple[Any, Any]]:
    if value is None:
        return {}
    changes = _object(value, "data.changes")
    for name, pair in changes.items():
        if not (isinstance(pair, list) and len(pair) == 2):
            raise PayloadError(f"data.changes.{name}: must be a list [old, new]")
    enumerations = {"status": STATUSES, "priority": PRIORITIES}
    return {name: (_enumerated(pair[0], enumerations[name], f"data.changes.{name}[0]"),
                   _enumerated(pair[1], enumerations[name], f"data.changes.{name}[1]"))
            if name in enumerations else (pair[0], pair[1])
            for name, pair in changes.items()}


def _enumerated(value: Any, allowed: tuple[str, ...], where: str) -> str | None:
    """One of the protocol's values, matched ignoring case and surrounding spaces (None stays None)."""
    if value is None:
        return None
    folded = value.strip().lower() if isinstance(value, str) else None
    if folded not in allowed:
        raise PayloadError(f"{where}: must be one of {', '.join(allowed)} (any case), not {value!r}")
    return folded


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{where}: must be a JSON object")
    return value


def _string(data: dict[str, Any], key: str, prefix: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{prefix}{key}: {'missing' if value is None else 'must be a non-empty string'}")
    return value


def _optional_string(data: dict[str, Any], key: str, prefix: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise PayloadError(f"{prefix}{key}: must be a string")
    return value


def _ident(data: dict[str, Any], key: str, prefix: str) -> str:
    """Ids may come as strings or integers; they are compared as strings."""
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _string(data, key, prefix)


# Instants a ticket's events can carry: the admin API's range. Past it a due instant could fall
# beyond the year 9999, where datetime ends (and 0001-01-01T00:00+01:00 is before it begins, in UTC).
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)


def _instant(data: dict[str, Any], key: str, prefix: str) -> datetime:
    text = _string(data, key, prefix)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(f"{prefix}{key}: {text!r} is not an ISO 8601 instant") from None
    if value.tzinfo is None:
        raise PayloadError(f"{prefix}{key}: {text!r} has no time zone offset")
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        value = EARLIEST - timedelta(days=1) if value.year == 1 else LATEST + timedelta(days=1)
    if not EARLIEST <= value < LATEST:
        raise PayloadError(f"{prefix}{key}: {text!r} must lie between 1970 and 9000")
    return value

"""The ticket events the engine replays, independent of how a host delivered them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

EventType = Literal["ticket.created", "ticket.updated", "message.created", "ticket.deleted"]
EVENT_TYPES: tuple[EventType, ...] = ("ticket.created", "ticket.updated", "message.created", "ticket.deleted")
# Events at the same instant replay in this order: a ticket exists before it changes, and a
# status change (say, a reopen) is in force before a message that arrives with it.
_SAME_INSTANT_RANK = {kind: rank for rank, kind in enumerate(EVENT_TYPES)}

PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
DONE_STATUSES = frozenset({"solved", "closed"})


@dataclass(frozen=True, slots=True)
class TicketSnapshot:
    """A ticket as the host described it in one event."""

    id: str
    product: str | None = None
    channel: str | None = None
    subject: str = ""
    body: str = ""
    status: str | None = None
    priority: str | None = None
    requester_name: str = ""
    requester_email: str = ""
    tags: tuple[str, ...] = ()
    created_at: datetime | None = None

    @property
    def requester_domain(self) -> str:
        return self.requester_email.rpartition("@")[2] if "@" in self.requester_email else ""


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    author_type: Literal["customer", "agent"]
    public: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One webhook's meaning. ``ticket`` is None when the host sent only the ticket's id."""

    id: str
    type: EventType
    occurred_at: datetime
    ticket_id: str
    ticket: TicketSnapshot | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    message: Message | None = None

    @property
    def at(self) -> datetime:
        """When it happened: a message's own time, otherwise the event's."""
        return self.message.created_at if self.message is not None else self.occurred_at

    def replay_key(self) -> tuple[datetime, int, str]:
        return (self.at, _SAME_INSTANT_RANK[self.type], self.id)


def in_replay_order(events: list[TicketEvent]) -> list[TicketEvent]:
    """Events sorted by when they happened, each delivered id kept once."""
    unique: dict[str, TicketEvent] = {}
    for event in events:
        unique.setdefault(event.id, event)
    return sorted(unique.values(), key=TicketEvent.replay_key)

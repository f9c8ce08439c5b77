"""The interface of a helpdesk's adapter: host commands out (``HostAdapter``), webhook bodies in.

A host adapter turns a ``HostCommand`` into that helpdesk's HTTP call (the reference protocol's in
``plugin.host.reference``; Zendesk's and others' next to it), makes exactly one attempt, and
reports the outcome. It never sleeps or retries itself: the outbox keeps each command's attempts
and its next attempt time, so a retry survives a crash and never holds up other tenants' commands.

Its other half reads that helpdesk's webhook bodies into domain events (``WebhookReader`` at the
webhook endpoint, ``EventParser`` on stored bodies), raising ``PayloadError`` naming the field.
``plugin.host.registry`` pairs both halves under a host kind's name; each tenant has one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from plugin.domain.events import TicketEvent

from .commands import HostCommand

DEFAULT_HOST_KIND = "reference"  # the reference protocol's (docs/protocol.md): a tenant's unless its install says


class PayloadError(ValueError):
    """The body is not a valid event; the message names the field."""


@dataclass(frozen=True)
class WebhookEvent:
    """What the webhook endpoint stores of a valid body: its event type, and the event (None for a
    type the plugin does not handle, which is acknowledged and ignored)."""

    event_type: str
    event: TicketEvent | None


# A stored webhook body read into the event it carries (None: a type the plugin ignores); the
# processor and every recompute call it, so it must stay a few microseconds.
EventParser = Callable[[Any], TicketEvent | None]
# A webhook body as it arrives at the account's URL (its ``account_id``): checked whole, or PayloadError.
WebhookReader = Callable[[Any, str], WebhookEvent]


class Outcome(StrEnum):
    DONE = "done"  # the host applied it (2xx; or a repeated Idempotency-Key answered with the first answer)
    GONE = "gone"  # 404: the ticket no longer exists; the command is dropped
    RETRY = "retry"  # 429, 5xx, a timeout or a dropped connection: try again later
    UNAUTHORIZED = "unauthorized"  # 401/403: the token was revoked; the tenant's delivery pauses
    REFUSED = "refused"  # any other 4xx: the host will never accept it; a dead letter at once


@dataclass(frozen=True)
class HostAccount:
    """Where and as whom the plugin calls one tenant's host."""

    api_base_url: str  # the install's; the protocol's paths (/api/v1/...) are appended to it
    access_token: str  # opened from its sealed form just before the call; never logged

    def __repr__(self) -> str:  # a token must not reach a log through a repr
        return f"HostAccount(api_base_url={self.api_base_url!r}, access_token='***')"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    status: int | None  # the HTTP status, None when no answer came
    detail: str  # why, in one line, for the outbox's last_error and the admin (no token, no body secrets)
    retry_after_seconds: float | None = None  # what the host asked for (Retry-After), if it did


class HostAdapter(Protocol):
    def deliver(self, account: HostAccount, command: HostCommand) -> Delivery:
        """One attempt; never raises for what the host or the network does."""
        ...


class HostAdapters(Protocol):
    """The adapters a worker calls hosts through, one per host kind (``plugin.host.registry.AdapterPool``)."""

    def for_kind(self, host_kind: str) -> HostAdapter:
        """The adapter of that kind; raises LookupError for a kind no adapter is registered for."""
        ...

"""What the repositories hand the service layer: plain records, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plugin.domain.engine import TargetState
from plugin.host.adapter import DEFAULT_HOST_KIND
from plugin.host.commands import HostCommand


@dataclass(frozen=True)
class TenantCredentials:
    """The little the webhook endpoint needs of a tenant: its id, zone, sealed webhook secret and host
    kind (whose parser reads its bodies)."""

    id: int
    timezone: str
    webhook_secret_encrypted: bytes
    host_kind: str = DEFAULT_HOST_KIND


@dataclass(frozen=True)
class TenantRecord:
    id: int
    account_id: str
    timezone: str
    host_origin: str
    status: str
    installed_at: datetime  # a re-install keeps it; an install after an uninstall is a new one
    host_kind: str = DEFAULT_HOST_KIND  # its helpdesk's adapter (plugin.host.registry)

    @property
    def installation(self) -> str:
        """Names this installation of the account: sessions are tied to it."""
        return f"{self.id}:{self.installed_at.timestamp():.6f}"


@dataclass(frozen=True)
class InstallValues:
    """What an install writes: the host's credentials (sealed) and the account's settings."""

    account_id: str
    api_base_url: str
    access_token_encrypted: bytes
    webhook_secret_encrypted: bytes
    timezone: str
    host_origin: str
    host_kind: str | None = None  # None: a new tenant's is the default, a re-install keeps its own
    requests_per_second: float | None = None  # None: a new tenant has none, a re-install keeps its own


@dataclass(frozen=True)
class TenantOverview:
    """A tenant as the operator's ``sla-plugin tenants list`` shows it."""

    account_id: str
    host_kind: str
    requests_per_second: float | None  # None: the plugin's default (SLA_HOST_REQUESTS_PER_SECOND)
    paused_at: datetime | None
    paused_reason: str | None


@dataclass(frozen=True)
class VersionMeta:
    """A saved settings version, without its document."""

    id: int
    version: int
    apply_to: str
    created_at: datetime


@dataclass(frozen=True)
class VersionEntry:
    """A settings version as the audit trail shows it."""

    version: int
    created_at: datetime
    created_by: str
    apply_to: str


@dataclass(frozen=True)
class ReceivedWebhook:
    """A verified, valid webhook as the endpoint stores it in the tenant's inbox."""

    tenant_id: int
    webhook_id: str
    event_type: str
    event_id: str | None  # None for event types the plugin ignores
    ticket_id: str | None  # likewise
    payload: dict[str, Any]
    received_at: datetime


@dataclass(frozen=True)
class PendingEvent:
    """An inbox entry claimed by the processor."""

    inbox_id: int
    tenant_id: int
    ticket_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class InboxCounts:
    pending: int
    failed: int
    oldest_pending_at: datetime | None


@dataclass(frozen=True)
class FailedEvent:
    inbox_id: int
    webhook_id: str
    ticket_id: str | None
    error: str
    received_at: datetime


@dataclass(frozen=True)
class HistoryEvent:
    """One event of a ticket's history (its webhook body, replayed by the engine)."""

    ticket_id: str
    event_id: str
    event_type: str
    occurred_at: datetime
    body: dict[str, Any]


@dataclass(frozen=True)
class TicketRecord:
    """A ticket's row: what the engine last decided of it, and the settings version it is on."""

    ticket_id: str
    priority: str | None
    policy_id: str | None
    settings_version: int | None
    deleted: bool
    open: bool = False  # neither solved, closed nor deleted: a settings change recomputes it
    host_tags: frozenset[str] = frozenset()  # the SLA tags the plugin has put on the host's ticket
    tag_revision: int = 0  # how many times they changed
    next_tag_change_at: datetime | None = None  # when they next change with no event (the sweep's index)


@dataclass(frozen=True)
class TicketTarget:
    """A stored target: the engine's state of it, and its ticket."""

    ticket_id: str
    state: TargetState


@dataclass(frozen=True)
class HostEndpoint:
    """Where and how fast the plugin may call one tenant's host; its token still sealed."""

    tenant_id: int
    api_base_url: str
    access_token_encrypted: bytes
    requests_per_second: float | None
    paused_reason: str | None
    paused_at: datetime | None = None
    host_kind: str = DEFAULT_HOST_KIND  # whose adapter carries its commands out


@dataclass(frozen=True)
class SummaryMarks:
    """How far a tenant's summaries have been queued: the end of the last day and hour summarized."""

    installed_at: datetime
    daily_through: datetime | None
    hourly_through: datetime | None


@dataclass(frozen=True)
class LeasedCommand:
    """A host command claimed by one worker, until its lease ends."""

    id: int
    tenant_id: int
    command: HostCommand
    attempts: int  # failed attempts before this one


@dataclass(frozen=True)
class DeadLetter:
    """A command the host never accepted: after its last attempt, or refused outright."""

    id: int
    ticket_id: str | None
    kind: str
    idempotency_key: str
    attempts: int
    last_error: str | None
    created_at: datetime
    done_at: datetime | None


@dataclass(frozen=True)
class PostedSummary:
    """The newest summary of one period kind that the host accepted (a delivered ``post_report``)."""

    period: str  # hourly or daily
    title: str
    period_start: datetime
    period_end: datetime
    delivered_at: datetime

    @classmethod
    def from_payload(cls, period: str, payload: dict[str, Any], delivered_at: datetime) -> PostedSummary:
        """Read back from a delivered ``post_report`` command's payload."""
        return cls(period, str(payload.get("title", "")), datetime.fromisoformat(payload["period_start"]),
                   datetime.fromisoformat(payload["period_end"]), delivered_at)

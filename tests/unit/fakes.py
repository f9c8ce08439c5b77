"""In-memory fakes of the storage the service layer sees (``plugin/services/unit_of_work.py``).

Each fake repository does what its SQL twin in ``plugin/store/repositories`` does, on plain Python
collections: every method scoped by the tenant it names, ids checked against the store's limits
(``NotStorable``), duplicates ignored where the database ignores them. ``FakeUnitOfWork`` gives
them transactions: ``with uow:`` works on a copy of the committed tables, ``commit()`` makes that
copy the committed state, and leaving the block (or ``rollback()``) throws away what was not
committed. ``committed`` counts the commits.

Rows are frozen dataclasses and JSON documents are copied going in and coming out, so a
transaction's copy of the tables only needs new containers, never new rows.

The end of the module has a few helpers that arrange states through the fakes: a tenant, webhook
bodies of the reference host, events waiting in the inbox.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import sqlalchemy as sa

from plugin.domain.engine import TargetState
from plugin.domain.policies import Settings
from plugin.host.commands import HostCommand
from plugin.host.payloads import parse_event
from plugin.settings.loading import load_settings, read_settings
from plugin.store.db import json_text
from plugin.store.errors import Conflict
from plugin.store.limits import findable, identifier, text
from plugin.store.records import (
    DeadLetter,
    FailedEvent,
    HistoryEvent,
    HostEndpoint,
    InboxCounts,
    InstallValues,
    LeasedCommand,
    PendingEvent,
    PostedSummary,
    ReceivedWebhook,
    SummaryMarks,
    TenantCredentials,
    TenantOverview,
    TenantRecord,
    TicketRecord,
    TicketTarget,
    VersionEntry,
    VersionMeta,
)

if TYPE_CHECKING:
    from plugin.services.unit_of_work import UnitOfWork

ERROR_LENGTH = 2000  # the inbox's error column


# -- rows --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenantRow:
    id: int
    account_id: str
    api_base_url: str
    access_token_encrypted: bytes
    webhook_secret_encrypted: bytes
    timezone: str
    host_origin: str
    status: str
    installed_at: datetime
    updated_at: datetime
    paused_at: datetime | None = None
    paused_reason: str | None = None
    requests_per_second: float | None = None
    daily_summary_through: datetime | None = None
    hourly_summary_through: datetime | None = None
    host_kind: str = "reference"

    def record(self) -> TenantRecord:
        return TenantRecord(self.id, self.account_id, self.timezone, self.host_origin, self.status,
                            self.installed_at, self.host_kind)


@dataclass(frozen=True)
class VersionRow:
    id: int
    tenant_id: int
    version: int
    document: dict[str, Any]
    created_at: datetime
    created_by: str
    apply_to: str

    def meta(self) -> VersionMeta:
        return VersionMeta(self.id, self.version, self.apply_to, self.created_at)


@dataclass(frozen=True)
class InboxRow:
    id: int
    tenant_id: int
    webhook_id: str
    status: str  # pending | processed | failed | ignored
    event_type: str
    ticket_id: str | None
    payload: dict[str, Any]
    received_at: datetime
    processed_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    tenant_id: int
    command: HostCommand
    status: str
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    leased_until: datetime | None = None
    done_at: datetime | None = None
    last_error: str | None = None


@dataclass
class Tables:
    """Every table, keyed the way its unique constraint is."""

    tenants: dict[int, TenantRow] = field(default_factory=dict)
    versions: dict[int, VersionRow] = field(default_factory=dict)
    tickets: dict[tuple[int, str], TicketRecord] = field(default_factory=dict)  # (tenant, ticket id)
    events: dict[tuple[int, str], HistoryEvent] = field(default_factory=dict)  # (tenant, event id)
    # (tenant, ticket id, metric, cycle)
    targets: dict[tuple[int, str, str, int], TicketTarget] = field(default_factory=dict)
    inbox: dict[int, InboxRow] = field(default_factory=dict)
    outbox: dict[int, OutboxRow] = field(default_factory=dict)
    token_ids: dict[str, datetime] = field(default_factory=dict)  # jti → expiry

    def copy(self) -> Tables:
        return Tables(**{column.name: dict(getattr(self, column.name)) for column in fields(self)})


class Store:
    """The committed tables, and the working copy of the transaction in progress (None outside one)."""

    def __init__(self) -> None:
        self.committed = Tables()
        self.working: Tables | None = None
        self.ids = itertools.count(1)  # like PostgreSQL's sequences: a rollback never reuses an id
        self.parsed: dict[tuple[int, int, datetime], Settings] = {}  # like ParsedSettings, for the process

    @property
    def tables(self) -> Tables:
        if self.working is None:
            raise AssertionError("a repository was used outside 'with uow:'")
        return self.working


def _json(value: Any) -> Any:
    """A copy of a JSON document as the stores keep it (``json_text``), and as a database hands one
    back: a fresh one on every read."""
    return json.loads(json_text(value))


# -- repositories ------------------------------------------------------------------------------------------


class FakeTenants:
    def __init__(self, store: Store) -> None:
        self._store = store

    def credentials(self, account_id: str) -> TenantCredentials | None:
        row = self._by_account(account_id)
        return None if row is None else TenantCredentials(row.id, row.timezone, row.webhook_secret_encrypted,
                                                          row.host_kind)

    def holds_secret(self, tenant_id: int, sealed_secret: bytes) -> bool:
        row = self._store.tables.tenants.get(tenant_id)
        return row is not None and row.webhook_secret_encrypted == sealed_secret

    def by_account(self, account_id: str) -> TenantRecord | None:
        row = self._by_account(account_id)
        return None if row is None else row.record()

    def newest_sealed_secret(self) -> tuple[str, bytes] | None:
        rows = sorted(self._store.tables.tenants.values(), key=lambda row: (row.updated_at, row.id))
        return (rows[-1].account_id, rows[-1].webhook_secret_encrypted) if rows else None

    def by_id(self, tenant_id: int) -> TenantRecord | None:
        row = self._store.tables.tenants.get(tenant_id)
        return None if row is None else row.record()

    def install(self, values: InstallValues, now: datetime) -> tuple[TenantRecord, bool]:
        identifier(values.account_id, "account_id")
        for name, length in (("api_base_url", 2000), ("host_origin", 2000), ("timezone", 64)):
            text(getattr(values, name), name, length)
        if values.host_kind is not None:
            text(values.host_kind, "host_kind", 40)
        existing = self._by_account(values.account_id)
        kept_rate = existing.requests_per_second if existing else None
        row = TenantRow(
            id=existing.id if existing else next(self._store.ids), account_id=values.account_id,
            api_base_url=values.api_base_url, access_token_encrypted=values.access_token_encrypted,
            webhook_secret_encrypted=values.webhook_secret_encrypted, timezone=values.timezone,
            host_origin=values.host_origin, status="active", installed_at=existing.installed_at if existing else now,
            updated_at=now,
            requests_per_second=kept_rate if values.requests_per_second is None else values.requests_per_second,
            daily_summary_through=existing.daily_summary_through if existing else None,
            hourly_summary_through=existing.hourly_summary_through if existing else None,
            host_kind=values.host_kind or (existing.host_kind if existing else "reference"),
        )
        self._store.tables.tenants[row.id] = row
        return row.record(), existing is None

    def uninstall(self, tenant_id: int) -> None:
        """Every row of the tenant goes; used token ids belong to no tenant and stay."""
        tables = self._store.tables
        tables.versions = {key: row for key, row in tables.versions.items() if row.tenant_id != tenant_id}
        tables.tickets = {key: row for key, row in tables.tickets.items() if key[0] != tenant_id}
        tables.events = {key: row for key, row in tables.events.items() if key[0] != tenant_id}
        tables.targets = {key: row for key, row in tables.targets.items() if key[0] != tenant_id}
        tables.inbox = {key: row for key, row in tables.inbox.items() if row.tenant_id != tenant_id}
        tables.outbox = {key: row for key, row in tables.outbox.items() if row.tenant_id != tenant_id}
        tables.tenants.pop(tenant_id, None)

    def host_endpoint(self, tenant_id: int) -> HostEndpoint | None:
        row = self._store.tables.tenants.get(tenant_id)
        return None if row is None else HostEndpoint(row.id, row.api_base_url, row.access_token_encrypted,
                                                     row.requests_per_second, row.paused_reason, row.paused_at,
                                                     row.host_kind)

    def ids(self) -> list[int]:
        return sorted(self._store.tables.tenants)

    def overview(self) -> list[TenantOverview]:
        return [TenantOverview(row.account_id, row.host_kind, row.requests_per_second, row.paused_at,
                               row.paused_reason)
                for row in sorted(self._store.tables.tenants.values(), key=lambda row: row.account_id)]

    def set_requests_per_second(self, tenant_id: int, requests_per_second: float | None) -> None:
        row = self._store.tables.tenants.get(tenant_id)
        if row is not None:
            self._store.tables.tenants[tenant_id] = replace(row, requests_per_second=requests_per_second)

    def summary_marks(self, tenant_id: int) -> SummaryMarks | None:
        row = self._store.tables.tenants.get(tenant_id)
        return None if row is None else SummaryMarks(row.installed_at, row.daily_summary_through,
                                                     row.hourly_summary_through)

    def mark_summarized(self, tenant_id: int, period: str, through: datetime) -> None:
        row = self._store.tables.tenants[tenant_id]
        current = row.daily_summary_through if period == "daily" else row.hourly_summary_through
        if current is None or current < through:
            self._store.tables.tenants[tenant_id] = (replace(row, daily_summary_through=through) if period == "daily"
                                                     else replace(row, hourly_summary_through=through))

    def pause_delivery(self, tenant_id: int, reason: str, now: datetime) -> None:
        row = self._store.tables.tenants.get(tenant_id)
        if row is not None and row.paused_at is None:
            self._store.tables.tenants[tenant_id] = replace(row, paused_at=now, paused_reason=reason[:500])

    def _by_account(self, account_id: str) -> TenantRow | None:
        return next((row for row in self._store.tables.tenants.values() if row.account_id == account_id), None)


class FakeSettingsVersions:
    def __init__(self, store: Store) -> None:
        self._store = store

    def newest(self, tenant_id: int) -> VersionMeta | None:
        rows = self._of(tenant_id)
        return rows[-1].meta() if rows else None

    def candidates(self, tenant_id: int, pinned: Collection[int]) -> list[VersionMeta]:
        """In version order: the newest, the newest for open tickets, and the pinned ones."""
        rows = self._of(tenant_id)
        newest = [row.version for row in rows][-1:]
        newest_for_open = [row.version for row in rows if row.apply_to == "open_tickets"][-1:]
        wanted = {*pinned, *newest, *newest_for_open}
        return [row.meta() for row in rows if row.version in wanted]

    def settings(self, tenant_id: int, meta: VersionMeta) -> Settings:
        key = (tenant_id, meta.id, meta.created_at)
        parsed = self._store.parsed.get(key)
        if parsed is None:
            row = self._store.tables.versions.get(meta.id)
            if row is None or row.tenant_id != tenant_id:
                raise sa.exc.NoResultFound("No row was found when one was required")
            parsed = self._store.parsed[key] = load_settings(_json(row.document))
        return parsed

    def document(self, tenant_id: int, version: int) -> dict[str, Any] | None:
        row = next((row for row in self._of(tenant_id) if row.version == version), None)
        return None if row is None else _json(row.document)

    def history(self, tenant_id: int) -> list[VersionEntry]:
        return [VersionEntry(row.version, row.created_at, row.created_by, row.apply_to) for row in self._of(tenant_id)]

    def add(self, tenant_id: int, document: dict[str, Any], settings: Settings, author: str, now: datetime,
            apply_to: str) -> VersionMeta:
        rows = self._of(tenant_id)
        version = rows[-1].version + 1 if rows else 1
        if any(row.version == version for row in rows):  # the unique (tenant, version) key
            raise Conflict(f"settings version {version} was saved by another change")
        row = VersionRow(next(self._store.ids), tenant_id, version, _json(document), now, author[:200], apply_to)
        self._store.tables.versions[row.id] = row
        self._store.parsed[(tenant_id, row.id, now)] = settings
        return row.meta()

    def _of(self, tenant_id: int) -> list[VersionRow]:
        return sorted((row for row in self._store.tables.versions.values() if row.tenant_id == tenant_id),
                      key=lambda row: row.version)


class FakeInbox:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, webhook: ReceivedWebhook, sealed_secret: bytes) -> bool:
        """False, storing nothing, for a webhook id the tenant has seen or a tenant no longer holding the secret."""
        identifier(webhook.webhook_id, "webhook-id")
        if webhook.ticket_id is not None:
            identifier(webhook.ticket_id, "data.ticket.id")
        if webhook.event_id is not None:
            identifier(webhook.event_id, "id")
        tables = self._store.tables
        tenant = tables.tenants.get(webhook.tenant_id)
        if tenant is None or tenant.webhook_secret_encrypted != sealed_secret:
            return False
        if any((row.tenant_id, row.webhook_id) == (webhook.tenant_id, webhook.webhook_id)
               for row in tables.inbox.values()):
            return False
        pending = webhook.ticket_id is not None
        row = InboxRow(next(self._store.ids), webhook.tenant_id, webhook.webhook_id,
                       "pending" if pending else "ignored", webhook.event_type[:200], webhook.ticket_id,
                       _json(webhook.payload), webhook.received_at,
                       None if pending else webhook.received_at)
        tables.inbox[row.id] = row
        return True

    def claim(self, limit: int) -> list[PendingEvent]:
        return [_pending(row) for row in self._pending()[:limit]]

    def claim_one(self, inbox_id: int) -> PendingEvent | None:
        row = self._store.tables.inbox.get(inbox_id)
        return _pending(row) if row is not None and row.status == "pending" else None

    def mark_processed(self, inbox_ids: Sequence[int], now: datetime) -> None:
        inbox = self._store.tables.inbox
        for inbox_id in inbox_ids:
            if inbox_id in inbox:
                inbox[inbox_id] = replace(inbox[inbox_id], status="processed", processed_at=now)

    def mark_failed(self, inbox_id: int, error: str, now: datetime) -> None:
        inbox = self._store.tables.inbox
        if inbox_id in inbox and inbox[inbox_id].status == "pending":
            inbox[inbox_id] = replace(inbox[inbox_id], status="failed", processed_at=now, error=error[:ERROR_LENGTH])

    def counts(self, tenant_id: int) -> InboxCounts:
        return _counts([row for row in self._store.tables.inbox.values() if row.tenant_id == tenant_id])

    def counts_by_tenant(self) -> dict[int, InboxCounts]:
        """Tenants with pending or failed events."""
        waiting = [row for row in self._store.tables.inbox.values() if row.status in ("pending", "failed")]
        return {tenant_id: _counts([row for row in waiting if row.tenant_id == tenant_id])
                for tenant_id in sorted({row.tenant_id for row in waiting})}

    def oldest_pending_at(self) -> datetime | None:
        pending = self._pending()
        return pending[0].received_at if pending else None

    def failed(self, tenant_id: int, limit: int = 50) -> list[FailedEvent]:
        """The newest first."""
        rows = sorted((row for row in self._store.tables.inbox.values()
                       if row.tenant_id == tenant_id and row.status == "failed"), key=lambda row: -row.id)
        return [FailedEvent(row.id, row.webhook_id, row.ticket_id, row.error or "", row.received_at)
                for row in rows[:limit]]

    def _pending(self) -> list[InboxRow]:
        """Every tenant's pending events, the oldest (lowest id) first."""
        return sorted((row for row in self._store.tables.inbox.values() if row.status == "pending"),
                      key=lambda row: row.id)


def _pending(row: InboxRow) -> PendingEvent:
    assert row.ticket_id is not None, "only events with a ticket are pending"
    return PendingEvent(row.id, row.tenant_id, row.ticket_id, _json(row.payload))


def _counts(rows: list[InboxRow]) -> InboxCounts:
    pending = [row.received_at for row in rows if row.status == "pending"]
    return InboxCounts(len(pending), sum(row.status == "failed" for row in rows), min(pending, default=None))


class FakeTickets:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add_events(self, tenant_id: int, events: Sequence[HistoryEvent]) -> None:
        """Each event id once per tenant: the first of a batch wins, one already stored stays."""
        unique = {event.event_id: event for event in reversed(events)}
        for event in unique.values():  # every id checked before anything is written
            identifier(event.ticket_id, "data.ticket.id")
            identifier(event.event_id, "id")
        stored = self._store.tables.events
        for event_id, event in sorted(unique.items()):
            stored.setdefault((tenant_id, event_id), replace(event, body=_json(event.body)))

    def lock(self, tenant_id: int, ticket_ids: Collection[str], now: datetime) -> dict[str, TicketRecord]:
        """The tickets' rows, created if new (no priority, policy or version yet)."""
        wanted = sorted(set(ticket_ids))
        for ticket_id in wanted:
            identifier(ticket_id, "data.ticket.id")
        tickets = self._store.tables.tickets
        return {ticket_id: tickets.setdefault((tenant_id, ticket_id), TicketRecord(ticket_id, None, None, None, False))
                for ticket_id in wanted}

    def histories(self, tenant_id: int, ticket_ids: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        histories: dict[str, list[dict[str, Any]]] = {ticket_id: [] for ticket_id in ticket_ids}
        for (owner, _event_id), event in self._store.tables.events.items():
            if owner == tenant_id and event.ticket_id in histories:
                histories[event.ticket_id].append(_json(event.body))
        return histories

    def active_since(self, tenant_id: int, since: datetime, limit: int) -> list[str]:
        last: dict[str, datetime] = {}
        for (owner, _event_id), event in self._store.tables.events.items():
            if owner == tenant_id:
                last[event.ticket_id] = max(event.occurred_at, last.get(event.ticket_id, event.occurred_at))
        active = sorted((ticket_id for ticket_id, at in last.items() if at >= since),
                        key=lambda ticket_id: (-last[ticket_id].timestamp(), ticket_id))
        return active[:limit]

    def save(self, tenant_id: int, tickets: Sequence[TicketRecord], now: datetime) -> None:
        """Only rows that exist are written (an UPDATE): ``lock`` first."""
        stored = self._store.tables.tickets
        for ticket in tickets:
            if (tenant_id, ticket.ticket_id) in stored:
                stored[(tenant_id, ticket.ticket_id)] = ticket

    def open_ids(self, tenant_id: int) -> list[str]:
        return [ticket.ticket_id for (owner, _), ticket in self._store.tables.tickets.items()
                if owner == tenant_id and ticket.open]

    def get(self, tenant_id: int, ticket_id: str) -> TicketRecord | None:
        return self._store.tables.tickets.get((tenant_id, ticket_id))

    def tag_changes_due(self, now: datetime, limit: int) -> list[tuple[int, str]]:
        awaiting = {(row.tenant_id, row.ticket_id) for row in self._store.tables.inbox.values()
                    if row.status == "pending"}
        due = sorted(((ticket.next_tag_change_at, tenant_id, ticket_id)
                      for (tenant_id, ticket_id), ticket in self._store.tables.tickets.items()
                      if ticket.next_tag_change_at is not None and ticket.next_tag_change_at <= now
                      and (tenant_id, ticket_id) not in awaiting))
        return [(tenant_id, ticket_id) for _at, tenant_id, ticket_id in due[:limit]]


class FakeTargets:
    def __init__(self, store: Store) -> None:
        self._store = store

    def replace(self, tenant_id: int, ticket_ids: Collection[str], targets: Sequence[TicketTarget]) -> None:
        if not ticket_ids:
            return
        tables = self._store.tables
        replaced = set(ticket_ids)
        kept = {key: target for key, target in tables.targets.items()
                if not (key[0] == tenant_id and target.ticket_id in replaced)}
        for target in targets:
            key = (tenant_id, target.ticket_id, target.state.metric, target.state.cycle)
            if key in kept:
                raise sa.exc.IntegrityError("INSERT INTO sla_targets", None, Exception(f"duplicate target {key}"))
            kept[key] = target
        tables.targets = kept

    def of_ticket(self, tenant_id: int, ticket_id: str) -> list[TargetState]:
        states = [target.state for target in self._of(tenant_id) if target.ticket_id == ticket_id]
        return sorted(states, key=lambda state: (state.started_at, state.metric, state.cycle))

    def decided(self, tenant_id: int, since: datetime | None, until: datetime | None, policy: str | None,
                metric: str | None) -> list[TargetState]:
        """Targets decided in [since, until), of that policy and metric when given."""
        if policy is not None and not findable(policy):
            return []
        return [
            state for state in (target.state for target in self._of(tenant_id))
            if (decided := state.decided_at) is not None
            and (since is None or decided >= since) and (until is None or decided < until)
            and (policy is None or state.policy_id == policy) and (metric is None or state.metric == metric)
        ]

    def has_policy(self, tenant_id: int, policy: str) -> bool:
        return any(target.state.policy_id == policy for target in self._of(tenant_id))

    def at_risk(self, tenant_id: int, now: datetime) -> list[TicketTarget]:
        """Active targets whose warning instant has come, the soonest due first."""
        risky = [target for target in self._of(tenant_id) if target.state.status == "active"
                 and target.state.warn_at is not None and target.state.warn_at <= now]
        return sorted(risky, key=lambda target: (target.state.due_at is None, target.state.due_at or now,
                                                 target.ticket_id))

    def _of(self, tenant_id: int) -> Iterator[TicketTarget]:
        return (target for key, target in self._store.tables.targets.items() if key[0] == tenant_id)


class FakeOutbox:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, tenant_id: int, commands: Sequence[HostCommand], now: datetime) -> None:
        """Each idempotency key once per tenant."""
        outbox = self._store.tables.outbox
        for command in sorted(commands, key=lambda command: command.idempotency_key):
            if not any((row.tenant_id, row.command.idempotency_key) == (tenant_id, command.idempotency_key)
                       for row in outbox.values()):
                row = OutboxRow(next(self._store.ids), tenant_id, replace(command, payload=_json(command.payload)),
                                "pending", now, now)
                outbox[row.id] = row

    def of_tenant(self, tenant_id: int) -> list[HostCommand]:
        rows = sorted((row for row in self._store.tables.outbox.values() if row.tenant_id == tenant_id),
                      key=lambda row: row.id)
        return [replace(row.command, payload=_json(row.command.payload)) for row in rows]

    def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[LeasedCommand]:
        outbox, tenants = self._store.tables.outbox, self._store.tables.tenants
        pending = sorted((row for row in outbox.values() if row.status == "pending"), key=lambda row: row.id)
        heads: dict[tuple[int, str | None], OutboxRow] = {}
        for row in pending:
            key = (row.tenant_id, row.command.ticket_id if row.command.ticket_id is not None else f"#{row.id}")
            heads.setdefault(key, row)  # the oldest pending command of each ticket (reports each their own)
        claimable = sorted((row for row in heads.values()
                            if row.next_attempt_at <= now and (row.leased_until is None or row.leased_until <= now)
                            and tenants[row.tenant_id].paused_at is None),
                           key=lambda row: (row.command.urgency, row.id))[:limit]
        for row in claimable:
            outbox[row.id] = replace(row, leased_until=lease_until)
        return [LeasedCommand(row.id, row.tenant_id, replace(row.command, payload=_json(row.command.payload)),
                              row.attempts) for row in claimable]

    def finish(self, command_id: int, status: str, now: datetime, detail: str | None = None,
               attempts: int | None = None) -> None:
        row = self._store.tables.outbox[command_id]
        if row.status != "pending":  # another worker settled it first
            return
        self._store.tables.outbox[command_id] = replace(
            row, status=status, done_at=now, leased_until=None, last_error=detail,
            attempts=row.attempts if attempts is None else attempts)

    def retry_later(self, command_id: int, next_attempt_at: datetime, attempts: int, detail: str | None) -> None:
        row = self._store.tables.outbox[command_id]
        if row.status != "pending":
            return
        self._store.tables.outbox[command_id] = replace(
            row, next_attempt_at=next_attempt_at, attempts=attempts, leased_until=None,
            last_error=row.last_error if detail is None else detail)

    def dead_letters(self, tenant_id: int, limit: int = 100) -> list[DeadLetter]:
        rows = sorted((row for row in self._store.tables.outbox.values()
                       if row.tenant_id == tenant_id and row.status == "dead"), key=lambda row: -row.id)[:limit]
        return [DeadLetter(row.id, row.command.ticket_id, row.command.kind.value, row.command.idempotency_key,
                           row.attempts, row.last_error, row.created_at, row.done_at) for row in rows]

    def last_summaries(self, tenant_id: int) -> list[PostedSummary]:
        found = []
        for period in ("daily", "hourly"):
            rows = [row for row in self._store.tables.outbox.values()
                    if row.tenant_id == tenant_id and row.status == "done" and row.done_at is not None
                    and row.command.idempotency_key.startswith(f"post-report:{period}:")]
            if rows:
                row = max(rows, key=lambda row: (row.done_at, row.id))
                assert row.done_at is not None
                found.append(PostedSummary.from_payload(period, _json(row.command.payload), row.done_at))
        return found

    def revive(self, tenant_id: int, command_ids: Sequence[int] | None, now: datetime) -> int:
        outbox = self._store.tables.outbox
        chosen = [row for row in outbox.values() if row.tenant_id == tenant_id and row.status == "dead"
                  and (command_ids is None or row.id in command_ids)]
        for row in chosen:
            outbox[row.id] = replace(row, status="pending", attempts=0, next_attempt_at=now, leased_until=None,
                                     done_at=None)
        return len(chosen)

    def counts_by_status(self) -> dict[str, int]:
        return dict(Counter(row.status for row in self._store.tables.outbox.values()))

    def counts_of_tenant(self, tenant_id: int) -> dict[str, int]:
        return dict(Counter(row.status for row in self._store.tables.outbox.values() if row.tenant_id == tenant_id))


class FakeTokenIds:
    def __init__(self, store: Store) -> None:
        self._store = store

    def use_once(self, jti: str, expires_at: datetime, now: datetime) -> bool:
        """False if the id was used before; ids expired by ``now`` are forgotten first."""
        identifier(jti, "token jti")
        tables = self._store.tables
        tables.token_ids = {key: expiry for key, expiry in tables.token_ids.items() if not expiry < now}
        if jti in tables.token_ids:
            return False
        tables.token_ids[jti] = expires_at
        return True


# -- the unit of work --------------------------------------------------------------------------------------


class FakeUnitOfWork:
    """``with uow:`` begins a transaction on a copy of the committed tables; only ``commit()`` keeps it."""

    def __init__(self) -> None:
        self._store = Store()
        self._tenants = FakeTenants(self._store)
        self._settings_versions = FakeSettingsVersions(self._store)
        self._inbox = FakeInbox(self._store)
        self._tickets = FakeTickets(self._store)
        self._targets = FakeTargets(self._store)
        self._outbox = FakeOutbox(self._store)
        self._token_ids = FakeTokenIds(self._store)
        self.committed = 0

    @property
    def store(self) -> Store:
        """The tables (``store.committed``: what was committed), for tests to look at."""
        return self._store

    @property
    def tenants(self) -> FakeTenants:
        return self._tenants

    @property
    def settings_versions(self) -> FakeSettingsVersions:
        return self._settings_versions

    @property
    def inbox(self) -> FakeInbox:
        return self._inbox

    @property
    def tickets(self) -> FakeTickets:
        return self._tickets

    @property
    def targets(self) -> FakeTargets:
        return self._targets

    @property
    def outbox(self) -> FakeOutbox:
        return self._outbox

    @property
    def token_ids(self) -> FakeTokenIds:
        return self._token_ids

    def __enter__(self) -> Self:
        if self._store.working is not None:
            raise AssertionError("'with uow:' entered again before the first one ended")
        self._store.working = self._store.committed.copy()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._store.working = None  # whatever was not committed is gone

    def commit(self) -> None:
        self._store.committed = self._store.tables
        self._store.working = self._store.committed.copy()  # later statements begin a new transaction
        self.committed += 1

    def rollback(self) -> None:
        if self._store.working is None:
            raise AssertionError("rollback outside 'with uow:'")
        self._store.working = self._store.committed.copy()


if TYPE_CHECKING:  # mypy's proof that the fake offers what the services take
    _proof: UnitOfWork = FakeUnitOfWork()


# -- arranging states --------------------------------------------------------------------------------------

EXAMPLE = Path(__file__).parents[1] / "data" / "desk360_example"
SEALED_SECRET = b"sealed webhook secret"


def without_tag_state(ticket: TicketRecord | None) -> TicketRecord | None:
    """A ticket's row as the engine decided it, leaving out its SLA tags' state (tested on its own)."""
    return None if ticket is None else replace(ticket, host_tags=frozenset(), tag_revision=0,
                                               next_tag_change_at=None)


def as_read(document: dict[str, Any]) -> dict[str, Any]:
    """A settings document (or one item of it) as the plugin stores it: defaults filled in."""
    return read_settings(document).document


def example_settings() -> dict[str, Any]:
    """The worked example's settings: Orange / email tickets about an outage are urgent; those get a
    first response within 30 minutes (24/7)."""
    document: dict[str, Any] = json.loads((EXAMPLE / "settings.json").read_text())
    return document


def example_events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (EXAMPLE / "events.jsonl").read_text().splitlines() if line.strip()]


def install_tenant(uow: FakeUnitOfWork, account_id: str = "acme", *, timezone: str = "UTC",
                   sealed_secret: bytes = SEALED_SECRET, now: datetime | None = None) -> TenantRecord:
    with uow:
        tenant, _created = uow.tenants.install(
            InstallValues(account_id, "https://host.test/api", b"sealed token", sealed_secret, timezone,
                          "https://host.test"), now or datetime.fromisoformat("2026-03-01T00:00:00+00:00"))
        uow.commit()
    return tenant


def ticket(ticket_id: str, created_at: str, *, subject: str = "Service outage", product: str = "Orange",
           channel: str = "email", status: str = "new", priority: str | None = None) -> dict[str, Any]:
    """A ticket as the host describes it in events."""
    return {"id": ticket_id, "product": product, "channel": channel, "subject": subject, "body": "Nothing loads.",
            "status": status, "priority": priority, "requester": {"name": "Ada", "email": "ada@example.com"},
            "tags": [], "created_at": created_at, "updated_at": created_at}


def created(ticket_id: str, at: str, *, event_id: str | None = None, **described: Any) -> dict[str, Any]:
    """A ``ticket.created`` body; ``described`` as for ``ticket``."""
    return {"id": event_id or f"evt-{ticket_id}-created", "type": "ticket.created", "occurred_at": at,
            "account_id": "acme", "data": {"ticket": ticket(ticket_id, at, **described)}}


def message(ticket_id: str, at: str, *, author: str = "agent", public: bool = True,
            event_id: str | None = None) -> dict[str, Any]:
    """A ``message.created`` body naming only the ticket's id."""
    event_id = event_id or f"evt-{ticket_id}-message-{at}"
    return {"id": event_id, "type": "message.created", "occurred_at": at, "account_id": "acme",
            "data": {"ticket": {"id": ticket_id},
                     "message": {"id": f"msg-{event_id}", "author_type": author, "public": public, "created_at": at,
                                 "body": "Looking into it."}}}


def updated(ticket_id: str, at: str, created_at: str, changes: dict[str, list[Any]], *,
            event_id: str | None = None, **described: Any) -> dict[str, Any]:
    """A ``ticket.updated`` body: the ticket as it now is, and ``changes`` as {field: [old, new]}."""
    now_described = {**described, **{name: pair[1] for name, pair in changes.items()}}
    return {"id": event_id or f"evt-{ticket_id}-updated-{at}", "type": "ticket.updated", "occurred_at": at,
            "account_id": "acme", "data": {"ticket": ticket(ticket_id, created_at, **now_described),
                                           "changes": changes}}


def deliver(uow: FakeUnitOfWork, tenant: TenantRecord, *bodies: dict[str, Any], received_at: datetime) -> None:
    """Store bodies in the tenant's inbox, as verified webhooks each under a new webhook id."""
    with uow:
        credentials = uow.tenants.credentials(tenant.account_id)
        assert credentials is not None
        for body in bodies:
            event = parse_event(body)
            webhook = ReceivedWebhook(tenant.id, f"msg_{uuid.uuid4().hex}", body["type"],
                                      event.id if event else None, event.ticket_id if event else None, body,
                                      received_at)
            assert uow.inbox.add(webhook, credentials.webhook_secret_encrypted)
        uow.commit()

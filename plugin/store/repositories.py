"""Repositories: the only place that writes SQL. Each one is bound to one tenant."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from plugin.host.commands import HostCommand

from . import statements
from .models import InboxEntry, OutboxCommand, SettingsVersion, SlaTarget, StoredEvent, Tenant, Ticket, UsedTokenId
from .statements import CREDENTIALS, DELETE_TARGETS, HOLDS_SECRET, INSERT_TARGETS, SAVE_TICKET, TICKET_HISTORY, VERSIONS


def insert_if_absent(connection: sa.Connection, model: type[Any], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row is new. Safe under concurrent writers."""
    return connection.execute(statements.insert_ignoring(connection.dialect.name, model.__table__), values).first() \
        is not None


@dataclass(frozen=True)
class TenantCredentials:
    id: int
    timezone: str
    webhook_secret_encrypted: bytes


@dataclass(frozen=True)
class VersionMeta:
    """A saved settings version, without its document."""

    id: int
    version: int
    apply_to: str
    created_at: datetime


@dataclass(frozen=True)
class TicketHistory:
    event_bodies: list[dict[str, Any]]
    versions: list[VersionMeta]  # in version order


@dataclass(frozen=True)
class LockedTicket:
    row_id: int
    settings_version: int | None
    priority: str | None


class Tenants:
    def __init__(self, session: Session) -> None:
        self.session = session

    def credentials(self, account_id: str) -> TenantCredentials | None:
        """The little the webhook path needs of a tenant, without loading the ORM row."""
        row = self.session.connection().execute(CREDENTIALS, {"account_id": account_id}).first()
        return None if row is None else TenantCredentials(row.id, row.timezone, row.webhook_secret_encrypted)

    def holds_secret(self, tenant_id: int, sealed_secret: bytes) -> bool:
        """Whether the tenant is still installed with this webhook secret (its ciphertext, which every
        install seals anew): a process that remembers a tenant's credentials checks they still hold."""
        values = {"tenant_id": tenant_id, "sealed_secret": sealed_secret}
        return self.session.connection().execute(HOLDS_SECRET, values).first() is not None

    def by_account(self, account_id: str) -> Tenant | None:
        return self.session.scalar(sa.select(Tenant).where(Tenant.account_id == account_id))

    def add(self, tenant: Tenant) -> Tenant:
        self.session.add(tenant)
        self.session.flush()
        return tenant

    def delete(self, tenant: Tenant) -> None:
        """Secrets first, then every row of the tenant (children explicitly: SQLite may lack cascades)."""
        tenant.access_token_encrypted = b""
        tenant.webhook_secret_encrypted = b""
        self.session.flush()
        for model in (OutboxCommand, InboxEntry, SlaTarget, StoredEvent, Ticket, SettingsVersion):
            self.session.execute(sa.delete(model).where(model.tenant_id == tenant.id))
        self.session.delete(tenant)
        self.session.flush()


class TokenIds:
    def __init__(self, session: Session) -> None:
        self.session = session

    def use_once(self, jti: str, expires_at: datetime, now: datetime) -> bool:
        """Record a token id; False if it was already used."""
        self.session.execute(sa.delete(UsedTokenId).where(UsedTokenId.expires_at < now))
        return insert_if_absent(self.session.connection(), UsedTokenId, {"jti": jti, "expires_at": expires_at})


class TenantData:
    """Everything of one tenant: settings, tickets, events, targets, inbox and outbox."""

    def __init__(self, session: Session, tenant_id: int,
                 connection: Callable[[], sa.Connection] | None = None) -> None:
        """``connection``: the session's connection, as its unit of work keeps it (the session's own
        lookup, on every statement, is a tenth of the webhook path's CPU on SQLite)."""
        self.session = session
        self.tenant_id = tenant_id
        self.connection = connection or session.connection

    # settings ---------------------------------------------------------------------------
    def current_settings(self) -> SettingsVersion | None:
        return self.session.scalar(
            sa.select(SettingsVersion)
            .where(SettingsVersion.tenant_id == self.tenant_id)
            .order_by(SettingsVersion.version.desc())
            .limit(1)
        )

    def settings_version(self, version: int) -> SettingsVersion | None:
        return self.session.scalar(
            sa.select(SettingsVersion).where(
                SettingsVersion.tenant_id == self.tenant_id, SettingsVersion.version == version
            )
        )

    def settings_document(self, row_id: int) -> dict[str, Any]:
        return self.session.execute(
            sa.select(VERSIONS.c.document).where(VERSIONS.c.id == row_id, VERSIONS.c.tenant_id == self.tenant_id)
        ).scalar_one()

    def settings_history(self) -> Sequence[SettingsVersion]:
        return self.session.scalars(
            sa.select(SettingsVersion)
            .where(SettingsVersion.tenant_id == self.tenant_id)
            .order_by(SettingsVersion.version)
        ).all()

    def add_settings(self, document: dict[str, Any], author: str, now: datetime, apply_to: str) -> SettingsVersion:
        current = self.current_settings()
        version = SettingsVersion(
            tenant_id=self.tenant_id,
            version=(current.version + 1) if current else 1,
            document=document,
            created_at=now,
            created_by=author,
            apply_to=apply_to,
        )
        self.session.add(version)
        self.session.flush()
        return version

    # webhooks ---------------------------------------------------------------------------
    def record_webhook(self, webhook_id: str, sealed_secret: bytes, now: datetime) -> bool:
        """Record a webhook id, if the tenant still holds ``sealed_secret`` (see ``holds_secret``).

        False when nothing was recorded: the id was processed before, or the tenant has changed.
        """
        connection = self.connection()
        values = {"tenant_id": self.tenant_id, "webhook_id": webhook_id, "sealed_secret": sealed_secret, "now": now}
        return connection.execute(statements.record_webhook(connection.dialect.name), values).first() is not None

    def record_event(
        self, webhook_id: str, sealed_secret: bytes, ticket_id: str, event_id: str, kind: str,
        occurred_at: datetime, body: dict[str, Any], now: datetime,
    ) -> LockedTicket | None:
        """Record the webhook id (as ``record_webhook``), store the event (once per event id: a host
        re-sending an event under a new webhook id adds nothing to the history) and lock the ticket's
        row, created if new.

        None when the webhook was not recorded; then nothing has changed.
        """
        event = {"tenant_id": self.tenant_id, "ticket_id": ticket_id, "event_id": event_id, "type": kind,
                 "occurred_at": occurred_at, "body": body}
        connection = self.connection()
        if connection.dialect.name == "postgresql":
            row = connection.execute(statements.record_event_postgresql(),
                                     {**event, "webhook_id": webhook_id, "sealed_secret": sealed_secret,
                                      "now": now}).first()
            return None if row is None else LockedTicket(row.id, row.settings_version, row.priority)
        if not self.record_webhook(webhook_id, sealed_secret, now):
            return None
        insert_if_absent(connection, StoredEvent, event)
        return self.lock_ticket(ticket_id, now)

    # tickets ----------------------------------------------------------------------------
    def lock_ticket(self, ticket_id: str, now: datetime) -> LockedTicket:
        """The ticket's row, created if new, locked for this transaction: two workers handling
        events of one ticket serialise here (SQLite holds its write lock for the whole transaction)."""
        values = {"tenant_id": self.tenant_id, "ticket_id": ticket_id, "updated_at": now, "deleted": False}
        connection = self.connection()
        row = connection.execute(statements.upsert_ticket(connection.dialect.name), values).one()
        return LockedTicket(row.id, row.settings_version, row.priority)

    def save_outcome(
        self, ticket: LockedTicket, ticket_id: str, values: dict[str, Any], targets: Sequence[dict[str, Any]]
    ) -> None:
        """Write the ticket's row (``statements.TICKET_VALUES``) and replace its targets with ``targets``
        (each with ``statements.TARGET_KEY`` and ``TARGET_VALUES``)."""
        connection = self.connection()
        scope = {"tenant_id": self.tenant_id, "ticket_id": ticket_id}
        if connection.dialect.name == "postgresql":
            connection.execute(statements.save_outcome_postgresql(),
                               {**values, "row_id": ticket.row_id, "scope_tenant_id": self.tenant_id,
                                "scope_ticket_id": ticket_id, "targets": json_rows(targets)})
            return
        connection.execute(SAVE_TICKET, {**values, "row_id": ticket.row_id})
        connection.execute(DELETE_TARGETS, scope)
        if targets:
            connection.execute(INSERT_TARGETS, [{**scope, **target} for target in targets])

    def ticket(self, ticket_id: str) -> Ticket | None:
        return self.session.scalar(
            sa.select(Ticket).where(Ticket.tenant_id == self.tenant_id, Ticket.ticket_id == ticket_id)
        )

    def ticket_history(self, ticket_id: str, pinned_version: int | None) -> TicketHistory:
        """The ticket's stored event bodies, and the metadata of the settings versions that may govern
        it (the newest, the newest saved for open tickets, the pinned one), in one query."""
        rows = self.connection().execute(
            TICKET_HISTORY, {"tenant_id": self.tenant_id, "ticket_id": ticket_id, "pinned": pinned_version or -1}
        )
        history = TicketHistory([], [])
        for row in rows:
            if row.id is None:
                history.event_bodies.append(row.body)
            else:
                history.versions.append(VersionMeta(row.id, row.version, row.apply_to, row.created_at))
        history.versions.sort(key=lambda meta: meta.version)
        return history

    def open_ticket_ids(self) -> list[str]:
        """Tickets with a target still running: the ones a settings change must recompute."""
        return list(
            self.session.scalars(
                sa.select(SlaTarget.ticket_id)
                .where(SlaTarget.tenant_id == self.tenant_id, SlaTarget.status.in_(("active", "paused")))
                .distinct()
            )
        )

    # targets ----------------------------------------------------------------------------
    def targets_of(self, ticket_id: str) -> Sequence[SlaTarget]:
        return self.session.scalars(
            sa.select(SlaTarget)
            .where(SlaTarget.tenant_id == self.tenant_id, SlaTarget.ticket_id == ticket_id)
            .order_by(SlaTarget.started_at, SlaTarget.metric, SlaTarget.cycle)
        ).all()

    def decided_targets(
        self, since: datetime | None, until: datetime | None, policy: str | None, metric: str | None
    ) -> Sequence[SlaTarget]:
        query = sa.select(SlaTarget).where(
            SlaTarget.tenant_id == self.tenant_id, SlaTarget.decided_at.is_not(None)
        )
        if since is not None:
            query = query.where(SlaTarget.decided_at >= since)
        if until is not None:
            query = query.where(SlaTarget.decided_at < until)
        if policy is not None:
            query = query.where(SlaTarget.policy_id == policy)
        if metric is not None:
            query = query.where(SlaTarget.metric == metric)
        return self.session.scalars(query).all()

    def at_risk_targets(self, now: datetime) -> Sequence[SlaTarget]:
        """Running targets whose warning instant has come, the soonest due first."""
        return self.session.scalars(
            sa.select(SlaTarget)
            .where(SlaTarget.tenant_id == self.tenant_id, SlaTarget.status == "active", SlaTarget.warn_at <= now)
            .order_by(SlaTarget.due_at)
        ).all()

    # outbox -----------------------------------------------------------------------------
    def enqueue(self, command: HostCommand, now: datetime) -> bool:
        """Queue a host command once per idempotency key; False if it was queued before."""
        return insert_if_absent(
            self.connection(),
            OutboxCommand,
            {
                "tenant_id": self.tenant_id,
                "ticket_id": command.ticket_id,
                "kind": command.kind.value,
                "payload": command.payload,
                "idempotency_key": command.idempotency_key,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )


def json_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as JSON values: instants as ISO 8601 text, which PostgreSQL reads back as timestamptz."""
    return [{key: value.isoformat() if isinstance(value, datetime) else value for key, value in row.items()}
            for row in rows]

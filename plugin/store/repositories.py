"""Repositories: the only place that writes SQL. Each one is bound to one tenant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import InboxEntry, OutboxCommand, SettingsVersion, SlaTarget, StoredEvent, Tenant, Ticket, UsedTokenId


def insert_if_absent(session: Session, model: type[Any], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row is new. Safe under concurrent writers."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = sa.inspect(model).primary_key[0]
    # RETURNING, not rowcount: the ORM path does not report rowcount on every driver.
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(key)
    return session.execute(statement).first() is not None


class Tenants:
    def __init__(self, session: Session) -> None:
        self.session = session

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
        return insert_if_absent(self.session, UsedTokenId, {"jti": jti, "expires_at": expires_at})


class TenantData:
    """Everything of one tenant: settings, tickets, events, targets, inbox and outbox."""

    def __init__(self, session: Session, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id

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

    def newest_version_for_open_tickets(self) -> int:
        """The newest version saved to apply to open tickets too (0 if none was)."""
        newest = self.session.scalar(
            sa.select(sa.func.max(SettingsVersion.version)).where(
                SettingsVersion.tenant_id == self.tenant_id, SettingsVersion.apply_to == "open_tickets"
            )
        )
        return newest or 0

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
    def record_webhook(self, webhook_id: str, now: datetime) -> bool:
        """False when this webhook id was processed before."""
        return insert_if_absent(
            self.session, InboxEntry, {"tenant_id": self.tenant_id, "webhook_id": webhook_id, "received_at": now}
        )

    def add_event(self, ticket_id: str, event_id: str, kind: str, occurred_at: datetime, body: dict[str, Any]) -> bool:
        return insert_if_absent(
            self.session,
            StoredEvent,
            {
                "tenant_id": self.tenant_id,
                "ticket_id": ticket_id,
                "event_id": event_id,
                "type": kind,
                "occurred_at": occurred_at,
                "body": body,
            },
        )

    # tickets ----------------------------------------------------------------------------
    def lock_ticket(self, ticket_id: str, now: datetime) -> Ticket:
        """The ticket's row, created if new, locked for this transaction (PostgreSQL: FOR UPDATE)."""
        insert_if_absent(
            self.session, Ticket, {"tenant_id": self.tenant_id, "ticket_id": ticket_id, "updated_at": now,
                                   "deleted": False}
        )
        ticket = self.session.scalar(
            sa.select(Ticket)
            .where(Ticket.tenant_id == self.tenant_id, Ticket.ticket_id == ticket_id)
            .with_for_update()
        )
        assert ticket is not None
        return ticket

    def ticket(self, ticket_id: str) -> Ticket | None:
        return self.session.scalar(
            sa.select(Ticket).where(Ticket.tenant_id == self.tenant_id, Ticket.ticket_id == ticket_id)
        )

    def event_bodies(self, ticket_id: str) -> list[dict[str, Any]]:
        return list(
            self.session.scalars(
                sa.select(StoredEvent.body).where(
                    StoredEvent.tenant_id == self.tenant_id, StoredEvent.ticket_id == ticket_id
                )
            )
        )

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
    def replace_targets(self, ticket_id: str, rows: Iterable[dict[str, Any]]) -> None:
        self.session.execute(
            sa.delete(SlaTarget).where(SlaTarget.tenant_id == self.tenant_id, SlaTarget.ticket_id == ticket_id)
        )
        values = [{"tenant_id": self.tenant_id, "ticket_id": ticket_id, **row} for row in rows]
        if values:
            self.session.execute(sa.insert(SlaTarget), values)

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

    def running_targets(self) -> Sequence[SlaTarget]:
        return self.session.scalars(
            sa.select(SlaTarget)
            .where(SlaTarget.tenant_id == self.tenant_id, SlaTarget.status == "active")
            .order_by(SlaTarget.due_at)
        ).all()

    # outbox -----------------------------------------------------------------------------
    def enqueue(self, kind: str, ticket_id: str | None, payload: dict[str, Any], key: str, now: datetime) -> bool:
        """Queue a host command once per idempotency key; False if it was queued before."""
        return insert_if_absent(
            self.session,
            OutboxCommand,
            {
                "tenant_id": self.tenant_id,
                "ticket_id": ticket_id,
                "kind": kind,
                "payload": payload,
                "idempotency_key": key,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )

    def outbox(self) -> Sequence[OutboxCommand]:
        return self.session.scalars(
            sa.select(OutboxCommand).where(OutboxCommand.tenant_id == self.tenant_id).order_by(OutboxCommand.id)
        ).all()

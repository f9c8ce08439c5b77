"""Repositories: the only place that writes SQL. Each one is bound to one tenant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plugin.host.commands import HostCommand

from .models import InboxEntry, OutboxCommand, SettingsVersion, SlaTarget, StoredEvent, Tenant, Ticket, UsedTokenId


# The webhook path runs these on every event: statements are built once per dialect and table,
# on the Core tables (not the ORM entities), take their values as parameters, and run on the
# session's connection, which skips the ORM's execution machinery (a third of the path's time).
@lru_cache(maxsize=64)
def _insert_ignoring(dialect: str, table: sa.Table) -> sa.Executable:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: not every driver reports a rowcount for ON CONFLICT DO NOTHING.
    return insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)


@lru_cache(maxsize=4)
def _upsert_ticket(dialect: str) -> sa.Executable:
    """Create the ticket's row or touch it; either way the row is locked until commit (PostgreSQL)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(TICKETS)
    return statement.on_conflict_do_update(
        index_elements=[TICKETS.c.tenant_id, TICKETS.c.ticket_id], set_={"updated_at": statement.excluded.updated_at}
    ).returning(TICKETS.c.id, TICKETS.c.settings_version, TICKETS.c.priority)


def insert_if_absent(session: Session, model: type[Any], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row is new. Safe under concurrent writers."""
    connection = session.connection()
    statement = _insert_ignoring(connection.dialect.name, model.__table__)
    return connection.execute(statement, values).first() is not None


TENANTS: sa.Table = Tenant.__table__  # type: ignore[assignment]
TICKETS: sa.Table = Ticket.__table__  # type: ignore[assignment]
TARGETS: sa.Table = SlaTarget.__table__  # type: ignore[assignment]
EVENTS: sa.Table = StoredEvent.__table__  # type: ignore[assignment]
VERSIONS: sa.Table = SettingsVersion.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class TenantCredentials:
    id: int
    timezone: str
    webhook_secret_encrypted: bytes


@dataclass(frozen=True)
class LockedTicket:
    row_id: int
    settings_version: int | None
    priority: str | None


def _newest_version(*conditions: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
    newest = sa.select(sa.func.max(VERSIONS.c.version)).where(VERSIONS.c.tenant_id == sa.bindparam("tenant_id"))
    return newest.where(*conditions).scalar_subquery()


_VERSIONS_META = (
    sa.select(VERSIONS.c.id, VERSIONS.c.version, VERSIONS.c.apply_to, VERSIONS.c.created_at)
    .where(
        VERSIONS.c.tenant_id == sa.bindparam("tenant_id"),
        sa.or_(
            VERSIONS.c.version == sa.bindparam("pinned"),
            VERSIONS.c.version == _newest_version(),
            VERSIONS.c.version == _newest_version(VERSIONS.c.apply_to == "open_tickets"),
        ),
    )
    .order_by(VERSIONS.c.version)
)
_SAVE_TICKET = (
    sa.update(TICKETS)
    .where(TICKETS.c.id == sa.bindparam("row_id"))
    .values({name: sa.bindparam(name) for name in ("priority", "policy_id", "deleted", "settings_version",
                                                   "updated_at")})
)
_INSERT_TARGETS = sa.insert(TARGETS)
_CREDENTIALS = sa.select(TENANTS.c.id, TENANTS.c.timezone, TENANTS.c.webhook_secret_encrypted).where(
    TENANTS.c.account_id == sa.bindparam("account_id")
)
_EVENT_BODIES = sa.select(EVENTS.c.body).where(
    EVENTS.c.tenant_id == sa.bindparam("tenant_id"), EVENTS.c.ticket_id == sa.bindparam("ticket_id")
)
_DELETE_TARGETS = sa.delete(TARGETS).where(
    TARGETS.c.tenant_id == sa.bindparam("tenant_id"), TARGETS.c.ticket_id == sa.bindparam("ticket_id")
)


class Tenants:
    def __init__(self, session: Session) -> None:
        self.session = session

    def credentials(self, account_id: str) -> TenantCredentials | None:
        """The little the webhook path needs of a tenant, without loading the ORM row."""
        row = self.session.connection().execute(_CREDENTIALS, {"account_id": account_id}).first()
        return None if row is None else TenantCredentials(row.id, row.timezone, row.webhook_secret_encrypted)

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

    def settings_versions_meta(self, pinned_version: int | None) -> list[sa.Row[Any]]:
        """(id, version, apply_to, created_at) of the newest version, the newest saved for open
        tickets, and the pinned one: one indexed query, at most three rows, in version order."""
        return list(
            self.session.connection().execute(
                _VERSIONS_META, {"tenant_id": self.tenant_id, "pinned": pinned_version or -1}
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
    def lock_ticket(self, ticket_id: str, now: datetime) -> LockedTicket:
        """The ticket's row, created if new, locked for this transaction: two workers handling
        events of one ticket serialise here (SQLite holds its write lock for the whole transaction)."""
        values = {"tenant_id": self.tenant_id, "ticket_id": ticket_id, "updated_at": now, "deleted": False}
        connection = self.session.connection()
        row = connection.execute(_upsert_ticket(connection.dialect.name), values).one()
        return LockedTicket(row.id, row.settings_version, row.priority)

    def save_ticket(
        self, row_id: int, *, priority: str | None, policy_id: str | None, deleted: bool, settings_version: int,
        updated_at: datetime,
    ) -> None:
        values = {"priority": priority, "policy_id": policy_id, "deleted": deleted,
                  "settings_version": settings_version, "updated_at": updated_at}
        self.session.connection().execute(_SAVE_TICKET, {"row_id": row_id, **values})

    def ticket(self, ticket_id: str) -> Ticket | None:
        return self.session.scalar(
            sa.select(Ticket).where(Ticket.tenant_id == self.tenant_id, Ticket.ticket_id == ticket_id)
        )

    def event_bodies(self, ticket_id: str) -> list[dict[str, Any]]:
        bodies = self.session.connection().execute(_EVENT_BODIES, {"tenant_id": self.tenant_id, "ticket_id": ticket_id})
        return list(bodies.scalars())

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
        connection = self.session.connection()
        connection.execute(_DELETE_TARGETS, {"tenant_id": self.tenant_id, "ticket_id": ticket_id})
        values = [{"tenant_id": self.tenant_id, "ticket_id": ticket_id, **row} for row in rows]
        if values:
            connection.execute(_INSERT_TARGETS, values)

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
            self.session,
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

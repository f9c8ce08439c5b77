"""SQLAlchemy 2 models. Every row carries its tenant; every query is scoped by it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


TAG_CHANGE_DUE = sa.text("next_tag_change_at IS NOT NULL")
PENDING = sa.text("status = 'pending'")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JSONDocument}


class Tenant(Base):
    """One installation of the plugin in one host account."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    api_base_url: Mapped[str] = mapped_column(sa.String(2000))
    access_token_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    webhook_secret_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    host_origin: Mapped[str] = mapped_column(sa.String(2000))
    status: Mapped[str] = mapped_column(sa.String(20), default="active")  # active | paused
    installed_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Delivery to the host pauses when it answers 401 (the token was revoked); a re-install resumes it.
    paused_at: Mapped[datetime | None]
    paused_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # The host's rate limit for this account (None: the plugin's default).
    requests_per_second: Mapped[float | None] = mapped_column(sa.Float)
    # Its helpdesk's adapter (plugin.host.registry): reads its webhooks, carries its commands out.
    host_kind: Mapped[str] = mapped_column(sa.String(40), server_default="reference")
    # Summaries are queued for each period once; these are the ends of the last periods queued.
    daily_summary_through: Mapped[datetime | None]
    hourly_summary_through: Mapped[datetime | None]


class SettingsVersion(Base):
    """Every saved settings document, so edits can be audited; the highest version is in force."""

    __tablename__ = "settings_versions"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    document: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.String(200))
    apply_to: Mapped[str] = mapped_column(sa.String(20), default="open_tickets")  # or new_tickets


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "ticket_id"),
        sa.Index("ix_tickets_open", "tenant_id", postgresql_where=sa.text("open"), sqlite_where=sa.text("open")),
        sa.Index("ix_tickets_tag_change", "next_tag_change_at", postgresql_where=TAG_CHANGE_DUE,
                 sqlite_where=TAG_CHANGE_DUE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[str] = mapped_column(sa.String(200))
    priority: Mapped[str | None] = mapped_column(sa.String(20))
    policy_id: Mapped[str | None] = mapped_column(sa.String(200))
    settings_version: Mapped[int | None]
    deleted: Mapped[bool] = mapped_column(default=False)
    open: Mapped[bool] = mapped_column(default=False)  # neither solved, closed nor deleted
    updated_at: Mapped[datetime]
    # The SLA tags the plugin has put on the host's ticket (space-separated, sorted), how many times
    # they changed (each change's commands carry it in their keys), and the next instant at which
    # they change with no event (a warning window opens, a due instant passes): the sweep's index.
    host_tags: Mapped[str] = mapped_column(sa.String(400), default="")
    tag_revision: Mapped[int] = mapped_column(default=0)
    next_tag_change_at: Mapped[datetime | None]


class StoredEvent(Base):
    """A ticket's event history: the webhook bodies, replayed by the engine."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "event_id"),
        sa.Index("ix_ticket_events_ticket", "tenant_id", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[str] = mapped_column(sa.String(200))
    event_id: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[str] = mapped_column(sa.String(40))
    occurred_at: Mapped[datetime]
    body: Mapped[dict[str, Any]]


class SlaTarget(Base):
    """The engine's latest reading of one target instance; rewritten on every recompute."""

    __tablename__ = "sla_targets"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "ticket_id", "metric", "cycle"),
        sa.Index("ix_sla_targets_due", "status", "due_at"),
        # Partial: the reports read decided targets only, and a ticket's targets are found by the
        # unique key above (a full index on the tenant could be mistaken for a way to find them).
        sa.Index("ix_sla_targets_decided", "tenant_id", "decided_at",
                 postgresql_where=sa.text("decided_at IS NOT NULL"), sqlite_where=sa.text("decided_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[str] = mapped_column(sa.String(200))
    metric: Mapped[str] = mapped_column(sa.String(40))
    cycle: Mapped[int]
    policy_id: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20))
    started_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    business_seconds: Mapped[int]
    target_seconds: Mapped[int]
    success_rate_percent: Mapped[float]


class InboxEntry(Base):
    """Every verified webhook, stored before it is acknowledged; the inbox processor applies the
    pending ones. A redelivery finds its webhook id here and has no second effect."""

    __tablename__ = "webhook_inbox"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "webhook_id"),
        # The processor's queue, oldest first: only pending entries are indexed.
        sa.Index("ix_webhook_inbox_pending", "id", postgresql_where=PENDING,
                 sqlite_where=PENDING),
        sa.Index("ix_webhook_inbox_tenant_status", "tenant_id", "status"),
        sa.Index("ix_webhook_inbox_pending_ticket", "tenant_id", "ticket_id", postgresql_where=PENDING,
                 sqlite_where=PENDING),  # the sweep leaves tickets with events still waiting to the processor
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    webhook_id: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20))  # pending | processed | failed | ignored
    event_type: Mapped[str | None] = mapped_column(sa.String(200))
    ticket_id: Mapped[str | None] = mapped_column(sa.String(200))
    payload: Mapped[dict[str, Any] | None]
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(sa.String(2000))


class OutboxCommand(Base):
    """A call to make to the host, written in the same transaction as the change that needs it."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "idempotency_key"),
        sa.Index("ix_outbox_claim", "urgency", "id", postgresql_where=PENDING, sqlite_where=PENDING),
        sa.Index("ix_outbox_ticket_queue", "tenant_id", "ticket_id", "id", postgresql_where=PENDING,
                 sqlite_where=PENDING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[str | None] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[dict[str, Any]]
    idempotency_key: Mapped[str] = mapped_column(sa.String(400))
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")  # pending | done | gone | dead
    urgency: Mapped[int] = mapped_column(sa.SmallInteger, default=1)  # 0 first: breach tags and notes
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    leased_until: Mapped[datetime | None]  # a worker is delivering it until then (or crashed)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(2000))


class UsedTokenId(Base):
    """jti of settings-page JWTs already exchanged: each may be used once."""

    __tablename__ = "used_token_ids"

    jti: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    expires_at: Mapped[datetime]

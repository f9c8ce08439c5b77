"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 22:57:25.052797
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import plugin.store.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("api_base_url", sa.String(length=2000), nullable=False),
        sa.Column("access_token_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("webhook_secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("host_origin", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("installed_at", plugin.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plugin.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id"),
    )
    op.create_table(
        "used_token_ids",
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("expires_at", plugin.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("idempotency_key", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", plugin.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", plugin.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "idempotency_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "settings_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "document", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", plugin.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("apply_to", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "version"),
    )
    with op.batch_alter_table("settings_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_settings_versions_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "sla_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(length=200), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", plugin.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due_at", plugin.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("warn_at", plugin.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", plugin.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("breached_at", plugin.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", plugin.store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("business_seconds", sa.Integer(), nullable=False),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("success_rate_percent", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "ticket_id", "metric", "cycle"),
    )
    with op.batch_alter_table("sla_targets", schema=None) as batch_op:
        batch_op.create_index("ix_sla_targets_decided", ["tenant_id", "decided_at"], unique=False)
        batch_op.create_index("ix_sla_targets_due", ["status", "due_at"], unique=False)

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", plugin.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "body", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "event_id"),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_events_ticket", ["tenant_id", "ticket_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=True),
        sa.Column("policy_id", sa.String(length=200), nullable=True),
        sa.Column("settings_version", sa.Integer(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", plugin.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "ticket_id"),
    )
    op.create_table(
        "webhook_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", plugin.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "webhook_id"),
    )


def downgrade() -> None:

    op.drop_table("webhook_inbox")
    op.drop_table("tickets")
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_events_ticket")

    op.drop_table("ticket_events")
    with op.batch_alter_table("sla_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_targets_due")
        batch_op.drop_index("ix_sla_targets_decided")

    op.drop_table("sla_targets")
    with op.batch_alter_table("settings_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settings_versions_tenant_id"))

    op.drop_table("settings_versions")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
    op.drop_table("used_token_ids")
    op.drop_table("tenants")

"""The inbox becomes the processor's queue: each webhook's payload and status; tickets.open; tickets.revision goes

Webhooks are acknowledged once stored in ``webhook_inbox`` and applied later, in batches, by the
inbox processor (``sla-plugin worker``). Entries stored before this revision were applied when
they arrived: they are marked processed. ``tickets.open`` marks the tickets a settings change
recomputes (those with a running target, for tickets stored before it). ``tickets.revision``
served a webhook path that wrote from a snapshot; nothing reads it any more.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import plugin.store.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("webhook_inbox") as batch:
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="processed"))
        batch.add_column(sa.Column("event_type", sa.String(200), nullable=True))
        batch.add_column(sa.Column("ticket_id", sa.String(200), nullable=True))
        batch.add_column(sa.Column("payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                                   nullable=True))
        batch.add_column(sa.Column("processed_at", plugin.store.models.UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("error", sa.String(2000), nullable=True))
    with op.batch_alter_table("webhook_inbox") as batch:
        batch.alter_column("status", server_default=None)
        batch.create_index("ix_webhook_inbox_pending", ["id"], postgresql_where=PENDING, sqlite_where=PENDING)
        batch.create_index("ix_webhook_inbox_tenant_status", ["tenant_id", "status"])
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("revision")
        batch.add_column(sa.Column("open", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE tickets SET open = TRUE WHERE EXISTS (SELECT 1 FROM sla_targets AS target WHERE "
               "target.tenant_id = tickets.tenant_id AND target.ticket_id = tickets.ticket_id "
               "AND target.status IN ('active', 'paused'))")
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("open", server_default=None)
        batch.create_index("ix_tickets_open", ["tenant_id"], postgresql_where=sa.text("open"),
                           sqlite_where=sa.text("open"))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_open")
        batch.drop_column("open")
        batch.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("webhook_inbox") as batch:
        batch.drop_index("ix_webhook_inbox_tenant_status")
        batch.drop_index("ix_webhook_inbox_pending")
        for column in ("error", "processed_at", "payload", "ticket_id", "event_type", "status"):
            batch.drop_column(column)

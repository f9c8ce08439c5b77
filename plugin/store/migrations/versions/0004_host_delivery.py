"""Host delivery: the outbox's lease, urgency and outcome; tenants' delivery pause, rate limit and
summary progress; tickets' SLA tags on the host and the instant they next change

A command is leased by the worker delivering it (``leased_until``), so a worker that crashes
mid-delivery leaves it to the next claim, which sends it again with the same idempotency key.
``urgency`` orders the claim across tickets (breach tags first); per ticket, commands go in id
order (``ix_outbox_ticket_queue`` finds a ticket's earlier pending command). Commands queued
before this revision were never delivered; they stay pending, at the default urgency.

``tickets.next_tag_change_at`` is the sweep's index: the sweep reads the tickets whose tags change
now, whatever the number of running targets. Open tickets stored before this revision are due at
once, so the first sweep gives them their tags.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import plugin.store.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")
TAG_CHANGE_DUE = sa.text("next_tag_change_at IS NOT NULL")


def _instant(name: str) -> sa.Column[object]:
    return sa.Column(name, plugin.store.models.UtcDateTime(timezone=True), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(_instant("paused_at"))
        batch.add_column(sa.Column("paused_reason", sa.String(500), nullable=True))
        batch.add_column(sa.Column("requests_per_second", sa.Float(), nullable=True))
        batch.add_column(_instant("daily_summary_through"))
        batch.add_column(_instant("hourly_summary_through"))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("host_tags", sa.String(400), nullable=False, server_default=""))
        batch.add_column(sa.Column("tag_revision", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(_instant("next_tag_change_at"))
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("host_tags", server_default=None)
        batch.alter_column("tag_revision", server_default=None)
        batch.create_index("ix_tickets_tag_change", ["next_tag_change_at"], postgresql_where=TAG_CHANGE_DUE,
                           sqlite_where=TAG_CHANGE_DUE)
    # Open tickets stored before this revision have no tags on the host yet: the first sweep
    # recomputes them (in batches) and queues the tags and notes their state calls for.
    op.execute("UPDATE tickets SET next_tag_change_at = updated_at WHERE open")
    with op.batch_alter_table("webhook_inbox") as batch:
        batch.create_index("ix_webhook_inbox_pending_ticket", ["tenant_id", "ticket_id"], postgresql_where=PENDING,
                           sqlite_where=PENDING)
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("urgency", sa.SmallInteger(), nullable=False, server_default="1"))
        batch.add_column(_instant("leased_until"))
        batch.add_column(_instant("done_at"))
        batch.drop_index("ix_outbox_pending")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("urgency", server_default=None)
        batch.create_index("ix_outbox_claim", ["urgency", "id"], postgresql_where=PENDING, sqlite_where=PENDING)
        batch.create_index("ix_outbox_ticket_queue", ["tenant_id", "ticket_id", "id"], postgresql_where=PENDING,
                           sqlite_where=PENDING)


def downgrade() -> None:
    with op.batch_alter_table("webhook_inbox") as batch:
        batch.drop_index("ix_webhook_inbox_pending_ticket")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_ticket_queue")
        batch.drop_index("ix_outbox_claim")
        batch.create_index("ix_outbox_pending", ["status", "next_attempt_at"])
        for column in ("done_at", "leased_until", "urgency"):
            batch.drop_column(column)
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_tag_change")
        for column in ("next_tag_change_at", "tag_revision", "host_tags"):
            batch.drop_column(column)
    with op.batch_alter_table("tenants") as batch:
        for column in ("hourly_summary_through", "daily_summary_through", "requests_per_second", "paused_reason",
                       "paused_at"):
            batch.drop_column(column)

"""tickets.revision; the decided-targets index covers decided targets only

``tickets.revision`` is a counter every saved outcome raises: PostgreSQL's webhook path computes a
ticket's outcome from a snapshot and writes it only if the revision is still the one it read.

``ix_sla_targets_decided`` (tenant, decided instant) serves the reports, which read decided
targets only. As a partial index it is smaller, and the planner can no longer mistake it for a
way to find one ticket's targets (which it did on tables too new to have statistics, scanning
all of a tenant's targets to delete one ticket's).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DECIDED = sa.text("decided_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("sla_targets") as batch:
        batch.drop_index("ix_sla_targets_decided")
        batch.create_index("ix_sla_targets_decided", ["tenant_id", "decided_at"], unique=False,
                           postgresql_where=DECIDED, sqlite_where=DECIDED)


def downgrade() -> None:
    with op.batch_alter_table("sla_targets") as batch:
        batch.drop_index("ix_sla_targets_decided")
        batch.create_index("ix_sla_targets_decided", ["tenant_id", "decided_at"], unique=False)
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("revision")

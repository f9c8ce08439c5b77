"""tickets.revision: a counter every saved outcome raises

PostgreSQL's webhook path computes a ticket's outcome from a snapshot and writes it only if the
revision is still the one it read.

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


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("revision")

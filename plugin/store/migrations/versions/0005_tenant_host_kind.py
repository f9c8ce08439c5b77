"""Tenants' host kind: the helpdesk adapter that reads an account's webhooks and carries its commands out

Every tenant installed before this revision spoke the reference protocol, the only one there was:
they get ``reference``, which is also the column's server default, so that a plugin of the
previous revision still running beside this one (a rolling upgrade) installs tenants as before.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("host_kind", sa.String(40), nullable=False, server_default="reference"))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("host_kind")

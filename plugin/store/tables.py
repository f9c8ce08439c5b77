"""The models' Core tables, and the one INSERT that both stores build from their own dialect.

Repositories write through SQLAlchemy Core on these: the same statements on SQLite and
PostgreSQL, each store's ``ON CONFLICT`` where a write must be idempotent.
"""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .models import InboxEntry, OutboxCommand, SettingsVersion, SlaTarget, StoredEvent, Tenant, Ticket, UsedTokenId

TENANTS = cast(sa.Table, Tenant.__table__)
VERSIONS = cast(sa.Table, SettingsVersion.__table__)
TICKETS = cast(sa.Table, Ticket.__table__)
EVENTS = cast(sa.Table, StoredEvent.__table__)
TARGETS = cast(sa.Table, SlaTarget.__table__)
INBOX = cast(sa.Table, InboxEntry.__table__)
OUTBOX = cast(sa.Table, OutboxCommand.__table__)
TOKEN_IDS = cast(sa.Table, UsedTokenId.__table__)


def upsertable_insert(connection: sa.Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of the connection's dialect, which offers ``on_conflict_do_nothing/do_update``."""
    return upsertable_insert_for(connection.dialect.name, table)


def upsertable_insert_for(dialect: str, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table)


def insert_ignoring_duplicates(connection: sa.Connection, table: sa.Table) -> sa.Insert:
    """INSERT … ON CONFLICT DO NOTHING."""
    return upsertable_insert(connection, table).on_conflict_do_nothing()


def insert_if_new(connection: sa.Connection, table: sa.Table) -> sa.Insert:
    """INSERT … ON CONFLICT DO NOTHING, returning the primary key of a row actually written (RETURNING,
    not rowcount: drivers differ in what rowcount says for skipped rows)."""
    return insert_ignoring_duplicates(connection, table).returning(*table.primary_key.columns)

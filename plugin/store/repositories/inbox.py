"""The webhook inbox: every verified webhook, stored before it is acknowledged, and the queue of
those the inbox processor has yet to apply."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from ..limits import identifier, text
from ..records import FailedEvent, InboxCounts, PendingEvent, ReceivedWebhook
from ..tables import INBOX, TENANTS, upsertable_insert_for

ERROR_LENGTH = 2000


class SqlInbox:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def add(self, webhook: ReceivedWebhook, sealed_secret: bytes) -> bool:
        """Store a webhook, in one statement that writes only if its webhook id is new for the tenant
        and the tenant still holds ``sealed_secret`` (the secret its signature was checked with).

        False when nothing was stored: a duplicate, or the installation changed meanwhile. An event
        type the plugin ignores is stored as ``ignored``, so that its redelivery is a duplicate too.
        NUL characters in the payload are stored as U+FFFD (``plugin.store.db.json_text``).
        """
        identifier(webhook.webhook_id, "webhook-id")
        if webhook.ticket_id is not None:
            identifier(webhook.ticket_id, "data.ticket.id")
        if webhook.event_id is not None:
            identifier(webhook.event_id, "id")
        pending = webhook.ticket_id is not None
        event_type = text(webhook.event_type[:200], "type", 200)
        values = {"tenant_id": webhook.tenant_id, "webhook_id": webhook.webhook_id,
                  "status": "pending" if pending else "ignored", "event_type": event_type,
                  "ticket_id": webhook.ticket_id, "payload": webhook.payload,
                  "received_at": webhook.received_at, "processed_at": None if pending else webhook.received_at,
                  "sealed_secret": sealed_secret}
        statement = _store_webhook(self._connection.dialect.name)
        return self._connection.execute(statement, values).first() is not None

    def claim(self, limit: int) -> list[PendingEvent]:
        """The oldest pending events, up to ``limit``, locked for this transaction. Processors running
        side by side claim different events (PostgreSQL skips the locked ones; SQLite's write lock,
        taken as the transaction begins, admits one processor at a time)."""
        # The ids alone are chosen and locked first: should the planner sort the whole backlog (it may,
        # on statistics gathered while the inbox was empty), it sorts narrow rows, not payloads.
        claimed = (sa.select(INBOX.c.id).where(INBOX.c.status == "pending").order_by(INBOX.c.id).limit(limit)
                   .with_for_update(skip_locked=True).scalar_subquery())
        rows = self._connection.execute(
            sa.select(INBOX.c.id, INBOX.c.tenant_id, INBOX.c.ticket_id, INBOX.c.payload)
            .where(INBOX.c.id.in_(claimed)).order_by(INBOX.c.id)
        )
        return [PendingEvent(*row) for row in rows]

    def claim_one(self, inbox_id: int) -> PendingEvent | None:
        """One event, if it is still pending (and not being applied by another processor)."""
        row = self._connection.execute(
            sa.select(INBOX.c.id, INBOX.c.tenant_id, INBOX.c.ticket_id, INBOX.c.payload)
            .where(INBOX.c.id == inbox_id, INBOX.c.status == "pending").with_for_update(skip_locked=True)
        ).first()
        return None if row is None else PendingEvent(*row)

    def mark_processed(self, inbox_ids: Sequence[int], now: datetime) -> None:
        self._connection.execute(sa.update(INBOX).where(INBOX.c.id.in_(inbox_ids))
                                 .values(status="processed", processed_at=now))

    def mark_failed(self, inbox_id: int, error: str, now: datetime) -> None:
        self._connection.execute(sa.update(INBOX).where(INBOX.c.id == inbox_id, INBOX.c.status == "pending")
                                 .values(status="failed", processed_at=now, error=error[:ERROR_LENGTH]))

    def counts(self, tenant_id: int) -> InboxCounts:
        # Only the pending and failed entries are read (the index on tenant and status finds them),
        # not every webhook the tenant ever sent.
        row = self._connection.execute(
            self._counts().where(INBOX.c.tenant_id == tenant_id, INBOX.c.status.in_(("pending", "failed")))
        ).one()
        return InboxCounts(row.pending or 0, row.failed or 0, row.oldest_pending_at)

    def counts_by_tenant(self) -> dict[int, InboxCounts]:
        """Every tenant with pending or failed events (for the plugin's metrics)."""
        rows = self._connection.execute(
            self._counts(INBOX.c.tenant_id).where(INBOX.c.status.in_(("pending", "failed")))
            .group_by(INBOX.c.tenant_id)
        )
        return {row.tenant_id: InboxCounts(row.pending or 0, row.failed or 0, row.oldest_pending_at)
                for row in rows}

    def oldest_pending_at(self) -> datetime | None:
        """When the oldest event still waiting for the processor arrived, over all tenants."""
        return self._connection.execute(
            sa.select(INBOX.c.received_at).where(INBOX.c.status == "pending").order_by(INBOX.c.id).limit(1)
        ).scalar_one_or_none()

    def failed(self, tenant_id: int, limit: int = 50) -> list[FailedEvent]:
        """The tenant's events that could not be applied, the newest first."""
        rows = self._connection.execute(
            sa.select(INBOX.c.id, INBOX.c.webhook_id, INBOX.c.ticket_id, INBOX.c.error, INBOX.c.received_at)
            .where(INBOX.c.tenant_id == tenant_id, INBOX.c.status == "failed")
            .order_by(INBOX.c.id.desc()).limit(limit)
        )
        return [FailedEvent(row.id, row.webhook_id, row.ticket_id, row.error or "", row.received_at) for row in rows]

    @staticmethod
    def _counts(*columns: sa.ColumnElement[Any]) -> sa.Select[Any]:
        def count(status: str) -> sa.ColumnElement[int]:
            return sa.func.sum(sa.case((INBOX.c.status == status, 1), else_=0))

        oldest = sa.func.min(sa.case((INBOX.c.status == "pending", INBOX.c.received_at)))
        return sa.select(*columns, count("pending").label("pending"), count("failed").label("failed"),
                         sa.type_coerce(oldest, INBOX.c.received_at.type).label("oldest_pending_at"))


_STORED = ("tenant_id", "webhook_id", "status", "event_type", "ticket_id", "payload", "received_at", "processed_at")


@lru_cache(maxsize=2)
def _store_webhook(dialect: str) -> sa.Insert:
    """INSERT … SELECT of one webhook, where the tenant still holds the sealed secret, ON CONFLICT (tenant,
    webhook id) DO NOTHING RETURNING its id. Built once per dialect: every webhook runs it."""
    values = sa.select(*(sa.bindparam(name, type_=INBOX.c[name].type) for name in _STORED)).where(
        TENANTS.c.id == sa.bindparam("tenant_id"),
        TENANTS.c.webhook_secret_encrypted == sa.bindparam("sealed_secret", type_=sa.LargeBinary()),
    )
    insert = upsertable_insert_for(dialect, INBOX).from_select(list(_STORED), values)
    return insert.on_conflict_do_nothing().returning(INBOX.c.id)

"""The outbox: host commands, written in the same transaction as the change that calls for them,
then claimed and delivered by the workers.

A claim leases a command to one worker (``leased_until``): SELECT … FOR UPDATE SKIP LOCKED on
PostgreSQL, and on both stores an UPDATE that takes only commands whose lease is free (a
compare-and-set; SQLite's transactions also take its write lock as they begin). Only the oldest
pending command of each ticket can be claimed, so a ticket's commands reach the host in order;
across tickets the most urgent go first. A worker that dies mid-delivery leaves its lease to run
out: the next claim sends the command again, with the same idempotency key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from plugin.host.commands import HostCommand

from ..records import DeadLetter, LeasedCommand, PostedSummary
from ..tables import OUTBOX, TENANTS, insert_ignoring_duplicates

PENDING, DONE, GONE, DEAD = "pending", "done", "gone", "dead"
ERROR_LENGTH = 2000  # what outbox.last_error holds
_EARLIER = OUTBOX.alias("earlier")


class SqlOutbox:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def add(self, tenant_id: int, commands: Sequence[HostCommand], now: datetime) -> None:
        """Queue each command once per idempotency key (one decided twice is queued once)."""
        rows = [{"tenant_id": tenant_id, "ticket_id": command.ticket_id, "kind": command.kind.value,
                 "payload": command.payload, "idempotency_key": command.idempotency_key, "status": PENDING,
                 "urgency": command.urgency, "attempts": 0, "next_attempt_at": now, "created_at": now}
                for command in sorted(commands, key=lambda command: command.idempotency_key)]
        if rows:
            self._connection.execute(insert_ignoring_duplicates(self._connection, OUTBOX), rows)

    def of_tenant(self, tenant_id: int) -> list[HostCommand]:
        """The tenant's queued commands, oldest first."""
        rows = self._connection.execute(
            sa.select(OUTBOX.c.kind, OUTBOX.c.ticket_id, OUTBOX.c.payload, OUTBOX.c.idempotency_key)
            .where(OUTBOX.c.tenant_id == tenant_id).order_by(OUTBOX.c.id)
        )
        return [HostCommand.from_stored(*row) for row in rows]

    def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[LeasedCommand]:
        """Up to ``limit`` commands due now, the most urgent first, each the oldest pending command of
        its ticket, of tenants whose delivery is not paused; leased until ``lease_until``."""
        free = sa.or_(OUTBOX.c.leased_until.is_(None), OUTBOX.c.leased_until <= now)
        earlier_pending = sa.exists().where(
            _EARLIER.c.tenant_id == OUTBOX.c.tenant_id, _EARLIER.c.ticket_id == OUTBOX.c.ticket_id,
            _EARLIER.c.status == PENDING, _EARLIER.c.id < OUTBOX.c.id)
        candidates = self._connection.execute(
            sa.select(OUTBOX.c.id).join(TENANTS, TENANTS.c.id == OUTBOX.c.tenant_id)
            .where(OUTBOX.c.status == PENDING, OUTBOX.c.next_attempt_at <= now, free,
                   TENANTS.c.paused_at.is_(None), ~earlier_pending)
            .order_by(OUTBOX.c.urgency, OUTBOX.c.id).limit(limit)
            .with_for_update(of=OUTBOX, skip_locked=True)
        ).scalars().all()
        if not candidates:
            return []
        rows = self._connection.execute(
            sa.update(OUTBOX).where(OUTBOX.c.id.in_(candidates), OUTBOX.c.status == PENDING, free)
            .values(leased_until=lease_until)
            .returning(OUTBOX.c.id, OUTBOX.c.tenant_id, OUTBOX.c.kind, OUTBOX.c.ticket_id, OUTBOX.c.payload,
                       OUTBOX.c.idempotency_key, OUTBOX.c.attempts)
        ).all()
        leased = [LeasedCommand(row.id, row.tenant_id,
                                HostCommand.from_stored(row.kind, row.ticket_id, row.payload, row.idempotency_key),
                                row.attempts) for row in rows]
        return sorted(leased, key=lambda entry: (entry.command.urgency, entry.id))

    def finish(self, command_id: int, status: str, now: datetime, detail: str | None = None,
               attempts: int | None = None) -> None:
        """Delivered (``done``), dropped because the ticket is gone (``gone``), or a dead letter. Only a
        pending command is settled: another worker whose lease ran out may have settled it first."""
        values: dict[str, object] = {"status": status, "done_at": now, "leased_until": None,
                                     "last_error": detail[:ERROR_LENGTH] if detail else None}
        if attempts is not None:
            values["attempts"] = attempts
        self._connection.execute(sa.update(OUTBOX).where(OUTBOX.c.id == command_id, OUTBOX.c.status == PENDING)
                                 .values(**values))

    def retry_later(self, command_id: int, next_attempt_at: datetime, attempts: int, detail: str | None) -> None:
        """Release the lease; try again at ``next_attempt_at`` (``attempts``: failed ones so far)."""
        values: dict[str, object] = {"next_attempt_at": next_attempt_at, "attempts": attempts, "leased_until": None}
        if detail is not None:
            values["last_error"] = detail[:ERROR_LENGTH]
        self._connection.execute(sa.update(OUTBOX).where(OUTBOX.c.id == command_id, OUTBOX.c.status == PENDING)
                                 .values(**values))

    def dead_letters(self, tenant_id: int, limit: int = 100) -> list[DeadLetter]:
        """The tenant's dead letters, the newest first."""
        rows = self._connection.execute(
            sa.select(OUTBOX.c.id, OUTBOX.c.ticket_id, OUTBOX.c.kind, OUTBOX.c.idempotency_key, OUTBOX.c.attempts,
                      OUTBOX.c.last_error, OUTBOX.c.created_at, OUTBOX.c.done_at)
            .where(OUTBOX.c.tenant_id == tenant_id, OUTBOX.c.status == DEAD)
            .order_by(OUTBOX.c.id.desc()).limit(limit)
        )
        return [DeadLetter(*row) for row in rows]

    def last_summaries(self, tenant_id: int) -> list[PostedSummary]:
        """The newest summary the host accepted of each period kind (daily, then hourly), if any."""
        found = []
        for period in ("daily", "hourly"):
            row = self._connection.execute(
                sa.select(OUTBOX.c.payload, OUTBOX.c.done_at)
                .where(OUTBOX.c.tenant_id == tenant_id, OUTBOX.c.status == DONE, OUTBOX.c.kind == "post_report",
                       OUTBOX.c.idempotency_key.startswith(f"post-report:{period}:", autoescape=True))
                .order_by(OUTBOX.c.done_at.desc(), OUTBOX.c.id.desc()).limit(1)
            ).first()
            if row is not None:
                found.append(PostedSummary.from_payload(period, row.payload, row.done_at))
        return found

    def revive(self, tenant_id: int, command_ids: Sequence[int] | None, now: datetime) -> int:
        """Dead letters (all of the tenant's, or those ids) pending again with fresh attempts; how many."""
        condition = sa.and_(OUTBOX.c.tenant_id == tenant_id, OUTBOX.c.status == DEAD)
        if command_ids is not None:
            condition = sa.and_(condition, OUTBOX.c.id.in_(list(command_ids)))
        result = self._connection.execute(
            sa.update(OUTBOX).where(condition)
            .values(status=PENDING, attempts=0, next_attempt_at=now, leased_until=None, done_at=None))
        return result.rowcount

    def counts_by_status(self) -> dict[str, int]:
        """Commands by status, over all tenants (for the plugin's metrics)."""
        rows = self._connection.execute(sa.select(OUTBOX.c.status, sa.func.count()).group_by(OUTBOX.c.status))
        return {status: count for status, count in rows}

    def counts_of_tenant(self, tenant_id: int) -> dict[str, int]:
        rows = self._connection.execute(
            sa.select(OUTBOX.c.status, sa.func.count()).where(OUTBOX.c.tenant_id == tenant_id)
            .group_by(OUTBOX.c.status))
        return {status: count for status, count in rows}

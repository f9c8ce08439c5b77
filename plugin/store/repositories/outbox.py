"""The outbox: host commands, written in the same transaction as the change that calls for them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from plugin.host.commands import HostCommand

from ..tables import OUTBOX, insert_ignoring_duplicates


class SqlOutbox:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def add(self, tenant_id: int, commands: Sequence[HostCommand], now: datetime) -> None:
        """Queue each command once per idempotency key (one decided twice is queued once)."""
        rows = [{"tenant_id": tenant_id, "ticket_id": command.ticket_id, "kind": command.kind.value,
                 "payload": command.payload, "idempotency_key": command.idempotency_key, "status": "pending",
                 "attempts": 0, "next_attempt_at": now, "created_at": now}
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

    def counts_by_status(self) -> dict[str, int]:
        """Commands by status, over all tenants (for the plugin's metrics)."""
        rows = self._connection.execute(sa.select(OUTBOX.c.status, sa.func.count()).group_by(OUTBOX.c.status))
        return {status: count for status, count in rows}

"""SLA targets: the engine's latest reading of each target instance, rewritten with its ticket."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from plugin.domain.engine import TargetState, TargetStatus
from plugin.domain.policies import Metric

from ..limits import findable
from ..records import TicketTarget
from ..tables import TARGETS

_STATE = ("metric", "cycle", "policy_id", "status", "started_at", "due_at", "warn_at", "stopped_at", "breached_at",
          "business_seconds", "target_seconds", "success_rate_percent")
_COLUMNS = (TARGETS.c.ticket_id, *(TARGETS.c[name] for name in _STATE))


class SqlTargets:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def replace(self, tenant_id: int, ticket_ids: Collection[str], targets: Sequence[TicketTarget]) -> None:
        """The tickets' targets become exactly ``targets``."""
        if not ticket_ids:
            return
        self._connection.execute(sa.delete(TARGETS).where(TARGETS.c.tenant_id == tenant_id,
                                                          TARGETS.c.ticket_id.in_(sorted(ticket_ids))))
        if targets:
            self._connection.execute(sa.insert(TARGETS), [_row(tenant_id, target) for target in targets])

    def of_ticket(self, tenant_id: int, ticket_id: str) -> list[TargetState]:
        rows = self._connection.execute(
            sa.select(*_COLUMNS).where(TARGETS.c.tenant_id == tenant_id, TARGETS.c.ticket_id == ticket_id)
            .order_by(TARGETS.c.started_at, TARGETS.c.metric, TARGETS.c.cycle)
        )
        return [_state(row) for row in rows]

    def decided(self, tenant_id: int, since: datetime | None, until: datetime | None, policy: str | None,
                metric: str | None) -> list[TargetState]:
        """Targets whose outcome was decided in [since, until)."""
        query = sa.select(*_COLUMNS).where(TARGETS.c.tenant_id == tenant_id, TARGETS.c.decided_at.is_not(None))
        if since is not None:
            query = query.where(TARGETS.c.decided_at >= since)
        if until is not None:
            query = query.where(TARGETS.c.decided_at < until)
        if policy is not None:
            if not findable(policy):
                return []
            query = query.where(TARGETS.c.policy_id == policy)
        if metric is not None:
            query = query.where(TARGETS.c.metric == metric)
        return [_state(row) for row in self._connection.execute(query)]

    def has_policy(self, tenant_id: int, policy: str) -> bool:
        """Whether any stored target counts under ``policy`` (one the settings may no longer have)."""
        if not findable(policy):
            return False
        return self._connection.execute(
            sa.select(TARGETS.c.id).where(TARGETS.c.tenant_id == tenant_id, TARGETS.c.policy_id == policy).limit(1)
        ).first() is not None

    def at_risk(self, tenant_id: int, now: datetime) -> list[TicketTarget]:
        """Running targets whose warning instant has come, the soonest due first."""
        rows = self._connection.execute(
            sa.select(*_COLUMNS)
            .where(TARGETS.c.tenant_id == tenant_id, TARGETS.c.status == "active", TARGETS.c.warn_at <= now)
            .order_by(TARGETS.c.due_at, TARGETS.c.ticket_id)
        )
        return [TicketTarget(row.ticket_id, _state(row)) for row in rows]


def _row(tenant_id: int, target: TicketTarget) -> dict[str, Any]:
    state = target.state
    row: dict[str, Any] = {name: getattr(state, name) for name in _STATE}
    return row | {"tenant_id": tenant_id, "ticket_id": target.ticket_id, "decided_at": state.decided_at}


def _state(row: sa.Row[Any]) -> TargetState:
    return TargetState(
        metric=cast(Metric, row.metric), cycle=row.cycle, policy_id=row.policy_id,
        status=cast(TargetStatus, row.status), started_at=row.started_at, due_at=row.due_at,
        stopped_at=row.stopped_at, breached_at=row.breached_at, business_seconds=row.business_seconds,
        target_seconds=row.target_seconds, success_rate_percent=row.success_rate_percent, warn_at=row.warn_at,
    )

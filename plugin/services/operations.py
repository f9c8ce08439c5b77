"""What the operators of the plugin watch, over all tenants: the inbox's backlog and the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plugin.store.records import InboxCounts

from .unit_of_work import UnitOfWork


@dataclass(frozen=True)
class OperationalFigures:
    inbox_by_tenant: dict[int, InboxCounts]  # tenants with pending or failed events
    outbox_by_status: dict[str, int]
    oldest_pending_at: datetime | None

    def inbox_lag_seconds(self, now: datetime) -> float:
        return lag_seconds(self.oldest_pending_at, now)


def operational_figures(uow: UnitOfWork) -> OperationalFigures:
    with uow:
        return OperationalFigures(uow.inbox.counts_by_tenant(), uow.outbox.counts_by_status(),
                                  uow.inbox.oldest_pending_at())


def inbox_lag_seconds(uow: UnitOfWork, now: datetime) -> float:
    with uow:
        return lag_seconds(uow.inbox.oldest_pending_at(), now)


def lag_seconds(oldest_pending_at: datetime | None, now: datetime) -> float:
    """How long the oldest pending event has waited for the processor (0 with none pending)."""
    return max(0.0, (now - oldest_pending_at).total_seconds()) if oldest_pending_at else 0.0

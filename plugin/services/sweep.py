"""The sweep: tickets whose SLA tags change by themselves, recomputed at that instant.

A running target changes its ticket's tags with no event twice: when its warning window opens
(``sla-at-risk``) and when it falls due (``sla-breached``, ``sla-breached-<metric>`` and a note).
Every recompute stores the next such instant on the ticket's row; the sweep reads the tickets whose
instant has come (an index on it: the cost grows with the tickets due, not with those running) and
recomputes them through the one write path, which queues the host commands. Run every
``SLA_SWEEP_SECONDS`` by the worker; a worker that was down catches up on its first sweep, with
each breach at its true due instant (the engine decides it, not the sweep's clock).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from .recompute import recompute_tickets
from .unit_of_work import UnitOfWork

SWEEP_BATCH = 500  # tickets recomputed in one transaction; a backlog takes several sweeps in a row


def sweep_tag_changes(uow: UnitOfWork, clock: Callable[[], datetime], limit: int = SWEEP_BATCH) -> int:
    """Recompute the tickets whose tags change by now (at most ``limit``); how many there were."""
    now = clock()
    with uow:
        due = uow.tickets.tag_changes_due(now, limit)
        if not due:
            return 0
        by_tenant: defaultdict[int, list[str]] = defaultdict(list)
        for tenant_id, ticket_id in due:
            by_tenant[tenant_id].append(ticket_id)
        for tenant_id, ticket_ids in sorted(by_tenant.items()):
            tenant = uow.tenants.by_id(tenant_id)
            if tenant is not None:
                recompute_tickets(uow, tenant, ticket_ids, now)
        uow.commit()
    return len(due)

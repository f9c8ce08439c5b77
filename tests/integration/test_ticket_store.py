"""The webhook path's storage steps, on both stores (PostgreSQL runs each as one combined statement)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from plugin.services.unit_of_work import UnitOfWork
from plugin.store.db import create_db_engine, session_factory
from plugin.store.models import InboxEntry, SlaTarget, StoredEvent, Tenant, Ticket
from plugin.store.repositories import LockedTicket

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SEALED = b"sealed-secret"  # what the tenants' rows hold as their encrypted webhook secret


@pytest.fixture
def sessions(database_url: str) -> Iterator[Any]:
    engine = create_db_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def tenants(sessions: Any) -> tuple[int, int]:
    with UnitOfWork(sessions) as uow:
        ids = tuple(
            uow.tenants.add(Tenant(account_id=name, api_base_url="http://host.test", access_token_encrypted=b"x",
                                   webhook_secret_encrypted=SEALED, timezone="UTC", host_origin="https://host.test",
                                   installed_at=NOW, updated_at=NOW)).id
            for name in ("acme", "globex")
        )
        uow.commit()
    return ids  # type: ignore[return-value]


def record(uow: UnitOfWork, tenant_id: int, webhook_id: str, event_id: str, ticket_id: str = "T-1",
           sealed: bytes = SEALED) -> LockedTicket | None:
    body = {"id": event_id, "type": "ticket.created", "data": {"ticket": {"id": ticket_id}}}
    return uow.data_of(tenant_id).record_event(webhook_id, sealed, ticket_id, event_id, "ticket.created", NOW,
                                               body, NOW)


def count(uow: UnitOfWork, model: Any, tenant_id: int) -> int:
    return uow.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.tenant_id == tenant_id))


def target(metric: str, cycle: int, status: str = "active", minutes: int = 30) -> dict[str, Any]:
    return {
        "metric": metric, "cycle": cycle, "policy_id": "urgent-email", "status": status, "started_at": NOW,
        "due_at": NOW + timedelta(minutes=minutes), "warn_at": NOW + timedelta(minutes=minutes // 2),
        "stopped_at": NOW + timedelta(minutes=5) if status == "met" else None, "breached_at": None,
        "decided_at": NOW + timedelta(minutes=5) if status == "met" else None, "business_seconds": 300,
        "target_seconds": minutes * 60, "success_rate_percent": 80.0,
    }


def ticket_values(priority: str) -> dict[str, Any]:
    return {"priority": priority, "policy_id": "urgent-email", "deleted": False, "settings_version": 3,
            "updated_at": NOW + timedelta(minutes=1)}


def test_a_webhook_recorded_twice_changes_nothing_the_second_time(sessions: Any, tenants: tuple[int, int]) -> None:
    acme, _ = tenants
    with UnitOfWork(sessions) as uow:
        first = record(uow, acme, "msg_1", "evt_1")
        assert first is not None and first.settings_version is None and first.priority is None
        uow.commit()
    with UnitOfWork(sessions) as uow:
        assert record(uow, acme, "msg_1", "evt_1") is None
        uow.commit()
        assert (count(uow, InboxEntry, acme), count(uow, StoredEvent, acme), count(uow, Ticket, acme)) == (1, 1, 1)


def test_an_event_resent_under_a_new_webhook_id_is_stored_once(sessions: Any, tenants: tuple[int, int]) -> None:
    acme, _ = tenants
    with UnitOfWork(sessions) as uow:
        first = record(uow, acme, "msg_1", "evt_1")
        again = record(uow, acme, "msg_2", "evt_1")
        uow.commit()
        assert first is not None and again is not None and again.row_id == first.row_id
        assert (count(uow, InboxEntry, acme), count(uow, StoredEvent, acme), count(uow, Ticket, acme)) == (2, 1, 1)


def test_nothing_is_recorded_for_a_tenant_whose_secret_has_changed(sessions: Any, tenants: tuple[int, int]) -> None:
    acme, _ = tenants
    with UnitOfWork(sessions) as uow:
        assert record(uow, acme, "msg_1", "evt_1", sealed=b"sealed before a reinstall") is None
        assert not uow.data_of(acme).record_webhook("msg_2", b"sealed before a reinstall", NOW)
        assert not uow.tenants.holds_secret(acme, b"sealed before a reinstall")
        assert uow.tenants.holds_secret(acme, SEALED)
        uow.commit()
        assert (count(uow, InboxEntry, acme), count(uow, StoredEvent, acme), count(uow, Ticket, acme)) == (0, 0, 0)


def test_one_webhook_id_is_independent_per_tenant(sessions: Any, tenants: tuple[int, int]) -> None:
    acme, globex = tenants
    with UnitOfWork(sessions) as uow:
        assert record(uow, acme, "msg_1", "evt_1") is not None
        assert record(uow, globex, "msg_1", "evt_1") is not None
        uow.commit()
        assert count(uow, StoredEvent, globex) == 1


def test_saving_an_outcome_replaces_exactly_that_tickets_targets(sessions: Any, tenants: tuple[int, int]) -> None:
    acme, globex = tenants
    with UnitOfWork(sessions) as uow:
        locked = {(tenant, ticket): record(uow, tenant, f"msg_{tenant}_{ticket}", f"evt_{ticket}", ticket)
                  for tenant in (acme, globex) for ticket in ("T-1", "T-2")}
        for (tenant, ticket), row in locked.items():  # every ticket of both tenants starts with two targets
            assert row is not None
            uow.data_of(tenant).save_outcome(row, ticket, ticket_values("low"),
                                             [target("first_response", 0), target("next_response", 1)])
        uow.commit()

    with UnitOfWork(sessions) as uow:
        row = locked[acme, "T-1"]
        assert row is not None
        uow.data_of(acme).save_outcome(row, "T-1", ticket_values("urgent"),
                                       [target("next_response", 1, "met", 60), target("resolution", 0)])
        uow.commit()
        targets = {(item.metric, item.cycle): item for item in uow.data_of(acme).targets_of("T-1")}
        assert set(targets) == {("next_response", 1), ("resolution", 0)}
        kept = targets["next_response", 1]
        assert (kept.status, kept.target_seconds, kept.stopped_at) == ("met", 3600, NOW + timedelta(minutes=5))
        assert kept.due_at == NOW + timedelta(hours=1)
        ticket = uow.data_of(acme).ticket("T-1")
        assert ticket is not None
        assert (ticket.tenant_id, ticket.ticket_id, ticket.priority, ticket.settings_version) == (acme, "T-1",
                                                                                                   "urgent", 3)
        for other in ((acme, "T-2"), (globex, "T-1"), (globex, "T-2")):  # nobody else's targets moved
            assert len(uow.data_of(other[0]).targets_of(other[1])) == 2
            assert uow.data_of(other[0]).ticket(other[1]).priority == "low"  # type: ignore[union-attr]

    with UnitOfWork(sessions) as uow:
        uow.data_of(acme).save_outcome(row, "T-1", ticket_values("urgent"), [])
        uow.commit()
        assert uow.data_of(acme).targets_of("T-1") == []
        assert count(uow, SlaTarget, acme) == 2 and count(uow, SlaTarget, globex) == 4

"""The repositories on both stores: what each one writes and reads, scoped by tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from plugin.domain.engine import TargetState
from plugin.host import commands
from plugin.store.db import create_db_engine
from plugin.store.limits import NotStorable
from plugin.store.migrate import upgrade
from plugin.store.models import InboxEntry, OutboxCommand, SlaTarget, StoredEvent, Ticket
from plugin.store.records import HistoryEvent, InstallValues, ReceivedWebhook, TicketRecord, TicketTarget
from plugin.store.repositories.settings_versions import ParsedSettings
from plugin.store.unit_of_work import SqlUnitOfWork
from tests.support import temporary_postgres_database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SEALED = b"sealed-secret"  # what the tenants' rows hold as their encrypted webhook secret


@pytest.fixture
def tenants(uow: SqlUnitOfWork) -> tuple[int, int]:
    with uow:
        ids = tuple(uow.tenants.install(InstallValues(name, "http://host.test", b"x", SEALED, "UTC",
                                                      "https://host.test"), NOW)[0].id
                    for name in ("acme", "globex"))
        uow.commit()
    return ids  # type: ignore[return-value]


def webhook(tenant_id: int, webhook_id: str, ticket_id: str | None = "T-1",
            event_id: str = "evt_1") -> ReceivedWebhook:
    body = {"id": event_id, "type": "ticket.created", "occurred_at": "2026-03-02T09:00:00Z",
            "data": {"ticket": {"id": ticket_id}}}
    return ReceivedWebhook(tenant_id, webhook_id, "ticket.created" if ticket_id else "ticket.merged",
                           event_id if ticket_id else None, ticket_id, body, NOW)


def count(engine: sa.Engine, model: Any, tenant_id: int, **where: Any) -> int:
    query = sa.select(sa.func.count()).select_from(model).where(model.tenant_id == tenant_id)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    with engine.connect() as connection:
        return connection.scalar(query) or 0


def state(metric: str, cycle: int, status: str = "active", minutes: int = 30) -> TargetState:
    met = status == "met"
    return TargetState(metric, cycle, "urgent-email", status, NOW, NOW + timedelta(minutes=minutes),  # type: ignore[arg-type]
                       NOW + timedelta(minutes=5) if met else None, None, 300, minutes * 60, 80.0,
                       NOW + timedelta(minutes=minutes // 2))


def test_a_webhook_is_stored_once_per_tenant_and_webhook_id(
    uow: SqlUnitOfWork, engine: sa.Engine, tenants: tuple[int, int]
) -> None:
    acme, globex = tenants
    with uow:
        assert uow.inbox.add(webhook(acme, "msg_1"), SEALED)
        assert not uow.inbox.add(webhook(acme, "msg_1"), SEALED)
        assert uow.inbox.add(webhook(globex, "msg_1"), SEALED)  # ids are the host's, per account
        uow.commit()
    assert count(engine, InboxEntry, acme, status="pending") == 1
    assert count(engine, InboxEntry, globex, status="pending") == 1


def test_nothing_is_stored_for_a_tenant_whose_secret_has_changed(
    uow: SqlUnitOfWork, engine: sa.Engine, tenants: tuple[int, int]
) -> None:
    acme, _ = tenants
    with uow:
        assert not uow.inbox.add(webhook(acme, "msg_1"), b"sealed before a reinstall")
        assert not uow.tenants.holds_secret(acme, b"sealed before a reinstall")
        assert uow.tenants.holds_secret(acme, SEALED)
        uow.commit()
    assert count(engine, InboxEntry, acme) == 0


def test_an_ignored_event_type_is_stored_as_ignored(
    uow: SqlUnitOfWork, engine: sa.Engine, tenants: tuple[int, int]
) -> None:
    acme, _ = tenants
    with uow:
        assert uow.inbox.add(webhook(acme, "msg_1", ticket_id=None), SEALED)
        uow.commit()
        assert uow.inbox.claim(10) == []
    assert count(engine, InboxEntry, acme, status="ignored") == 1


def test_ids_too_long_for_the_store_are_refused_before_any_statement(
    uow: SqlUnitOfWork, tenants: tuple[int, int]
) -> None:
    acme, _ = tenants
    with uow, pytest.raises(NotStorable, match=r"data\.ticket\.id: must be at most 200 characters"):
        uow.inbox.add(webhook(acme, "msg_1", ticket_id="T" * 201), SEALED)


def test_claimed_events_come_oldest_first_and_are_processed_or_failed_once(
    uow: SqlUnitOfWork, engine: sa.Engine, tenants: tuple[int, int]
) -> None:
    acme, globex = tenants
    with uow:
        for number in range(5):
            uow.inbox.add(webhook(acme if number % 2 else globex, f"msg_{number}", f"T-{number}"), SEALED)
        uow.commit()
    with uow:
        claimed = uow.inbox.claim(3)
        assert [event.ticket_id for event in claimed] == ["T-0", "T-1", "T-2"]
        uow.inbox.mark_processed([event.inbox_id for event in claimed[:2]], NOW)
        uow.inbox.mark_failed(claimed[2].inbox_id, "ValueError: no", NOW)
        uow.commit()
    with uow:
        assert [event.ticket_id for event in uow.inbox.claim(10)] == ["T-3", "T-4"]
        assert uow.inbox.counts(globex).pending == 1 and uow.inbox.counts(globex).failed == 1
        assert uow.inbox.counts(globex).oldest_pending_at == NOW
        assert [(failed.ticket_id, failed.error) for failed in uow.inbox.failed(globex)] == [("T-2", "ValueError: no")]
        assert uow.inbox.failed(acme) == []
        assert set(uow.inbox.counts_by_tenant()) == {acme, globex}


def test_two_processors_claim_different_events_on_postgresql() -> None:
    """PostgreSQL only: SQLite admits one writer at a time, so there a second claim waits instead."""
    with temporary_postgres_database() as url:
        upgrade(url)
        engine = create_db_engine(url)
        first, second = SqlUnitOfWork(engine, ParsedSettings()), SqlUnitOfWork(engine, ParsedSettings())
        with first:
            acme = first.tenants.install(InstallValues("acme", "http://host.test", b"x", SEALED, "UTC",
                                                       "https://host.test"), NOW)[0].id
            for number in range(4):
                first.inbox.add(webhook(acme, f"msg_{number}", f"T-{number}"), SEALED)
            first.commit()
        with first, second:
            mine = [event.ticket_id for event in first.inbox.claim(2)]
            theirs = [event.ticket_id for event in second.inbox.claim(10)]
        engine.dispose()
    assert (mine, theirs) == (["T-0", "T-1"], ["T-2", "T-3"])


def test_histories_keep_each_event_id_once_and_stay_with_their_tenant(
    uow: SqlUnitOfWork, tenants: tuple[int, int]
) -> None:
    acme, globex = tenants
    event = HistoryEvent("T-1", "evt_1", "ticket.created", NOW, {"id": "evt_1"})
    with uow:
        second = HistoryEvent("T-1", "evt_2", "ticket.updated", NOW, {"id": "evt_2"})
        uow.tickets.add_events(acme, [event, event, second])
        uow.tickets.add_events(acme, [event])
        uow.tickets.add_events(globex, [HistoryEvent("T-1", "evt_9", "ticket.created", NOW, {"id": "evt_9"})])
        uow.commit()
        histories = uow.tickets.histories(acme, ["T-1", "T-2"])
    assert sorted(body["id"] for body in histories["T-1"]) == ["evt_1", "evt_2"] and histories["T-2"] == []


def test_saving_outcomes_replaces_exactly_those_tickets_targets(
    uow: SqlUnitOfWork, engine: sa.Engine, tenants: tuple[int, int]
) -> None:
    acme, globex = tenants
    with uow:
        for tenant in (acme, globex):  # every ticket of both tenants starts with two targets
            locked = uow.tickets.lock(tenant, ["T-2", "T-1"], NOW)
            assert locked["T-1"] == TicketRecord("T-1", None, None, None, False)
            uow.tickets.save(tenant, [TicketRecord(ticket, "low", "urgent-email", 3, False) for ticket in locked], NOW)
            uow.targets.replace(tenant, locked, [TicketTarget(ticket, state(metric, cycle)) for ticket in locked
                                                 for metric, cycle in (("first_response", 0), ("next_response", 1))])
        uow.commit()
    with uow:
        assert uow.tickets.lock(acme, ["T-1"], NOW)["T-1"].priority == "low"
        uow.tickets.save(acme, [TicketRecord("T-1", "urgent", "urgent-email", 4, False, open=True)], NOW)
        uow.targets.replace(acme, ["T-1"], [TicketTarget("T-1", state("next_response", 1, "met", 60)),
                                            TicketTarget("T-1", state("resolution", 0))])
        uow.commit()
    with uow:
        targets = {(item.metric, item.cycle): item for item in uow.targets.of_ticket(acme, "T-1")}
        assert set(targets) == {("next_response", 1), ("resolution", 0)}
        assert targets["next_response", 1] == state("next_response", 1, "met", 60)
        assert uow.tickets.get(acme, "T-1") == TicketRecord("T-1", "urgent", "urgent-email", 4, False, open=True)
        assert uow.tickets.open_ids(acme) == ["T-1"] and uow.tickets.open_ids(globex) == []
        for tenant, ticket in ((acme, "T-2"), (globex, "T-1"), (globex, "T-2")):  # nobody else's moved
            assert len(uow.targets.of_ticket(tenant, ticket)) == 2
            assert uow.tickets.get(tenant, ticket).priority == "low"  # type: ignore[union-attr]
        assert [target.metric for target in uow.targets.decided(acme, None, None, None, None)] == ["next_response"]
        assert uow.targets.has_policy(acme, "urgent-email") and not uow.targets.has_policy(acme, "nope")
        uow.targets.replace(acme, ["T-1"], [])
        uow.commit()
    assert count(engine, SlaTarget, acme) == 2 and count(engine, SlaTarget, globex) == 4
    assert count(engine, Ticket, acme) == 2 and count(engine, StoredEvent, acme) == 0


def test_a_command_is_queued_once_per_idempotency_key(
    uow: SqlUnitOfWork, engine: sa.Engine, tenants: tuple[int, int]
) -> None:
    acme, globex = tenants
    command = commands.set_priority("T-1", "urgent", "rule-1")
    with uow:
        uow.outbox.add(acme, [command, command], NOW)
        uow.outbox.add(acme, [command], NOW)
        uow.outbox.add(globex, [command], NOW)
        uow.commit()
        assert uow.outbox.of_tenant(acme) == [command]
        assert uow.outbox.counts_by_status() == {"pending": 2}
    assert count(engine, OutboxCommand, acme) == 1


def test_uninstall_deletes_every_row_of_the_tenant_and_nothing_else(
    uow: SqlUnitOfWork, engine: sa.Engine, tenants: tuple[int, int]
) -> None:
    acme, globex = tenants
    with uow:
        for tenant in (acme, globex):
            uow.inbox.add(webhook(tenant, "msg_1"), SEALED)
            uow.tickets.add_events(tenant, [HistoryEvent("T-1", "evt_1", "ticket.created", NOW, {})])
            uow.tickets.lock(tenant, ["T-1"], NOW)
            uow.targets.replace(tenant, ["T-1"], [TicketTarget("T-1", state("first_response", 0))])
            uow.outbox.add(tenant, [commands.set_priority("T-1", "urgent", "rule-1")], NOW)
        uow.tenants.uninstall(acme)
        uow.commit()
        assert uow.tenants.by_id(acme) is None and uow.tenants.credentials("acme") is None
    for model in (InboxEntry, StoredEvent, Ticket, SlaTarget, OutboxCommand):
        assert (count(engine, model, acme), count(engine, model, globex)) == (0, 1), model.__tablename__

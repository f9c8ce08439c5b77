"""The inbox processor (``process_inbox_batch``): stored events applied in batches, each exactly once,
with their targets and host commands; an event that cannot be applied is marked failed, alone."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from plugin.domain.engine import TargetState, TicketOutcome, evaluate_ticket
from plugin.host import commands
from plugin.host.payloads import parse_event
from plugin.services import processing
from plugin.services.processing import BatchResult, process_inbox_batch
from plugin.services.unit_of_work import UnitOfWork
from plugin.settings.loading import load_settings
from plugin.store.records import InboxCounts, TenantRecord, TicketRecord
from tests.unit.fakes import (
    FakeTenants,
    FakeUnitOfWork,
    created,
    deliver,
    example_events,
    example_settings,
    install_tenant,
    message,
    updated,
    without_tag_state,
)

RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # the example's day is over: every target is decided
CREATED_AT = "2026-03-02T09:00:00Z"


@pytest.fixture
def tenant(uow: FakeUnitOfWork) -> TenantRecord:
    tenant = install_tenant(uow)
    save_settings(uow, tenant, example_settings())
    return tenant


def save_settings(uow: FakeUnitOfWork, tenant: TenantRecord, document: dict[str, Any]) -> None:
    with uow:
        uow.settings_versions.add(tenant.id, document, load_settings(document), "ada", RECEIVED, "open_tickets")
        uow.commit()


def process_all(uow: UnitOfWork, limit: int = 200) -> BatchResult:
    """Batches until the inbox is empty; their results added up."""
    results = []
    while (result := process_inbox_batch(uow, lambda: NOW, limit)).claimed:
        results.append(result)
    return BatchResult(sum(result.claimed for result in results), sum(result.processed for result in results),
                       sum(result.failed for result in results))


def targets_of(uow: FakeUnitOfWork, tenant: TenantRecord, ticket_ids: Collection[str]) -> dict[str, list[TargetState]]:
    with uow:
        return {ticket_id: uow.targets.of_ticket(tenant.id, ticket_id) for ticket_id in sorted(ticket_ids)}


def tickets_of(uow: FakeUnitOfWork, tenant: TenantRecord, *ticket_ids: str) -> list[TicketRecord | None]:
    with uow:
        return [uow.tickets.get(tenant.id, ticket_id) for ticket_id in ticket_ids]


def priority_writes_of(uow: FakeUnitOfWork, tenant: TenantRecord) -> list[commands.HostCommand]:
    """The tenant's queued priority writes (tags and notes are tested in test_host_tags_service.py)."""
    with uow:
        return [command for command in uow.outbox.of_tenant(tenant.id)
                if command.kind is commands.CommandKind.SET_PRIORITY]


def inbox_of(uow: FakeUnitOfWork, tenant: TenantRecord) -> InboxCounts:
    with uow:
        return uow.inbox.counts(tenant.id)


# -- a batch --------------------------------------------------------------------------------------------


def test_a_batch_applies_its_events_marks_them_processed_and_commits_once(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    deliver(uow, tenant, created("T-1", CREATED_AT), message("T-1", "2026-03-02T09:20:00Z"),
            created("T-2", CREATED_AT), received_at=RECEIVED)
    commits = uow.committed

    assert process_inbox_batch(uow, lambda: NOW) == BatchResult(claimed=3, processed=3, failed=0)

    assert uow.committed == commits + 1
    assert inbox_of(uow, tenant) == InboxCounts(0, 0, None)
    first, second = targets_of(uow, tenant, ["T-1", "T-2"]).values()
    assert [(target.metric, target.status, target.stopped_at) for target in first] == [
        ("first_response", "met", datetime(2026, 3, 2, 9, 20, tzinfo=UTC))]
    assert [(target.metric, target.status, target.breached_at) for target in second] == [
        ("first_response", "breached", datetime(2026, 3, 2, 9, 30, tzinfo=UTC))]
    assert [without_tag_state(ticket) for ticket in tickets_of(uow, tenant, "T-1")] == [
        TicketRecord("T-1", "urgent", "orange-email-urgent", 1, False, open=True)]


def test_an_empty_inbox_claims_nothing_and_commits_nothing(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    commits = uow.committed
    assert process_inbox_batch(uow, lambda: NOW) == BatchResult(0, 0, 0)
    assert uow.committed == commits


def test_a_batch_takes_the_oldest_events_up_to_its_limit(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    deliver(uow, tenant, *(created(f"T-{number}", CREATED_AT) for number in range(5)), received_at=RECEIVED)

    assert process_inbox_batch(uow, lambda: NOW, limit=2) == BatchResult(2, 2, 0)

    assert [ticket is not None for ticket in tickets_of(uow, tenant, "T-0", "T-1", "T-2")] == [True, True, False]
    assert inbox_of(uow, tenant).pending == 3


def test_a_ticket_prioritized_by_the_rules_gets_one_set_priority_command(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    deliver(uow, tenant, created("T-1", CREATED_AT), created("T-2", CREATED_AT, subject="A question"),
            received_at=RECEIVED)
    process_all(uow)
    deliver(uow, tenant, message("T-1", "2026-03-02T09:10:00Z"), received_at=RECEIVED)
    process_all(uow)

    assert priority_writes_of(uow, tenant) == [commands.set_priority("T-1", "urgent", "orange-email-urgent")]


def test_a_priority_the_host_gave_is_the_agents_and_is_not_written_back(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    deliver(uow, tenant, created("T-1", CREATED_AT, priority="urgent"), received_at=RECEIVED)
    process_all(uow)

    assert priority_writes_of(uow, tenant) == []
    assert [target.metric for target in targets_of(uow, tenant, ["T-1"])["T-1"]] == ["first_response"]


def test_an_event_redelivered_under_a_new_webhook_id_has_no_second_effect(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    events = [created("T-1", CREATED_AT), message("T-1", "2026-03-02T09:40:00Z")]
    deliver(uow, tenant, *events, received_at=RECEIVED)
    process_all(uow)
    before = (targets_of(uow, tenant, ["T-1"]), priority_writes_of(uow, tenant), tickets_of(uow, tenant, "T-1"))

    deliver(uow, tenant, *events, received_at=RECEIVED)
    assert process_all(uow) == BatchResult(2, 2, 0)

    assert (targets_of(uow, tenant, ["T-1"]), priority_writes_of(uow, tenant), tickets_of(uow, tenant, "T-1")) == before
    with uow:
        assert len(uow.tickets.histories(tenant.id, ["T-1"])["T-1"]) == 2


def test_a_late_event_recomputes_its_ticket_from_the_whole_history(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    deliver(uow, tenant, created("T-1", CREATED_AT), received_at=RECEIVED)
    process_all(uow)
    assert targets_of(uow, tenant, ["T-1"])["T-1"][0].status == "breached"  # as of NOW, no reply was known

    deliver(uow, tenant, message("T-1", "2026-03-02T09:29:00Z"), received_at=RECEIVED)
    process_all(uow)

    assert targets_of(uow, tenant, ["T-1"])["T-1"][0].status == "met"


def test_a_reply_that_arrives_before_its_ticket_counts_once_the_ticket_does(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    deliver(uow, tenant, message("T-1", "2026-03-02T09:10:00Z"), received_at=RECEIVED)
    process_all(uow)
    assert targets_of(uow, tenant, ["T-1"]) == {"T-1": []}

    deliver(uow, tenant, created("T-1", CREATED_AT), received_at=RECEIVED)
    process_all(uow)

    assert [target.status for target in targets_of(uow, tenant, ["T-1"])["T-1"]] == ["met"]


def test_a_priority_change_moves_running_targets_to_the_new_policy(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    document = example_settings()
    document["sla_policies"].append({**document["sla_policies"][0], "id": "orange-email-high", "priority": "high",
                                     "targets": [{"metric": "first_response", "minutes": 120,
                                                  "success_rate_percent": 80}]})
    save_settings(uow, tenant, document)
    deliver(uow, tenant, created("T-1", CREATED_AT),
            updated("T-1", "2026-03-02T09:10:00Z", CREATED_AT, {"priority": ["urgent", "high"]}),
            message("T-1", "2026-03-02T10:00:00Z"), received_at=RECEIVED)
    process_all(uow)

    [target] = targets_of(uow, tenant, ["T-1"])["T-1"]
    assert (target.policy_id, target.status) == ("orange-email-high", "met")
    assert [without_tag_state(ticket) for ticket in tickets_of(uow, tenant, "T-1")] == [
        TicketRecord("T-1", "high", "orange-email-high", 2, False, open=True)]


def test_events_of_each_tenant_stay_with_their_tenant(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    globex = install_tenant(uow, "globex")  # no settings: no targets
    deliver(uow, tenant, created("T-1", CREATED_AT), received_at=RECEIVED)
    deliver(uow, globex, created("T-1", CREATED_AT), received_at=RECEIVED)  # the same event id

    assert process_inbox_batch(uow, lambda: NOW) == BatchResult(2, 2, 0)

    assert len(targets_of(uow, tenant, ["T-1"])["T-1"]) == 1
    assert targets_of(uow, globex, ["T-1"]) == {"T-1": []}
    assert [without_tag_state(ticket) for ticket in tickets_of(uow, globex, "T-1")] == [
        TicketRecord("T-1", "low", None, 0, False, open=True)]
    assert priority_writes_of(uow, globex) == []
    with uow:
        assert [len(uow.tickets.histories(owner.id, ["T-1"])["T-1"]) for owner in (tenant, globex)] == [1, 1]


# -- the worked example ---------------------------------------------------------------------------------


def engine_targets(events: list[dict[str, Any]]) -> dict[str, list[TargetState]]:
    """Each ticket's targets as the engine gives them, straight from its events (no store)."""
    settings = load_settings(example_settings())
    by_ticket: dict[str, list[Any]] = defaultdict(list)
    for body in events:
        event = parse_event(body)
        assert event is not None
        by_ticket[event.ticket_id].append(event)
    outcomes: dict[str, TicketOutcome] = {ticket_id: evaluate_ticket(ticket_id, history, settings, NOW)
                                          for ticket_id, history in by_ticket.items()}
    return {ticket_id: sorted(outcome.targets, key=lambda state: (state.started_at, state.metric, state.cycle))
            for ticket_id, outcome in outcomes.items()}


def test_the_worked_example_gives_the_engines_targets_in_any_order_and_any_batches(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    events = example_events()
    expected = engine_targets(events)
    shuffled = events + events[:50]  # and some of them twice, under new webhook ids
    random.Random(7).shuffle(shuffled)
    in_one = FakeUnitOfWork()
    in_one_tenant = install_tenant(in_one)
    save_settings(in_one, in_one_tenant, example_settings())
    deliver(uow, tenant, *shuffled, received_at=RECEIVED)
    deliver(in_one, in_one_tenant, *events, received_at=RECEIVED)

    assert process_all(uow, limit=37) == BatchResult(270, 270, 0)
    assert process_all(in_one, limit=1000) == BatchResult(220, 220, 0)

    batched = targets_of(uow, tenant, expected)
    assert batched == targets_of(in_one, in_one_tenant, expected) == expected
    assert Counter(target.status for states in batched.values() for target in states) == {"met": 70, "breached": 30}
    priorities = priority_writes_of(uow, tenant)
    assert len(priorities) == 100 and {command.payload["priority"] for command in priorities} == {"urgent"}


# -- failures -------------------------------------------------------------------------------------------


def fail_for(monkeypatch: pytest.MonkeyPatch, ticket_id: str, error: Exception) -> None:
    """Recomputing ``ticket_id`` raises ``error``; every other ticket is recomputed as usual."""
    recompute = processing.recompute_tickets

    def failing(uow: UnitOfWork, tenant: TenantRecord, ticket_ids: Collection[str],
                now: datetime) -> dict[str, TicketOutcome]:
        if ticket_id in ticket_ids:
            raise error
        return recompute(uow, tenant, ticket_ids, now)

    monkeypatch.setattr(processing, "recompute_tickets", failing)


def test_an_event_that_cannot_be_applied_is_marked_failed_and_the_others_go_through(
    uow: FakeUnitOfWork, tenant: TenantRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(uow, tenant, created("T-1", CREATED_AT), created("T-2", CREATED_AT), created("T-3", CREATED_AT),
            received_at=RECEIVED)
    fail_for(monkeypatch, "T-2", KeyError("a bug"))

    assert process_inbox_batch(uow, lambda: NOW) == BatchResult(claimed=3, processed=2, failed=1)

    with uow:
        [failed] = uow.inbox.failed(tenant.id)
        assert (failed.ticket_id, failed.error) == ("T-2", "KeyError: 'a bug'")
        assert uow.inbox.counts(tenant.id) == InboxCounts(0, 1, None)
        assert uow.tickets.histories(tenant.id, ["T-2"]) == {"T-2": []}  # none of its effects were kept
    assert [bool(targets) for targets in targets_of(uow, tenant, ["T-1", "T-2", "T-3"]).values()] == [
        True, False, True]
    assert process_inbox_batch(uow, lambda: NOW) == BatchResult(0, 0, 0)  # never claimed again


def test_a_transient_database_error_is_raised_and_the_event_stays_pending(
    uow: FakeUnitOfWork, tenant: TenantRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(uow, tenant, created("T-1", CREATED_AT), created("T-2", CREATED_AT), received_at=RECEIVED)
    fail_for(monkeypatch, "T-2", sa.exc.OperationalError("SELECT 1", None, Exception("database is locked")))

    with pytest.raises(sa.exc.OperationalError):
        process_inbox_batch(uow, lambda: NOW)

    with uow:
        assert uow.inbox.failed(tenant.id) == []
        assert [event.ticket_id for event in uow.inbox.claim(10)] == ["T-2"]  # for the next round


def test_an_event_of_a_tenant_that_is_gone_is_marked_failed(
    uow: FakeUnitOfWork, tenant: TenantRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    globex = install_tenant(uow, "globex")
    deliver(uow, tenant, created("T-1", CREATED_AT), received_at=RECEIVED)
    deliver(uow, globex, created("T-1", CREATED_AT), received_at=RECEIVED)
    by_id = FakeTenants.by_id
    monkeypatch.setattr(FakeTenants, "by_id",  # acme was uninstalled while its event waited
                        lambda tenants, tenant_id: None if tenant_id == tenant.id else by_id(tenants, tenant_id))

    assert process_inbox_batch(uow, lambda: NOW) == BatchResult(2, 1, 1)

    with uow:
        [failed] = uow.inbox.failed(tenant.id)
        assert failed.error == f"UnknownTenant: tenant {tenant.id} is no longer installed"
        assert uow.tickets.get(globex.id, "T-1") is not None


def test_processing_uses_the_time_it_is_given(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    deliver(uow, tenant, created("T-1", CREATED_AT), received_at=RECEIVED)
    process_inbox_batch(uow, lambda: datetime(2026, 3, 2, 9, 10, tzinfo=UTC))

    [target] = targets_of(uow, tenant, ["T-1"])["T-1"]
    assert (target.status, target.due_at) == ("active", datetime(2026, 3, 2, 9, 30, tzinfo=UTC))

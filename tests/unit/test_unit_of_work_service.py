"""What the services may rely on of a unit of work and its repositories, spelled out once and checked
on the in-memory fakes and on the SQLite store alike: the fakes stand in for the database only as
long as both pass these."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plugin.domain.engine import TargetState
from plugin.host import commands
from plugin.services.unit_of_work import UnitOfWork
from plugin.settings.loading import load_settings
from plugin.store.db import create_db_engine
from plugin.store.limits import NotStorable
from plugin.store.models import Base
from plugin.store.records import (
    FailedEvent,
    HistoryEvent,
    InboxCounts,
    InstallValues,
    ReceivedWebhook,
    TicketRecord,
    TicketTarget,
    VersionEntry,
)
from plugin.store.repositories.settings_versions import ParsedSettings
from plugin.store.unit_of_work import SqlUnitOfWork
from tests.unit.fakes import FakeUnitOfWork, example_settings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SEALED = b"sealed-secret"
LONG_ID = "x" * 201
DOCUMENT = example_settings()
SETTINGS = load_settings(DOCUMENT)


@pytest.fixture(params=["fake", "sqlite"])
def uow(request: pytest.FixtureRequest) -> Iterator[UnitOfWork]:
    if request.param == "fake":
        yield FakeUnitOfWork()
        return
    engine = create_db_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield SqlUnitOfWork(engine, ParsedSettings())
    engine.dispose()


@pytest.fixture
def tenants(uow: UnitOfWork) -> tuple[int, int]:
    with uow:
        acme, _ = uow.tenants.install(values("acme"), NOW)
        globex, _ = uow.tenants.install(values("globex"), NOW)
        uow.commit()
    return acme.id, globex.id


def values(account_id: str, sealed: bytes = SEALED, timezone: str = "UTC") -> InstallValues:
    return InstallValues(account_id, "https://host.test/api", b"sealed token", sealed, timezone, "https://host.test")


def webhook(tenant_id: int, webhook_id: str, ticket_id: str | None = "T-1", *, at: datetime = NOW,
            payload: dict[str, Any] | None = None) -> ReceivedWebhook:
    body = payload or {"id": f"evt-{webhook_id}", "type": "ticket.created", "data": {"ticket": {"id": ticket_id}}}
    return ReceivedWebhook(tenant_id, webhook_id, "ticket.created" if ticket_id else "ticket.merged",
                           body.get("id") if ticket_id else None, ticket_id, body, at)


def event(ticket_id: str, event_id: str, note: str = "") -> HistoryEvent:
    return HistoryEvent(ticket_id, event_id, "ticket.created", NOW, {"id": event_id, "note": note})


def minutes(value: int | None) -> datetime | None:
    return None if value is None else NOW + timedelta(minutes=value)


def state(metric: str = "first_response", cycle: int = 0, status: str = "active", *, started: int = 0,
          policy: str = "urgent", due: int = 30, warn: int | None = 15, stopped: int | None = None,
          breached: int | None = None) -> TargetState:
    return TargetState(metric, cycle, policy, status, NOW + timedelta(minutes=started),  # type: ignore[arg-type]
                       minutes(due), minutes(stopped), minutes(breached), 300, 1800, 80.0, minutes(warn))


# -- transactions ---------------------------------------------------------------------------------------


def test_a_change_is_seen_by_later_units_only_once_committed(uow: UnitOfWork) -> None:
    with uow:
        uow.tenants.install(values("acme"), NOW)
        assert uow.tenants.by_account("acme") is not None  # its own changes, before the commit
    with uow:
        assert uow.tenants.by_account("acme") is None
        uow.tenants.install(values("acme"), NOW)
        uow.commit()
    with uow:
        assert uow.tenants.by_account("acme") is not None


def test_an_error_inside_the_block_discards_what_was_not_committed(uow: UnitOfWork) -> None:
    with pytest.raises(RuntimeError), uow:
        uow.tenants.install(values("acme"), NOW)
        uow.commit()
        uow.tenants.install(values("globex"), NOW)
        raise RuntimeError("boom")
    with uow:
        assert uow.tenants.by_account("acme") is not None
        assert uow.tenants.by_account("globex") is None


def test_rollback_discards_the_changes_since_the_last_commit_and_work_goes_on(uow: UnitOfWork) -> None:
    with uow:
        uow.tenants.install(values("acme"), NOW)
        uow.rollback()
        assert uow.tenants.by_account("acme") is None
        uow.tenants.install(values("globex"), NOW)
        uow.commit()
    with uow:
        assert uow.tenants.by_account("acme") is None
        assert uow.tenants.by_account("globex") is not None


def test_documents_read_back_are_copies_of_what_is_stored(uow: UnitOfWork, tenants: tuple[int, int]) -> None:
    acme, _ = tenants
    with uow:
        uow.settings_versions.add(acme, DOCUMENT, SETTINGS, "ada", NOW, "open_tickets")
        uow.commit()
    with uow:
        document = uow.settings_versions.document(acme, 1)
        assert document is not None
        document["sla_policies"].clear()
        assert uow.settings_versions.document(acme, 1) == DOCUMENT


def test_the_fake_counts_commits_and_refuses_work_outside_a_block() -> None:
    uow = FakeUnitOfWork()
    with uow:
        uow.commit()
        uow.commit()
    assert uow.committed == 2
    with pytest.raises(AssertionError, match="outside 'with uow:'"):
        uow.tenants.by_account("acme")
    with pytest.raises(AssertionError, match="outside 'with uow:'"):
        uow.commit()
    with uow, pytest.raises(AssertionError, match="entered again"), uow:
        pass


# -- tenants --------------------------------------------------------------------------------------------


def test_install_creates_a_tenant_then_refreshes_it(uow: UnitOfWork) -> None:
    with uow:
        first, created = uow.tenants.install(values("acme"), NOW)
        again, created_again = uow.tenants.install(values("acme", b"sealed anew", "Europe/Istanbul"), NOW)
        assert (created, created_again) == (True, False)
        assert again.id == first.id and again.timezone == "Europe/Istanbul" and again.status == "active"
        assert uow.tenants.by_id(first.id) == again == uow.tenants.by_account("acme")
        credentials = uow.tenants.credentials("acme")
        assert credentials is not None and credentials.webhook_secret_encrypted == b"sealed anew"
        assert uow.tenants.holds_secret(first.id, b"sealed anew")
        assert not uow.tenants.holds_secret(first.id, SEALED)
        assert uow.tenants.credentials("globex") is None
        assert uow.tenants.by_account("acme\x00") is None and uow.tenants.credentials("acme\x00") is None


@pytest.mark.parametrize(("install", "problem"), [
    (values(LONG_ID), "account_id: must be at most 200 characters"),
    (values("acme\x00"), "account_id: must not contain NUL characters"),
    (values("acme", timezone="x" * 65), "timezone: must be at most 64 characters"),
    (InstallValues("acme", "https://" + "h" * 2000, b"", b"", "UTC", "https://host.test"), "api_base_url"),
])
def test_an_installation_the_store_cannot_hold_is_refused(uow: UnitOfWork, install: InstallValues,
                                                         problem: str) -> None:
    with uow, pytest.raises(NotStorable, match=problem):
        uow.tenants.install(install, NOW)


def test_uninstall_deletes_every_row_of_the_tenant_and_nothing_else(
    uow: UnitOfWork, tenants: tuple[int, int]
) -> None:
    with uow:
        for tenant_id in tenants:
            uow.inbox.add(webhook(tenant_id, "msg-1"), SEALED)
            uow.tickets.add_events(tenant_id, [event("T-1", "evt-1")])
            uow.tickets.lock(tenant_id, ["T-1"], NOW)
            uow.targets.replace(tenant_id, ["T-1"], [TicketTarget("T-1", state())])
            uow.outbox.add(tenant_id, [commands.set_priority("T-1", "urgent", "rule")], NOW)
            uow.settings_versions.add(tenant_id, DOCUMENT, SETTINGS, "ada", NOW, "open_tickets")
        uow.commit()
    acme, globex = tenants
    with uow:
        uow.tenants.uninstall(acme)
        uow.commit()
    with uow:
        assert uow.tenants.by_id(acme) is None and uow.tenants.by_id(globex) is not None
        assert uow.inbox.counts(acme).pending == 0 and uow.inbox.counts(globex).pending == 1
        assert uow.tickets.get(acme, "T-1") is None and uow.tickets.get(globex, "T-1") is not None
        assert uow.tickets.histories(acme, ["T-1"]) == {"T-1": []}
        assert len(uow.tickets.histories(globex, ["T-1"])["T-1"]) == 1
        assert uow.targets.of_ticket(acme, "T-1") == [] and len(uow.targets.of_ticket(globex, "T-1")) == 1
        assert uow.outbox.of_tenant(acme) == [] and len(uow.outbox.of_tenant(globex)) == 1
        assert uow.settings_versions.newest(acme) is None and uow.settings_versions.newest(globex) is not None


# -- settings versions ----------------------------------------------------------------------------------


def test_versions_are_numbered_per_tenant_and_kept_for_the_audit_trail(
    uow: UnitOfWork, tenants: tuple[int, int]
) -> None:
    acme, globex = tenants
    later = NOW + timedelta(hours=1)
    with uow:
        assert uow.settings_versions.newest(acme) is None
        first = uow.settings_versions.add(acme, DOCUMENT, SETTINGS, "ada", NOW, "open_tickets")
        second = uow.settings_versions.add(acme, DOCUMENT, SETTINGS, "bob" * 100, later, "new_tickets")
        other = uow.settings_versions.add(globex, DOCUMENT, SETTINGS, "eve", NOW, "open_tickets")
        uow.commit()
    assert (first.version, second.version, other.version) == (1, 2, 1)
    with uow:
        assert uow.settings_versions.newest(acme) == second
        assert uow.settings_versions.history(acme) == [VersionEntry(1, NOW, "ada", "open_tickets"),
                                                       VersionEntry(2, later, ("bob" * 100)[:200], "new_tickets")]
        assert uow.settings_versions.document(acme, 2) == DOCUMENT
        assert [uow.settings_versions.document(acme, version) for version in (0, 3, -1, 2**31)] == [None] * 4
        assert uow.settings_versions.settings(acme, second).policies == SETTINGS.policies


def test_candidates_are_the_newest_the_newest_for_open_tickets_and_the_pinned_ones(
    uow: UnitOfWork, tenants: tuple[int, int]
) -> None:
    acme, globex = tenants
    with uow:
        assert uow.settings_versions.candidates(acme, {1}) == []
        for apply_to in ("open_tickets", "open_tickets", "open_tickets", "new_tickets", "new_tickets"):
            uow.settings_versions.add(acme, DOCUMENT, SETTINGS, "ada", NOW, apply_to)
        uow.settings_versions.add(globex, DOCUMENT, SETTINGS, "eve", NOW, "open_tickets")
        assert [meta.version for meta in uow.settings_versions.candidates(acme, [])] == [3, 5]
        assert [meta.version for meta in uow.settings_versions.candidates(acme, {1, 4, 9})] == [1, 3, 4, 5]


# -- inbox ----------------------------------------------------------------------------------------------


def test_a_webhook_is_stored_once_per_tenant_and_webhook_id(uow: UnitOfWork, tenants: tuple[int, int]) -> None:
    acme, globex = tenants
    with uow:
        assert uow.inbox.add(webhook(acme, "msg-1"), SEALED)
        assert not uow.inbox.add(webhook(acme, "msg-1", "T-2"), SEALED)
        assert uow.inbox.add(webhook(globex, "msg-1"), SEALED)  # webhook ids are the host's, per account
        assert not uow.inbox.add(webhook(acme, "msg-2"), b"sealed before a reinstall")
        assert not uow.inbox.add(webhook(12345, "msg-3"), SEALED)  # no such tenant
        uow.commit()
    with uow:
        assert [(event.tenant_id, event.ticket_id) for event in uow.inbox.claim(10)] == [(acme, "T-1"), (globex, "T-1")]


def test_an_ignored_event_type_is_kept_as_ignored_and_never_claimed(
    uow: UnitOfWork, tenants: tuple[int, int]
) -> None:
    acme, _ = tenants
    with uow:
        assert uow.inbox.add(webhook(acme, "msg-1", ticket_id=None), SEALED)
        assert not uow.inbox.add(webhook(acme, "msg-1", ticket_id=None), SEALED)
        assert uow.inbox.claim(10) == []
        assert uow.inbox.counts(acme) == InboxCounts(0, 0, None)


@pytest.mark.parametrize(("webhook_id", "ticket_id", "field"), [
    (LONG_ID, "T-1", "webhook-id"), ("msg-1", LONG_ID, r"data\.ticket\.id"), ("msg\x00", "T-1", "webhook-id"),
])
def test_ids_the_store_cannot_hold_are_refused(
    uow: UnitOfWork, tenants: tuple[int, int], webhook_id: str, ticket_id: str, field: str
) -> None:
    acme, _ = tenants
    with uow:
        with pytest.raises(NotStorable, match=field):
            uow.inbox.add(webhook(acme, webhook_id, ticket_id), SEALED)
        assert uow.inbox.counts(acme).pending == 0


def test_unstorable_characters_of_a_payload_are_stored_as_replacement_characters(
    uow: UnitOfWork, tenants: tuple[int, int]
) -> None:
    acme, _ = tenants
    with uow:
        uow.inbox.add(webhook(acme, "msg-1", payload={"id": "evt", "data": {"text": "a\x00b", "x\x00": 1}}), SEALED)
        assert uow.inbox.claim(1)[0].payload == {"id": "evt", "data": {"text": "a\ufffdb", "x\ufffd": 1}}


def test_claimed_events_come_oldest_first_and_are_processed_or_failed_once(
    uow: UnitOfWork, tenants: tuple[int, int]
) -> None:
    acme, globex = tenants
    with uow:
        for number in range(5):
            uow.inbox.add(webhook(acme if number % 2 else globex, f"msg-{number}", f"T-{number}",
                                  at=NOW + timedelta(seconds=number)), SEALED)
        uow.commit()
    with uow:
        claimed = uow.inbox.claim(3)
        assert [event.ticket_id for event in claimed] == ["T-0", "T-1", "T-2"]
        assert uow.inbox.claim_one(claimed[1].inbox_id) == claimed[1]
        uow.inbox.mark_processed([event.inbox_id for event in claimed[:2]], NOW)
        uow.inbox.mark_failed(claimed[2].inbox_id, "ValueError: no " + "x" * 3000, NOW)
        uow.inbox.mark_failed(claimed[0].inbox_id, "processed events are not failed later", NOW)
        uow.commit()
    with uow:
        assert [event.ticket_id for event in uow.inbox.claim(10)] == ["T-3", "T-4"]
        assert uow.inbox.claim_one(claimed[0].inbox_id) is None
        assert uow.inbox.counts(globex) == InboxCounts(1, 1, NOW + timedelta(seconds=4))
        assert uow.inbox.counts(acme) == InboxCounts(1, 0, NOW + timedelta(seconds=3))
        error = ("ValueError: no " + "x" * 3000)[:2000]
        assert uow.inbox.failed(globex) == [FailedEvent(claimed[2].inbox_id, "msg-2", "T-2", error,
                                                        NOW + timedelta(seconds=2))]
        assert uow.inbox.failed(acme) == []
        assert uow.inbox.counts_by_tenant() == {acme: uow.inbox.counts(acme), globex: uow.inbox.counts(globex)}
        assert uow.inbox.oldest_pending_at() == NOW + timedelta(seconds=3)


def test_failed_events_are_listed_newest_first_up_to_the_limit(uow: UnitOfWork, tenants: tuple[int, int]) -> None:
    acme, _ = tenants
    with uow:
        for number in range(3):
            uow.inbox.add(webhook(acme, f"msg-{number}", f"T-{number}"), SEALED)
        for pending in uow.inbox.claim(3):
            uow.inbox.mark_failed(pending.inbox_id, f"failed {pending.ticket_id}", NOW)
        assert [failed.error for failed in uow.inbox.failed(acme, limit=2)] == ["failed T-2", "failed T-1"]
        assert uow.inbox.oldest_pending_at() is None and uow.inbox.counts_by_tenant()[acme].failed == 3


# -- tickets --------------------------------------------------------------------------------------------


def test_histories_keep_each_event_id_once_and_stay_with_their_tenant(
    uow: UnitOfWork, tenants: tuple[int, int]
) -> None:
    acme, globex = tenants
    with uow:
        uow.tickets.add_events(acme, [event("T-1", "e1", "first"), event("T-1", "e1", "second"), event("T-2", "e2")])
        uow.tickets.add_events(acme, [event("T-1", "e1", "third"), event("T-1", "e3")])
        uow.tickets.add_events(globex, [event("T-1", "e9")])
        histories = uow.tickets.histories(acme, ["T-1", "T-3"])
        assert sorted(body["id"] for body in histories["T-1"]) == ["e1", "e3"]
        assert [body["note"] for body in histories["T-1"] if body["id"] == "e1"] == ["first"]
        assert histories["T-3"] == []
        with pytest.raises(NotStorable, match="id: must be at most 200"):
            uow.tickets.add_events(acme, [event("T-4", "e4"), event("T-4", LONG_ID)])
        assert uow.tickets.histories(acme, ["T-4"]) == {"T-4": []}


def test_lock_creates_new_tickets_and_save_writes_only_existing_ones(
    uow: UnitOfWork, tenants: tuple[int, int]
) -> None:
    acme, globex = tenants
    with uow:
        assert uow.tickets.lock(acme, ["T-1", "T-1"], NOW) == {"T-1": TicketRecord("T-1", None, None, None, False)}
        saved = TicketRecord("T-1", "urgent", "urgent-email", 3, False, open=True)
        uow.tickets.save(acme, [saved, TicketRecord("T-9", "low", None, 3, False)], NOW)
        assert uow.tickets.lock(acme, ["T-1", "T-2"], NOW) == {"T-1": saved,
                                                               "T-2": TicketRecord("T-2", None, None, None, False)}
        assert uow.tickets.get(acme, "T-9") is None and uow.tickets.get(globex, "T-1") is None
        assert uow.tickets.open_ids(acme) == ["T-1"] and uow.tickets.open_ids(globex) == []
        with pytest.raises(NotStorable, match=r"data\.ticket\.id"):
            uow.tickets.lock(acme, ["T-3", LONG_ID], NOW)
        assert uow.tickets.get(acme, "T-3") is None


# -- targets --------------------------------------------------------------------------------------------


def test_replace_makes_the_tickets_targets_exactly_those_given(uow: UnitOfWork, tenants: tuple[int, int]) -> None:
    acme, globex = tenants
    resolution = state("resolution", due=240)
    with uow:
        uow.targets.replace(acme, ["T-1", "T-2"], [TicketTarget("T-1", resolution), TicketTarget("T-1", state()),
                                                   TicketTarget("T-2", state())])
        uow.targets.replace(globex, ["T-1"], [TicketTarget("T-1", state("resolution"))])
        uow.targets.replace(acme, ["T-2"], [])
        uow.targets.replace(acme, [], [TicketTarget("T-3", state())])  # no tickets named: nothing changes
        assert uow.targets.of_ticket(acme, "T-1") == [state(), resolution]
        assert uow.targets.of_ticket(acme, "T-2") == [] and uow.targets.of_ticket(acme, "T-3") == []


def test_decided_targets_are_filtered_by_when_policy_and_metric(uow: UnitOfWork, tenants: tuple[int, int]) -> None:
    acme, globex = tenants
    met = state("first_response", status="met", stopped=10)
    breached = state("resolution", status="breached", breached=30)
    other = state("first_response", cycle=0, status="met", stopped=20, policy="normal")
    with uow:
        uow.targets.replace(acme, ["T-1", "T-2"], [TicketTarget("T-1", met), TicketTarget("T-1", breached),
                                                   TicketTarget("T-1", state("next_response", 1)),
                                                   TicketTarget("T-2", other)])
        uow.targets.replace(globex, ["T-1"], [TicketTarget("T-1", met)])

        def decided(since: int | None = None, until: int | None = None, policy: str | None = None,
                    metric: str | None = None) -> list[TargetState]:
            found = uow.targets.decided(acme, minutes(since), minutes(until), policy, metric)
            return sorted(found, key=lambda target: target.decided_at or NOW)

        assert decided() == [met, other, breached]
        assert decided(since=10, until=30) == [met, other]
        assert decided(since=11) == [other, breached]
        assert decided(policy="urgent", metric="first_response") == [met]
        assert decided(policy="u" * 201) == [] and decided(policy="urgent\x00") == []
        assert uow.targets.has_policy(acme, "normal") and not uow.targets.has_policy(acme, "nope")
        assert not uow.targets.has_policy(acme, "urgent\x00") and uow.targets.has_policy(globex, "urgent")


def test_at_risk_are_active_targets_past_their_warning_the_soonest_due_first(
    uow: UnitOfWork, tenants: tuple[int, int]
) -> None:
    acme, _ = tenants
    soon, later = state(due=20, warn=10), state("resolution", due=60, warn=5)
    with uow:
        uow.targets.replace(acme, ["T-1", "T-2", "T-3"], [
            TicketTarget("T-2", later), TicketTarget("T-1", soon),
            TicketTarget("T-3", state(warn=None)), TicketTarget("T-3", state("resolution", warn=11)),
            TicketTarget("T-2", state("next_response", 1, status="paused", warn=0)),
        ])
        assert uow.targets.at_risk(acme, minutes(10) or NOW) == [TicketTarget("T-1", soon), TicketTarget("T-2", later)]


# -- outbox and token ids -------------------------------------------------------------------------------


def test_a_command_is_queued_once_per_tenant_and_idempotency_key(uow: UnitOfWork, tenants: tuple[int, int]) -> None:
    acme, globex = tenants
    first = commands.set_priority("T-1", "urgent", "outages")
    with uow:
        uow.outbox.add(acme, [first, commands.set_priority("T-1", "high", "other")], NOW)
        uow.outbox.add(acme, [commands.post_note("T-1", "hello", "breach"), first], NOW)
        uow.outbox.add(globex, [first], NOW)
        assert uow.outbox.of_tenant(acme) == [first, commands.post_note("T-1", "hello", "breach")]
        assert uow.outbox.counts_by_status() == {"pending": 3}


def test_a_token_id_is_used_once_until_it_expires(uow: UnitOfWork) -> None:
    expiry = NOW + timedelta(minutes=5)
    with uow:
        assert uow.token_ids.use_once("jti-1", expiry, NOW)
        assert not uow.token_ids.use_once("jti-1", expiry, NOW)
        assert uow.token_ids.use_once("jti-1", expiry + timedelta(minutes=5), expiry + timedelta(seconds=1))
        with pytest.raises(NotStorable, match="token jti"):
            uow.token_ids.use_once(LONG_ID, expiry, NOW)

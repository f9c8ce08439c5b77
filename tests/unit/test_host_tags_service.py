"""SLA tags and breach notes on the host, as stories: the commands queued as events arrive and as
the sweep finds warning windows opening and targets falling due (in-memory unit of work)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from plugin.host.commands import CommandKind, HostCommand
from plugin.services.processing import process_inbox_batch
from plugin.services.sweep import sweep_tag_changes
from plugin.settings.loading import load_settings
from plugin.store.records import TenantRecord
from tests.unit.fakes import FakeUnitOfWork, created, deliver, example_settings, install_tenant, message

CREATED = "2026-03-02T09:00:00Z"  # a 30-minute first response, at risk from 09:20, due 09:30


def at(clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-03-02T{clock}:00+00:00")


def settings_with_warning() -> dict[str, Any]:
    document = example_settings()
    document["sla_policies"][0]["warn_before_minutes"] = 10
    return document


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def tenant(uow: FakeUnitOfWork) -> TenantRecord:
    tenant = install_tenant(uow)
    document = settings_with_warning()
    with uow:
        uow.settings_versions.add(tenant.id, document, load_settings(document), "ada", at("08:00"), "open_tickets")
        uow.commit()
    return tenant


def receive(uow: FakeUnitOfWork, tenant: TenantRecord, clock: str, *bodies: dict[str, Any]) -> None:
    deliver(uow, tenant, *bodies, received_at=at(clock))
    while process_inbox_batch(uow, lambda: at(clock)).claimed:
        pass


def sweep(uow: FakeUnitOfWork, clock: str) -> int:
    return sweep_tag_changes(uow, lambda: at(clock))


def host_commands(uow: FakeUnitOfWork, tenant: TenantRecord) -> list[HostCommand]:
    with uow:
        return [command for command in uow.outbox.of_tenant(tenant.id) if command.kind is not CommandKind.SET_PRIORITY]


def tag_story(uow: FakeUnitOfWork, tenant: TenantRecord) -> list[tuple[str, Any]]:
    """What the host is asked, in order: ("add", tags), ("remove", tag), ("note", first words)."""
    story: list[tuple[str, Any]] = []
    for command in host_commands(uow, tenant):
        if command.kind is CommandKind.ADD_TAGS:
            story.append(("add", command.payload["tags"]))
        elif command.kind is CommandKind.REMOVE_TAG:
            story.append(("remove", command.payload["tag"]))
        else:
            story.append(("note", command.payload["body"][:40]))
    return story


def test_an_unanswered_ticket_is_at_risk_in_its_warning_window_then_breached_at_its_due_instant(uow, tenant) -> None:
    receive(uow, tenant, "09:00", created("T-1", CREATED))
    assert sweep(uow, "09:19") == 0 and tag_story(uow, tenant) == []

    assert sweep(uow, "09:20") == 1
    assert tag_story(uow, tenant) == [("add", ["sla-at-risk"])]

    assert sweep(uow, "09:30") == 1
    assert tag_story(uow, tenant) == [
        ("add", ["sla-at-risk"]),
        ("add", ["sla-breached", "sla-breached-first-response"]),
        ("note", "SLA breached: the first response target "),
        ("remove", "sla-at-risk"),
    ]
    assert sweep(uow, "23:59") == 0  # nothing runs any more: the ticket leaves the sweep's index


def test_the_breach_note_names_the_target_the_policy_the_due_instant_and_how_late_it_is(uow, tenant) -> None:
    receive(uow, tenant, "09:00", created("T-1", CREATED))
    sweep(uow, "09:30")

    [note] = [command for command in host_commands(uow, tenant) if command.kind is CommandKind.POST_NOTE]
    assert note.payload["body"] == (
        "SLA breached: the first response target of policy 'Orange urgent email' was due 2026-03-02 09:30 UTC "
        "(30 minutes of business time) and was not met; 0 s overdue when this note was written.")
    assert note.idempotency_key == "post-note:T-1:breach:first_response:0"


def test_a_worker_that_was_down_breaches_at_the_true_due_instant_when_it_comes_back(uow, tenant) -> None:
    receive(uow, tenant, "09:00", created("T-1", CREATED))

    assert sweep(uow, "11:00") == 1  # down from 09:05 to 11:00: warning and breach come together

    assert tag_story(uow, tenant) == [("add", ["sla-breached", "sla-breached-first-response"]),
                                      ("note", "SLA breached: the first response target ")]
    with uow:
        [target] = uow.targets.of_ticket(tenant.id, "T-1")
    assert (target.status, target.breached_at) == ("breached", at("09:30"))
    [note] = [command for command in host_commands(uow, tenant) if command.kind is CommandKind.POST_NOTE]
    assert note.payload["body"].endswith("; 90 min overdue when this note was written.")


def test_an_answer_inside_the_warning_window_removes_the_at_risk_tag(uow, tenant) -> None:
    receive(uow, tenant, "09:00", created("T-1", CREATED))
    sweep(uow, "09:20")
    receive(uow, tenant, "09:25", message("T-1", "2026-03-02T09:25:00Z"))

    assert tag_story(uow, tenant) == [("add", ["sla-at-risk"]), ("remove", "sla-at-risk")]
    assert sweep(uow, "09:30") == 0


def test_an_answer_before_the_window_never_tags_and_a_later_answer_never_removes_a_breach(uow, tenant) -> None:
    receive(uow, tenant, "09:00", created("T-1", CREATED), created("T-2", CREATED))
    receive(uow, tenant, "09:10", message("T-1", "2026-03-02T09:10:00Z"))
    sweep(uow, "09:30")
    receive(uow, tenant, "09:40", message("T-2", "2026-03-02T09:40:00Z"))

    commands = host_commands(uow, tenant)
    assert {command.ticket_id for command in commands} == {"T-2"}
    assert [command.kind for command in commands] == [CommandKind.ADD_TAGS, CommandKind.POST_NOTE]


def test_a_late_event_that_shows_the_target_was_met_withdraws_the_breach_with_a_note(uow, tenant) -> None:
    receive(uow, tenant, "09:00", created("T-1", CREATED))
    sweep(uow, "09:30")
    receive(uow, tenant, "09:31", message("T-1", "2026-03-02T09:29:00Z"))  # answered at 09:29, sent late

    assert tag_story(uow, tenant)[-3:] == [("note", "SLA breach withdrawn: events that arrive"),
                                           ("remove", "sla-breached"), ("remove", "sla-breached-first-response")]


def test_recomputing_again_queues_nothing_twice(uow, tenant) -> None:
    receive(uow, tenant, "09:00", created("T-1", CREATED))
    sweep(uow, "09:20")
    sweep(uow, "09:30")
    before = host_commands(uow, tenant)

    receive(uow, tenant, "09:45", created("T-1", CREATED, event_id="evt-again"))  # a redelivery under a new id
    sweep(uow, "10:00")

    assert host_commands(uow, tenant) == before


def test_the_sweep_reads_only_the_tickets_due_whatever_the_number_running(uow, tenant) -> None:
    receive(uow, tenant, "09:00", *(created(f"T-{number}", CREATED) for number in range(50)))
    receive(uow, tenant, "09:05", created("T-early", "2026-03-02T08:46:00Z"))  # at risk from 09:06

    assert sweep(uow, "09:06") == 1  # one of 51 running


def test_a_deleted_ticket_gets_no_tags(uow, tenant) -> None:
    receive(uow, tenant, "09:00", created("T-1", CREATED))
    receive(uow, tenant, "09:05", {"id": "evt-del", "type": "ticket.deleted", "occurred_at": "2026-03-02T09:05:00Z",
                                   "account_id": "acme", "data": {"ticket": {"id": "T-1"}}})
    sweep(uow, "10:00")

    assert tag_story(uow, tenant) == []


def test_the_sweep_leaves_a_ticket_with_events_still_in_the_inbox_to_the_processor(uow, tenant) -> None:
    receive(uow, tenant, "09:00", created("T-1", CREATED))
    deliver(uow, tenant, message("T-1", "2026-03-02T09:29:00Z"), received_at=at("09:29"))  # not yet applied

    assert sweep(uow, "09:30") == 0  # no breach to withdraw a moment later
    while process_inbox_batch(uow, lambda: at("09:30")).claimed:
        pass

    assert tag_story(uow, tenant) == []  # answered at 09:29: never breached, and never swept at risk
    with uow:
        [target] = uow.targets.of_ticket(tenant.id, "T-1")
    assert target.status == "met"

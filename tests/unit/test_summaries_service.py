"""Daily and hourly summaries queued for the host, as stories (in-memory unit of work)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from plugin.domain.policies import Reporting, Settings
from plugin.domain.reports import build_report
from plugin.host.commands import CommandKind, HostCommand
from plugin.report_formats import report_row_document
from plugin.services.processing import process_inbox_batch
from plugin.services.summaries import backlog_received_before, queue_due_summaries
from plugin.settings.loading import load_settings
from plugin.store.records import TenantRecord
from tests.unit.fakes import EXAMPLE, FakeUnitOfWork, deliver, example_settings, install_tenant

INSTALLED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # Istanbul is UTC+3: 15:00 local, Sunday 1 March


def istanbul(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=ZoneInfo("Europe/Istanbul")).astimezone(UTC)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def setup_tenant(uow: FakeUnitOfWork, reporting: dict[str, Any] | None = None) -> TenantRecord:
    tenant = install_tenant(uow, timezone="Europe/Istanbul", now=INSTALLED)
    document = example_settings() | {"timezone": "Europe/Istanbul"}
    settings = load_settings(document)
    if reporting is not None:
        settings = Settings(settings.timezone, settings.calendars, settings.rules, settings.policies,
                            Reporting(**reporting))
    with uow:
        uow.settings_versions.add(tenant.id, document, settings, "ada", INSTALLED, "open_tickets")
        uow.commit()
    return tenant


def reports(uow: FakeUnitOfWork, tenant: TenantRecord) -> list[HostCommand]:
    with uow:
        return [command for command in uow.outbox.of_tenant(tenant.id) if command.kind is CommandKind.POST_REPORT]


def run(uow: FakeUnitOfWork, at: datetime) -> int:
    return queue_due_summaries(uow, lambda: at)


def test_the_previous_day_is_summarized_at_eight_local_time_once(uow) -> None:
    tenant = setup_tenant(uow)

    assert run(uow, istanbul(2, 7, 59)) == 0
    assert run(uow, istanbul(2, 8, 0)) == 1
    assert run(uow, istanbul(2, 8, 1)) == 0
    assert run(uow, istanbul(2, 23, 0)) == 0

    [report] = reports(uow, tenant)
    assert report.payload["title"] == "SLA daily summary: Sunday 1 March 2026 (Europe/Istanbul)"
    assert (report.payload["period_start"], report.payload["period_end"]) == ("2026-02-28T21:00:00Z",
                                                                              "2026-03-01T21:00:00Z")
    assert report.idempotency_key == "post-report:daily:2026-02-28T21:00:00Z"


def test_no_summary_whose_time_came_before_the_installation(uow) -> None:
    tenant = setup_tenant(uow)  # installed Sunday 15:00: Saturday's summary was due Sunday 08:00

    run(uow, istanbul(3, 9))

    assert [command.payload["title"] for command in reports(uow, tenant)] == [
        "SLA daily summary: Sunday 1 March 2026 (Europe/Istanbul)",
        "SLA daily summary: Monday 2 March 2026 (Europe/Istanbul)"]


def test_a_worker_that_was_down_posts_each_missed_summary_once_when_it_is_back(uow) -> None:
    tenant = setup_tenant(uow)

    assert run(uow, istanbul(6, 10)) == 5  # Sunday to Thursday
    assert run(uow, istanbul(6, 10)) == 0
    assert len({command.idempotency_key for command in reports(uow, tenant)}) == 5


def test_two_workers_queue_one_summary_per_period(uow) -> None:
    tenant = setup_tenant(uow)

    run(uow, istanbul(2, 8))
    tenants = uow.store.committed.tenants  # a second worker read the tenant's mark before the first moved it
    tenants[tenant.id] = replace(tenants[tenant.id], daily_summary_through=None)
    run(uow, istanbul(2, 8))

    assert len(reports(uow, tenant)) == 1


def test_a_custom_time_and_hourly_summaries(uow) -> None:
    tenant = setup_tenant(uow, {"daily_summary_at": 17 * 3600 + 30 * 60, "hourly_summary": True})

    run(uow, istanbul(1, 18, 0))

    titles = [command.payload["title"] for command in reports(uow, tenant)]
    assert titles == ["SLA hourly summary: 1 March 2026, 15:00–16:00 (Europe/Istanbul)",
                      "SLA hourly summary: 1 March 2026, 16:00–17:00 (Europe/Istanbul)",
                      "SLA daily summary: Saturday 28 February 2026 (Europe/Istanbul)"]  # due Sunday 17:30
    run(uow, istanbul(2, 17, 30))
    assert "SLA daily summary: Sunday 1 March 2026 (Europe/Istanbul)" in [
        command.payload["title"] for command in reports(uow, tenant)]


def test_the_worked_example_day_reads_70_percent_against_80_and_10_missed_tickets(uow) -> None:
    tenant = setup_tenant(uow)
    events = [json.loads(line) for line in (EXAMPLE / "events.jsonl").read_text().splitlines()]
    deliver(uow, tenant, *events, received_at=istanbul(3, 1))
    while process_inbox_batch(uow, lambda: istanbul(3, 1), 500).claimed:
        pass

    run(uow, istanbul(3, 8))

    monday = next(command for command in reports(uow, tenant) if "Monday 2 March" in command.payload["title"])
    with uow:
        decided = uow.targets.decided(tenant.id, istanbul(2, 0), istanbul(3, 0), None, None)
    expected = [report_row_document(row) for row in build_report(decided, "daily", "Europe/Istanbul")]
    assert monday.payload["data"] == {"period": "daily", "rows": expected}
    assert [(row["total"], row["met"], row["achieved_percent"], row["missed_tickets"])
            for row in expected] == [(100, 70, 70.0, 10)]
    assert "| Orange urgent email | first response | 70.0 % (70 of 100) | 80 % | 10 | 30 |" in \
        monday.payload["body_markdown"]


def test_an_empty_period_says_so(uow) -> None:
    tenant = setup_tenant(uow)
    run(uow, istanbul(2, 8))
    [report] = reports(uow, tenant)
    assert report.payload["body_markdown"].endswith("No SLA target was met or breached in this period.")
    assert report.payload["data"] == {"period": "daily", "rows": []}


def test_a_day_that_is_23_hours_long_is_one_period(uow) -> None:
    tenant = install_tenant(uow, timezone="Europe/Berlin", now=datetime(2026, 3, 28, 12, tzinfo=UTC))
    document = example_settings() | {"timezone": "Europe/Berlin"}
    with uow:
        uow.settings_versions.add(tenant.id, document, load_settings(document), "ada", INSTALLED, "open_tickets")
        uow.commit()

    run(uow, datetime(2026, 3, 30, 7, tzinfo=UTC))  # 09:00 in Berlin, summer time

    sunday = next(command for command in reports(uow, tenant) if "Sunday 29 March" in command.payload["title"])
    start = datetime.fromisoformat(sunday.payload["period_start"])
    end = datetime.fromisoformat(sunday.payload["period_end"])
    assert end - start == timedelta(hours=23)


def ticket_created(ticket_id: str, at: datetime) -> dict[str, Any]:
    instant = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"id": f"evt-{ticket_id}", "type": "ticket.created", "occurred_at": instant, "account_id": "acme",
            "data": {"ticket": {"id": ticket_id, "product": "Orange", "channel": "email", "status": "new",
                                "priority": "urgent", "created_at": instant, "updated_at": instant}}}


def test_a_backlog_in_the_inbox_holds_the_summary_back_until_it_is_applied(uow) -> None:
    tenant = setup_tenant(uow)
    deliver(uow, tenant, ticket_created("T1", istanbul(1, 16)), received_at=istanbul(1, 16))

    assert queue_due_summaries(uow, lambda: istanbul(2, 8), lambda: istanbul(2, 8)) == 0
    process_inbox_batch(uow, lambda: istanbul(2, 8), 100)
    assert queue_due_summaries(uow, lambda: istanbul(2, 8), lambda: istanbul(2, 8)) == 1
    assert reports(uow, tenant)[0].payload["data"]["rows"][0]["total"] >= 1


def test_events_that_just_arrived_do_not_hold_a_summary_back(uow) -> None:
    """A tenant whose webhooks never stop still gets its summaries: only events waiting longer than a few
    seconds (a backlog) hold them back."""
    tenant = setup_tenant(uow)
    deliver(uow, tenant, ticket_created("T2", istanbul(2, 7, 59)), received_at=istanbul(2, 8) - timedelta(seconds=1))

    assert queue_due_summaries(uow, lambda: istanbul(2, 8), lambda: istanbul(2, 8)) == 1


def test_a_backlog_received_before_an_instant_is_told_until_it_is_applied(uow) -> None:
    """What a worker asks before its first summaries: is the inbox it found at its start applied yet?"""
    tenant = setup_tenant(uow)
    assert not backlog_received_before(uow, istanbul(2, 8))
    deliver(uow, tenant, ticket_created("T3", istanbul(2, 7)), received_at=istanbul(2, 7))
    assert backlog_received_before(uow, istanbul(2, 8))
    assert not backlog_received_before(uow, istanbul(2, 7))  # an event that came after the instant is no backlog
    process_inbox_batch(uow, lambda: istanbul(2, 8), 100)
    assert not backlog_received_before(uow, istanbul(2, 8))

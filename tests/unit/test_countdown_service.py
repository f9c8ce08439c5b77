"""The rep's sidebar reads each target with the clock it runs on: its calendar (or 24/7), the business
time left, and the calendar's open intervals until the due instant. And the status names the newest
summaries the host accepted."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plugin.host.commands import post_report
from plugin.services.countdown import ticket_countdown
from plugin.services.processing import process_inbox_batch
from plugin.services.queries import installation_status
from plugin.services.settings_changes import ItemNotFound, SettingsChange, replace_settings
from plugin.store.records import TenantRecord
from tests.unit.fakes import FakeUnitOfWork, created, deliver, example_settings, install_tenant, updated

FRIDAY = datetime(2026, 3, 6, 13, 30, tzinfo=UTC)  # 16:30 in Istanbul
OFFICE = {"id": "office", "name": "Istanbul office", "timezone": "Europe/Istanbul",
          "hours": {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
          "holidays": []}


def settings(calendar: bool) -> dict[str, Any]:
    document = copy.deepcopy(example_settings())
    policy = document["sla_policies"][0]
    policy["targets"] = [{"metric": "first_response", "minutes": 60, "success_rate_percent": 80},
                         {"metric": "resolution", "minutes": 600, "success_rate_percent": 90}]
    policy["pause_statuses"] = ["pending"]
    policy["warn_before_minutes"] = 45
    if calendar:
        document["calendars"] = [OFFICE]
        policy["calendar"] = "office"
    return document


def tenant_with(uow: FakeUnitOfWork, calendar: bool) -> TenantRecord:
    tenant = install_tenant(uow)
    replace_settings(uow, tenant, settings(calendar), SettingsChange("ada", FRIDAY - timedelta(days=1)))
    return tenant


def apply(uow: FakeUnitOfWork, tenant: TenantRecord, *bodies: dict[str, Any], now: datetime) -> None:
    deliver(uow, tenant, *bodies, received_at=now)
    while process_inbox_batch(uow, lambda: now).claimed:
        pass


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_an_active_target_under_office_hours_counts_down_only_while_the_office_is_open(
        uow: FakeUnitOfWork) -> None:
    tenant = tenant_with(uow, calendar=True)
    apply(uow, tenant, created("T1", "2026-03-06T13:30:00Z"), now=FRIDAY)
    now = FRIDAY + timedelta(minutes=10)  # 16:40 in Istanbul: 20 minutes before the office closes
    countdown = ticket_countdown(uow, tenant, "T1", now)
    assert countdown.as_of == now and countdown.policy_name == "Orange urgent email"
    assert countdown.timezone == "UTC"
    first = next(target for target in countdown.targets if target.state.metric == "first_response")
    assert first.state.due_at == at("2026-03-09T09:30:00+03:00")  # 30 minutes on Friday, 30 on Monday
    clock = first.clock
    assert clock is not None
    assert (clock.calendar_id, clock.calendar_name, clock.timezone) == ("office", "Istanbul office",
                                                                        "Europe/Istanbul")
    assert clock.remaining_seconds == 50 * 60
    assert clock.open_intervals == ((now, at("2026-03-06T17:00:00+03:00")),
                                    (at("2026-03-09T09:00:00+03:00"), at("2026-03-09T09:30:00+03:00")))
    assert clock.intervals_complete
    assert not first.at_risk  # 45 minutes' warning: at risk from 16:45 on Friday
    assert ticket_countdown(uow, tenant, "T1", FRIDAY + timedelta(minutes=15)).targets[0].at_risk
    resolution = next(target for target in countdown.targets if target.state.metric == "resolution")
    assert resolution.clock is not None and len(resolution.clock.open_intervals) == 4 and not resolution.at_risk


def test_a_24_7_target_has_one_interval_and_no_calendar(uow: FakeUnitOfWork) -> None:
    tenant = tenant_with(uow, calendar=False)
    apply(uow, tenant, created("T1", "2026-03-06T13:30:00Z"), now=FRIDAY)
    countdown = ticket_countdown(uow, tenant, "T1", FRIDAY + timedelta(minutes=5))
    first = countdown.targets[0]
    assert first.state.metric == "first_response" and first.clock is not None
    assert (first.clock.calendar_id, first.clock.calendar_name, first.clock.timezone) == (None, None, None)
    assert first.clock.remaining_seconds == 55 * 60
    assert first.clock.open_intervals == ((FRIDAY + timedelta(minutes=5), FRIDAY + timedelta(minutes=60)),)
    assert not first.at_risk


def test_the_interval_count_is_capped(uow: FakeUnitOfWork) -> None:
    tenant = tenant_with(uow, calendar=True)
    apply(uow, tenant, created("T1", "2026-03-06T13:30:00Z"), now=FRIDAY)
    resolution = ticket_countdown(uow, tenant, "T1", FRIDAY, limit=2).targets[1]
    assert resolution.clock is not None and len(resolution.clock.open_intervals) == 2
    assert not resolution.clock.intervals_complete


def test_a_paused_target_has_its_business_time_left_and_no_intervals(uow: FakeUnitOfWork) -> None:
    tenant = tenant_with(uow, calendar=False)
    apply(uow, tenant, created("T1", "2026-03-06T13:30:00Z"), now=FRIDAY)
    later = FRIDAY + timedelta(minutes=70)
    apply(uow, tenant, updated("T1", "2026-03-06T14:40:00Z", "2026-03-06T13:30:00Z", {"status": ["new", "pending"]}),
          now=later)
    countdown = ticket_countdown(uow, tenant, "T1", later + timedelta(hours=2))
    first, resolution = countdown.targets
    assert first.state.status == "breached" and first.clock is None
    assert resolution.state.status == "paused" and resolution.clock is not None
    assert resolution.clock.remaining_seconds == 600 * 60 - 70 * 60 and resolution.clock.open_intervals == ()


def test_a_ticket_the_plugin_does_not_know_is_not_found(uow: FakeUnitOfWork) -> None:
    tenant = tenant_with(uow, calendar=False)
    with pytest.raises(ItemNotFound):
        ticket_countdown(uow, tenant, "nope", FRIDAY)


def test_the_clock_is_the_settings_version_the_ticket_is_on(uow: FakeUnitOfWork) -> None:
    tenant = tenant_with(uow, calendar=True)
    apply(uow, tenant, created("T1", "2026-03-06T13:30:00Z"), now=FRIDAY)
    replace_settings(uow, tenant, settings(calendar=False), SettingsChange("ada", FRIDAY, "new_tickets"))
    first = ticket_countdown(uow, tenant, "T1", FRIDAY).targets[0]
    assert first.clock is not None and first.clock.calendar_id == "office"


def test_the_status_names_the_newest_summaries_the_host_accepted(uow: FakeUnitOfWork) -> None:
    tenant = tenant_with(uow, calendar=False)
    assert installation_status(uow, tenant, FRIDAY).summaries == {"daily": None, "hourly": None}
    reports = [post_report(f"day {day}", "daily", at(f"2026-03-0{day}T00:00:00Z"), at(f"2026-03-0{day + 1}T00:00:00Z"),
                           "", {}) for day in (3, 4)]
    hourly = post_report("09:00", "hourly", at("2026-03-05T09:00:00Z"), at("2026-03-05T10:00:00Z"), "", {})
    with uow:
        uow.outbox.add(tenant.id, [*reports, hourly], FRIDAY)
        uow.commit()
    with uow:
        ids = {row.command.idempotency_key: row.id for row in uow.store.tables.outbox.values()}
        uow.outbox.finish(ids[reports[0].idempotency_key], "done", FRIDAY + timedelta(minutes=1))
        uow.outbox.finish(ids[reports[1].idempotency_key], "done", FRIDAY + timedelta(minutes=2))
        uow.outbox.finish(ids[hourly.idempotency_key], "dead", FRIDAY + timedelta(minutes=3), "400 refused")
        uow.commit()
    status = installation_status(uow, tenant, FRIDAY)
    daily = status.summaries["daily"]
    assert daily is not None and daily.title == "day 4" and daily.delivered_at == FRIDAY + timedelta(minutes=2)
    assert daily.period_start == at("2026-03-04T00:00:00Z") and daily.period_end == at("2026-03-05T00:00:00Z")
    assert status.summaries["hourly"] is None  # a dead letter was never posted

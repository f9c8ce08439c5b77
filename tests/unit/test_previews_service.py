"""Dry runs on a tenant's settings: which rule would prioritize a new ticket (``try_rules``), and when
a policy's targets would be due (``preview_policy``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from plugin.domain.calendar import NoBusinessTime
from plugin.domain.events import TicketSnapshot
from plugin.services.previews import (
    DueInstantOutOfRange,
    DuePreview,
    PolicyNotFound,
    PolicyPreview,
    RuleTest,
    preview_policy,
    try_rules,
)
from plugin.services.settings_changes import SettingsChange, replace_settings
from plugin.settings.loading import SettingsError
from plugin.store.records import TenantRecord
from tests.unit.fakes import FakeUnitOfWork, example_settings, install_tenant

MONDAY = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # 19:00 in Istanbul
POLICY = "orange-email-urgent"
OFFICE = {"id": "office", "timezone": "Europe/Istanbul",
          "hours": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}}


@pytest.fixture
def tenant(uow: FakeUnitOfWork) -> TenantRecord:
    tenant = install_tenant(uow)
    document = example_settings()
    document["calendars"] = [OFFICE]
    document["prioritization_rules"].append({"id": "questions", "product": "*", "channel": "*", "position": 2,
                                             "priority": "normal",
                                             "conditions": [{"field": "subject", "op": "contains", "value": "?"}]})
    replace_settings(uow, tenant, document, SettingsChange("ada", MONDAY))
    return tenant


def draft(**changes: Any) -> dict[str, Any]:
    return {**example_settings()["sla_policies"][0], **changes}


@pytest.mark.parametrize(("snapshot", "answer"), [
    (TicketSnapshot("T-1", "Orange", "email", subject="Outage in Ankara"), RuleTest(POLICY, "urgent", POLICY)),
    (TicketSnapshot("T-1", "Orange", "email", body="I CANNOT LOG IN"), RuleTest(POLICY, "urgent", POLICY)),
    (TicketSnapshot("T-1", "Orange", "chat", subject="Outage in Ankara"), RuleTest(None, "low", None)),
    (TicketSnapshot("T-1", "Lemon", "email", subject="Outage? Again?"), RuleTest("questions", "normal", None)),
    (TicketSnapshot("T-1", "Orange", "email", subject="Outage?"), RuleTest(POLICY, "urgent", POLICY)),
    (TicketSnapshot("T-1"), RuleTest(None, "low", None)),
])
def test_the_first_matching_rule_decides_and_names_the_policy_that_follows(
    uow: FakeUnitOfWork, tenant: TenantRecord, snapshot: TicketSnapshot, answer: RuleTest
) -> None:
    assert try_rules(uow, tenant, snapshot) == answer


def test_without_settings_every_ticket_is_low_with_no_policy(uow: FakeUnitOfWork) -> None:
    tenant = install_tenant(uow, "globex")
    assert try_rules(uow, tenant, TicketSnapshot("T-1", "Orange", "email", subject="outage")) == RuleTest(
        None, "low", None)


def test_a_saved_policy_is_previewed_by_its_id(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    assert preview_policy(uow, tenant, POLICY, MONDAY) == PolicyPreview(
        POLICY, MONDAY, [DuePreview("first_response", 30, datetime(2026, 3, 2, 16, 30, tzinfo=UTC))])


def test_a_draft_is_previewed_as_if_it_were_saved_in_place_of_its_namesake(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    office_hours = draft(calendar="office", targets=[
        {"metric": "first_response", "minutes": 30, "success_rate_percent": 80},
        {"metric": "resolution", "minutes": 9 * 60, "success_rate_percent": 90},
    ])

    preview = preview_policy(uow, tenant, office_hours, MONDAY)

    # Monday 19:00 in Istanbul is after hours: the clock starts on Tuesday at 09:00 (06:00 UTC)
    assert [(due.metric, due.due_at) for due in preview.targets] == [
        ("first_response", datetime(2026, 3, 3, 6, 30, tzinfo=UTC)),
        ("resolution", datetime(2026, 3, 3, 15, 0, tzinfo=UTC)),
    ]
    assert preview_policy(uow, tenant, POLICY, MONDAY).targets[0].minutes == 30  # nothing was saved


def test_a_new_draft_is_previewed_beside_the_saved_policies(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    preview = preview_policy(uow, tenant, draft(id="orange-email-high", priority="high"), MONDAY)
    assert preview.policy == "orange-email-high"


def test_an_unknown_policy_is_not_found(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    with pytest.raises(PolicyNotFound, match="no policy has id 'nope'"):
        preview_policy(uow, tenant, "nope", MONDAY)


def test_an_invalid_draft_is_told_in_the_drafts_own_terms(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    with pytest.raises(SettingsError) as calendar:
        preview_policy(uow, tenant, draft(calendar="home"), MONDAY)
    assert calendar.value.problems == ["calendar: no calendar has id 'home'"]
    with pytest.raises(SettingsError) as twin:
        preview_policy(uow, tenant, draft(id="twin"), MONDAY)
    assert twin.value.problems == ["policy 'twin': policy 'orange-email-urgent' already covers product 'Orange', "
                                   "channel 'email', priority 'urgent'"]


def test_a_due_instant_past_the_year_9999_is_out_of_range(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    with pytest.raises(DueInstantOutOfRange, match="after the year 9999"):
        preview_policy(uow, tenant, POLICY, datetime(9999, 12, 31, 23, 45, tzinfo=UTC))


def test_a_calendar_that_never_opens_has_no_due_instant(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    mondays = [(date(2026, 3, 2) + timedelta(weeks=week)).isoformat() for week in range(52 * 8)]
    closed = {**OFFICE, "id": "closed", "hours": {"mon": [["09:00", "18:00"]]}, "holidays": mondays}
    replace_settings(uow, tenant, {**example_settings(), "calendars": [OFFICE, closed]}, SettingsChange("ada", MONDAY))

    with pytest.raises(NoBusinessTime, match="closed for more than"):
        preview_policy(uow, tenant, draft(calendar="closed"), MONDAY)

"""What the admin API reads: the settings and their items, the audit trail, tickets' targets, reports
and the installation's status, each of the asking tenant only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plugin.domain.reports import ReportRow
from plugin.services.processing import process_inbox_batch
from plugin.services.queries import (
    InvalidQuery,
    at_risk_targets,
    get_item,
    installation_status,
    list_items,
    report_rows,
    settings_document,
    settings_history,
    settings_version,
    ticket_targets,
)
from plugin.services.settings_changes import ItemNotFound, SettingsChange, create_item, replace_settings
from plugin.services.settings_versions import empty_document
from plugin.store.records import InboxCounts, TenantRecord, TicketRecord, VersionEntry
from tests.unit.fakes import (
    EXAMPLE,
    FakeUnitOfWork,
    as_read,
    created,
    deliver,
    example_events,
    example_settings,
    install_tenant,
    message,
    without_tag_state,
)

SAVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
RULES = "prioritization_rules"
POLICY = "orange-email-urgent"


@pytest.fixture
def tenant(uow: FakeUnitOfWork) -> TenantRecord:
    tenant = install_tenant(uow)
    replace_settings(uow, tenant, example_settings(), SettingsChange("ada", SAVED))
    return tenant


@pytest.fixture
def globex(uow: FakeUnitOfWork) -> TenantRecord:
    return install_tenant(uow, "globex", timezone="Europe/Istanbul")


def apply(uow: FakeUnitOfWork, tenant: TenantRecord, *bodies: dict[str, Any], now: datetime = NOW) -> None:
    deliver(uow, tenant, *bodies, received_at=now)
    while process_inbox_batch(uow, lambda: now).claimed:
        pass


# -- settings -------------------------------------------------------------------------------------------


def test_a_new_tenant_reads_version_zero_and_the_empty_document(uow: FakeUnitOfWork, globex: TenantRecord) -> None:
    assert settings_document(uow, globex) == (0, empty_document("Europe/Istanbul"))
    assert settings_history(uow, globex) == []
    assert list_items(uow, globex, RULES) == (0, [])


def test_the_document_read_is_the_one_saved_as_the_plugin_read_it(uow: FakeUnitOfWork, tenant: TenantRecord,
                                                                   globex: TenantRecord) -> None:
    assert settings_document(uow, tenant) == (1, as_read(example_settings()))
    assert settings_document(uow, globex)[0] == 0


def test_the_audit_trail_comes_newest_first(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    later = SAVED + timedelta(hours=1)
    replace_settings(uow, tenant, example_settings(), SettingsChange("bob", later, "new_tickets"))

    assert settings_history(uow, tenant) == [VersionEntry(2, later, "bob", "new_tickets"),
                                             VersionEntry(1, SAVED, "ada", "open_tickets")]


def test_any_saved_version_can_be_read_back(uow: FakeUnitOfWork, tenant: TenantRecord, globex: TenantRecord) -> None:
    replace_settings(uow, tenant, example_settings() | {"timezone": "Asia/Tokyo"}, SettingsChange("bob", SAVED))

    assert settings_version(uow, tenant, 1) == as_read(example_settings())
    assert settings_version(uow, tenant, 2)["timezone"] == "Asia/Tokyo"
    for version in (0, 3, 2**40):
        with pytest.raises(ItemNotFound, match=f"there is no settings version {version}"):
            settings_version(uow, tenant, version)
    with pytest.raises(ItemNotFound):
        settings_version(uow, globex, 1)  # acme's


def test_rules_are_listed_in_the_order_they_are_tried(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    rule = example_settings()[RULES][0]
    create_item(uow, tenant, RULES, {**rule, "id": "third", "position": 3}, SettingsChange("ada", SAVED))
    create_item(uow, tenant, RULES, {**rule, "id": "second", "position": 2}, SettingsChange("ada", SAVED))

    version, rules = list_items(uow, tenant, RULES)

    assert (version, [item["id"] for item in rules]) == (3, [POLICY, "second", "third"])


def test_an_item_is_read_by_its_id(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    assert get_item(uow, tenant, "sla_policies", POLICY) == (1, as_read(example_settings())["sla_policies"][0])
    with pytest.raises(ItemNotFound, match="no calendar has id 'office'"):
        get_item(uow, tenant, "calendars", "office")


# -- tickets and reports --------------------------------------------------------------------------------


def test_a_tickets_targets_are_read_with_its_row(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    apply(uow, tenant, created("T-1", "2026-03-02T09:00:00Z"), message("T-1", "2026-03-02T09:20:00Z"))

    found = ticket_targets(uow, tenant, "T-1")

    assert without_tag_state(found.ticket) == TicketRecord("T-1", "urgent", POLICY, 1, False, open=True)
    assert [(target.metric, target.status) for target in found.targets] == [("first_response", "met")]


def test_an_unknown_ticket_or_another_tenants_is_not_found(uow: FakeUnitOfWork, tenant: TenantRecord,
                                                           globex: TenantRecord) -> None:
    apply(uow, tenant, created("T-1", "2026-03-02T09:00:00Z"))

    for who, ticket_id in ((tenant, "T-2"), (globex, "T-1"), (tenant, "T\x00"), (tenant, "T" * 300)):
        with pytest.raises(ItemNotFound, match="is known for this account"):
            ticket_targets(uow, who, ticket_id)


def rows_as_in_expected_json(rows: list[ReportRow]) -> list[dict[str, Any]]:
    keys = ("policy", "metric", "total", "met", "breached", "achieved_percent", "target_percent", "missed_tickets")
    return [{"period_start": f"{row.period_start:%Y-%m-%dT%H:%M:%SZ}"} | {key: getattr(row, key) for key in keys}
            for row in rows]


def test_the_reports_of_the_worked_example(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    apply(uow, tenant, *example_events())
    expected = json.loads((EXAMPLE / "expected.json").read_text())

    for period in ("daily", "hourly"):
        rows = report_rows(uow, tenant, period, None, None, None, None)
        assert rows_as_in_expected_json(rows) == expected[period]


def test_reports_count_targets_decided_in_the_period_of_that_policy_and_metric(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    apply(uow, tenant, *example_events())
    ten, eleven = datetime(2026, 3, 2, 10, tzinfo=UTC), datetime(2026, 3, 2, 11, tzinfo=UTC)

    [row] = report_rows(uow, tenant, "hourly", ten, eleven, POLICY, "first_response")

    assert (row.period_start, row.total, row.met, row.breached, row.missed_tickets) == (ten, 39, 27, 12, 5)
    assert report_rows(uow, tenant, "daily", None, None, None, "resolution") == []
    with pytest.raises(InvalidQuery, match=r"^policy: no policy has id 'another-policy'$"):
        report_rows(uow, tenant, "daily", None, None, "another-policy", None)
    with pytest.raises(InvalidQuery, match=r"^to: must be after from$"):
        report_rows(uow, tenant, "daily", eleven, eleven, None, None)


def test_a_policy_gone_from_the_settings_is_still_reported_by_its_targets(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    apply(uow, tenant, created("T-1", "2026-03-02T09:00:00Z"), message("T-1", "2026-03-02T09:10:00Z"))
    renamed = example_settings()
    renamed["sla_policies"][0]["id"] = "renamed"
    replace_settings(uow, tenant, renamed, SettingsChange("ada", NOW, apply_to="new_tickets"))

    [row] = report_rows(uow, tenant, "daily", None, None, POLICY, None)

    assert (row.policy, row.total, row.met) == (POLICY, 1, 1)


def test_report_periods_are_those_of_the_settings_time_zone(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    apply(uow, tenant, created("T-1", "2026-03-02T20:50:00Z"), message("T-1", "2026-03-02T21:10:00Z"))
    replace_settings(uow, tenant, example_settings() | {"timezone": "Europe/Istanbul"}, SettingsChange("ada", NOW))

    [row] = report_rows(uow, tenant, "daily", None, None, None, None)

    assert row.period_start == datetime(2026, 3, 2, 21, tzinfo=UTC)  # midnight of 3 March in Istanbul (UTC+3)


def test_reports_read_only_the_asking_tenants_targets(uow: FakeUnitOfWork, tenant: TenantRecord,
                                                       globex: TenantRecord) -> None:
    apply(uow, tenant, *example_events())
    assert report_rows(uow, globex, "daily", None, None, None, None) == []


def test_at_risk_lists_running_targets_inside_their_warning_window(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    document = example_settings()
    document["sla_policies"][0]["warn_before_minutes"] = 10
    replace_settings(uow, tenant, document, SettingsChange("ada", SAVED))
    at = datetime(2026, 3, 2, 9, 25, tzinfo=UTC)
    apply(uow, tenant, created("T-1", "2026-03-02T09:00:00Z"), created("T-2", "2026-03-02T09:10:00Z"),
          created("T-3", "2026-03-02T09:05:00Z"), now=at)

    risky = at_risk_targets(uow, tenant, at)

    assert [(target.ticket_id, f"{target.state.due_at:%H:%M}") for target in risky] == [("T-1", "09:30"),
                                                                                          ("T-3", "09:35")]


# -- the installation -----------------------------------------------------------------------------------


def test_the_installation_status_counts_pending_and_failed_events(uow: FakeUnitOfWork, tenant: TenantRecord,
                                                                   globex: TenantRecord) -> None:
    deliver(uow, tenant, created("T-1", "2026-03-02T09:00:00Z"), received_at=SAVED)
    deliver(uow, tenant, created("T-2", "2026-03-02T09:00:00Z"), created("T-3", "2026-03-02T09:00:00Z"),
            received_at=NOW)
    deliver(uow, globex, created("T-9", "2026-03-02T09:00:00Z"), received_at=SAVED)
    with uow:
        first = uow.inbox.claim(1)[0]
        uow.inbox.mark_failed(first.inbox_id, "KeyError: 'a bug'", NOW)
        uow.commit()

    status = installation_status(uow, tenant, NOW)

    assert (status.inbox, status.settings_version, status.as_of) == (InboxCounts(2, 1, NOW), 1, NOW)
    assert [(event.ticket_id, event.error) for event in status.failed_events] == [("T-1", "KeyError: 'a bug'")]
    assert installation_status(uow, globex, NOW).inbox == InboxCounts(1, 0, SAVED)

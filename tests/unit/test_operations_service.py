"""What the plugin's operators watch over all tenants: the inbox's backlog and the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plugin.services.operations import inbox_lag_seconds, lag_seconds, operational_figures
from plugin.services.processing import process_inbox_batch
from plugin.services.settings_changes import SettingsChange, replace_settings
from plugin.store.records import InboxCounts
from tests.unit.fakes import FakeUnitOfWork, created, deliver, example_settings, install_tenant

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_an_empty_plugin_has_no_backlog() -> None:
    uow = FakeUnitOfWork()
    figures = operational_figures(uow)
    assert (figures.inbox_by_tenant, figures.outbox_by_status, figures.oldest_pending_at) == ({}, {}, None)
    assert figures.inbox_lag_seconds(NOW) == 0.0 and inbox_lag_seconds(uow, NOW) == 0.0


def test_the_backlog_is_counted_by_tenant_and_the_lag_from_the_oldest_pending_event() -> None:
    uow = FakeUnitOfWork()
    acme, globex, quiet = install_tenant(uow, "acme"), install_tenant(uow, "globex"), install_tenant(uow, "quiet")
    replace_settings(uow, acme, example_settings(), SettingsChange("ada", NOW))
    deliver(uow, acme, created("T-1", "2026-03-02T09:00:00Z"), received_at=NOW)
    process_inbox_batch(uow, lambda: NOW)  # one set-priority command for the outbox
    deliver(uow, globex, created("T-1", "2026-03-02T09:00:00Z"), received_at=NOW + timedelta(seconds=5))
    deliver(uow, acme, created("T-2", "2026-03-02T09:00:00Z"), received_at=NOW + timedelta(seconds=9))
    later = NOW + timedelta(seconds=20)

    figures = operational_figures(uow)

    assert figures.inbox_by_tenant == {acme.id: InboxCounts(1, 0, NOW + timedelta(seconds=9)),
                                       globex.id: InboxCounts(1, 0, NOW + timedelta(seconds=5))}
    assert quiet.id not in figures.inbox_by_tenant
    assert figures.outbox_by_status == {"pending": 1}
    assert figures.inbox_lag_seconds(later) == inbox_lag_seconds(uow, later) == 15.0


def test_lag_is_never_negative() -> None:
    assert lag_seconds(NOW, NOW - timedelta(seconds=3)) == 0.0

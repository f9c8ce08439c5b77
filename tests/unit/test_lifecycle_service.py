"""Install and uninstall: the marketplace's calls that create, refresh and remove a tenant."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from plugin.security.secrets import SecretBox
from plugin.services import lifecycle
from plugin.services.lifecycle import Installation
from plugin.services.processing import process_inbox_batch
from plugin.services.settings_changes import SettingsChange, replace_settings
from plugin.store.limits import NotStorable
from plugin.store.records import TenantRecord
from tests.support import new_encryption_key
from tests.unit.fakes import FakeUnitOfWork, created, deliver, example_settings, message

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BOX = SecretBox(new_encryption_key())


def installation(account_id: str = "acme", webhook_secret: str = "whsec_first", timezone: str = "UTC") -> Installation:
    return Installation(account_id, "https://host.test/api", f"token-{account_id}", webhook_secret, timezone,
                        "https://host.test")


def tenant_of(uow: FakeUnitOfWork, account_id: str) -> TenantRecord | None:
    with uow:
        return uow.tenants.by_account(account_id)


def webhook_secret_of(uow: FakeUnitOfWork, account_id: str) -> str:
    with uow:
        credentials = uow.tenants.credentials(account_id)
    assert credentials is not None
    return BOX.open(credentials.webhook_secret_encrypted)


def test_install_creates_the_tenant_with_its_secrets_sealed() -> None:
    uow = FakeUnitOfWork()

    assert lifecycle.install(uow, BOX, installation(timezone="Europe/Istanbul"), NOW) is True

    assert uow.committed == 1
    tenant = tenant_of(uow, "acme")
    assert tenant is not None and (tenant.timezone, tenant.host_origin, tenant.status) == (
        "Europe/Istanbul", "https://host.test", "active")
    with uow:
        credentials = uow.tenants.credentials("acme")
    assert credentials is not None and b"whsec_first" not in credentials.webhook_secret_encrypted
    assert webhook_secret_of(uow, "acme") == "whsec_first"


def test_a_reinstall_refreshes_the_credentials_and_keeps_settings_and_history() -> None:
    uow = FakeUnitOfWork()
    lifecycle.install(uow, BOX, installation(), NOW)
    first = tenant_of(uow, "acme")
    assert first is not None
    replace_settings(uow, first, example_settings(), SettingsChange("ada", NOW))
    deliver(uow, first, created("T-1", "2026-03-02T09:00:00Z"), received_at=NOW)
    process_inbox_batch(uow, lambda: NOW)

    assert lifecycle.install(uow, BOX, installation(webhook_secret="whsec_second", timezone="Asia/Tokyo"),
                             NOW + timedelta(days=1)) is False

    again = tenant_of(uow, "acme")
    assert again is not None and (again.id, again.timezone) == (first.id, "Asia/Tokyo")
    assert webhook_secret_of(uow, "acme") == "whsec_second"
    with uow:
        assert uow.settings_versions.newest(first.id) is not None
        assert uow.tickets.get(first.id, "T-1") is not None and uow.targets.of_ticket(first.id, "T-1")


def test_every_install_seals_the_secret_anew() -> None:
    uow = FakeUnitOfWork()
    lifecycle.install(uow, BOX, installation(), NOW)
    with uow:
        before = uow.tenants.credentials("acme")
    lifecycle.install(uow, BOX, installation(), NOW)
    with uow:
        after = uow.tenants.credentials("acme")
    assert before is not None and after is not None
    assert before.webhook_secret_encrypted != after.webhook_secret_encrypted  # what tells a reinstall apart


def test_an_account_id_the_store_cannot_hold_is_refused_and_nothing_is_installed() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(NotStorable, match="account_id"):
        lifecycle.install(uow, BOX, installation("a" * 201), NOW)
    assert uow.committed == 0


def test_uninstall_deletes_every_row_of_the_tenant_and_nothing_else() -> None:
    uow = FakeUnitOfWork()
    for account_id in ("acme", "globex"):
        lifecycle.install(uow, BOX, installation(account_id), NOW)
        tenant = tenant_of(uow, account_id)
        assert tenant is not None
        replace_settings(uow, tenant, example_settings(), SettingsChange("ada", NOW))
        deliver(uow, tenant, created("T-1", "2026-03-02T09:00:00Z"), received_at=NOW)
        process_inbox_batch(uow, lambda: NOW)
        deliver(uow, tenant, message("T-1", "2026-03-02T09:10:00Z"), received_at=NOW)  # still waiting
    acme, globex = tenant_of(uow, "acme"), tenant_of(uow, "globex")
    assert acme is not None and globex is not None

    assert lifecycle.uninstall(uow, "acme") is True

    with uow:
        assert uow.tenants.by_account("acme") is None and uow.tenants.credentials("acme") is None
        assert uow.settings_versions.history(acme.id) == []
        assert uow.tickets.get(acme.id, "T-1") is None and uow.targets.of_ticket(acme.id, "T-1") == []
        assert uow.tickets.histories(acme.id, ["T-1"]) == {"T-1": []}
        assert uow.outbox.of_tenant(acme.id) == [] and uow.inbox.counts(acme.id).pending == 0
        assert [event.tenant_id for event in uow.inbox.claim(10)] == [globex.id]
        assert uow.tenants.by_account("globex") == globex
        assert len(uow.settings_versions.history(globex.id)) == 1
        assert uow.targets.of_ticket(globex.id, "T-1") and len(uow.outbox.of_tenant(globex.id)) == 1


def test_uninstalling_an_account_not_installed_changes_nothing() -> None:
    uow = FakeUnitOfWork()
    assert lifecycle.uninstall(uow, "acme") is False
    assert uow.committed == 0


def test_an_uninstalled_account_can_install_again_from_scratch() -> None:
    uow = FakeUnitOfWork()
    lifecycle.install(uow, BOX, installation(), NOW)
    lifecycle.uninstall(uow, "acme")

    assert lifecycle.install(uow, BOX, installation(), NOW) is True
    tenant = tenant_of(uow, "acme")
    assert tenant is not None
    with uow:
        assert uow.settings_versions.newest(tenant.id) is None


def endpoint_rate(uow: FakeUnitOfWork, account_id: str) -> float | None:
    tenant = tenant_of(uow, account_id)
    assert tenant is not None
    with uow:
        endpoint = uow.tenants.host_endpoint(tenant.id)
    assert endpoint is not None
    return endpoint.requests_per_second


def test_an_install_may_carry_its_hosts_rate_and_a_reinstall_without_one_keeps_it() -> None:
    uow = FakeUnitOfWork()
    lifecycle.install(uow, BOX, replace(installation(), requests_per_second=2.5), NOW)
    assert endpoint_rate(uow, "acme") == 2.5
    lifecycle.install(uow, BOX, installation(), NOW)
    assert endpoint_rate(uow, "acme") == 2.5
    lifecycle.install(uow, BOX, replace(installation(), requests_per_second=40), NOW)
    assert endpoint_rate(uow, "acme") == 40


@pytest.mark.parametrize("rate", [0, -1, 1e-300, 0.0009, math.inf, math.nan, 100_001])
def test_a_rate_that_is_not_a_positive_number_is_refused_and_nothing_changes(rate: float) -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(ValueError, match=r"requests_per_second: must be a number from 0\.001 to 100000"):
        lifecycle.install(uow, BOX, replace(installation(), requests_per_second=rate), NOW)
    lifecycle.install(uow, BOX, installation(), NOW)
    committed = uow.committed
    with pytest.raises(ValueError, match=r"requests_per_second: must be a number from 0\.001 to 100000"):
        lifecycle.set_request_rate(uow, "acme", rate)
    assert uow.committed == committed and endpoint_rate(uow, "acme") is None


def test_the_operator_sets_and_clears_an_accounts_rate() -> None:
    uow = FakeUnitOfWork()
    for account_id in ("globex", "acme"):
        lifecycle.install(uow, BOX, installation(account_id), NOW)

    lifecycle.set_request_rate(uow, "acme", 0.8)
    assert [(tenant.account_id, tenant.host_kind, tenant.requests_per_second, tenant.paused_at)
            for tenant in lifecycle.tenants_overview(uow)] == [("acme", "reference", 0.8, None),
                                                               ("globex", "reference", None, None)]
    lifecycle.set_request_rate(uow, "acme", None)
    assert endpoint_rate(uow, "acme") is None
    with pytest.raises(lifecycle.AccountNotInstalled, match="no installed account has id 'nope'"):
        lifecycle.set_request_rate(uow, "nope", 1)

"""Host kinds through the registry: a second helpdesk's adapter, registered by a test alone (no edit of
the worker or the services), reads its tenants' webhooks and carries their commands out, while the
reference protocol's tenants keep theirs."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from plugin.host.adapter import Delivery, HostAccount, Outcome
from plugin.host.commands import HostCommand
from plugin.host.payloads import parse_event
from plugin.host.rate_limit import RateLimiter
from plugin.host.reference import ReferenceHost
from plugin.host.registry import REGISTRY, AdapterPool, HostKinds, UnknownHostKind
from plugin.security.secrets import SecretBox
from plugin.services import lifecycle
from plugin.services.delivery import Courier, deliver_due_commands
from plugin.services.ingest import InvalidEvent, receive_webhook
from plugin.services.processing import process_inbox_batch
from plugin.services.settings_changes import SettingsChange, replace_settings
from plugin.services.tenant_credentials import RememberedCredentials
from plugin.store.records import TenantRecord
from tests.support import new_encryption_key, new_webhook_secret, signed_headers
from tests.unit.fake_desk import FakeDesk, registered_fake_desk
from tests.unit.fakes import FakeTenants, FakeUnitOfWork, created, example_settings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BOX = SecretBox(new_encryption_key())


@dataclass
class RecordingReference:
    """Stands in for the reference protocol's adapter (no HTTP in a unit test)."""

    delivered: list[str] = field(default_factory=list)

    def deliver(self, account: HostAccount, command: HostCommand) -> Delivery:
        self.delivered.append(command.idempotency_key)
        return Delivery(Outcome.DONE, 200, "200 OK")


@pytest.fixture
def desk() -> Iterator[FakeDesk]:
    """FakeDesk registered in the plugin's own registry (as "fakedesk"), for this test only."""
    with registered_fake_desk() as desk:
        yield desk


@pytest.fixture
def reference() -> Iterator[RecordingReference]:
    """The reference kind as registered, but for its adapter: one that records, with no HTTP."""
    registered, recording = REGISTRY.get("reference"), RecordingReference()
    REGISTRY.unregister("reference")
    REGISTRY.register(replace(registered, new_adapter=lambda: recording))
    try:
        yield recording
    finally:
        REGISTRY.unregister("reference")
        REGISTRY.register(registered)


def install(uow: FakeUnitOfWork, account_id: str, host_kind: str | None, secret: str) -> TenantRecord:
    lifecycle.install(uow, BOX, lifecycle.Installation(account_id, f"https://{account_id}.test", f"token-{account_id}",
                                                       secret, "UTC", f"https://{account_id}.test", host_kind), NOW)
    with uow:
        tenant = uow.tenants.by_account(account_id)
    assert tenant is not None
    replace_settings(uow, tenant, example_settings(), SettingsChange("ada", NOW))  # outages are urgent
    return tenant


def receive(uow: FakeUnitOfWork, account_id: str, secret: str, document: dict[str, Any]) -> str:
    body = json.dumps(document)
    return receive_webhook(uow, RememberedCredentials(), BOX, account_id, body.encode(), signed_headers(secret, body),
                           NOW).status


def test_the_reference_protocol_is_registered_and_the_default() -> None:
    reference = REGISTRY.get("reference")
    assert reference.parse_event is parse_event
    adapter = reference.new_adapter()
    assert isinstance(adapter, ReferenceHost)
    adapter.close()


def test_a_kind_no_adapter_is_registered_for_is_named() -> None:
    with pytest.raises(UnknownHostKind, match="no host adapter is registered for host kind 'zendesk' "
                                              r"\(registered: reference\)"):
        REGISTRY.get("zendesk")


def test_two_kinds_cannot_share_a_name() -> None:
    kinds = HostKinds([REGISTRY.get("reference")])
    with pytest.raises(ValueError, match="'reference' is registered already"):
        kinds.register(REGISTRY.get("reference"))


def test_a_worker_makes_one_adapter_per_kind_on_first_use_and_closes_them_all(desk: FakeDesk) -> None:
    pool = AdapterPool()
    assert pool.for_kind("fakedesk") is pool.for_kind("fakedesk") is desk
    assert desk.adapters_made == 1
    pool.close()
    assert desk.closed == 1
    with pytest.raises(UnknownHostKind):
        pool.for_kind("zendesk")


def test_a_tenant_of_a_registered_kind_is_served_end_to_end_by_its_adapter(
        desk: FakeDesk, reference: RecordingReference) -> None:
    uow = FakeUnitOfWork()
    acme_secret, globex_secret = new_webhook_secret(), new_webhook_secret()
    acme = install(uow, "acme", None, acme_secret)  # the reference protocol's, by default
    globex = install(uow, "globex", "fakedesk", globex_secret)
    assert (acme.host_kind, globex.host_kind) == ("reference", "fakedesk")

    # Webhooks in: each tenant's bodies are read by its own kind's parser.
    at = "2026-03-02T08:59:00Z"
    assert receive(uow, "globex", globex_secret, desk.body(created("G-1", at), "globex")) == "accepted"
    assert receive(uow, "acme", acme_secret, created("A-1", at)) == "accepted"
    with pytest.raises(InvalidEvent, match="type: missing"):  # a FakeDesk body means nothing to acme's parser
        receive(uow, "acme", acme_secret, desk.body(created("A-2", at), "acme"))
    with pytest.raises(InvalidEvent, match="event: missing"):  # nor a reference body to globex's
        receive(uow, "globex", globex_secret, created("G-2", at))
    assert process_inbox_batch(uow, lambda: NOW).processed == 2  # the processor and recompute parse them too
    parsed = len(desk.parsed)
    replace_settings(uow, globex, example_settings(), SettingsChange("ada", NOW))  # recomputes G-1 (the sweep's path)
    assert len(desk.parsed) == parsed + 1

    # Commands out: the courier the worker builds (an AdapterPool over the registry) picks each
    # tenant's adapter by its kind.
    courier = Courier(AdapterPool(), BOX, lambda: NOW, RateLimiter(1000, 1000, clock=lambda: 0.0), random.Random(1))
    result = deliver_due_commands(uow, courier)

    assert result.outcomes["done"] == 2
    assert desk.delivered == [("https://globex.test", "token-globex", "set-priority:G-1")]
    assert reference.delivered == ["set-priority:A-1"]


def test_an_install_must_name_a_registered_kind_and_cannot_change_it(desk: FakeDesk) -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(UnknownHostKind, match="'zendesk'"):
        lifecycle.install(uow, BOX, lifecycle.Installation("acme", "https://a.test", "t", "whsec_x", "UTC",
                                                           "https://a.test", "zendesk"), NOW)
    assert uow.committed == 0

    install(uow, "acme", "fakedesk", new_webhook_secret())
    again = lifecycle.Installation("acme", "https://a.test", "t", "whsec_x", "UTC", "https://a.test", None)
    assert lifecycle.install(uow, BOX, again, NOW) is False  # left out: the account keeps its kind
    with uow:
        tenant = uow.tenants.by_account("acme")
    assert tenant is not None and tenant.host_kind == "fakedesk"
    with pytest.raises(lifecycle.HostKindChanged, match="installed with host kind 'fakedesk', not 'reference'"):
        lifecycle.install(uow, BOX, replace(again, host_kind="reference"), NOW)


def test_the_webhook_endpoint_finds_the_tenants_kind_in_its_credentials_with_no_query_of_its_own(
    desk: FakeDesk, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    uow, secret, credentials = FakeUnitOfWork(), new_webhook_secret(), RememberedCredentials()
    install(uow, "globex", "fakedesk", secret)
    for name in ("by_id", "by_account", "host_endpoint", "overview"):
        monkeypatch.setattr(FakeTenants, name, lambda *_args: pytest.fail("a tenant read on the webhook path"))
    reads.clear()

    for number in range(3):
        body = json.dumps(desk.body(created(f"G-{number}", "2026-03-02T08:59:00Z"), "globex"))
        assert receive_webhook(uow, credentials, BOX, "globex", body.encode(), signed_headers(secret, body),
                               NOW).status == "accepted"

    assert reads == ["globex"]  # read once, then remembered: host kind included

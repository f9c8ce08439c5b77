"""Host kinds on a real database: the install names one (or leaves it to the default), webhooks are
read by it, and ``sla-plugin worker``'s own Worker delivers through its adapter; an install's
request rate is the one delivery uses."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plugin.config import Config
from plugin.store.models import Tenant
from plugin.worker import Worker, WorkerOptions
from tests.integration.conftest import InstalledTenant, process_inbox, runtime_of, stored
from tests.support import install_body, new_webhook_secret, signed_headers
from tests.unit.fake_desk import FakeDesk, registered_fake_desk
from tests.unit.fakes import created


@pytest.fixture
def desk() -> Iterator[FakeDesk]:
    with registered_fake_desk() as desk:
        yield desk


def post_install(client: Any, config: Config, account_id: str = "acme", *, secret: str | None = None,
                 **fields: Any) -> Any:
    body = json.dumps(json.loads(install_body(account_id, secret or new_webhook_secret())) | fields)
    return client.post("/lifecycle/install", data=body, headers=signed_headers(config.app_secret, body))


def tenant_row(app: Flask, account_id: str = "acme") -> Tenant:
    with stored(app) as session:
        return session.scalars(sa.select(Tenant).where(Tenant.account_id == account_id)).one()


def test_a_tenant_of_a_registered_kind_is_read_and_served_by_its_adapter_through_the_worker(
    desk: FakeDesk, install: Callable[..., InstalledTenant], client: Any, config: Config, app: Flask,
    example_settings: dict[str, object]
) -> None:
    secret = new_webhook_secret()
    installed = post_install(client, config, "globex", secret=secret, host_kind="fakedesk",
                             api_base_url="https://globex.test")
    assert installed.status_code == 200, installed.get_json()
    globex = InstalledTenant(client, config, "globex", secret)
    acme = install("acme")  # the reference protocol's, by default
    for tenant in (globex, acme):
        tenant.configure(app, example_settings)  # outages on Orange by email are urgent
    assert (tenant_row(app, "globex").host_kind, tenant_row(app, "acme").host_kind) == ("fakedesk", "reference")

    sent = globex.send(desk.body(created("G-1", "2026-03-02T09:00:00Z"), "globex"), process=False)
    assert sent.status_code == 200 and sent.get_json() == {"status": "accepted"}
    refused = acme.send(desk.body(created("A-1", "2026-03-02T09:00:00Z"), "acme"), process=False)
    assert refused.status_code == 400 and refused.get_json()["message"] == "type: missing"
    assert process_inbox(app).processed == 1

    worker = Worker(runtime_of(app), WorkerOptions())
    for _round in range(4):  # one command of a ticket a round, in order
        worker.deliver()

    keys = [key for _url, _token, key in desk.delivered]  # the priority, and the breach's tags and note
    assert "set-priority:G-1" in keys and all(":G-1:" in f"{key}:" for key in keys)
    assert {url for url, _token, _key in desk.delivered} == {"https://globex.test"}


def test_the_workers_courier_takes_its_lease_and_default_rate_from_the_configuration(app: Flask) -> None:
    runtime = runtime_of(app)
    runtime.config = Config(**{**runtime.config.__dict__, "delivery_lease_seconds": 42.0,
                               "host_requests_per_second": 3.0})

    courier = Worker(runtime, WorkerOptions()).courier

    assert courier.lease == timedelta(seconds=42) and courier.limiter.rate_per_second == 3.0


def test_an_install_may_name_its_host_kind_and_rate_and_a_reinstall_keeps_them(
    desk: FakeDesk, client: Any, config: Config, app: Flask
) -> None:
    response = post_install(client, config, host_kind="fakedesk", requests_per_second=2.5)
    assert response.status_code == 200, response.get_json()
    assert (tenant_row(app).host_kind, tenant_row(app).requests_per_second) == ("fakedesk", 2.5)

    assert post_install(client, config).get_json()["status"] == "updated"  # neither given: both kept
    assert (tenant_row(app).host_kind, tenant_row(app).requests_per_second) == ("fakedesk", 2.5)
    assert post_install(client, config, requests_per_second=40, host_kind=None).status_code == 200
    assert (tenant_row(app).host_kind, tenant_row(app).requests_per_second) == ("fakedesk", 40.0)


def test_a_reinstall_under_another_host_kind_is_409_and_changes_nothing(
    desk: FakeDesk, client: Any, config: Config, app: Flask
) -> None:
    assert post_install(client, config).status_code == 200
    before = tenant_row(app)

    response = post_install(client, config, host_kind="fakedesk")

    assert response.status_code == 409 and response.get_json() == {
        "error": "host_kind_changed",
        "message": "host_kind: account 'acme' is installed with host kind 'reference', not 'fakedesk'; uninstall "
                   "it first to change it"}
    after = tenant_row(app)
    assert (after.host_kind, after.webhook_secret_encrypted) == ("reference", before.webhook_secret_encrypted)


@pytest.mark.parametrize(("fields", "problem"), [
    ({"host_kind": "zendesk"}, "host_kind: 'zendesk' is not a host kind the plugin has an adapter for "
                               "(one of: reference)"),
    ({"host_kind": 7}, "host_kind: Not a valid string."),
    ({"requests_per_second": 0}, "requests_per_second: must be a number from 0.001 to 100000"),
    ({"requests_per_second": -2}, "requests_per_second: must be a number from 0.001 to 100000"),
    ({"requests_per_second": 1e-300}, "requests_per_second: must be a number from 0.001 to 100000"),
    ({"requests_per_second": 1e9}, "requests_per_second: must be a number from 0.001 to 100000"),
    ({"requests_per_second": "fast"}, "requests_per_second: Not a valid number."),
    ({"requests_per_second": True}, "requests_per_second: Not a valid number."),
])
def test_an_install_with_an_unknown_host_kind_or_a_bad_rate_is_400_naming_it(
    client: Any, config: Config, app: Flask, fields: dict[str, Any], problem: str
) -> None:
    response = post_install(client, config, **fields)

    assert response.status_code == 400 and response.get_json()["problems"] == [problem]
    with stored(app) as session:
        assert session.scalars(sa.select(Tenant)).all() == []

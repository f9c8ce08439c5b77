"""``sla-plugin tenants list|rate`` on a real database: the operator's view of the accounts, and each
account's host request rate, which the next delivery round uses."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plugin.cli import main
from plugin.host import commands
from plugin.host.adapter import Delivery, HostAccount, Outcome
from plugin.host.commands import HostCommand
from plugin.host.rate_limit import RateLimiter
from plugin.services.delivery import Courier, deliver_due_commands
from plugin.store.models import OutboxCommand
from tests.integration.conftest import InstalledTenant, runtime_of, stored


@pytest.fixture
def accounts(install: Callable[..., InstalledTenant], database_url: str, monkeypatch: pytest.MonkeyPatch
             ) -> list[InstalledTenant]:
    """Two installed accounts, and the CLI pointed at the same database."""
    monkeypatch.setenv("SLA_DATABASE_URL", database_url)
    return [install("globex"), install("acme")]


def test_list_shows_every_account_with_its_host_kind_rate_and_delivery(accounts, app: Flask, capsys) -> None:
    runtime = runtime_of(app)
    with runtime.uow() as uow:
        globex = uow.tenants.by_account("globex")
        assert globex is not None
        uow.tenants.pause_delivery(globex.id, "the host refused the plugin's token (401 Unauthorized); install "
                                              "the plugin again to resume", datetime.fromisoformat("2026-03-02T09:00Z"))
        uow.commit()
    assert main(["tenants", "rate", "acme", "2.5"]) == 0
    capsys.readouterr()

    assert main(["tenants", "list"]) == 0

    assert capsys.readouterr().out.splitlines() == [
        "account_id  host_kind  requests_per_second  delivery",
        "acme        reference  2.5                  active",
        "globex      reference  default              paused since 2026-03-02T09:00:00Z: the host refused the "
        "plugin's token (401 Unauthorized); install the plugin again to resume",
    ]


def test_rate_sets_and_clears_an_accounts_rate(accounts, app: Flask, capsys) -> None:
    assert main(["tenants", "rate", "acme", "0.8"]) == 0
    assert capsys.readouterr().err == ("sla-plugin tenants rate: 'acme' is called at 0.8 requests per second by "
                                       "each worker, from its next delivery round\n")
    assert endpoint_rate(app, "acme") == 0.8 and endpoint_rate(app, "globex") is None

    assert main(["tenants", "rate", "acme", "--default"]) == 0
    assert "the plugin's default (SLA_HOST_REQUESTS_PER_SECOND)" in capsys.readouterr().err
    assert endpoint_rate(app, "acme") is None


@pytest.mark.parametrize(("arguments", "message"), [
    (["nope", "5"], "no installed account has id 'nope'"),
    (["acme", "0"], "RPS: must be a positive number of requests per second (e.g. 10, or 0.8 for 48 a minute)"),
    (["acme", "-3"], "RPS: must be a positive number of requests per second"),
    (["acme", "nan"], "RPS: must be a positive number of requests per second"),
    (["acme", "1e9"], "RPS: must be a positive number of requests per second"),
    (["acme", "1e-300"], "RPS: must be at least 0.001 requests per second"),
    (["acme", "fast"], "RPS: 'fast' is not a number of requests per second"),
    (["acme"], "give either RPS (requests per second) or --default, not both or neither"),
    (["acme", "5", "--default"], "give either RPS (requests per second) or --default, not both or neither"),
])
def test_bad_input_is_one_line_naming_it_and_exit_2(accounts, app: Flask, capsys, arguments: list[str],
                                                    message: str) -> None:
    assert main(["tenants", "rate", *arguments]) == 2

    error = capsys.readouterr().err
    assert error.startswith(f"sla-plugin tenants rate: {message}") and error.count("\n") == 1
    assert endpoint_rate(app, "acme") is None


def test_a_database_without_the_schema_is_exit_1(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("SLA_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")

    assert main(["tenants", "list"]) == 1
    assert "(is the schema up to date? sla-plugin db upgrade)" in capsys.readouterr().err


@dataclass
class RecordingHost:
    calls: list[str] = field(default_factory=list)

    def for_kind(self, host_kind: str) -> RecordingHost:
        return self

    def deliver(self, account: HostAccount, command: HostCommand) -> Delivery:
        self.calls.append(command.idempotency_key)
        return Delivery(Outcome.DONE, 200, "200 OK")


def test_the_rate_set_is_the_one_the_next_delivery_round_uses(accounts, app: Flask) -> None:
    runtime = runtime_of(app)
    with runtime.uow() as uow:
        acme = uow.tenants.by_account("acme")
        assert acme is not None
        uow.outbox.add(acme.id, [commands.set_priority(f"T-{number}", "high", "r") for number in range(4)],
                       runtime.wall_now())
        uow.commit()
    assert main(["tenants", "rate", "acme", "0.25"]) == 0
    now = runtime.wall_now()
    courier = Courier(RecordingHost(), runtime.box, lambda: now, RateLimiter(1000, 1, clock=lambda: 0.0),
                      random.Random(1))

    result = deliver_due_commands(runtime.uow(), courier)

    assert (result.outcomes["done"], result.outcomes["throttled"]) == (1, 3)
    with stored(app) as session:
        waits = {row.next_attempt_at - now for row in session.scalars(sa.select(OutboxCommand))
                 if row.status == "pending"}
    assert waits == {timedelta(seconds=4)}  # one call every 4 s, not the default's 1 ms


def endpoint_rate(app: Flask, account_id: str) -> Any:
    with runtime_of(app).uow() as uow:
        tenant = uow.tenants.by_account(account_id)
        assert tenant is not None
        endpoint = uow.tenants.host_endpoint(tenant.id)
    assert endpoint is not None
    return endpoint.requests_per_second

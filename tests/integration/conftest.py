"""Fixtures: a migrated database (SQLite and PostgreSQL), the app on it, installed tenants."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from plugin.app import create_app
from plugin.config import Config
from plugin.runtime import Runtime
from plugin.services.processing import BatchResult, process_inbox_batch
from plugin.services.settings_changes import SettingsChange, replace_settings
from plugin.store.db import create_db_engine
from plugin.store.migrate import upgrade
from plugin.store.repositories.settings_versions import ParsedSettings
from plugin.store.unit_of_work import SqlUnitOfWork
from tests.support import (
    host_token,
    install_body,
    new_encryption_key,
    new_webhook_secret,
    signed_headers,
    temporary_postgres_database,
)

EXAMPLE = Path(__file__).parents[1] / "data" / "desk360_example"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every integration test runs on both stores; PostgreSQL is required in CI."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'plugin.sqlite3'}"
        upgrade(url)
        yield url
        return
    with temporary_postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """The store's engine, for the repositories' tests."""
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow(engine: sa.Engine) -> SqlUnitOfWork:
    return SqlUnitOfWork(engine, ParsedSettings())


@pytest.fixture
def config(database_url: str) -> Config:
    return Config(
        database_url=database_url,
        app_id="sla-plugin",
        app_secret=new_webhook_secret(),
        encryption_key=new_encryption_key(),
        session_ttl_seconds=600,
    )


@pytest.fixture
def app(config: Config) -> Iterator[Flask]:
    app = create_app(config)
    yield app
    app.extensions["sla_runtime"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def runtime_of(app: Flask) -> Runtime:
    return app.extensions["sla_runtime"]


@contextmanager
def stored(app: Flask) -> Iterator[Session]:
    """A session on the app's database, for tests to look at what was stored."""
    with Session(runtime_of(app).engine) as session:
        yield session


def process_inbox(app: Flask) -> BatchResult:
    """Run the inbox processor (what ``sla-plugin worker`` does) until the inbox is empty."""
    runtime = runtime_of(app)
    total = BatchResult()
    while (result := process_inbox_batch(runtime.uow(), runtime.now)).claimed:
        total = BatchResult(total.claimed + result.claimed, total.processed + result.processed,
                            total.failed + result.failed)
    return total


@dataclass
class InstalledTenant:
    """A tenant installed through the signed lifecycle call, with helpers to act as its host."""

    client: FlaskClient
    config: Config
    account_id: str
    webhook_secret: str

    def send(self, body: str | dict[str, object], *, process: bool = True, **headers: str) -> Any:
        """POST a signed webhook; then, unless ``process`` is False, apply the inbox as the worker would."""
        text = body if isinstance(body, str) else json.dumps(body)
        response = self.client.post(f"/webhooks/{self.account_id}", data=text,
                                    headers=signed_headers(self.webhook_secret, text) | headers)
        if process:
            assert process_inbox(self.client.application).failed == 0
        return response

    def configure(self, app: Flask, document: dict[str, object], apply_to: str = "open_tickets") -> None:
        """Save a settings document for this tenant straight through the service layer."""
        runtime = runtime_of(app)
        with runtime.uow() as uow:
            record = uow.tenants.by_account(self.account_id)
        assert record is not None
        replace_settings(runtime.uow(), record, document, SettingsChange("test", runtime.now(), apply_to))

    def session_token(self, role: str = "admin") -> str:
        response = self.client.post("/api/v1/auth/session",
                                    json={"token": host_token(self.config.app_secret, self.account_id, role)})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def auth(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.session_token(role)}"}


@pytest.fixture
def install(client: FlaskClient, config: Config) -> Callable[..., InstalledTenant]:
    def _install(account_id: str = "acme", **options: str) -> InstalledTenant:
        secret = new_webhook_secret()
        body = install_body(account_id, secret, **options)
        response = client.post("/lifecycle/install", data=body, headers=signed_headers(config.app_secret, body))
        assert response.status_code == 200, response.get_json()
        return InstalledTenant(client, config, account_id, secret)

    return _install


@pytest.fixture
def example_settings() -> dict[str, object]:
    return json.loads((EXAMPLE / "settings.json").read_text())


@pytest.fixture
def example_events() -> list[str]:
    return (EXAMPLE / "events.jsonl").read_text().splitlines()


@pytest.fixture
def configured(app, install, client, example_settings):
    """An account with the worked example's settings; the SLA clock on 2026-03-10."""
    runtime_of(app).clock = lambda: datetime(2026, 3, 10, 12, tzinfo=UTC)
    tenant = install("acme")
    assert client.put("/api/v1/settings", json=example_settings, headers=tenant.auth()).status_code == 200
    return tenant


@pytest.fixture
def worked_example(app, configured, example_events):
    """…with the worked example's events sent as signed webhooks and applied."""
    for line in example_events:
        assert configured.send(line, process=False).status_code == 200
    assert process_inbox(app).failed == 0
    return configured

"""Install and uninstall: signed with the app secret, idempotent, and thorough on the way out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plugin.config import Config
from plugin.store.models import InboxEntry, SettingsVersion, SlaTarget, StoredEvent, Tenant, Ticket
from tests.integration.conftest import InstalledTenant, stored
from tests.support import install_body, new_webhook_secret, signed_headers


def post(client: Any, config: Config, path: str, body: str, secret: str | None = None) -> Any:
    return client.post(path, data=body, headers=signed_headers(secret or config.app_secret, body))


def tenants(app: Flask) -> list[Tenant]:
    with stored(app) as session:
        return list(session.scalars(sa.select(Tenant)))


def test_install_stores_secrets_encrypted(client: Any, config: Config, app: Flask) -> None:
    secret = new_webhook_secret()
    body = install_body("acme", secret)
    response = post(client, config, "/lifecycle/install", body)
    assert response.status_code == 200 and response.get_json() == {"status": "installed", "account_id": "acme"}
    [tenant] = tenants(app)
    token = json.loads(body)["access_token"]
    assert token.encode() not in tenant.access_token_encrypted
    assert secret.encode() not in tenant.webhook_secret_encrypted
    assert app.extensions["sla_runtime"].box.open(tenant.access_token_encrypted) == token


def test_reinstall_is_idempotent_and_rotates_credentials(
    install: Callable[..., InstalledTenant], client: Any, config: Config, app: Flask
) -> None:
    install("acme")
    new_secret = new_webhook_secret()
    response = post(client, config, "/lifecycle/install", install_body("acme", new_secret, timezone="Europe/Istanbul"))
    assert response.get_json()["status"] == "updated"
    [tenant] = tenants(app)
    assert tenant.timezone == "Europe/Istanbul"
    assert app.extensions["sla_runtime"].box.open(tenant.webhook_secret_encrypted) == new_secret


def test_install_signed_with_another_secret_is_401(client: Any, config: Config, app: Flask) -> None:
    response = post(client, config, "/lifecycle/install", install_body("acme", new_webhook_secret()),
                    secret=new_webhook_secret())
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_signature"
    assert tenants(app) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"timezone": "Mars/Base"}, "timezone: unknown IANA time zone 'Mars/Base'"),
        ({"webhook_secret": "hunter2"}, "webhook_secret: must be a Standard Webhooks secret"),
        ({"webhook_secret": "whsec_!!!not-base64!!!"}, "webhook_secret: must be a Standard Webhooks secret"),
        ({"api_base_url": "ftp://host"}, "api_base_url: must be an http(s) URL"),
        ({"account_id": None}, "account_id: Field may not be null"),
        ({"account_id": "a/b"}, "account_id: must be letters, digits, '.', '_', '~' or '-'"),
        ({"account_id": ".."}, "account_id: must not be '.' or '..'"),
    ],
)
def test_invalid_install_is_400_naming_the_field(client: Any, config: Config, change: dict[str, Any],
                                                  problem: str) -> None:
    body = json.dumps(json.loads(install_body("acme", new_webhook_secret())) | change)
    response = post(client, config, "/lifecycle/install", body)
    assert response.status_code == 400
    assert any(line.startswith(problem) for line in response.get_json()["problems"]), response.get_json()


def test_install_body_nested_too_deeply_is_400(client: Any, config: Config) -> None:
    response = post(client, config, "/lifecycle/install", "{\"a\": " * 50_000)
    assert response.status_code == 400 and response.get_json()["error"] == "malformed_body"


def test_install_with_unstorable_characters_is_400(client: Any, config: Config, app: Flask) -> None:
    body = install_body("ac\u0000me", new_webhook_secret())
    response = post(client, config, "/lifecycle/install", body)
    assert response.status_code == 400 and "NUL" in response.get_json()["message"]
    assert tenants(app) == []


def test_install_body_that_is_not_json_is_400(client: Any, config: Config) -> None:
    response = post(client, config, "/lifecycle/install", "account_id=acme")
    assert response.status_code == 400 and response.get_json()["error"] == "malformed_body"


def test_uninstall_deletes_every_row_of_the_tenant_and_nothing_else(
    install: Callable[..., InstalledTenant], client: Any, config: Config, app: Flask, example_settings: dict[str, Any],
    example_events: list[str],
) -> None:
    for account in ("acme", "globex"):
        tenant = install(account)
        tenant.configure(app, example_settings)
        for line in example_events[:20]:
            assert tenant.send(line.replace('"account_id": "acme"', f'"account_id": "{account}"')).status_code == 200
    response = post(client, config, "/lifecycle/uninstall", json.dumps({"account_id": "acme"}))
    assert response.get_json() == {"status": "uninstalled", "account_id": "acme"}
    assert [tenant.account_id for tenant in tenants(app)] == ["globex"]
    with stored(app) as session:
        for model in (SettingsVersion, Ticket, StoredEvent, SlaTarget, InboxEntry):
            owners = set(session.scalars(sa.select(model.tenant_id)))
            assert len(owners) == 1, model.__tablename__
    again = post(client, config, "/lifecycle/uninstall", json.dumps({"account_id": "acme"}))
    assert again.get_json()["status"] == "not_installed"


def test_webhooks_of_an_uninstalled_tenant_are_404(
    install: Callable[..., InstalledTenant], client: Any, config: Config, app: Flask
) -> None:
    tenant = install("acme")
    assert tenant.send(created_event("e0", "T0")).status_code == 200  # the process now knows the tenant
    post(client, config, "/lifecycle/uninstall", json.dumps({"account_id": "acme"}))
    for event in (created_event("e1", "T1"), {**created_event("e2", "T2"), "type": "ticket.merged"}):
        response = tenant.send(event)
        assert response.status_code == 404 and response.get_json()["error"] == "unknown_account"
    with stored(app) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(StoredEvent)) == 0


def test_a_reinstall_retires_the_old_webhook_secret_at_once(
    install: Callable[..., InstalledTenant], client: Any, config: Config, app: Flask
) -> None:
    old = install("acme")
    assert old.send(created_event("e0", "T0")).status_code == 200  # the process now knows the old secret
    new_secret = new_webhook_secret()
    post(client, config, "/lifecycle/install", install_body("acme", new_secret))
    for event in (created_event("e1", "T1"), {**created_event("e2", "T2"), "type": "ticket.merged"}):
        response = old.send(event)
        assert response.status_code == 401 and response.get_json()["error"] == "invalid_signature"
    new = InstalledTenant(client, config, "acme", new_secret)
    assert new.send(created_event("e3", "T3")).get_json() == {"status": "accepted"}
    assert new.send({**created_event("e4", "T4"), "type": "ticket.merged"}).get_json() == {"status": "ignored"}
    with stored(app) as session:
        event_ids = set(session.scalars(sa.select(StoredEvent.event_id)))
        assert event_ids == {"e0", "e3"}


def created_event(event_id: str, ticket_id: str) -> dict[str, Any]:
    return {"id": event_id, "type": "ticket.created", "occurred_at": "2026-03-02T09:00:00Z",
            "data": {"ticket": {"id": ticket_id, "subject": "Printer on fire", "channel": "email",
                                "status": "new", "created_at": "2026-03-02T09:00:00Z"}}}


def test_install_fields_the_plugin_does_not_use_are_ignored_and_named_in_the_log(
    client: Any, config: Config, app: Flask, capfd: pytest.CaptureFixture[str]
) -> None:
    body = json.dumps(json.loads(install_body("acme", new_webhook_secret())) | {"plan": "pro", "seats": 12})
    response = post(client, config, "/lifecycle/install", body)
    assert response.status_code == 200 and response.get_json()["status"] == "installed"
    logged = [json.loads(line) for line in capfd.readouterr().err.splitlines() if "fields_ignored" in line]
    assert [entry["reason"] for entry in logged] == ["plan, seats"]


def test_a_session_opened_before_an_uninstall_does_not_open_the_reinstalled_account(
    install: Callable[..., InstalledTenant], client: Any, config: Config
) -> None:
    headers = install("acme").auth()
    post(client, config, "/lifecycle/uninstall", json.dumps({"account_id": "acme"}))
    fresh = install("acme")
    response = client.get("/api/v1/settings", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_session"
    assert client.get("/api/v1/settings", headers=fresh.auth()).status_code == 200


def test_a_reinstall_without_an_uninstall_keeps_sessions(
    install: Callable[..., InstalledTenant], client: Any
) -> None:
    headers = install("acme").auth()
    install("acme")  # the marketplace refreshes the credentials
    assert client.get("/api/v1/settings", headers=headers).status_code == 200

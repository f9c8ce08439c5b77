"""Health, readiness, metrics, and logs that never carry a secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.conftest import InstalledTenant, process_inbox
from tests.support import install_body, new_webhook_secret, signed_headers


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}


def metric(text: str, series: str) -> float:
    """The value of one exposition line, e.g. ``sla_webhooks_total{result="processed"}`` (0 if absent)."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.rsplit(" ", 1)[0] == series)


def test_metrics_count_processed_duplicate_and_rejected_webhooks(
    install: Callable[..., InstalledTenant], client: FlaskClient, example_settings: dict[str, Any], app: Any,
) -> None:
    before = client.get("/metrics").get_data(as_text=True)
    tenant = install("acme")
    tenant.configure(app, example_settings)
    event = {"id": "e1", "type": "ticket.created", "occurred_at": "2026-03-02T09:00:00Z",
             "data": {"ticket": {"id": "T1", "product": "Orange", "channel": "email", "subject": "outage",
                                 "status": "new", "priority": None, "tags": []}}}
    text = json.dumps(event)
    headers = signed_headers(tenant.webhook_secret, text)
    client.post("/webhooks/acme", data=text, headers=headers)
    client.post("/webhooks/acme", data=text, headers=headers)
    client.post("/webhooks/acme", data=text, headers=signed_headers(new_webhook_secret(), text))
    process_inbox(app)
    after = client.get("/metrics").get_data(as_text=True)

    def delta(series: str) -> float:
        return metric(after, series) - metric(before, series)

    assert delta('sla_webhooks_total{result="accepted"}') == 1
    assert delta('sla_webhooks_total{result="duplicate"}') == 1
    assert delta('sla_webhooks_total{result="rejected_invalid_signature"}') == 1
    assert delta("sla_webhook_processing_seconds_count") == 2
    assert 'sla_outbox_commands{status="pending"} 3' in after  # its priority, breach tags and note


def test_metrics_count_bodies_too_large_on_every_endpoint(
    install: Callable[..., InstalledTenant], client: FlaskClient,
) -> None:
    tenant = install("acme")
    before = client.get("/metrics").get_data(as_text=True)
    huge = json.dumps({"padding": "x" * (1024 * 1024)})
    answers = [client.post("/webhooks/acme", data=huge, headers=signed_headers(tenant.webhook_secret, huge)),
               client.post("/lifecycle/install", data=huge, headers={"Content-Type": "application/json"}),
               client.put("/api/v1/settings", data=huge, headers=tenant.auth() | {"Content-Type": "application/json"})]
    after = client.get("/metrics").get_data(as_text=True)

    assert [answer.status_code for answer in answers] == [413, 413, 413]
    assert metric(after, 'sla_webhooks_total{result="rejected_body_too_large"}') - metric(
        before, 'sla_webhooks_total{result="rejected_body_too_large"}') == 1
    assert metric(after, 'sla_http_errors_total{error="body_too_large",status="413"}') - metric(
        before, 'sla_http_errors_total{error="body_too_large",status="413"}') == 3


def test_logs_never_carry_tokens_or_secrets(
    client: FlaskClient, config: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("sla").setLevel("DEBUG")
    try:
        secret = new_webhook_secret()
        body = install_body("acme", secret)
        token = json.loads(body)["access_token"]
        client.post("/lifecycle/install", data=body, headers=signed_headers(config.app_secret, body))
        client.post("/lifecycle/install", data=body, headers=signed_headers(new_webhook_secret(), body))
        bad = json.dumps({"id": "e", "type": "ticket.created", "occurred_at": "now", "data": {}})
        client.post("/webhooks/acme", data=bad, headers=signed_headers(secret, bad))
        client.post("/webhooks/acme", data=bad, headers=signed_headers(new_webhook_secret(), bad))
    finally:
        logging.getLogger("sla").setLevel("INFO")
    logged = capfd.readouterr().err
    assert "lifecycle.installed" in logged and "webhook.rejected.invalid_signature" in logged
    for secret_text in (token, secret, secret.removeprefix("whsec_"), config.app_secret, config.encryption_key):
        assert secret_text not in logged

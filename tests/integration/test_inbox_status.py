"""The inbox as admins and operators see it: GET /api/v1/status, /metrics and /readyz."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin.app import create_app
from plugin.config import Config
from plugin.services import processing
from tests.integration.conftest import InstalledTenant, process_inbox
from tests.integration.test_operations import metric

CREATED = {"id": "evt_1", "type": "ticket.created", "occurred_at": "2026-03-02T09:00:00Z",
           "data": {"ticket": {"id": "T1", "product": "Orange", "channel": "email", "subject": "outage",
                               "status": "new", "priority": None, "tags": []}}}


def created(ticket_id: str) -> dict[str, Any]:
    return {**CREATED, "id": f"evt_{ticket_id}", "data": {"ticket": {**CREATED["data"]["ticket"], "id": ticket_id}}}


def status_of(client: FlaskClient, tenant: InstalledTenant) -> dict[str, Any]:
    response = client.get("/api/v1/status", headers=tenant.auth("agent"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_status_counts_what_waits_for_the_worker_and_what_it_applied(
    install: Callable[..., InstalledTenant], client: FlaskClient, app: Flask
) -> None:
    tenant = install("acme")
    for ticket in ("T1", "T2"):
        assert tenant.send(created(ticket), process=False).get_json() == {"status": "accepted"}
    waiting = status_of(client, tenant)
    assert waiting["inbox"]["pending"] == 2 and waiting["inbox"]["failed"] == 0
    assert waiting["inbox"]["oldest_pending_at"].endswith("Z") and waiting["oldest_pending_age_seconds"] >= 0
    assert client.get("/api/v1/tickets/T1/targets", headers=tenant.auth()).status_code == 404  # not applied yet

    assert process_inbox(app).processed == 2
    applied = status_of(client, tenant)
    assert applied["inbox"] == {"pending": 0, "failed": 0, "oldest_pending_at": None}
    assert client.get("/api/v1/tickets/T1/targets", headers=tenant.auth()).status_code == 200


def test_an_event_that_cannot_be_applied_is_failed_shown_and_counted_while_the_rest_go_through(
    install: Callable[..., InstalledTenant], client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = install("acme")
    for ticket in ("T1", "BUG", "T3"):
        tenant.send(created(ticket), process=False)
    recompute = processing.recompute_tickets

    def failing_for_one_ticket(uow: Any, tenant: Any, ticket_ids: Any, now: datetime) -> Any:
        if "BUG" in ticket_ids:
            raise ZeroDivisionError("a bug in the engine")
        return recompute(uow, tenant, ticket_ids, now)

    monkeypatch.setattr(processing, "recompute_tickets", failing_for_one_ticket)
    result = process_inbox(app)
    assert (result.processed, result.failed) == (2, 1)
    status = status_of(client, tenant)
    assert status["inbox"]["pending"] == 0 and status["inbox"]["failed"] == 1
    [failed] = status["failed_events"]
    assert failed["ticket_id"] == "BUG" and failed["error"] == "ZeroDivisionError: a bug in the engine"
    assert process_inbox(app).claimed == 0  # never retried forever
    text = client.get("/metrics").get_data(as_text=True)
    assert metric(text, 'sla_inbox_events{status="failed"}') == 1
    assert metric(text, 'sla_inbox_events{status="pending"}') == 0


def test_readyz_fails_while_the_worker_is_far_behind(
    install: Callable[..., InstalledTenant], config: Config, client: FlaskClient, app: Flask
) -> None:
    tenant = install("acme")
    tenant.send(created("T1"), process=False)
    assert client.get("/readyz").status_code == 200  # just stored: no lag yet
    later = create_app(config, clock=lambda: datetime.now(UTC) + timedelta(seconds=config.ready_max_lag_seconds + 5))
    answer = later.test_client().get("/readyz")
    assert answer.status_code == 503 and "worker" in answer.get_json()["reason"]
    assert metric(later.test_client().get("/metrics").get_data(as_text=True), "sla_inbox_lag_seconds") > 120
    later.extensions["sla_runtime"].dispose()
    process_inbox(app)
    assert client.get("/readyz").status_code == 200


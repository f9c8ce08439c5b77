"""GET /api/v1/tickets/{id}/countdown (the sidebar's clocks) and the summaries in GET /api/v1/status, on
both stores."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from plugin.host.commands import post_report
from tests.integration.conftest import InstalledTenant, runtime_of

OFFICE = {"id": "office", "name": "Istanbul office", "timezone": "Europe/Istanbul",
          "hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}, "holidays": []}


def created(ticket_id: str, at: datetime) -> dict[str, Any]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"id": f"evt_{ticket_id}", "type": "ticket.created", "occurred_at": stamp,
            "data": {"ticket": {"id": ticket_id, "product": "Orange", "channel": "email", "subject": "outage",
                                "status": "new", "priority": None, "tags": []}}}


def settings_with_calendar(example: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(example)
    document["calendars"] = [OFFICE]
    document["sla_policies"][0]["calendar"] = "office"
    document["sla_policies"][0]["targets"].append({"metric": "resolution", "minutes": 30000,
                                                   "success_rate_percent": 90})
    return document


def test_the_countdown_gives_each_running_target_its_calendar_and_open_intervals(
        install: Callable[..., InstalledTenant], client: FlaskClient, app: Flask,
        example_settings: dict[str, Any]) -> None:
    tenant = install("acme")
    tenant.configure(app, settings_with_calendar(example_settings))
    now = runtime_of(app).now()
    tenant.send(created("INC/7", now - timedelta(days=30)))
    answer = client.get("/api/v1/tickets/INC%2F7/countdown", headers=tenant.auth("agent"))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["id"] == "INC/7" and body["policy_name"] == "Orange urgent email" and body["timezone"] == "UTC"
    as_of = datetime.fromisoformat(body["as_of"])
    assert abs(as_of - now) < timedelta(minutes=1)
    first, resolution = body["targets"]
    assert first["metric"] == "first_response" and first["status"] == "breached" and first["clock"] is None
    assert first["target_seconds"] == 1800 and first["at_risk"] is False
    assert resolution["status"] == "active"
    clock = resolution["clock"]
    assert {key: clock[key] for key in ("calendar", "calendar_name", "timezone")} == {
        "calendar": "office", "calendar_name": "Istanbul office", "timezone": "Europe/Istanbul"}
    intervals = [(datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"]))
                 for item in clock["open_intervals"]]
    assert intervals and clock["intervals_complete"] is True
    assert sum((end - start).total_seconds() for start, end in intervals) == clock["remaining_seconds"]
    assert intervals[0][0] >= as_of and intervals[-1][1] == datetime.fromisoformat(resolution["due_at"])

    missing = client.get("/api/v1/tickets/nope/countdown", headers=tenant.auth("agent"))
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    other = install("globex")
    assert client.get("/api/v1/tickets/INC%2F7/countdown", headers=other.auth()).status_code == 404


def test_the_status_names_the_newest_summaries_the_host_accepted_and_the_settings_zone(
        install: Callable[..., InstalledTenant], client: FlaskClient, app: Flask) -> None:
    tenant = install("acme")
    status = client.get("/api/v1/status", headers=tenant.auth("agent")).get_json()
    assert status["summaries"] == {"daily": None, "hourly": None} and status["timezone"] == "UTC"
    start = datetime(2026, 3, 2, tzinfo=UTC)
    daily = [post_report(f"day {day}", "daily", start + timedelta(days=day), start + timedelta(days=day + 1), "", {})
             for day in range(2)]
    hourly = post_report("hour", "hourly", start, start + timedelta(hours=1), "", {})
    delivered = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    with runtime_of(app).uow() as uow:
        tenant_id = uow.tenants.by_account("acme").id  # type: ignore[union-attr]
        uow.outbox.add(tenant_id, [*daily, hourly], delivered)
        leased = uow.outbox.claim(delivered, delivered + timedelta(minutes=1), 10)
        ids = {entry.command.idempotency_key: entry.id for entry in leased}
        uow.outbox.finish(ids[daily[0].idempotency_key], "done", delivered)
        uow.outbox.finish(ids[daily[1].idempotency_key], "done", delivered + timedelta(seconds=5))
        uow.outbox.finish(ids[hourly.idempotency_key], "done", delivered + timedelta(seconds=1))
        uow.commit()
    status = client.get("/api/v1/status", headers=tenant.auth("agent")).get_json()
    assert status["summaries"] == {
        "daily": {"title": "day 1", "period_start": "2026-03-03T00:00:00Z", "period_end": "2026-03-04T00:00:00Z",
                  "delivered_at": "2026-03-04T08:00:05Z"},
        "hourly": {"title": "hour", "period_start": "2026-03-02T00:00:00Z", "period_end": "2026-03-02T01:00:00Z",
                   "delivered_at": "2026-03-04T08:00:01Z"}}

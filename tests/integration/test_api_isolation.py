"""Tenant isolation: a session of tenant A can neither read nor change anything of tenant B."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support import host_token

API = "/api/v1"
MARK = "tenant-b-private"  # in B's names and B's admin: must never show up in A's answers
B_CALENDAR = {"id": "b-hours", "name": f"{MARK} hours", "timezone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}}
B_RULE = {"id": "b-rule", "name": f"{MARK} rule", "product": "Lemon", "channel": "chat", "priority": "urgent",
          "position": 1}
B_POLICY = {"id": "b-policy", "name": f"{MARK} policy", "product": "Lemon", "channel": "chat", "priority": "urgent",
            "calendar": None, "warn_before_minutes": 25,
            "targets": [{"metric": "first_response", "minutes": 30, "success_rate_percent": 90}]}
B_SETTINGS = {"timezone": "UTC", "calendars": [B_CALENDAR], "prioritization_rules": [B_RULE],
              "sla_policies": [B_POLICY]}
A_SETTINGS = {"timezone": "UTC", "calendars": [], "prioritization_rules": [], "sla_policies": []}

# Every endpoint, called by A's admin with B's ids where an id is taken: (method, path, body, A's answer).
ENDPOINTS = [
    ("get", "/settings", None, 200),
    ("put", "/settings", A_SETTINGS, 200),
    ("get", "/settings/versions", None, 200),
    ("get", "/settings/versions/1", None, 404),
    ("get", "/calendars", None, 200),
    ("get", "/calendars/b-hours", None, 404),
    ("post", "/calendars", {**B_CALENDAR, "name": "A's own"}, 201),
    ("put", "/calendars/b-hours", {**B_CALENDAR, "name": "taken over"}, 404),
    ("delete", "/calendars/b-hours", None, 404),
    ("get", "/rules", None, 200),
    ("get", "/rules/b-rule", None, 404),
    ("post", "/rules", {**B_RULE, "name": "A's own"}, 201),
    ("put", "/rules/b-rule", {**B_RULE, "name": "taken over", "priority": "low"}, 404),
    ("delete", "/rules/b-rule", None, 404),
    ("post", "/rules/reorder", {"ids": ["b-rule"]}, 422),
    ("post", "/rules/test", {"product": "Lemon", "channel": "chat", "subject": "help"}, 200),
    ("get", "/policies", None, 200),
    ("get", "/policies/b-policy", None, 404),
    ("post", "/policies", {**B_POLICY, "name": "A's own"}, 422),  # A has no rule for Lemon/chat
    ("put", "/policies/b-policy", {**B_POLICY, "name": "taken over", "enabled": False}, 404),
    ("delete", "/policies/b-policy", None, 404),
    ("post", "/policies/preview", {"policy": "b-policy", "created_at": "2026-03-02T09:00:00Z"}, 404),
    ("get", "/tickets/B-1/targets", None, 404),
    ("get", "/reports/hourly", None, 200),
    ("get", "/reports/daily", None, 200),
    ("get", "/reports/hourly?format=csv", None, 200),
    ("get", "/reports/at-risk", None, 200),
    ("get", "/status", None, 200),
]


def _created(ticket_id: str, at: datetime) -> dict[str, object]:
    instant = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    ticket = {"id": ticket_id, "product": "Lemon", "channel": "chat", "subject": "help", "status": "new",
              "priority": None, "requester": {"name": "B", "email": "b@example.com"}, "tags": [],
              "created_at": instant, "updated_at": instant}
    return {"id": f"evt-{ticket_id}", "type": "ticket.created", "occurred_at": instant, "account_id": "globex",
            "data": {"ticket": ticket}}


def _replied(ticket_id: str, at: datetime) -> dict[str, object]:
    instant = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    message = {"id": f"m-{ticket_id}", "author_type": "agent", "public": True, "created_at": instant, "body": "on it"}
    return {"id": f"evt-{ticket_id}-reply", "type": "message.created", "occurred_at": instant, "account_id": "globex",
            "data": {"ticket": {"id": ticket_id}, "message": message}}


def _state_of(client, headers) -> tuple[object, ...]:
    """Everything of a tenant the API shows."""
    settings = client.get(f"{API}/settings", headers=headers)
    return (
        settings.get_json(),
        settings.headers["X-Settings-Version"],
        client.get(f"{API}/settings/versions", headers=headers).get_json(),
        client.get(f"{API}/tickets/B-1/targets", headers=headers).get_json(),
        client.get(f"{API}/tickets/B-2/targets", headers=headers).get_json(),
        client.get(f"{API}/reports/daily", headers=headers).get_json(),
        client.get(f"{API}/reports/at-risk", headers=headers).get_json()["targets"],
    )


@pytest.mark.parametrize(("method", "path", "body", "status"), ENDPOINTS,
                         ids=[f"{method.upper()} {path}" for method, path, _, _ in ENDPOINTS])
def test_tenant_a_cannot_reach_tenant_b(install, client, config, method, path, body, status):
    tenant_a, tenant_b = install("acme"), install("globex")
    b_headers = {"Authorization": "Bearer " + _session(client, host_token(config.app_secret, "globex", user=MARK))}
    assert client.put(f"{API}/settings", json=B_SETTINGS, headers=b_headers).status_code == 200
    now = datetime.now(UTC).replace(microsecond=0)
    for event in (_created("B-1", now - timedelta(minutes=10)),  # running, inside its warning window
                  _created("B-2", now - timedelta(hours=3)), _replied("B-2", now - timedelta(hours=3, minutes=-5))):
        assert tenant_b.send(event).status_code == 200
    before = _state_of(client, b_headers)
    assert before[6] and before[5]["rows"], "B must have at-risk targets and report rows to leak"

    response = getattr(client, method)(f"{API}{path}", json=body, headers=tenant_a.auth())

    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert MARK not in text
    assert all(ticket_id not in text for ticket_id in ("B-1", "B-2") if ticket_id not in path)
    assert _state_of(client, b_headers) == before


def _session(client, token: str) -> str:
    response = client.post(f"{API}/auth/session", json={"token": token})
    assert response.status_code == 200
    return response.get_json()["access_token"]

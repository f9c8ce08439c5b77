"""The admin API's identity: host JWT → session token, bearer sessions, roles, frame-ancestors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from plugin.security.tokens import Identity, issue_session_token
from tests.support import host_token, signed_headers

SESSION = "/api/v1/auth/session"


def _claims(account_id: str, **overrides: object) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, object] = {"iss": "reference-host", "aud": "sla-plugin", "sub": "user-1",
                                 "account_id": account_id, "role": "admin", "iat": now, "exp": now + 300,
                                 "jti": uuid.uuid4().hex}
    claims.update(overrides)
    return claims


def test_host_token_is_exchanged_for_a_bearer_session(install, client, config):
    install("acme", host_origin="https://acme.host.example")
    response = client.post(SESSION, json={"token": host_token(config.app_secret, "acme")})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == config.session_ttl_seconds
    assert response.headers["Content-Security-Policy"] == "frame-ancestors https://acme.host.example"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    settings = client.get("/api/v1/settings", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert settings.status_code == 200


def _bad_tokens(secret: str) -> dict[str, str]:
    key = secret.encode()
    return {
        "wrong audience": host_token(secret, "acme", app_id="another-app"),
        "HS512": jwt.encode(_claims("acme"), key * 2, algorithm="HS512"),
        "alg none": jwt.encode(_claims("acme"), None, algorithm="none"),
        "expired": host_token(secret, "acme", now=datetime.now(UTC) - timedelta(minutes=10)),
        "lifetime over 5 minutes": host_token(secret, "acme", lifetime=timedelta(minutes=10)),
        "other secret": host_token("whsec_c29tZW9uZSBlbHNlJ3Mgc2VjcmV0", "acme"),
        "no jti": host_token(secret, "acme", jti=None),
        "role not known": host_token(secret, "acme", role="owner"),
        "not a JWT": "not-a-token",
    }


@pytest.mark.parametrize("case", ["wrong audience", "HS512", "alg none", "expired", "lifetime over 5 minutes",
                                  "other secret", "no jti", "role not known", "not a JWT"])
def test_unacceptable_host_tokens_are_refused(install, client, config, case):
    install("acme")
    response = client.post(SESSION, json={"token": _bad_tokens(config.app_secret)[case]})
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "invalid_token"
    assert body["message"]
    assert "access_token" not in body


@pytest.mark.parametrize(("case", "reason"), [
    ("wrong audience", "not meant for this app"),
    ("HS512", "HS256"),
    ("alg none", "HS256"),
    ("expired", "expired"),
    ("lifetime over 5 minutes", "5 minutes"),
])
def test_refusals_say_why(install, client, config, case, reason):
    install("acme")
    response = client.post(SESSION, json={"token": _bad_tokens(config.app_secret)[case]})
    assert reason in response.get_json()["message"]


def test_a_host_token_is_exchanged_only_once(install, client, config):
    install("acme")
    token = host_token(config.app_secret, "acme")
    assert client.post(SESSION, json={"token": token}).status_code == 200
    again = client.post(SESSION, json={"token": token})
    assert again.status_code == 401
    assert again.get_json()["error"] == "token_reused"


def test_a_token_for_an_account_not_installed_is_refused(install, client, config):
    install("acme")
    response = client.post(SESSION, json={"token": host_token(config.app_secret, "nobody")})
    assert response.status_code == 404
    assert response.get_json()["error"] == "unknown_account"


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": 42}, {"jwt": "x"}])
def test_a_missing_token_is_named(install, client, body):
    install("acme")
    response = client.post(SESSION, json=body)
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid_request"
    assert any(problem.startswith("token:") for problem in response.get_json()["problems"])


def test_a_body_that_is_not_json_is_a_bad_request(install, client):
    install("acme")
    response = client.post(SESSION, data="{token", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "malformed_body"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-token"])
def test_api_calls_need_a_bearer_session(install, client, header):
    install("acme")
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/settings", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] in ("missing_token", "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_a_host_token_is_not_a_session_token(install, client, config):
    install("acme")
    token = host_token(config.app_secret, "acme")
    response = client.get("/api/v1/settings", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"


def test_an_expired_session_is_refused(install, client, config):
    install("acme")
    past = datetime.now(UTC) - timedelta(hours=2)
    token = issue_session_token(Identity("acme", "user-1", "admin"), config.app_id, config.app_secret, past, 60)
    response = client.get("/api/v1/settings", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.get_json()["message"]


def test_a_session_ends_with_the_installation(install, client, config):
    tenant = install("acme")
    headers = tenant.auth()
    body = '{"account_id": "acme"}'
    uninstalled = client.post("/lifecycle/uninstall", data=body, headers=signed_headers(config.app_secret, body))
    assert uninstalled.status_code == 200
    response = client.get("/api/v1/settings", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_session"


AGENT_READS = [
    ("get", "/api/v1/settings", None),
    ("get", "/api/v1/settings/versions", None),
    ("get", "/api/v1/calendars", None),
    ("get", "/api/v1/rules", None),
    ("get", "/api/v1/policies", None),
    ("get", "/api/v1/rules/orange-email-urgent", None),
    ("post", "/api/v1/rules/test", {"product": "Orange", "channel": "email", "subject": "outage"}),
    ("post", "/api/v1/policies/preview", {"policy": "orange-email-urgent", "created_at": "2026-03-02T09:00:00Z"}),
    ("get", "/api/v1/reports/hourly", None),
    ("get", "/api/v1/reports/daily", None),
    ("get", "/api/v1/reports/at-risk", None),
]

ADMIN_WRITES = [
    ("put", "/api/v1/settings", "document"),
    ("post", "/api/v1/calendars", {"id": "c", "timezone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}}),
    ("put", "/api/v1/rules/orange-email-urgent",
     {"id": "orange-email-urgent", "product": "Orange", "channel": "email", "priority": "high"}),
    ("delete", "/api/v1/policies/orange-email-urgent", None),
    ("post", "/api/v1/rules/reorder", {"ids": ["orange-email-urgent"]}),
]


@pytest.mark.parametrize(("method", "path", "body"), AGENT_READS)
def test_agents_may_read(install, client, example_settings, method, path, body):
    tenant = install("acme")
    assert client.put("/api/v1/settings", json=example_settings, headers=tenant.auth()).status_code == 200
    response = getattr(client, method)(path, json=body, headers=tenant.auth("agent"))
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_WRITES)
def test_only_admins_may_write(install, client, example_settings, method, path, body):
    tenant = install("acme")
    assert client.put("/api/v1/settings", json=example_settings, headers=tenant.auth()).status_code == 200
    body = example_settings if body == "document" else body
    refused = getattr(client, method)(path, json=body, headers=tenant.auth("agent"))
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "forbidden"
    assert client.get("/api/v1/settings/versions", headers=tenant.auth()).get_json()["versions"][0]["version"] == 1
    allowed = getattr(client, method)(path, json=body, headers=tenant.auth("admin"))
    assert allowed.status_code in (200, 201, 204), allowed.get_json()


def test_api_answers_may_be_framed_only_by_the_tenants_host(install, client):
    tenant = install("acme", host_origin="https://desk.acme.example")
    for path in ("/api/v1/settings", "/api/v1/rules", "/api/v1/reports/daily", "/api/v1/tickets/none/targets"):
        response = client.get(path, headers=tenant.auth())
        assert response.headers["Content-Security-Policy"] == "frame-ancestors https://desk.acme.example"
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(("method", "path"), [("post", "/api/v1/policies"), ("put", "/api/v1/settings"),
                                              ("post", "/api/v1/rules/reorder")])
def test_the_role_is_checked_before_the_body(install, client, method, path):
    tenant = install("acme")
    refused = getattr(client, method)(path, json={"nonsense": True}, headers=tenant.auth("agent"))
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    anonymous = getattr(client, method)(path, json={"nonsense": True})
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "missing_token"

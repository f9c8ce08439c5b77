"""The admin API describes itself at /api/v1/openapi.json (OpenAPI 3.0.3)."""

from __future__ import annotations

DOCUMENTED = {
    "/api/v1/auth/session": {"post"},
    "/api/v1/settings": {"get", "put"},
    "/api/v1/settings/versions": {"get"},
    "/api/v1/calendars": {"get", "post"},
    "/api/v1/calendars/{item_id}": {"get", "put", "delete"},
    "/api/v1/rules": {"get", "post"},
    "/api/v1/rules/{item_id}": {"get", "put", "delete"},
    "/api/v1/rules/reorder": {"post"},
    "/api/v1/rules/test": {"post"},
    "/api/v1/policies": {"get", "post"},
    "/api/v1/policies/{item_id}": {"get", "put", "delete"},
    "/api/v1/policies/preview": {"post"},
    "/api/v1/tickets/{ticket_id}/targets": {"get"},
    "/api/v1/reports/hourly": {"get"},
    "/api/v1/reports/daily": {"get"},
    "/api/v1/reports/at-risk": {"get"},
}


def test_openapi_document_lists_every_endpoint(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.0.3"
    for path, methods in DOCUMENTED.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), path


def test_openapi_documents_bearer_sessions_and_json_errors(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["session"] == {"type": "http", "scheme": "bearer",
                                                               "bearerFormat": "JWT"}
    assert spec["security"] == [{"session": []}]
    assert spec["paths"]["/api/v1/auth/session"]["post"]["security"] == []
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {"error", "message", "problems"}


def test_unknown_api_paths_answer_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert client.delete("/api/v1/settings").get_json()["error"] == "method_not_allowed"

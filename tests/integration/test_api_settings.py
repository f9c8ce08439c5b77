"""GET/PUT /api/v1/settings: whole documents, validated whole, saved as audited versions."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from plugin.settings.loading import read_settings

SETTINGS = "/api/v1/settings"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ticket_created(ticket_id: str, at: datetime) -> dict[str, object]:
    ticket = {"id": ticket_id, "product": "Orange", "channel": "email", "subject": "Service outage", "body": "",
              "status": "new", "priority": None, "requester": {"name": "C", "email": "c@example.com"}, "tags": [],
              "created_at": _iso(at), "updated_at": _iso(at)}
    return {"id": f"evt-{ticket_id}", "type": "ticket.created", "occurred_at": _iso(at), "account_id": "acme",
            "data": {"ticket": ticket}}


def test_a_new_installation_has_empty_settings_in_its_time_zone(install, client):
    tenant = install("acme", timezone="Europe/Istanbul")
    response = client.get(SETTINGS, headers=tenant.auth("agent"))
    assert response.status_code == 200
    assert response.get_json() == {"timezone": "Europe/Istanbul", "calendars": [], "prioritization_rules": [],
                                   "sla_policies": []}
    assert response.headers["X-Settings-Version"] == "0"
    assert response.headers["ETag"] == '"0"'


def test_put_then_get_returns_the_document_as_read(install, client, example_settings):
    tenant = install("acme")
    sent = {**example_settings, "sla_policies": [
        {key: value for key, value in policy.items() if key not in ("enabled", "pause_statuses")}
        for policy in example_settings["sla_policies"]]}
    saved = client.put(SETTINGS, json=sent, headers=tenant.auth())
    assert saved.status_code == 200, saved.get_json()
    assert saved.headers["X-Settings-Version"] == "1"
    read = client.get(SETTINGS, headers=tenant.auth())
    assert read.get_json() == read_settings(sent).document
    assert [(policy["enabled"], policy["pause_statuses"]) for policy in read.get_json()["sla_policies"]] == [
        (True, ["pending", "on_hold"])]  # the defaults the plugin applies, written out
    assert read.headers["ETag"] == '"1"'


def test_every_change_is_a_new_audited_version(install, client, config, example_settings):
    tenant = install("acme")
    client.put(SETTINGS, json=example_settings, headers=tenant.auth())
    changed = copy.deepcopy(example_settings)
    changed["timezone"] = "Europe/Istanbul"
    client.put(SETTINGS, json=changed, headers=tenant.auth())
    versions = client.get(f"{SETTINGS}/versions", headers=tenant.auth("agent")).get_json()["versions"]
    assert [entry["version"] for entry in versions] == [2, 1]
    assert all(entry["created_by"] == "user-1" and entry["created_at"].endswith("Z") for entry in versions)
    first = client.get(f"{SETTINGS}/versions/1", headers=tenant.auth())
    assert first.get_json() == read_settings(example_settings).document
    assert client.get(f"{SETTINGS}/versions/9", headers=tenant.auth()).status_code == 404


def _invalid_document(example: dict) -> dict:
    document = copy.deepcopy(example)
    document["timezone"] = "Mars/Olympus"
    document["sla_policies"][0]["targets"][0]["minutes"] = 0
    document["sla_policies"][0]["calendar"] = "missing"
    document["prioritization_rules"][0]["priority"] = "extreme"
    document["surprise"] = True
    return document


def test_an_invalid_document_changes_nothing_and_every_problem_is_named(install, client, example_settings):
    tenant = install("acme")
    client.put(SETTINGS, json=example_settings, headers=tenant.auth())
    response = client.put(SETTINGS, json=_invalid_document(example_settings), headers=tenant.auth())
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_settings"
    problems = "\n".join(body["problems"])
    for path in ("timezone:", "sla_policies[0].targets[0].minutes:", "prioritization_rules[0].priority:",
                 "surprise:"):
        assert path in problems
    assert body["message"]
    after = client.get(SETTINGS, headers=tenant.auth())
    assert after.get_json() == read_settings(example_settings).document
    assert after.headers["X-Settings-Version"] == "1"


def test_cross_references_are_checked_on_the_whole_document(install, client, example_settings):
    tenant = install("acme")
    document = copy.deepcopy(example_settings)
    document["sla_policies"][0]["calendar"] = "office-hours"
    document["prioritization_rules"] = []
    response = client.put(SETTINGS, json=document, headers=tenant.auth())
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert "sla_policies[0].calendar: no calendar has id 'office-hours'" in problems
    assert any("needs a prioritization rule" in problem for problem in problems)


@pytest.mark.parametrize(("data", "status", "error"), [
    ("{not json", 400, "malformed_body"),
    ("", 400, "malformed_body"),
    ("[1, 2]", 422, "invalid_settings"),
    ('"text"', 422, "invalid_settings"),
    ("[" * 100_000, 400, "malformed_body"),
    ('{"calendars": [{"id": "a\\u0000b", "timezone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}}]}', 422,
     "invalid_settings"),
])
def test_bad_bodies_are_named_never_a_server_error(install, client, data, status, error):
    tenant = install("acme")
    response = client.put(SETTINGS, data=data, content_type="application/json", headers=tenant.auth())
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert response.get_json()["message"]


def test_if_match_saves_only_over_the_version_read(install, client, example_settings):
    tenant = install("acme")
    client.put(SETTINGS, json=example_settings, headers=tenant.auth())
    stale = client.put(SETTINGS, json=example_settings, headers={**tenant.auth(), "If-Match": '"0"'})
    assert stale.status_code == 412
    assert stale.get_json()["error"] == "settings_changed"
    fresh = client.put(SETTINGS, json=example_settings, headers={**tenant.auth(), "If-Match": '"1"'})
    assert fresh.status_code == 200
    assert fresh.headers["X-Settings-Version"] == "2"
    garbled = client.put(SETTINGS, json=example_settings, headers={**tenant.auth(), "If-Match": "yesterday"})
    assert garbled.status_code == 412


def test_a_settings_change_recomputes_open_tickets(install, client, example_settings):
    tenant = install("acme")
    client.put(SETTINGS, json=example_settings, headers=tenant.auth())
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    assert tenant.send(ticket_created("T-open", created)).status_code == 200
    before = client.get("/api/v1/tickets/T-open/targets", headers=tenant.auth()).get_json()
    assert before["targets"][0]["due_at"] == _iso(created + timedelta(minutes=30))

    longer = copy.deepcopy(example_settings)
    longer["sla_policies"][0]["targets"][0]["minutes"] = 60
    assert client.put(SETTINGS, json=longer, headers=tenant.auth()).status_code == 200
    after = client.get("/api/v1/tickets/T-open/targets", headers=tenant.auth()).get_json()
    assert after["targets"][0]["due_at"] == _iso(created + timedelta(minutes=60))
    assert after["targets"][0]["status"] == "active"


def test_a_change_for_new_tickets_only_leaves_open_tickets_as_they_were(install, client, example_settings):
    tenant = install("acme")
    client.put(SETTINGS, json=example_settings, headers=tenant.auth())
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    tenant.send(ticket_created("T-open", created))
    longer = copy.deepcopy(example_settings)
    longer["sla_policies"][0]["targets"][0]["minutes"] = 60
    saved = client.put(SETTINGS, json=longer, query_string={"apply_to": "new_tickets"}, headers=tenant.auth())
    assert saved.status_code == 200, saved.get_json()
    after = client.get("/api/v1/tickets/T-open/targets", headers=tenant.auth()).get_json()
    assert after["targets"][0]["due_at"] == _iso(created + timedelta(minutes=30))
    versions = client.get(f"{SETTINGS}/versions", headers=tenant.auth()).get_json()["versions"]
    assert [entry["apply_to"] for entry in versions] == ["new_tickets", "open_tickets"]


def test_apply_to_must_be_known(install, client, example_settings):
    tenant = install("acme")
    response = client.put(SETTINGS, json=example_settings, query_string={"apply_to": "yesterday"},
                          headers=tenant.auth())
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_parameter"
    assert response.get_json()["problems"][0].startswith("apply_to:")


def test_a_target_that_could_never_be_due_is_refused(install, client, example_settings):
    tenant = install("acme")
    document = copy.deepcopy(example_settings)
    document["sla_policies"][0]["targets"][0]["minutes"] = 10**15
    response = client.put(SETTINGS, json=document, headers=tenant.auth())
    assert response.status_code == 422
    [problem] = response.get_json()["problems"]
    assert problem.startswith("sla_policies[0].targets[0].minutes: Must be greater than or equal to 1 and less than")

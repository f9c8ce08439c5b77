"""What-if comparisons over HTTP (POST /api/v1/what-if) on the worked example: an uploaded file or the
stored history, the current and the draft settings' reports, nothing saved; bad lines and drafts named."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from plugin.services.what_if import MAX_STORED_EVENTS

from .conftest import runtime_of

API = "/api/v1"
WORKED_ROW = {"period_start": "2026-03-02T00:00:00Z", "policy": "orange-email-urgent", "metric": "first_response",
              "total": 100, "met": 70, "breached": 30, "achieved_percent": 70.0, "target_percent": 80,
              "missed_tickets": 10}


def _worked(row: dict) -> dict:
    return {key: row[key] for key in WORKED_ROW}


def _draft(example_settings: dict, minutes: int) -> dict:
    draft = copy.deepcopy(example_settings)
    draft["sla_policies"][0]["targets"][0]["minutes"] = minutes
    return draft


def test_what_if_on_an_uploaded_file_gives_the_current_and_the_draft_reports_and_saves_nothing(
        client, configured, example_settings, example_events):
    headers = configured.auth()
    before = client.get(f"{API}/settings", headers=headers)
    answer = client.post(f"{API}/what-if", headers=headers, json={
        "source": "upload", "events": "\n".join(example_events) + "\n", "draft": _draft(example_settings, 240)})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["events"], body["tickets"], body["truncated"], body["since"]) == (220, 120, False, None)
    assert [_worked(row) for row in body["current"]["daily"]] == [WORKED_ROW]
    assert len(body["current"]["hourly"]) == 4
    [draft_row] = body["draft"]["daily"]
    assert (draft_row["total"], draft_row["met"], draft_row["missed_tickets"]) == (100, 100, 0)
    after = client.get(f"{API}/settings", headers=headers)
    assert after.get_json() == before.get_json() and after.headers["ETag"] == before.headers["ETag"]
    assert body["settings_version"] == int(before.headers["X-Settings-Version"])


def test_what_if_takes_only_the_draft_policies(client, configured, example_settings, example_events):
    policies = _draft(example_settings, 240)["sla_policies"]
    answer = client.post(f"{API}/what-if", headers=configured.auth(), json={
        "source": "upload", "events": "\n".join(example_events), "draft": policies})
    assert answer.status_code == 200
    assert answer.get_json()["draft"]["daily"][0]["met"] == 100


def test_what_if_on_the_stored_history_replays_the_last_days(client, worked_example, example_settings):
    headers = worked_example.auth()
    answer = client.post(f"{API}/what-if", headers=headers,
                         json={"source": "stored", "days": 30, "draft": _draft(example_settings, 30)})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["events"], body["tickets"], body["since"]) == (220, 120, "2026-02-09T00:00:00Z")
    assert body["max_events"] == MAX_STORED_EVENTS
    assert [_worked(row) for row in body["current"]["daily"]] == [WORKED_ROW]
    assert body["draft"]["daily"] == body["current"]["daily"]
    recent = client.post(f"{API}/what-if", headers=headers,
                         json={"source": "stored", "days": 7, "draft": example_settings}).get_json()
    assert (recent["events"], recent["current"]["daily"]) == (0, [])


def test_a_bad_line_is_answered_with_its_number_and_problem(client, configured, example_settings, example_events):
    events = [example_events[0], "{not json", *example_events[1:]]
    answer = client.post(f"{API}/what-if", headers=configured.auth(),
                         json={"source": "upload", "events": "\n".join(events), "draft": example_settings})
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"] == "invalid_events"
    [problem] = body["problems"]
    assert problem.startswith("events: line 2: not valid JSON")
    wrong = json.loads(example_events[0]) | {"occurred_at": "yesterday"}
    answer = client.post(f"{API}/what-if", headers=configured.auth(),
                         json={"source": "upload", "events": json.dumps(wrong), "draft": example_settings})
    assert answer.status_code == 422
    assert answer.get_json()["problems"][0].startswith("events: line 1: ")


def test_an_invalid_draft_is_answered_with_the_problems_of_a_save(client, configured, example_settings,
                                                                  example_events):
    answer = client.post(f"{API}/what-if", headers=configured.auth(), json={
        "source": "upload", "events": example_events[0], "draft": _draft(example_settings, 0)})
    assert answer.status_code == 422
    assert answer.get_json()["error"] == "invalid_settings"
    assert any(problem.startswith("sla_policies[0].targets[0].minutes: ") for problem in answer.get_json()["problems"])


@pytest.mark.parametrize(("body", "problem"), [
    ({"source": "upload", "draft": {}}, "events"),
    ({"source": "elsewhere", "draft": {}}, "source"),
    ({"source": "stored", "draft": "everything"}, "draft"),
    ({"source": "stored", "days": 400, "draft": {}}, "days"),
])
def test_a_request_it_cannot_run_is_refused_naming_the_field(client, configured, body, problem):
    answer = client.post(f"{API}/what-if", headers=configured.auth(), json=body)
    assert answer.status_code in (400, 422)
    assert any(line.split(":")[0].removeprefix("body.") == problem for line in answer.get_json()["problems"])


def test_agents_may_run_what_if_but_not_save_the_draft(client, configured, example_settings):
    """A comparison is a dry run, as the rule tester is; saving stays the admins'."""
    answer = client.post(f"{API}/what-if", headers=configured.auth("agent"),
                         json={"source": "stored", "draft": example_settings})
    assert answer.status_code == 200, answer.get_json()
    assert client.put(f"{API}/settings", headers=configured.auth("agent"), json=example_settings).status_code == 403


def test_the_store_finds_the_most_recently_active_tickets_first(app, worked_example, example_events):
    last: dict[str, datetime] = {}
    for line in example_events:
        event = json.loads(line)
        at = datetime.fromisoformat(event["occurred_at"])
        last[event["data"]["ticket"]["id"]] = max(at, last.get(event["data"]["ticket"]["id"], at))
    expected = sorted(last, key=lambda ticket: (-last[ticket].timestamp(), ticket))
    with runtime_of(app).uow() as uow:
        tenant = uow.tenants.by_account("acme")
        assert uow.tickets.active_since(tenant.id, datetime(2026, 3, 1, tzinfo=UTC), 5) == expected[:5]
        cutoff = last[expected[10]]
        assert uow.tickets.active_since(tenant.id, cutoff, 1000) == [
            ticket for ticket in expected if last[ticket] >= cutoff]
        assert uow.tickets.active_since(tenant.id, datetime(2026, 3, 3, tzinfo=UTC), 5) == []

"""CRUD of calendars, rules and policies; rule order, rule tests and policy previews."""

from __future__ import annotations

import pytest

API = "/api/v1"
CALENDAR = {"id": "istanbul-office", "name": "Istanbul office", "timezone": "Europe/Istanbul",
            "hours": {day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": ["2026-01-01", {"date": "2026-04-23", "name": "National Sovereignty Day"}]}
RULE = {"id": "orange-chat-vip", "name": "VIP chats", "product": "Orange", "channel": "chat", "match": "any",
        "conditions": [{"field": "requester_domain", "op": "in", "value": ["vip.example", "bigco.example"]}],
        "priority": "high"}
POLICY = {"id": "orange-email-high", "name": "Orange high email", "product": "Orange", "channel": "email",
          "priority": "high", "calendar": None,
          "targets": [{"metric": "first_response", "minutes": 60, "success_rate_percent": 90},
                      {"metric": "resolution", "minutes": 480, "success_rate_percent": 75}],
          "warn_before_minutes": 15}
NEW_ITEMS = {"calendars": CALENDAR, "rules": RULE, "policies": POLICY}
CHANGES = {"calendars": {"name": "Istanbul HQ"}, "rules": {"priority": "urgent"}, "policies": {"enabled": False}}


@pytest.fixture
def admin(install, client, example_settings):
    """An installed tenant with the worked example's settings; its admin's headers."""
    tenant = install("acme")
    headers = tenant.auth()
    assert client.put(f"{API}/settings", json=example_settings, headers=headers).status_code == 200
    return headers


def _version(client, headers) -> int:
    return int(client.get(f"{API}/settings", headers=headers).headers["X-Settings-Version"])


@pytest.mark.parametrize("kind", ["calendars", "rules", "policies"])
def test_items_round_trip(client, admin, kind):
    item = NEW_ITEMS[kind]
    created = client.post(f"{API}/{kind}", json=item, headers=admin)
    assert created.status_code == 201, created.get_json()
    assert created.headers["Location"] == f"{API}/{kind}/{item['id']}"
    assert created.headers["X-Settings-Version"] == "2"
    fetched = client.get(f"{API}/{kind}/{item['id']}", headers=admin).get_json()
    assert {key: fetched[key] for key in item} == item
    assert item["id"] in [entry["id"] for entry in client.get(f"{API}/{kind}", headers=admin).get_json()[kind]]

    replacement = {**item, **CHANGES[kind]}
    replaced = client.put(f"{API}/{kind}/{item['id']}", json=replacement, headers=admin)
    assert replaced.status_code == 200, replaced.get_json()
    fetched = client.get(f"{API}/{kind}/{item['id']}", headers=admin).get_json()
    assert {key: fetched[key] for key in replacement} == replacement

    deleted = client.delete(f"{API}/{kind}/{item['id']}", headers=admin)
    assert deleted.status_code == 204
    assert deleted.headers["X-Settings-Version"] == "4"
    missing = client.get(f"{API}/{kind}/{item['id']}", headers=admin)
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "not_found"


def test_items_are_stored_in_the_settings_document_as_read(client, admin):
    client.post(f"{API}/calendars", json=CALENDAR, headers=admin)
    document = client.get(f"{API}/settings", headers=admin).get_json()
    assert document["calendars"] == [CALENDAR | {"holiday_preset": None}]  # every default, written out


@pytest.mark.parametrize("kind", ["calendars", "rules", "policies"])
def test_a_duplicate_id_is_a_conflict(client, admin, kind):
    assert client.post(f"{API}/{kind}", json=NEW_ITEMS[kind], headers=admin).status_code == 201
    again = client.post(f"{API}/{kind}", json=NEW_ITEMS[kind], headers=admin)
    assert again.status_code == 409
    assert again.get_json()["error"] == "duplicate_id"
    assert _version(client, admin) == 2


@pytest.mark.parametrize(("method", "kind"), [("get", "calendars"), ("put", "rules"), ("delete", "policies")])
def test_unknown_ids_are_not_found(client, admin, method, kind):
    response = getattr(client, method)(f"{API}/{kind}/nope", json={**NEW_ITEMS[kind], "id": "nope"}, headers=admin)
    assert response.status_code == 404
    assert "nope" in response.get_json()["message"]


INVALID_ITEMS = [
    ("calendars", {**CALENDAR, "timezone": "Mars/Olympus"}, "timezone:"),
    ("calendars", {**CALENDAR, "hours": {"mon": [["18:00", "09:00"]]}}, "hours.mon:"),
    ("calendars", {**CALENDAR, "hours": {"funday": [["09:00", "17:00"]]}}, "hours.funday"),
    ("calendars", {**CALENDAR, "holidays": ["2026-13-01"]}, "holidays[0]:"),
    ("calendars", {key: value for key, value in CALENDAR.items() if key != "id"}, "id:"),
    ("rules", {**RULE, "priority": "extreme"}, "priority:"),
    ("rules", {**RULE, "conditions": [{"field": "mood", "op": "is", "value": "angry"}]}, "conditions[0].field:"),
    ("rules", {**RULE, "conditions": [{"field": "subject", "op": "matches", "value": ".*"}]}, "conditions[0].op:"),
    ("rules", {**RULE, "conditions": [{"field": "tags", "op": "in", "value": "vip"}]}, "conditions[0].value:"),
    ("rules", {**RULE, "match": "most"}, "match:"),
    ("policies", {**POLICY, "targets": [{"metric": "first_response", "minutes": 0, "success_rate_percent": 80}]},
     "targets[0].minutes:"),
    ("policies", {**POLICY, "targets": [{"metric": "happiness", "minutes": 5, "success_rate_percent": 80}]},
     "targets[0].metric:"),
    ("policies", {**POLICY, "targets": [{"metric": "resolution", "minutes": 5, "success_rate_percent": 120}]},
     "targets[0].success_rate_percent:"),
    ("policies", {**POLICY, "targets": []}, "targets:"),
    ("policies", {**POLICY, "pause_statuses": ["solved"]}, "pause_statuses[0]:"),
    ("policies", {**POLICY, "surprise": 1}, "surprise:"),
    ("policies", [POLICY], "body:"),
]


@pytest.mark.parametrize(("kind", "item", "problem"), INVALID_ITEMS)
def test_invalid_items_are_refused_naming_the_problem(client, admin, kind, item, problem):
    response = client.post(f"{API}/{kind}", json=item, headers=admin)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_request"
    assert any(line.startswith(problem) for line in body["problems"]), body
    assert _version(client, admin) == 1


def test_an_sla_needs_a_rule_for_its_product_and_channel(client, admin):
    response = client.post(f"{API}/policies", json={**POLICY, "id": "lemon", "product": "Lemon"}, headers=admin)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_settings"
    assert any("'Lemon'" in line and "needs a prioritization rule" in line for line in body["problems"])


def test_a_policy_must_name_an_existing_calendar_and_the_error_speaks_of_the_policy_sent(client, admin):
    response = client.post(f"{API}/policies", json={**POLICY, "calendar": "nowhere"}, headers=admin)
    assert response.status_code == 422
    assert response.get_json()["problems"] == ["calendar: no calendar has id 'nowhere'"]


def test_a_rule_that_an_sla_needs_cannot_be_deleted_and_the_conflict_names_both(client, admin):
    response = client.delete(f"{API}/rules/orange-email-urgent", headers=admin)
    assert response.status_code == 409
    assert response.get_json() == {"error": "item_in_use", "message": (
        "rule 'orange-email-urgent' is the only prioritization rule for product 'Orange' and channel 'email', "
        "which policy 'orange-email-urgent' needs; add another rule for them or delete the policy first")}
    assert client.get(f"{API}/rules/orange-email-urgent", headers=admin).status_code == 200


def test_a_calendar_that_a_policy_uses_cannot_be_deleted_and_the_conflict_names_the_policy(client, admin):
    client.post(f"{API}/calendars", json=CALENDAR, headers=admin)
    client.post(f"{API}/policies", json={**POLICY, "calendar": CALENDAR["id"]}, headers=admin)
    response = client.delete(f"{API}/calendars/{CALENDAR['id']}", headers=admin)
    assert response.status_code == 409
    assert response.get_json() == {"error": "item_in_use", "message": (
        "calendar 'istanbul-office' is used by policy 'orange-email-high'; change or delete them first")}
    assert client.get(f"{API}/calendars/{CALENDAR['id']}", headers=admin).status_code == 200


def test_two_enabled_policies_cannot_cover_the_same_tickets(client, admin):
    response = client.post(f"{API}/policies", json={**POLICY, "id": "copy", "priority": "urgent"}, headers=admin)
    assert response.status_code == 422
    assert any("already covers" in line for line in response.get_json()["problems"])


def test_replacing_must_keep_the_id_of_the_url(client, admin):
    response = client.put(f"{API}/rules/orange-email-urgent", json={**RULE, "id": "renamed"}, headers=admin)
    assert response.status_code == 422
    assert any(line.startswith("id:") for line in response.get_json()["problems"])


def test_new_rules_go_last_and_replaced_rules_keep_their_place(client, admin):
    client.post(f"{API}/rules", json=RULE, headers=admin)
    client.post(f"{API}/rules", json={**RULE, "id": "third"}, headers=admin)
    client.put(f"{API}/rules/orange-email-urgent",
               json={"id": "orange-email-urgent", "product": "Orange", "channel": "email", "priority": "urgent"},
               headers=admin)
    rules = client.get(f"{API}/rules", headers=admin).get_json()["rules"]
    assert [(rule["id"], rule["position"]) for rule in rules] == [
        ("orange-email-urgent", 1), ("orange-chat-vip", 2), ("third", 3)]


def test_reorder_sets_positions_one_to_n(client, admin):
    client.post(f"{API}/rules", json=RULE, headers=admin)
    response = client.post(f"{API}/rules/reorder", json={"ids": ["orange-chat-vip", "orange-email-urgent"]},
                           headers=admin)
    assert response.status_code == 200, response.get_json()
    rules = client.get(f"{API}/rules", headers=admin).get_json()["rules"]
    assert [(rule["id"], rule["position"]) for rule in rules] == [("orange-chat-vip", 1), ("orange-email-urgent", 2)]


@pytest.mark.parametrize(("ids", "problem"), [
    (["orange-email-urgent"], "rule 'orange-chat-vip' is missing"),
    (["orange-email-urgent", "orange-chat-vip", "ghost"], "no rule has id 'ghost'"),
    (["orange-email-urgent", "orange-chat-vip", "orange-chat-vip"], "'orange-chat-vip' is listed more than once"),
])
def test_reorder_must_name_every_rule_once(client, admin, ids, problem):
    client.post(f"{API}/rules", json=RULE, headers=admin)
    response = client.post(f"{API}/rules/reorder", json={"ids": ids}, headers=admin)
    assert response.status_code == 422
    assert f"ids: {problem}" in response.get_json()["problems"]
    assert _version(client, admin) == 2


@pytest.mark.parametrize(("ticket", "rule", "priority", "policy"), [
    ({"product": "Orange", "channel": "email", "subject": "Total OUTAGE"}, "orange-email-urgent", "urgent",
     "orange-email-urgent"),
    ({"product": "Orange", "channel": "email", "body": "I cannot log in since noon"}, "orange-email-urgent", "urgent",
     "orange-email-urgent"),
    ({"product": "Orange", "channel": "email", "subject": "Invoice question"}, None, "low", None),
    ({"product": "Orange", "channel": "chat", "subject": "outage"}, None, "low", None),
    ({"product": "Orange", "channel": "chat", "requester": {"name": "V", "email": "boss@VIP.example"}},
     "orange-chat-vip", "high", None),
])
def test_rule_test_names_the_first_matching_rule(client, admin, ticket, rule, priority, policy):
    client.post(f"{API}/rules", json=RULE, headers=admin)
    response = client.post(f"{API}/rules/test", json=ticket, headers=admin)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"rule": rule, "priority": priority, "policy": policy}


def test_rule_test_validates_the_ticket(client, admin):
    response = client.post(f"{API}/rules/test", json={"tags": "vip", "requester": "x"}, headers=admin)
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert any(line.startswith("tags:") for line in problems)
    assert any(line.startswith("requester:") for line in problems)


def test_policy_preview_counts_business_hours(client, admin):
    client.post(f"{API}/calendars", json=CALENDAR, headers=admin)
    client.post(f"{API}/policies", json={**POLICY, "calendar": CALENDAR["id"]}, headers=admin)
    # Friday 17:30 in Istanbul (UTC+3): 30 minutes left that day, the rest from Monday 09:00 (lunch 12-13).
    response = client.post(f"{API}/policies/preview",
                           json={"policy": POLICY["id"], "created_at": "2026-03-06T14:30:00Z"}, headers=admin)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "policy": POLICY["id"],
        "created_at": "2026-03-06T14:30:00Z",
        "targets": [{"metric": "first_response", "minutes": 60, "due_at": "2026-03-09T06:30:00Z"},
                    {"metric": "resolution", "minutes": 480, "due_at": "2026-03-09T14:30:00Z"}],
    }


def test_policy_preview_of_a_draft(client, admin):
    draft = {**POLICY, "id": "orange-email-urgent", "priority": "urgent",
             "targets": [{"metric": "first_response", "minutes": 45, "success_rate_percent": 80}]}
    response = client.post(f"{API}/policies/preview", json={"policy": draft, "created_at": "2026-03-02T09:00:00+03:00"},
                           headers=admin)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["targets"] == [{"metric": "first_response", "minutes": 45,
                                               "due_at": "2026-03-02T06:45:00Z"}]
    assert _version(client, admin) == 1  # a preview saves nothing


@pytest.mark.parametrize(("body", "status", "problem"), [
    ({"policy": "ghost", "created_at": "2026-03-02T09:00:00Z"}, 404, None),
    ({"policy": "orange-email-urgent", "created_at": "yesterday"}, 422, "created_at:"),
    ({"policy": "orange-email-urgent", "created_at": "2026-03-02T09:00:00"}, 422, "created_at:"),
    ({"policy": "orange-email-urgent", "created_at": "9999-12-31T23:59:00Z"}, 422, "created_at:"),
    ({"policy": 7, "created_at": "2026-03-02T09:00:00Z"}, 422, "policy:"),
    ({"created_at": "2026-03-02T09:00:00Z"}, 422, "policy:"),
    ({"policy": {**POLICY, "targets": [{"metric": "resolution", "minutes": -5, "success_rate_percent": 80}]},
      "created_at": "2026-03-02T09:00:00Z"}, 422, "targets[0].minutes:"),
])
def test_policy_preview_names_its_problems(client, admin, body, status, problem):
    response = client.post(f"{API}/policies/preview", json=body, headers=admin)
    assert response.status_code == status
    if problem:
        assert any(line.startswith(problem) for line in response.get_json()["problems"]), response.get_json()


def test_policy_preview_of_a_draft_due_after_the_year_9999(client, admin):
    draft = {**POLICY, "targets": [{"metric": "resolution", "minutes": 10**15, "success_rate_percent": 80}]}
    response = client.post(f"{API}/policies/preview", json={"policy": draft, "created_at": "2026-03-02T09:00:00Z"},
                           headers=admin)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_settings"
    assert any("targets[0].minutes: Must be greater than or equal to 1 and less than" in line
               for line in body["problems"]), body


def test_writes_can_be_for_new_tickets_only(client, admin):
    response = client.post(f"{API}/calendars", json=CALENDAR, query_string={"apply_to": "new_tickets"},
                           headers=admin)
    assert response.status_code == 201
    versions = client.get(f"{API}/settings/versions", headers=admin).get_json()["versions"]
    assert versions[0]["apply_to"] == "new_tickets"

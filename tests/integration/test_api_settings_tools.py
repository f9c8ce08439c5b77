"""The settings pages' helpers over HTTP: the rule tester's explanation, a calendar's open hours (saved
or draft), the time zones and a country's public holidays."""

from __future__ import annotations

import pytest

API = "/api/v1"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NEW_YORK = {"id": "new-york", "name": "New York office", "timezone": "America/New_York",
            "hours": {day: [["09:00", "17:00"]] for day in WEEKDAYS},
            "holidays": [{"date": "2027-03-12", "name": "Company day"}]}


@pytest.fixture
def tenant(install, client, example_settings):
    tenant = install("acme")
    document = {**example_settings, "calendars": [NEW_YORK]}
    assert client.put(f"{API}/settings", json=document, headers=tenant.auth()).status_code == 200
    return tenant


@pytest.fixture
def admin(tenant):
    return tenant.auth()


def test_the_explanation_names_the_rule_the_conditions_that_held_and_the_policy(client, admin):
    ticket = {"id": 42, "product": "orange ", "channel": "EMAIL", "subject": "Outage in Ankara", "body": None,
              "status": "new", "requester": {"name": "Ada", "email": None}, "tags": None,
              "created_at": "2027-03-08T09:00:00Z"}  # the host's ticket object as it is: extra fields, nulls

    answer = client.post(f"{API}/rules/explain", json=ticket, headers=admin)

    assert answer.status_code == 200, answer.get_json()
    explained = answer.get_json()
    assert {key: explained[key] for key in ("rule", "rule_name", "priority", "policy", "policy_name")} == {
        "rule": "orange-email-urgent", "rule_name": "Outages on Orange email", "priority": "urgent",
        "policy": "orange-email-urgent", "policy_name": "Orange urgent email"}
    assert "subject contains 'outage'" in explained["reason"]
    [tried] = explained["tried"]
    assert tried["in_scope"] and tried["fires"]
    assert [(check["field"], check["holds"], check["seen"]) for check in tried["conditions"]] == [
        ("subject", True, ["Outage in Ankara"]), ("body", False, [""])]


def test_no_matching_rule_is_priority_low_in_so_many_words(client, admin):
    explained = client.post(f"{API}/rules/explain", json={"product": "Lemon", "channel": "chat"},
                            headers=admin).get_json()
    assert (explained["rule"], explained["priority"], explained["policy"]) == (None, "low", None)
    assert explained["reason"].startswith("no rule is for product 'Lemon' and channel 'chat'")


def test_the_tester_ticket_is_validated(client, admin):
    answer = client.post(f"{API}/rules/explain", json={"tags": "vip", "subject": 3}, headers=admin)
    assert answer.status_code == 422
    assert sorted(answer.get_json()["problems"]) == ["subject: Not a valid string.", "tags: Not a valid list."]


def test_a_saved_calendars_two_weeks_show_its_holiday_and_the_dst_change(client, admin):
    answer = client.post(f"{API}/calendars/preview", json={"calendar": "new-york", "from": "2027-03-08"},
                         headers=admin)

    assert answer.status_code == 200, answer.get_json()
    preview = answer.get_json()
    assert (preview["calendar"], preview["timezone"], preview["from"], len(preview["days"])) == (
        "new-york", "America/New_York", "2027-03-08", 14)
    monday, friday, next_monday = preview["days"][0], preview["days"][4], preview["days"][7]
    assert monday["windows"] == [{"opens": "09:00", "closes": "17:00", "opens_at": "2027-03-08T14:00:00Z",
                                  "closes_at": "2027-03-08T22:00:00Z"}]
    assert (friday["holiday"], friday["holiday_name"], friday["windows"]) == (True, "Company day", [])
    assert next_monday["windows"][0]["opens_at"] == "2027-03-15T13:00:00Z"  # EDT from Sunday on
    assert preview["offset_changes"] == [{"at": "2027-03-14T07:00:00Z", "date": "2027-03-14", "direction": "forward",
                                          "offset_before": -5 * 3600, "offset_after": -4 * 3600,
                                          "local_before": "02:00", "local_after": "03:00"}]


def test_a_draft_is_previewed_and_its_problems_are_told_in_its_own_terms(client, admin):
    draft = {**NEW_YORK, "id": "draft", "timezone": "Europe/Istanbul", "hours": {"mon": [["09:00", "12:00"]]},
             "holiday_preset": {"country": "TR", "subdivision": None}}
    answer = client.post(f"{API}/calendars/preview", json={"calendar": draft, "from": "2027-04-19", "days": 7},
                         headers=admin)
    assert answer.status_code == 200, answer.get_json()
    days = answer.get_json()["days"]
    assert [day["open_seconds"] for day in days] == [3 * 3600, 0, 0, 0, 0, 0, 0]
    assert days[4]["holiday_name"] == "National Sovereignty and Children's Day"  # 23 April, from the preset

    broken = {**draft, "hours": {"mon": [["12:00", "09:00"]]}}
    refused = client.post(f"{API}/calendars/preview", json={"calendar": broken}, headers=admin)
    assert refused.status_code == 422
    assert refused.get_json()["problems"] == ["hours.mon: window 12:00–09:00 is reversed or empty"]


@pytest.mark.parametrize(("body", "status", "problem"), [
    ({"calendar": "nowhere"}, 404, None),
    ({"calendar": 7}, 422, "calendar: must be a calendar id or a calendar object"),
    ({"calendar": "new-york", "from": "08.03.2027"}, 422, "from: must be a date, YYYY-MM-DD"),
    ({"calendar": "new-york", "days": 90}, 422, "days: Must be greater than or equal to 1 and less than or equal "
                                                "to 31."),
])
def test_a_preview_request_that_names_nothing_or_is_invalid_is_refused(client, admin, body, status, problem):
    answer = client.post(f"{API}/calendars/preview", json=body, headers=admin)
    assert answer.status_code == status
    if problem:
        assert answer.get_json()["problems"] == [problem]


def test_time_zones_and_public_holidays(client, admin):
    zones = client.get(f"{API}/timezones", headers=admin).get_json()["timezones"]
    assert "Europe/Istanbul" in zones and "localtime" not in zones and zones == sorted(zones)

    holidays = client.get(f"{API}/holidays", query_string={"country": "TR", "year": 2027}, headers=admin)
    assert holidays.status_code == 200
    assert holidays.get_json()["holidays"][:2] == [{"date": "2027-01-01", "name": "New Year's Day"},
                                                   {"date": "2027-03-09", "name": "Eid al-Fitr"}]
    california = client.get(f"{API}/holidays", query_string={"country": "US", "year": 2027, "subdivision": "CA"},
                            headers=admin).get_json()
    assert {"date": "2027-03-31", "name": "Cesar Chavez Day"} in california["holidays"]

    countries = client.get(f"{API}/holidays/countries", headers=admin).get_json()["countries"]
    assert {"code": "TR", "name": "Turkey", "subdivisions": []} in countries


@pytest.mark.parametrize(("query", "problem"), [
    ({"country": "XX", "year": 2027}, "country: 'XX' is not a country the holidays package knows"),
    ({"country": "tr", "year": 2027}, "country: 'tr' is not a country the holidays package knows (did you mean 'TR'?)"),
    ({"country": "US", "year": 2027, "subdivision": "Atlantis"}, "subdivision: US has no subdivision 'Atlantis'"),
    ({"country": "TR", "year": 1066}, "year: Must be greater than or equal to 1970"),
])
def test_an_unknown_country_or_subdivision_is_a_clear_400(client, admin, query, problem):
    answer = client.get(f"{API}/holidays", query_string=query, headers=admin)
    assert answer.status_code == 400
    assert answer.get_json()["problems"][0].startswith(problem)


def test_agents_may_read_the_helpers(client, tenant):
    agent = tenant.auth("agent")
    assert client.get(f"{API}/timezones", headers=agent).status_code == 200
    assert client.get(f"{API}/holidays?country=TR&year=2027", headers=agent).status_code == 200


def test_agents_may_ask_the_dry_runs(client, tenant):
    agent = tenant.auth("agent")
    assert client.post(f"{API}/rules/explain", json={}, headers=agent).status_code == 200
    assert client.post(f"{API}/calendars/preview", json={"calendar": "new-york"}, headers=agent).status_code == 200


def test_a_sample_ticket_is_bounded_and_an_explanation_stays_small(client, tenant):
    """A sample ticket's text, tags and names are bounded (400 naming the field); what an explanation says
    the ticket had is cut short, and rules of other products and channels are counted, not read out."""
    agent = tenant.auth("agent")
    too_many = client.post(f"{API}/rules/explain", json={"tags": ["t"] * 101}, headers=agent)
    assert too_many.status_code in (400, 422) and any(p.startswith("tags") for p in too_many.get_json()["problems"])
    too_long = client.post(f"{API}/rules/test", json={"subject": "x" * 10_001}, headers=agent)
    assert too_long.status_code in (400, 422) and any(p.startswith("subject") for p in too_long.get_json()["problems"])

    answer = client.post(f"{API}/rules/explain", headers=agent,
                         json={"product": "Orange", "channel": "email", "subject": "s" * 10_000})
    assert answer.status_code == 200, answer.get_json()
    for rule in answer.get_json()["tried"]:
        for condition in rule["conditions"]:
            assert all(len(value) <= 201 for value in condition["seen"])
        if not rule["in_scope"]:
            assert rule["conditions"] == []

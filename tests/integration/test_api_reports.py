"""Reports over the live path: signed webhooks in, the report API's rows out (the worked example)."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from plugin.report_formats import REPORT_COLUMNS

API = "/api/v1"
EXPECTED = json.loads((Path(__file__).parents[1] / "data" / "desk360_example" / "expected.json").read_text())


@pytest.fixture
def worked_example(install, client, example_settings, example_events):
    """The worked example's 120 tickets sent as signed webhooks; the admin's headers."""
    tenant = install("acme")
    headers = tenant.auth()
    assert client.put(f"{API}/settings", json=example_settings, headers=headers).status_code == 200
    for line in example_events:
        assert tenant.send(line).status_code == 200
    return headers


def _compared(rows: list[dict]) -> list[dict]:
    """The columns expected.json fixes (the medians depend on the minute each reply came)."""
    return [{key: row[key] for key in EXPECTED["daily"][0]} for row in rows]


def test_daily_and_hourly_reports_of_the_worked_example(client, worked_example):
    daily = client.get(f"{API}/reports/daily", headers=worked_example)
    assert daily.status_code == 200
    rows = daily.get_json()["rows"]
    assert all(set(row) == set(REPORT_COLUMNS) for row in rows)
    assert _compared(rows) == EXPECTED["daily"]
    worked = {key: rows[0][key] for key in ("total", "met", "breached", "achieved_percent", "target_percent",
                                            "missed_tickets")}
    assert worked == {"total": 100, "met": 70, "breached": 30, "achieved_percent": 70.0, "target_percent": 80,
                      "missed_tickets": 10}
    hourly = client.get(f"{API}/reports/hourly", headers=worked_example).get_json()["rows"]
    assert _compared(hourly) == EXPECTED["hourly"]


def test_reports_come_as_csv_on_request(client, worked_example):
    by_parameter = client.get(f"{API}/reports/daily", query_string={"format": "csv"}, headers=worked_example)
    by_accept = client.get(f"{API}/reports/daily", headers={**worked_example, "Accept": "text/csv"})
    for response in (by_parameter, by_accept):
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert len(rows) == 1
        assert {key: rows[0][key] for key in ("period", *EXPECTED["daily"][0])} == {
            "period": "daily", "period_start": "2026-03-02T00:00:00Z", "policy": "orange-email-urgent",
            "metric": "first_response", "total": "100", "met": "70", "breached": "30", "achieved_percent": "70.0",
            "target_percent": "80", "missed_tickets": "10"}
    hourly = client.get(f"{API}/reports/hourly", query_string={"format": "csv"}, headers=worked_example)
    assert [row["total"] for row in csv.DictReader(io.StringIO(hourly.get_data(as_text=True)))] == [
        "19", "39", "25", "17"]


REPORT_FILTERS = [
    ({"from": "2026-03-02T10:00:00Z", "to": "2026-03-02T11:00:00Z"}, [39]),
    ({"from": "2026-03-02T14:00:00+03:00", "to": "2026-03-02T16:00:00+03:00"}, [25, 17]),
    ({"policy": "orange-email-urgent", "metric": "first_response"}, [19, 39, 25, 17]),
    ({"metric": "resolution"}, []),
    ({"metric": "FIRST_RESPONSE"}, [19, 39, 25, 17]),
    # Whole periods whose start lies in [from, to): from 10:30 the 10:00 hour is not counted in part.
    ({"from": "2026-03-02T10:30:00Z"}, [25, 17]),
    ({"from": "2026-03-02T10:30:00Z", "to": "2026-03-02T11:30:00Z"}, [25]),
    ({"from": "2026-03-02"}, [19, 39, 25, 17]),
    ({"to": "2026-03-02"}, []),
    ({"from": "2026-03-01", "to": "2026-03-03"}, [19, 39, 25, 17]),
]


def test_hourly_report_filters(client, worked_example):
    for query, totals in REPORT_FILTERS:
        response = client.get(f"{API}/reports/hourly", query_string=query, headers=worked_example)
        assert response.status_code == 200, response.get_json()
        assert [row["total"] for row in response.get_json()["rows"]] == totals, query


@pytest.mark.parametrize(("query", "parameter"), [
    ({"from": "yesterday"}, "from"),
    ({"from": "2026-03-02T10:00:00"}, "from"),
    ({"from": "0001-01-01T00:00:00+05:00"}, "from"),
    ({"to": "2026-02-30T00:00:00Z"}, "to"),
    ({"from": "2026-03-03T00:00:00Z", "to": "2026-03-02T00:00:00Z"}, "to"),
    ({"metric": "speed"}, "metric"),
    ({"format": "xml"}, "format"),
    ({"policy": "a\x00b"}, "policy"),
    ({"policy": "someone-elses"}, "policy"),
    ({"date": "2026-03-02"}, "date"),
    ({"range": "today"}, "range"),
    ({"from": "0001-01-01"}, "from"),
    ({"to": "9999-12-31"}, "to"),
    ({"to": "2026-03-02", "from": "2026-03-02T00:00:00Z"}, "to"),
])
def test_bad_report_parameters_are_named(install, client, query, parameter):
    tenant = install("acme")
    response = client.get(f"{API}/reports/daily", query_string=query, headers=tenant.auth())
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_parameter"
    assert any(line.startswith(f"{parameter}:") for line in body["problems"]), body


def test_days_are_the_settings_time_zone(install, client, example_settings, example_events):
    tenant = install("acme")
    settings = copy.deepcopy(example_settings)
    settings["timezone"] = "America/New_York"
    client.put(f"{API}/settings", json=settings, headers=tenant.auth())
    for line in example_events:
        tenant.send(line)
    rows = client.get(f"{API}/reports/daily", headers=tenant.auth()).get_json()["rows"]
    assert [(row["period_start"], row["total"]) for row in rows] == [("2026-03-02T05:00:00Z", 100)]


def test_ticket_targets(install, client, example_settings, example_events):
    tenant = install("acme")
    headers = tenant.auth()
    client.put(f"{API}/settings", json=example_settings, headers=headers)
    for line in example_events:
        if json.loads(line)["data"]["ticket"]["id"] in ("T001", "L001"):
            assert tenant.send(line).status_code == 200
    response = client.get(f"{API}/tickets/T001/targets", headers=headers)
    assert response.status_code == 200
    ticket = response.get_json()
    assert (ticket["id"], ticket["priority"], ticket["policy"], ticket["deleted"]) == (
        "T001", "urgent", "orange-email-urgent", False)
    [target] = ticket["targets"]
    assert set(target) == {"metric", "status", "started_at", "due_at", "stopped_at", "breached_at",
                           "business_seconds", "policy", "cycle", "warn_at"}
    assert (target["metric"], target["policy"], target["cycle"]) == ("first_response", "orange-email-urgent", 0)
    assert target["status"] in ("met", "breached")

    low = client.get(f"{API}/tickets/L001/targets", headers=headers).get_json()
    assert (low["priority"], low["policy"], low["targets"]) == ("low", None, [])
    unknown = client.get(f"{API}/tickets/T999/targets", headers=headers)
    assert unknown.status_code == 404
    assert unknown.get_json()["error"] == "not_found"


def _created(ticket_id: str, at: datetime) -> dict[str, object]:
    instant = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    ticket = {"id": ticket_id, "product": "Orange", "channel": "email", "subject": "Outage", "status": "new",
              "priority": None, "requester": {"name": "C", "email": "c@example.com"}, "tags": [],
              "created_at": instant, "updated_at": instant}
    return {"id": f"evt-{ticket_id}", "type": "ticket.created", "occurred_at": instant, "account_id": "acme",
            "data": {"ticket": ticket}}


def test_a_ticket_whose_id_holds_a_slash_is_found_with_the_slash_escaped_or_not(install, client, example_settings):
    tenant = install("acme")
    client.put(f"{API}/settings", json=example_settings, headers=tenant.auth())
    assert tenant.send(_created("INC/2026/7", datetime(2026, 3, 2, 9, 0, tzinfo=UTC))).status_code == 200

    for path in ("INC%2F2026%2F7", "INC/2026/7"):
        response = client.get(f"{API}/tickets/{path}/targets", headers=tenant.auth())
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["id"] == "INC/2026/7"


def test_at_risk_lists_running_targets_inside_their_warning_window(install, client, example_settings):
    tenant = install("acme")
    settings = copy.deepcopy(example_settings)
    settings["sla_policies"][0]["warn_before_minutes"] = 10
    client.put(f"{API}/settings", json=settings, headers=tenant.auth())
    now = datetime.now(UTC).replace(microsecond=0)
    for ticket_id, age in (("calm", 5), ("later", 22), ("sooner", 25), ("too-late", 45)):
        assert tenant.send(_created(ticket_id, now - timedelta(minutes=age))).status_code == 200
    response = client.get(f"{API}/reports/at-risk", headers=tenant.auth("agent"))
    assert response.status_code == 200
    targets = response.get_json()["targets"]
    assert [target["ticket_id"] for target in targets] == ["sooner", "later"]
    assert all(target["status"] == "active" and target["metric"] == "first_response" for target in targets)
    assert targets[0]["due_at"] == (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_report_accepts_a_plain_date_as_the_days_start_in_the_settings_time_zone(
    install, client, example_settings, example_events
):
    tenant = install("acme")
    settings = copy.deepcopy(example_settings)
    settings["timezone"] = "America/New_York"  # 2026-03-02 there starts at 05:00Z
    assert client.put(f"{API}/settings", json=settings, headers=tenant.auth()).status_code == 200
    for line in example_events:
        tenant.send(line)
    day = client.get(f"{API}/reports/daily", query_string={"from": "2026-03-02", "to": "2026-03-03"},
                     headers=tenant.auth()).get_json()["rows"]
    assert [(row["period_start"], row["total"]) for row in day] == [("2026-03-02T05:00:00Z", 100)]
    before = client.get(f"{API}/reports/daily", query_string={"to": "2026-03-02"}, headers=tenant.auth())
    assert before.get_json()["rows"] == []


def test_unknown_policy_is_named(install, client):
    tenant = install("acme")
    response = client.get(f"{API}/reports/hourly", query_string={"policy": "nope"}, headers=tenant.auth())
    assert response.status_code == 400 and response.get_json()["problems"] == ["policy: no policy has id 'nope'"]


def test_format_is_taken_in_any_case_and_the_at_risk_list_comes_as_csv_too(client, worked_example):
    daily = client.get(f"{API}/reports/daily", query_string={"format": "CSV"}, headers=worked_example)
    assert daily.status_code == 200 and daily.headers["content-type"].startswith("text/csv")
    at_risk = client.get(f"{API}/reports/at-risk", query_string={"format": "csv"}, headers=worked_example)
    assert at_risk.status_code == 200 and at_risk.headers["content-type"].startswith("text/csv")
    assert at_risk.get_data(as_text=True).splitlines()[0] == (
        "ticket_id,policy,metric,cycle,status,started_at,warn_at,due_at,business_seconds")
    refused = client.get(f"{API}/reports/at-risk", query_string={"sort": "due"}, headers=worked_example)
    assert refused.status_code == 400 and refused.get_json()["problems"][0].startswith("sort:")

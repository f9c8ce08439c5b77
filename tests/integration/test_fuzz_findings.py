"""What the fuzzers (test_fuzz_inputs.py, test_api_fuzz_schemathesis.py) found answering 500, each
now a refusal that names the problem, or an answer; one specification each, on both stores."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.conftest import InstalledTenant, process_inbox

API = "/api/v1"
CREATED = {"id": "evt_1", "type": "ticket.created", "occurred_at": "2026-03-02T09:00:00Z", "account_id": "acme",
           "data": {"ticket": {"id": "T1", "product": "Orange", "channel": "email", "subject": "Total outage",
                               "status": "new", "priority": None, "created_at": "2026-03-02T09:00:00Z"}}}
DIGITS = "1" * 5000  # more than the 4,300 digits Python reads of a number


@pytest.fixture
def tenant(install: Callable[..., InstalledTenant], app: Flask, example_settings: dict[str, Any]) -> InstalledTenant:
    tenant = install("acme")
    tenant.configure(app, example_settings)
    return tenant


def created(**changes: Any) -> dict[str, Any]:
    """The ticket.created webhook with top-level keys, or ``ticket_<key>`` keys of its ticket, changed."""
    body = copy.deepcopy(CREATED)
    for key, value in changes.items():
        if key.startswith("ticket_"):
            body["data"]["ticket"][key.removeprefix("ticket_")] = value
        else:
            body[key] = value
    return body


def refused(response: Any, status: int, error: str, message: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"] == error
    assert message in response.get_json()["message"], response.get_json()["message"]


def test_webhook_with_a_year_1_timestamp_before_utc_is_a_400(tenant: InstalledTenant) -> None:
    response = tenant.send(created(occurred_at="0001-01-01T00:00:00+01:00"), process=False)
    refused(response, 400, "invalid_event", "occurred_at: '0001-01-01T00:00:00+01:00' must lie between 1970 and 9000")


def test_webhook_with_a_year_9999_timestamp_is_a_400(tenant: InstalledTenant) -> None:
    response = tenant.send(created(ticket_created_at="9999-12-31T23:00:00-01:00"), process=False)
    refused(response, 400, "invalid_event", "data.ticket.created_at: '9999-12-31T23:00:00-01:00' must lie between")


def test_webhook_timestamps_from_1970_to_9000_are_taken(tenant: InstalledTenant) -> None:
    assert tenant.send(created(occurred_at="1970-01-01T00:00:00Z")).status_code == 200
    response = tenant.send(created(id="evt_2", ticket_created_at="8999-12-31T23:59:59+12:00"))
    assert response.get_json() == {"status": "accepted"}


def test_a_webhook_holding_a_number_of_5000_digits_is_a_400_naming_it(tenant: InstalledTenant) -> None:
    text = json.dumps(created(score="DIGITS")).replace('"DIGITS"', DIGITS)
    refused(tenant.send(text, process=False), 400, "malformed_body", "has more than 4,300 digits")


@pytest.mark.parametrize(("changes", "field"), [({"type": "\ud800"}, "type"), ({"ticket_id": "T\udc00"},
                                                                                    "data.ticket.id"),
                                                 ({"id": "evt_\ud800"}, "id")])
def test_a_lone_surrogate_in_an_id_or_the_type_of_a_webhook_is_a_400_naming_the_field(
        tenant: InstalledTenant, changes: dict[str, str], field: str) -> None:
    response = tenant.send(created(**changes), process=False)
    refused(response, 400, "invalid_event", f"{field}: must be Unicode text: a lone surrogate")


def test_a_lone_surrogate_in_a_ticket_text_is_kept_as_a_replacement_character(
        tenant: InstalledTenant, app: Flask, client: FlaskClient) -> None:
    assert tenant.send(created(ticket_subject="outage \ud800")).get_json() == {"status": "accepted"}
    assert process_inbox(app).failed == 0
    targets = client.get(f"{API}/tickets/T1/targets", headers=tenant.auth())
    assert targets.status_code == 200 and targets.get_json()["policy"] == "orange-email-urgent"


def test_a_lone_surrogate_in_the_settings_is_a_422_naming_it(client: FlaskClient, tenant: InstalledTenant,
                                                             example_settings: dict[str, Any]) -> None:
    document = copy.deepcopy(example_settings)
    document["sla_policies"][0]["name"] = "Orange \ud800"
    response = client.put(f"{API}/settings", json=document, headers=tenant.auth())
    refused(response, 422, "invalid_settings", "sla_policies[0].name: must be Unicode text: a lone surrogate")


@pytest.mark.parametrize("kind", ["calendars", "rules", "policies"])
def test_an_item_body_holding_a_number_of_5000_digits_is_a_400(client: FlaskClient, tenant: InstalledTenant,
                                                               kind: str) -> None:
    text = '{"id": "x", "position": ' + DIGITS + "}"
    response = client.post(f"{API}/{kind}", data=text, headers=tenant.auth() | {"Content-Type": "application/json"})
    refused(response, 400, "malformed_body", "has more than 4,300 digits")


def test_an_item_body_holding_nan_is_a_400_as_everywhere(client: FlaskClient, tenant: InstalledTenant) -> None:
    text = '{"metric": "first_response", "minutes": 30, "success_rate_percent": NaN}'
    response = client.post(f"{API}/policies", data=text, headers=tenant.auth() | {"Content-Type": "application/json"})
    refused(response, 400, "malformed_body", "NaN is not a JSON value")


def test_an_item_whose_id_holds_a_newline_is_created_with_its_location_quoted(client: FlaskClient,
                                                                              tenant: InstalledTenant) -> None:
    rule = {"id": "vip\nchats", "product": "Orange", "channel": "chat", "priority": "high"}
    response = client.post(f"{API}/rules", json=rule, headers=tenant.auth())
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"] == f"{API}/rules/vip%0Achats"


def test_if_match_takes_an_etag_the_bare_version_or_a_star(client: FlaskClient, tenant: InstalledTenant,
                                                           example_settings: dict[str, Any]) -> None:
    headers = tenant.auth()
    for version, if_match in enumerate(['"{}"', 'W/"{}"', "{}", "*"], start=1):
        response = client.put(f"{API}/settings", json=example_settings,
                              headers=headers | {"If-Match": if_match.format(version)})
        assert response.status_code == 200, (if_match, response.get_json())


def test_if_match_refuses_anything_else_with_a_412(client: FlaskClient, tenant: InstalledTenant,
                                                   example_settings: dict[str, Any]) -> None:
    headers = tenant.auth()
    for if_match in ['"0"', "", " 1", "1_0", "٣", '"1', "yesterday"]:
        response = client.put(f"{API}/settings", json=example_settings, headers=headers | {"If-Match": if_match})
        assert response.status_code == 412, (if_match, response.get_json())
        assert response.get_json()["error"] == "settings_changed"


@pytest.mark.parametrize("command_id", [2**31, 2**63, 2**70])
def test_retrying_a_dead_letter_id_past_the_stores_integers_is_a_422(client: FlaskClient, tenant: InstalledTenant,
                                                                    command_id: int) -> None:
    response = client.post(f"{API}/delivery/dead-letters/retry", json={"ids": [command_id]}, headers=tenant.auth())
    refused(response, 422, "invalid_request", "ids[0]: Must be greater than or equal to 1 and less than or equal to")


@pytest.mark.parametrize("draft", [{}, {"name": "Orange urgent email"}, {"id": 5}])
def test_a_policy_preview_of_a_draft_without_an_id_is_a_422_naming_it(client: FlaskClient, tenant: InstalledTenant,
                                                                      draft: dict[str, Any]) -> None:
    response = client.post(f"{API}/policies/preview", json={"policy": draft, "created_at": "2026-03-02T09:00:00Z"},
                           headers=tenant.auth())
    refused(response, 422, "invalid_request", "policy: a draft policy needs its id (a string)")


def test_a_window_written_in_other_digits_than_0_to_9_is_a_422(client: FlaskClient, tenant: InstalledTenant) -> None:
    calendar = {"id": "cairo", "timezone": "Africa/Cairo", "hours": {"sun": [["٠٩:٠٠", "١٧:٠٠"]]}}
    response = client.post(f"{API}/calendars", json=calendar, headers=tenant.auth())
    refused(response, 422, "invalid_request", "hours.sun: '٠٩:٠٠' is not a time of day in HH:MM form")

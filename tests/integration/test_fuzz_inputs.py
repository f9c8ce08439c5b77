"""The three inputs from outside, fuzzed: the signed webhook body, the settings document (PUT
/api/v1/settings) and every query parameter of every GET endpoint. None of them gets a 5xx; a
refusal is JSON that names the problem; an accepted webhook is applied by the worker.

Each test starts from a valid input and breaks it where hypothesis chooses: a field removed, or
given a value of another type, a huge or tiny number, an instant at either end of the calendar, odd
text (NUL, lone surrogates, long), nested junk. ``SLA_FUZZ_EXAMPLES`` runs them longer (docs/testing.md).
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzing import fuzz_settings
from tests.integration.conftest import InstalledTenant, process_inbox

HUGE_INT = "1" * 5000  # past Python's 4,300 digits of int(), written into the body as text
INSTANTS = ["2026-03-02T09:00:00Z", "0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
            "9999-12-31T23:00:00-01:00", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00+00:01", "8999-12-31T23:59:59Z",
            "9000-01-01T00:00:00Z", "2026-03-02T09:00:00", "2026-02-30T00:00:00Z", "2026-03-02", "+2026-03-02T09:00Z",
            "2026-03-02T09:00:00.123456789Z", "2026-03-02T24:00:00Z", "2026-W10-1T09:00Z", "T", ""]
ODD_TEXT = st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "x" * 201, "x" * 20_000, "🎉", "Ö\u0301", "\n",
                            "null", "true", "0", "-1", "1e999", "NaN", HUGE_INT])
SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-(2**130), max_value=2**130)
           | st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**300, 5e-324, -0.0, 1.7976931348623157e308])
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40) | ODD_TEXT
           | st.sampled_from(INSTANTS)
           | st.datetimes(timezones=st.timezones()).map(lambda instant: instant.isoformat()))
JUNK = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                           max_size=3), max_leaves=6)
REMOVE = object()
# Text as it can be sent: a lone surrogate can be written only as a JSON escape (ODD_TEXT has one).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key and index of a document, parents first."""
    if isinstance(document, dict):
        items: Any = document.items()
    elif isinstance(document, list):
        items = enumerate(document)
    else:
        return
    for key, value in items:
        yield (*prefix, key)
        yield from paths(value, (*prefix, key))


def mutated(document: Any, changes: list[tuple[tuple[Any, ...], Any]]) -> Any:
    """A copy with each path set to a value, or removed (``REMOVE``), where the path still exists."""
    copied = copy.deepcopy(document)
    for path, change in changes:
        value = change if change is REMOVE else copy.deepcopy(change)  # no document may hold itself
        parent, key = node_at(copied, path[:-1]), path[-1]
        if isinstance(parent, dict) and isinstance(key, str) and value is REMOVE:
            parent.pop(key, None)
        elif isinstance(parent, dict) and isinstance(key, str):
            parent[key] = value
        elif isinstance(parent, list) and isinstance(key, int) and key < len(parent):
            if value is REMOVE:
                del parent[key]
            else:
                parent[key] = value
    return copied


def node_at(document: Any, path: tuple[Any, ...]) -> Any:
    node = document
    for key in path:
        if (isinstance(node, dict) and isinstance(key, str) and key in node) or (
                isinstance(node, list) and isinstance(key, int) and key < len(node)):
            node = node[key]
        else:
            return None
    return node


def as_text(document: Any) -> str:
    """JSON text; a ``HUGE_INT`` string becomes that many digits of a number."""
    return json.dumps(document).replace(json.dumps(HUGE_INT), HUGE_INT)


def changes_to(document: Any) -> st.SearchStrategy[list[tuple[tuple[Any, ...], Any]]]:
    return st.lists(st.tuples(st.sampled_from(list(paths(document))), JUNK | st.just(REMOVE)), min_size=1, max_size=3)


def assert_refused_or_taken(response: Any, body: Any = None) -> None:
    """Never a 5xx; a refusal is JSON with an error code and a message."""
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:2000], body)
    if response.status_code >= 400:
        answer = response.get_json(silent=True)
        assert isinstance(answer, dict), response.get_data(as_text=True)[:500]
        assert isinstance(answer.get("error"), str) and answer["error"], answer
        assert isinstance(answer.get("message"), str) and answer["message"], answer


# -- (a) the signed webhook body ------------------------------------------------------------
TICKET = {"id": "T1", "product": "Orange", "channel": "email", "subject": "Total outage", "body": "Nothing works",
          "status": "new", "priority": None, "requester": {"name": "Ayşe", "email": "ayse@example.com"},
          "tags": ["vip"], "created_at": "2026-03-02T09:00:00Z", "updated_at": "2026-03-02T09:00:00Z"}
WEBHOOKS = [
    {"id": "evt", "type": "ticket.created", "occurred_at": "2026-03-02T09:00:00Z", "account_id": "acme",
     "data": {"ticket": TICKET}},
    {"id": "evt", "type": "ticket.updated", "occurred_at": "2026-03-02T09:10:00Z", "account_id": "acme",
     "data": {"ticket": {**TICKET, "status": "pending", "priority": "high"},
              "changes": {"status": ["new", "pending"], "priority": [None, "high"]}}},
    {"id": "evt", "type": "message.created", "occurred_at": "2026-03-02T09:20:00Z", "account_id": "acme",
     "data": {"ticket": {"id": "T1"}, "message": {"id": "M1", "author_type": "agent", "public": True,
                                                 "created_at": "2026-03-02T09:20:00Z", "body": "On it"}}},
    {"id": "evt", "type": "ticket.deleted", "occurred_at": "2026-03-02T09:30:00Z", "account_id": "acme",
     "data": {"ticket": {"id": "T1"}}},
]


@pytest.fixture
def tenant(install: Callable[..., InstalledTenant], app: Flask, example_settings: dict[str, Any]) -> InstalledTenant:
    tenant = install("acme")
    tenant.configure(app, example_settings)
    return tenant


@fuzz_settings(in_ci=300)
@given(data=st.data())
def test_no_signed_webhook_body_gets_a_server_error(tenant: InstalledTenant, app: Flask, data: st.DataObject) -> None:
    webhook = data.draw(st.sampled_from(WEBHOOKS))
    body = mutated(webhook | {"id": f"evt_{uuid.uuid4().hex}"}, data.draw(changes_to(webhook)))
    response = tenant.send(as_text(body), process=False)
    assert_refused_or_taken(response, body)
    assert process_inbox(app).failed == 0, body  # an event taken is an event applied


@fuzz_settings(in_ci=100)
@given(text=st.sampled_from([as_text(webhook) for webhook in WEBHOOKS]).flatmap(
    lambda text: st.tuples(st.integers(0, len(text)), st.integers(0, 8),
                           TEXT | st.sampled_from(["[" * 100_000, HUGE_INT, "\ufeff", "\\ud800"])
                           ).map(lambda cut: text[:cut[0]] + cut[2] + text[cut[0] + cut[1]:])))
def test_no_garbled_webhook_text_gets_a_server_error(tenant: InstalledTenant, app: Flask, text: str) -> None:
    response = tenant.send(text, process=False)
    assert_refused_or_taken(response, text[:300])
    assert process_inbox(app).failed == 0


# -- (b) the settings document: PUT /api/v1/settings ------------------------------------------
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
RICH_SETTINGS: dict[str, Any] = {
    "timezone": "Europe/Istanbul",
    "calendars": [{"id": "istanbul", "name": "Istanbul office", "timezone": "Europe/Istanbul",
                   "hours": {day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in WEEKDAYS},
                   "holidays": ["2026-01-01", {"date": "2026-04-23", "name": "National Sovereignty Day"}],
                   "holiday_preset": {"country": "TR", "subdivision": None}}],
    "prioritization_rules": [
        {"id": "outages", "name": "Outages", "product": "Orange", "channel": "email", "match": "any", "position": 1,
         "conditions": [{"field": "subject", "op": "contains", "value": "outage"},
                        {"field": "requester_domain", "op": "in", "value": ["vip.example"]}], "priority": "urgent"}],
    "sla_policies": [
        {"id": "urgent", "name": "Orange urgent email", "description": "", "product": "Orange", "channel": "email",
         "priority": "urgent", "calendar": "istanbul", "pause_statuses": ["pending"], "warn_before_minutes": 15,
         "enabled": True, "targets": [{"metric": "first_response", "minutes": 30, "success_rate_percent": 80},
                                      {"metric": "next_response", "minutes": 60, "success_rate_percent": 75.5},
                                      {"metric": "resolution", "minutes": 480, "success_rate_percent": 90}]}],
}
SETTINGS_VALUES = JUNK | st.sampled_from([
    "UTC", "utc", "", "Europe/../etc/passwd", "localtime", "posixrules", "Etc/GMT+14", "Etc/GMT-14", "+03:00",
    "America/Santiago", "Pacific/Kiritimati", "right/UTC", "0001-01-01", "9999-12-31", "10000-01-01",
    "2024-02-29", "2026-02-29", "20260101", "2026-W01-1", "00:00", "24:00", "23:59", "24:01", "9:00", "٠٩:٠٠",
    [["00:00", "24:00"]], [["24:00", "24:00"]], [["09:00"]], {"date": "9999-12-31", "name": "last"},
    {"country": "US", "subdivision": "CA"}, {"country": "TR", "subdivision": "ZZ"}, {"country": "XX"},
    MAX_MINUTES := 366 * 24 * 60, MAX_MINUTES + 1, MAX_MINUTES - 1, 100, 100.0, 99.999999, 1e-300, -1e-300,
])


@pytest.fixture
def admin(tenant: InstalledTenant) -> dict[str, str]:
    return tenant.auth()


@fuzz_settings(in_ci=300)
@given(changes=st.lists(st.tuples(st.sampled_from(list(paths(RICH_SETTINGS))), SETTINGS_VALUES | st.just(REMOVE)),
                       min_size=1, max_size=3))
def test_no_settings_document_gets_a_server_error(tenant: InstalledTenant, client: FlaskClient, app: Flask,
                                                  admin: dict[str, str], changes: list[Any]) -> None:
    document = mutated(RICH_SETTINGS, changes)
    response = client.put("/api/v1/settings", data=as_text(document), headers=admin | {"Content-Type":
                                                                                       "application/json"})
    assert_refused_or_taken(response, document)
    if response.status_code == 200:  # the settings saved are the ones the worker applies
        assert client.get("/api/v1/settings", headers=admin).status_code == 200
        ticket = WEBHOOKS[0] | {"id": f"evt_{uuid.uuid4().hex}", "occurred_at": "2026-04-22T10:00:00+03:00"}
        assert tenant.send(ticket).status_code == 200  # and the worker applies it (InstalledTenant.send)


# -- (c) every query parameter of every GET endpoint -------------------------------------------
GETS = ["/api/v1/settings", "/api/v1/settings/versions", "/api/v1/settings/versions/1", "/api/v1/calendars",
        "/api/v1/calendars/office", "/api/v1/rules", "/api/v1/rules/orange-email-urgent", "/api/v1/policies",
        "/api/v1/policies/orange-email-urgent", "/api/v1/tickets/T085/targets", "/api/v1/status",
        "/api/v1/reports/hourly", "/api/v1/reports/daily", "/api/v1/reports/at-risk", "/api/v1/openapi.json"]
PARAMETERS = ["from", "to", "policy", "metric", "format", "apply_to", "date", "page", ""]
QUERY_VALUES = TEXT | st.sampled_from([
    "0001-01-01", "1969-12-31", "1970-01-01", "1970-01-02", "8999-12-31", "9000-01-01", "9999-12-31", "10000-01-01",
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1970-01-01T00:00:00+00:01", "8999-12-31T23:59:59-12:00",
    "2026-03-08T00:00:00-03:00", "2026-04-05", "2026-03-02T09:00:00", "2026-03-02T09:00Z", "2026-02-30",
    "orange-email-urgent", "first_response", " CSV ", "JSON", "csv", "json", "new_tickets", "1e999", "-1", "NaN",
    "99999999999999999999", "\x00", "x" * 5000, "",
]) | st.integers(-(2**70), 2**70).map(str) | st.datetimes(timezones=st.timezones()).map(lambda when: when.isoformat())
PATH_PARTS = (TEXT.filter(lambda part: part not in ("", ".", "..")).map(lambda part: quote(part, safe=""))
              | st.integers(-(2**70), 2**70).map(str)
              | st.sampled_from(["%00", "%2F", "x" * 300, "T085", "office", "1"]))


@pytest.fixture
def with_history(install: Callable[..., InstalledTenant], app: Flask, example_settings: dict[str, Any],
                 example_events: list[str]) -> dict[str, str]:
    """A tenant whose days begin at a DST change (Santiago's clocks skip midnight), with tickets; its
    admin's headers."""
    tenant = install("acme")
    tenant.configure(app, {**example_settings, "timezone": "America/Santiago", "calendars": [OFFICE]})
    for line in example_events[:40]:
        assert tenant.send(line, process=False).status_code == 200
    process_inbox(app)
    return tenant.auth()


OFFICE = {"id": "office", "timezone": "America/Santiago", "hours": {"mon": [["09:00", "17:00"]]}}


@fuzz_settings(in_ci=400)
@given(path=st.sampled_from(GETS) | st.tuples(st.sampled_from(["/api/v1/settings/versions/", "/api/v1/calendars/",
                                                                "/api/v1/tickets/"]), PATH_PARTS).map("".join),
       query=st.lists(st.tuples(st.sampled_from(PARAMETERS) | TEXT, QUERY_VALUES), max_size=4),
       csv=st.booleans())
def test_no_query_parameter_gets_a_server_error(client: FlaskClient, with_history: dict[str, str], path: str,
                                                query: list[tuple[str, str]], csv: bool) -> None:
    headers = with_history | ({"Accept": "text/csv"} if csv else {})
    response = client.get(path, query_string=query, headers=headers)
    assert_refused_or_taken(response, (path, query))

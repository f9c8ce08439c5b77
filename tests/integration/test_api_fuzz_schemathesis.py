"""schemathesis against /api/v1/openapi.json, through the WSGI app, as an installed tenant's admin.

Every generated request, valid or not, gets an answer that is no server error and that the document
describes (status, content type, body); a request the document calls invalid is refused. A request it
calls valid is accepted by the writes of ``ACCEPTING``: where a rule spans fields or needs what is
stored (windows in order, one target per metric, the ids of the rules to reorder), the document says
it in words and ``keep_documented_rules`` applies it to the request, as an admin reading the
document would. Each request meets the same settings (the ``seeded`` fixture).

Generated with schemathesis' strategies in hypothesis tests of our own, one per operation and mode:
its pytest plugin does not run on pytest 9.2. ``SLA_FUZZ_EXAMPLES`` sets the examples of each
(docs/testing.md: the long run).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import holidays
import pytest
import schemathesis
from flask import Flask
from hypothesis import given
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from plugin.domain.calendar import parse_clock_time
from plugin.settings.schemas import CLOCK_TIME_PATTERN
from tests.fuzzing import fuzz_settings
from tests.integration.conftest import InstalledTenant

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = {"id": "always-open", "timezone": "UTC", "hours": {day: [["00:00", "24:00"]] for day in WEEK}}
OFFICE = {"id": "office", "timezone": "Europe/Istanbul", "hours": {"mon": [["09:00", "17:00"]]}}
ANY_PRODUCT = {"id": "any-product", "product": "*", "channel": "*", "priority": "normal", "position": 9}
SEEDED_ITEMS = {"calendars": OFFICE["id"], "rules": ANY_PRODUCT["id"], "policies": "orange-email-urgent"}
# Operations whose valid requests are accepted; the others may refuse what names nothing stored (a
# report's policy, a settings document's cross-references) and are left to test_fuzz_inputs.py.
ACCEPTING = {"POST /api/v1/calendars", "PUT /api/v1/calendars/{item_id}", "POST /api/v1/policies",
             "PUT /api/v1/policies/{item_id}", "POST /api/v1/policies/preview", "POST /api/v1/rules/reorder",
             "POST /api/v1/rules", "PUT /api/v1/rules/{item_id}", "POST /api/v1/rules/test"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def seeded(install: Callable[..., InstalledTenant], app: Flask,
           example_settings: dict[str, Any]) -> tuple[InstalledTenant, dict[str, Any]]:
    """A tenant and the settings each request meets: the worked example, a rule for any product
    and channel (so that any policy has its rule) and two calendars."""
    document = {**example_settings, "calendars": [ALWAYS_OPEN, OFFICE],
                "prioritization_rules": [*example_settings["prioritization_rules"], ANY_PRODUCT]}
    return install("acme"), document


def test_the_admin_api_answers_as_its_document_says(app: Flask, seeded: tuple[InstalledTenant, dict[str, Any]]) -> None:
    tenant, document = seeded
    headers = tenant.auth()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # 412: an If-Match the settings moved past is refused before the body is read.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "412"]

    def send(case: Any) -> None:
        tenant.configure(app, document)
        checks = list(CHECKS)
        if case.meta.generation.mode == GenerationMode.NEGATIVE:
            checks.append(negative_data_rejection)
        elif case.operation.label in ACCEPTING:
            keep_documented_rules(case)
            checks.append(positive_data_acceptance)
        case.call_and_validate(headers=headers, checks=checks)

    failures = []
    for operation in (result.ok() for result in schema.get_all_operations()):
        for mode in GenerationMode:
            try:
                fuzz(operation.as_strategy(generation_mode=mode), send)
            except (Exception, FailureGroup) as error:  # every operation is tried; all failures are reported
                failures.append(f"{operation.label} ({mode}): {summary(error)}")
    assert not failures, "\n\n".join(failures)


def fuzz(cases: Any, send: Callable[[Any], None]) -> None:
    fuzz_settings(in_ci=8)(given(cases)(send))()


def summary(error: BaseException) -> str:
    """schemathesis' report, its long lines (the request's curl command) cut short."""
    return "\n".join(line if len(line) < 1000 else line[:1000] + "…" for line in str(error).splitlines())


def keep_documented_rules(case: Any) -> None:
    """What the descriptions say and JSON Schema cannot, applied to a generated valid request."""
    label, body = case.operation.label, without_nul(case.body)
    case.body = body
    if "{item_id}" in label:
        case.path_parameters["item_id"] = body["id"] = SEEDED_ITEMS[label.split("/")[3]]
    if "/calendars" in label:
        keep_windows_in_order(body)
        if body.get("holiday_preset"):
            preset = body["holiday_preset"]
            if preset.get("subdivision") not in holidays.list_supported_countries()[preset["country"]]:
                preset["subdivision"] = None
    elif label == "POST /api/v1/rules/reorder":
        body["ids"] = ["orange-email-urgent", "any-product"][:: 1 if len(body["ids"]) % 2 else -1]
    elif label == "POST /api/v1/policies/preview" and isinstance(body["policy"], dict):
        keep_policy_rules(body["policy"])
    elif "/policies" in label and "preview" not in label:
        keep_policy_rules(body)


def without_nul(value: Any) -> Any:
    """No text of the settings may contain NUL (the document's description)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


def keep_windows_in_order(calendar: dict[str, Any]) -> None:
    """Each window opens before it closes, a day's windows are in order and do not overlap, and some
    day has one."""
    for day, windows in calendar["hours"].items():
        kept: list[list[str]] = []
        for opens, closes in sorted(windows, key=lambda window: parse_clock_time(window[0])):
            if parse_clock_time(opens) < parse_clock_time(closes) and (
                    not kept or parse_clock_time(kept[-1][1]) <= parse_clock_time(opens)):
                kept.append([opens, closes])
        calendar["hours"][day] = kept
    if not any(calendar["hours"].values()):
        calendar["hours"]["mon"] = [["09:00", "17:00"]]


def keep_policy_rules(policy: dict[str, Any]) -> None:
    """One target per metric; a warning in minutes or in percent, and shorter than the shortest
    target; a calendar the settings have, on which its targets fit five years."""
    by_metric = {target["metric"]: target for target in reversed(policy["targets"])}
    policy["targets"] = list(by_metric.values())
    if policy.get("warn_before_minutes") is not None:
        policy["warn_before_percent"] = None
        shortest = min(target["minutes"] for target in policy["targets"])
        policy["warn_before_minutes"] = min(policy["warn_before_minutes"], shortest - 1)
    if policy.get("calendar") is not None:
        policy["calendar"] = ALWAYS_OPEN["id"]


def test_the_document_states_the_rules_json_schema_can(client: Any) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    policy, calendar = schemas["PolicyBody"], schemas["CalendarBody"]
    assert policy["additionalProperties"] is False
    assert policy["not"]["required"] == ["warn_before_minutes", "warn_before_percent"]  # one kind of warning
    assert policy["properties"]["warn_before_percent"]["exclusiveMaximum"] is True
    assert policy["properties"]["targets"]["maxItems"] == 3  # one per metric
    assert "Europe/Istanbul" in calendar["properties"]["timezone"]["enum"]
    hours = calendar["properties"]["hours"]
    assert set(hours["properties"]) == set(WEEK) and hours["additionalProperties"] is False
    assert hours["properties"]["mon"]["items"]["items"]["pattern"] == CLOCK_TIME_PATTERN
    assert {"type": "object", "nullable": True, "enum": [None]} in calendar["properties"]["holiday_preset"]["anyOf"]
    conditions = schemas["RuleBody"]["properties"]["conditions"]["items"]["oneOf"]
    assert [condition["properties"]["op"]["enum"][0] for condition in conditions] == ["in", "is"]
    assert schemas["RuleOrder"]["properties"]["ids"]["uniqueItems"] is True

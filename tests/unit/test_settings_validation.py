"""The settings document: what loads, and how each mistake is named."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from plugin.settings import SettingsError, load_settings
from plugin.settings.loading import read_settings

EXAMPLE = Path(__file__).parents[1] / "data" / "desk360_example" / "settings.json"


def document() -> dict[str, Any]:
    data = json.loads(EXAMPLE.read_text())
    data["calendars"] = [
        {
            "id": "istanbul",
            "name": "Istanbul office",
            "timezone": "Europe/Istanbul",
            "hours": {day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": ["2026-01-01", {"date": "2026-04-23", "name": "National Sovereignty Day"}],
        }
    ]
    data["sla_policies"][0]["calendar"] = "istanbul"
    return data


def problems_of(data: Any) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(data)
    return caught.value.problems


def test_the_worked_example_loads() -> None:
    settings = load_settings(json.loads(EXAMPLE.read_text()))
    assert [policy.id for policy in settings.policies] == ["orange-email-urgent"]
    assert settings.policies[0].targets[0].minutes == 30
    assert settings.policies[0].calendar is None
    assert settings.policies[0].pause_statuses == frozenset()


def test_the_document_as_read_has_every_default_and_every_value_of_its_type() -> None:
    sent = document()
    del sent["sla_policies"][0]["pause_statuses"]
    sent["sla_policies"][0]["targets"][0]["success_rate_percent"] = 80

    read = read_settings(sent).document

    policy = read["sla_policies"][0]
    assert (policy["pause_statuses"], policy["enabled"], policy["warn_before_minutes"]) == (["pending", "on_hold"],
                                                                                             True, None)
    assert policy["targets"][0]["success_rate_percent"] == 80.0
    assert read["calendars"][0]["holidays"] == ["2026-01-01", {"date": "2026-04-23",
                                                               "name": "National Sovereignty Day"}]
    assert read_settings(read).document == read  # reading it again changes nothing


def test_a_calendar_with_windows_and_holidays_loads() -> None:
    settings = load_settings(document())
    calendar = settings.calendars["istanbul"]
    assert settings.policies[0].calendar is calendar
    # 2026-04-23 is a named holiday: Thursday's hours do not count.
    assert calendar.business_seconds(datetime(2026, 4, 23, tzinfo=UTC), datetime(2026, 4, 24, tzinfo=UTC)) == 0
    # Friday: 09–12 and 13–18 in Istanbul (UTC+3) = 8 hours.
    assert calendar.business_seconds(datetime(2026, 4, 24, tzinfo=UTC), datetime(2026, 4, 25, tzinfo=UTC)) == 8 * 3600


def test_optional_keys_get_defaults() -> None:
    data = document()
    del data["sla_policies"][0]["pause_statuses"]
    del data["sla_policies"][0]["description"]
    policy = load_settings(data).policies[0]
    assert policy.pause_statuses == frozenset({"pending", "on_hold"})
    assert policy.enabled is True and policy.description == ""


def test_holiday_preset_adds_national_holidays() -> None:
    data = document()
    data["calendars"][0]["holiday_preset"] = {"country": "TR"}
    data["calendars"][0]["holidays"] = []
    calendar = load_settings(data).calendars["istanbul"]
    # 2027-10-29, Republic Day (a Friday), comes from the package, for a year nobody listed.
    day = datetime(2027, 10, 29, tzinfo=UTC)
    assert date(2027, 10, 29).weekday() == 4  # a Friday, open but for the holiday
    assert calendar.business_seconds(day, day.replace(day=30)) == 0
    assert calendar.business_seconds(day.replace(day=28), day) == 8 * 3600


def mutate(path: str, value: Any) -> dict[str, Any]:
    """A copy of the document with one key (dotted path, numeric parts index lists) set or removed."""
    data = copy.deepcopy(document())
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key: Any = int(last) if last.isdigit() else last
    if value is REMOVE:
        del node[key]
    else:
        node[key] = value
    return data


REMOVE = object()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("timezone", "Mars/Olympus", "timezone: unknown IANA time zone 'Mars/Olympus'"),
        ("calendars.0.timezone", "Europe/Nowhere", "calendars[0].timezone: unknown IANA time zone"),
        ("calendars.0.hours.mon", [["18:00", "09:00"]], "calendars[0].hours.mon: window 18:00–09:00 is reversed"),
        ("calendars.0.hours.mon", [["09:00", "13:00"], ["12:00", "18:00"]], "calendars[0].hours.mon: window 12:00"),
        ("calendars.0.hours.mon", [["9:00", "13:00"]], "calendars[0].hours.mon: '9:00' is not a time of day"),
        ("calendars.0.hours.mon", [["09:00", "24:30"]], "calendars[0].hours.mon: '24:30' is not a time of day"),
        ("calendars.0.hours.funday", [["09:00", "17:00"]], "calendars[0].hours.funday.key: Must be one of"),
        ("calendars.0.hours", {}, "calendars[0].hours: a calendar needs at least one opening window"),
        ("calendars.0.holidays", ["2026-02-30"], "calendars[0].holidays[0]: '2026-02-30' is not an ISO date"),
        ("calendars.0.holiday_preset", {"country": "XX"}, "calendars[0].holiday_preset.country: Country XX"),
        ("sla_policies.0.targets.0.minutes", 0, "sla_policies[0].targets[0].minutes: Must be greater than or equal"),
        ("sla_policies.0.targets.0.minutes", "30", "sla_policies[0].targets[0].minutes: Not a valid integer"),
        ("sla_policies.0.targets.0.minutes", 10**12, "sla_policies[0].targets[0].minutes: Must be greater than or"),
        ("sla_policies.0.targets.0.success_rate_percent", 120, "sla_policies[0].targets[0].success_rate_percent"),
        ("sla_policies.0.targets.0.metric", "happiness", "sla_policies[0].targets[0].metric: Must be one of"),
        ("sla_policies.0.targets", [], "sla_policies[0].targets: Shorter than minimum length 1"),
        ("sla_policies.0.priority", "critical", "sla_policies[0].priority: Must be one of"),
        ("sla_policies.0.calendar", "paris", "sla_policies[0].calendar: no calendar has id 'paris'"),
        ("sla_policies.0.pause_statuses", ["solved"], "sla_policies[0].pause_statuses[0]: Must be one of"),
        ("sla_policies.0.channel", "chat", "sla_policies[0]: an SLA for product 'Orange' and channel 'chat' needs"),
        ("sla_policies.0.surprise", 1, "sla_policies[0].surprise: Unknown field"),
        ("sla_policies.0.name", REMOVE, "sla_policies[0].name: Missing data for required field"),
        ("prioritization_rules.0.conditions.0.op", "matches", "prioritization_rules[0].conditions[0].op: Must be one"),
        ("prioritization_rules.0.conditions.0.op", "in", "prioritization_rules[0].conditions[0].value: operator 'in'"),
        ("prioritization_rules.0.conditions.0.field", "mood", "prioritization_rules[0].conditions[0].field: Must be"),
        ("prioritization_rules.0.priority", "asap", "prioritization_rules[0].priority: Must be one of"),
        ("sla_policies.0.enabled", "0", "sla_policies[0].enabled: must be true or false"),
        ("sla_policies.0.enabled", 1, "sla_policies[0].enabled: must be true or false"),
        ("sla_policies.0.warn_before_minutes", 30, "sla_policies[0].warn_before_minutes: must be less than the "
         "shortest target (30 minutes)"),
        ("sla_policies.0.warn_before_percent", 100, "sla_policies[0].warn_before_percent: Must be greater than or "
         "equal to 0 and less than 100"),
        ("sla_policies.0.name", "n" * 10_000, "sla_policies[0].name: Length must be between 1 and 200"),
        ("sla_policies.0.description", "d" * 10_000, "sla_policies[0].description: Longer than maximum length 2000"),
        ("prioritization_rules.0.name", "n" * 201, "prioritization_rules[0].name: Longer than maximum length 200"),
    ],
)
def test_each_mistake_is_named_by_its_path(path: str, value: Any, expected: str) -> None:
    problems = problems_of(mutate(path, value))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_product_and_channel_spelled_differently_are_the_same_for_rules_and_duplicates() -> None:
    data = document()
    data["prioritization_rules"][0] |= {"product": "ORANGE", "channel": " Email "}  # covers the policy's
    twin = copy.deepcopy(data["sla_policies"][0]) | {"id": "twin", "product": "orange "}
    data["sla_policies"].append(twin)
    assert problems_of(data) == [
        "sla_policies[1]: policy 'orange-email-urgent' already covers product 'orange ', channel 'email', "
        "priority 'urgent'"
    ]


def test_duplicate_policies_for_one_product_channel_priority_are_rejected() -> None:
    data = document()
    twin = copy.deepcopy(data["sla_policies"][0]) | {"id": "twin"}
    data["sla_policies"].append(twin)
    assert problems_of(data) == [
        "sla_policies[1]: policy 'orange-email-urgent' already covers product 'Orange', channel 'email', "
        "priority 'urgent'"
    ]
    twin["enabled"] = False  # a disabled draft beside the live policy is fine
    load_settings(data)


def test_duplicate_ids_are_rejected() -> None:
    data = document()
    data["prioritization_rules"].append(copy.deepcopy(data["prioritization_rules"][0]))
    assert "prioritization_rules[1].id: duplicate id 'orange-email-urgent'" in problems_of(data)


def test_two_targets_for_one_metric_are_rejected() -> None:
    data = document()
    data["sla_policies"][0]["targets"].append({"metric": "first_response", "minutes": 60, "success_rate_percent": 90})
    assert problems_of(data) == ["sla_policies[0].targets: more than one target for first_response"]


def test_wildcard_rule_satisfies_the_rule_requirement() -> None:
    data = document()
    data["prioritization_rules"][0]["channel"] = "*"
    data["sla_policies"][0]["channel"] = "chat"
    load_settings(data)


@pytest.mark.parametrize("bad", [[], "settings", None, 3])
def test_a_document_that_is_not_an_object_is_rejected(bad: Any) -> None:
    assert problems_of(bad) == ["settings: must be a JSON object"]


def test_every_problem_is_reported_at_once() -> None:
    data = document()
    data["timezone"] = "Nowhere"
    data["sla_policies"][0]["targets"][0]["minutes"] = -5
    assert len(problems_of(data)) == 2


def test_two_rules_of_one_product_and_channel_cannot_share_a_position() -> None:
    data = document()
    twin = copy.deepcopy(data["prioritization_rules"][0]) | {"id": "twin", "product": "ORANGE"}
    data["prioritization_rules"].append(twin)
    position = data["prioritization_rules"][0]["position"]
    assert problems_of(data) == [
        f"prioritization_rules[1].position: rule 'orange-email-urgent' already has position {position} for product "
        "'ORANGE' and channel 'email'"
    ]
    twin["channel"] = "chat"  # another channel: positions are per product and channel
    load_settings(data)


def test_reporting_defaults_to_a_daily_summary_at_eight_and_no_hourly_ones() -> None:
    assert read_settings(document()).document["reporting"] == {"daily_summary_at": "08:00", "hourly_summary": False}
    reporting = load_settings(document() | {"reporting": {"daily_summary_at": "17:30", "hourly_summary": True}}
                              ).reporting
    assert (reporting.daily_summary_at, reporting.hourly_summary) == (17 * 3600 + 30 * 60, True)


@pytest.mark.parametrize(("reporting", "problem"), [
    ({"daily_summary_at": "24:00"}, "reporting.daily_summary_at: must be a time of day HH:MM, 00:00 to 23:59"),
    ({"daily_summary_at": "8:00"}, "reporting.daily_summary_at: must be a time of day HH:MM, 00:00 to 23:59"),
    ({"hourly_summary": "yes"}, "reporting.hourly_summary: must be true or false"),
    ({"weekly_summary": True}, "reporting.weekly_summary: Unknown field."),
])
def test_reporting_mistakes_are_named(reporting: dict[str, Any], problem: str) -> None:
    assert problems_of(document() | {"reporting": reporting}) == [problem]


def test_a_day_has_at_most_48_windows() -> None:
    data = document()
    data["calendars"][0]["hours"]["mon"] = [[f"{hour:02d}:{minute:02d}", f"{hour:02d}:{minute + 1:02d}"]
                                            for hour in range(24) for minute in (0, 20, 40)][:49]
    assert problems_of(data) == ["calendars[0].hours.mon.value: a day has at most 48 windows"]
    data["calendars"][0]["hours"]["mon"] = data["calendars"][0]["hours"]["mon"][:48]
    load_settings(data)

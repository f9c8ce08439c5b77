"""Turn a settings document into validated domain objects, or say exactly what is wrong."""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from datetime import date
from threading import Lock
from typing import Any

import holidays as holiday_data
from marshmallow import ValidationError

from plugin.domain.calendar import BusinessCalendar, parse_clock_time
from plugin.domain.policies import Reporting, Settings, SlaPolicy, Target
from plugin.domain.rules import Condition, PrioritizationRule, name_key, same_name

from .schemas import SettingsSchema

# Sections of the settings document and what one item of each is called in messages.
ITEM_NOUNS = {"calendars": "calendar", "prioritization_rules": "rule", "sla_policies": "policy"}
_ITEM_PATH = re.compile(r"^(calendars|prioritization_rules|sla_policies)\[(\d+)\]\.?")


class SettingsError(ValueError):
    """The document is not valid settings; ``problems`` are ``path: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ReadSettings:
    """A valid document as read (defaults filled in, every value of its declared type: what is stored
    and exported) and the settings it describes."""

    document: dict[str, Any]
    settings: Settings


def read_settings(document: Any) -> ReadSettings:
    """Validate a document whole; SettingsError lists every problem."""
    if not isinstance(document, dict):
        raise SettingsError(["settings: must be a JSON object"])
    schema = SettingsSchema()
    try:
        data = schema.load(document)
    except ValidationError as error:
        raise SettingsError(flatten_errors(error.messages)) from None
    problems = list(_cross_reference_problems(data))
    if problems:
        raise SettingsError(problems)
    calendars = {item["id"]: _calendar(item) for item in data["calendars"]}
    settings = Settings(
        timezone=data["timezone"],
        calendars=calendars,
        rules=tuple(_rule(item) for item in data["prioritization_rules"]),
        policies=tuple(_policy(item, calendars) for item in data["sla_policies"]),
        reporting=_reporting(data.get("reporting")),
    )
    return ReadSettings(schema.dump(data), settings)


def load_settings(document: Any) -> Settings:
    return read_settings(document).settings


def in_item_terms(problems: list[str], document: dict[str, Any], section: str, item_id: str) -> list[str]:
    """Problems of a whole document as the sender of one item sees them: paths inside that item
    relative to it (``calendar: …``), other items by their id (``policy 'p1' targets[0].minutes: …``)."""

    def rewrite(problem: str) -> str:
        match = _ITEM_PATH.match(problem)
        if not match:
            return problem
        where, index, rest = match.group(1), int(match.group(2)), problem[match.end():]
        items = document.get(where) or []
        found = items[index].get("id") if index < len(items) and isinstance(items[index], dict) else None
        name = f"{ITEM_NOUNS[where]} {found!r}" if found is not None else f"{ITEM_NOUNS[where]} #{index + 1}"
        if where == section and found == item_id and not rest.startswith(":"):
            return rest
        return f"{name}{rest}" if rest.startswith(":") else f"{name} {rest}"

    return [rewrite(problem) for problem in problems]


def flatten_errors(messages: Any, path: str = "", root: str = "settings") -> list[str]:
    """marshmallow's nested error dict as ``sla_policies[0].targets[1].minutes: message`` lines."""
    if isinstance(messages, dict):
        lines = []
        for key, value in messages.items():
            if key == "_schema":
                child = path
            elif isinstance(key, int):
                child = f"{path}[{key}]"
            else:
                child = f"{path}.{key}" if path else str(key)
            lines.extend(flatten_errors(value, child, root))
        return lines
    if isinstance(messages, list):
        return [line for message in messages for line in flatten_errors(message, path, root)]
    return [f"{path or root}: {messages}"]


def _cross_reference_problems(data: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for section in ("calendars", "prioritization_rules", "sla_policies"):
        seen: set[str] = set()
        for index, item in enumerate(data[section]):
            if item["id"] in seen:
                problems.append(f"{section}[{index}].id: duplicate id {item['id']!r}")
            seen.add(item["id"])
    calendar_ids = {item["id"] for item in data["calendars"]}
    rules = data["prioritization_rules"]
    positions: dict[tuple[str, str, int], str] = {}
    for index, rule in enumerate(rules):
        scope = (name_key(rule["product"]), name_key(rule["channel"]), rule["position"])
        if scope in positions:
            problems.append(f"prioritization_rules[{index}].position: rule {positions[scope]!r} already has position "
                            f"{rule['position']} for product {rule['product']!r} and channel {rule['channel']!r}")
        positions.setdefault(scope, rule["id"])
    enabled: dict[tuple[str, str, str], str] = {}
    for index, policy in enumerate(data["sla_policies"]):
        where = f"sla_policies[{index}]"
        if policy["calendar"] is not None and policy["calendar"] not in calendar_ids:
            problems.append(f"{where}.calendar: no calendar has id {policy['calendar']!r}")
        if not any(same_name(rule["product"], policy["product"]) and same_name(rule["channel"], policy["channel"])
                   for rule in rules):
            problems.append(
                f"{where}: an SLA for product {policy['product']!r} and channel {policy['channel']!r} "
                "needs a prioritization rule for that product and channel first"
            )
        key = (name_key(policy["product"]), name_key(policy["channel"]), policy["priority"])
        if policy["enabled"]:
            if key in enabled:
                problems.append(
                    f"{where}: policy {enabled[key]!r} already covers product {policy['product']!r}, "
                    f"channel {policy['channel']!r}, priority {policy['priority']!r}"
                )
            enabled.setdefault(key, policy["id"])
    return problems


class _Holidays:
    """Explicit dates plus, optionally, a country's public holidays.

    The ``holidays`` package adds a year to a country's holidays when a date of it is first asked
    about, and marks the year as there before its holidays are; threads sharing a calendar (the
    worker's jobs) would read a year half made. So each year is first asked about under a lock.
    """

    def __init__(self, dates: set[date], preset: Container[date] | None) -> None:
        self._dates, self._preset = dates, preset
        self._years_made: set[int] = set()
        self._lock = Lock()

    def __contains__(self, day: object) -> bool:
        if day in self._dates:
            return True
        if self._preset is None or not isinstance(day, date):
            return False
        if day.year not in self._years_made:
            with self._lock:
                if day.year not in self._years_made:
                    day in self._preset  # noqa: B015 - makes the year's holidays, once, under the lock
                    self._years_made.add(day.year)
        return day in self._preset


def _calendar(item: dict[str, Any]) -> BusinessCalendar:
    preset = item["holiday_preset"]
    national = (
        holiday_data.country_holidays(preset["country"], subdiv=preset["subdivision"]) if preset else None
    )
    dates = {day for day, _name in item["holidays"]}
    return BusinessCalendar.from_hours(item["timezone"], item["hours"], _Holidays(dates, national))


def _reporting(item: dict[str, Any] | None) -> Reporting:
    if item is None:
        return Reporting()
    return Reporting(parse_clock_time(item["daily_summary_at"]), item["hourly_summary"])


def _rule(item: dict[str, Any]) -> PrioritizationRule:
    return PrioritizationRule(
        id=item["id"],
        name=item["name"],
        product=item["product"],
        channel=item["channel"],
        position=item["position"],
        match=item["match"],
        conditions=tuple(
            Condition(c["field"], c["op"], tuple(c["value"]) if isinstance(c["value"], list) else c["value"])
            for c in item["conditions"]
        ),
        priority=item["priority"],
    )


def _policy(item: dict[str, Any], calendars: dict[str, BusinessCalendar]) -> SlaPolicy:
    return SlaPolicy(
        id=item["id"],
        name=item["name"],
        description=item["description"],
        product=item["product"],
        channel=item["channel"],
        priority=item["priority"],
        targets=tuple(Target(t["metric"], t["minutes"], t["success_rate_percent"]) for t in item["targets"]),
        calendar_id=item["calendar"],
        calendar=calendars[item["calendar"]] if item["calendar"] is not None else None,
        pause_statuses=frozenset(item["pause_statuses"]),
        warn_before_minutes=item["warn_before_minutes"],
        warn_before_percent=item["warn_before_percent"],
        enabled=item["enabled"],
    )

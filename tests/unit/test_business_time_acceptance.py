"""The published business-time facts of Chatwoot, ERPNext and Frappe Helpdesk, in our calendar format.

Every case in ``tests/data/business_time_cases.json`` must hold under the definition in design.md §3.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from plugin.domain.calendar import BusinessCalendar

CASES_PATH = Path(__file__).parents[1] / "data" / "business_time_cases.json"
CASES: dict[str, Any] = json.loads(CASES_PATH.read_text(encoding="utf-8"))


def holiday_date(entry: str | dict[str, str]) -> date:
    """A holiday is an ISO date, or ``{"date": ..., "name": ...}``."""
    text = entry["date"] if isinstance(entry, dict) else entry
    return date.fromisoformat(text)


def calendar_named(name: str) -> BusinessCalendar:
    spec = CASES["calendars"][name]
    holidays = frozenset(holiday_date(entry) for entry in spec.get("holidays", []))
    return BusinessCalendar.from_hours(spec["timezone"], spec["hours"], holidays)


def instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, f"{text} in the cases file has no offset"
    return parsed


def cases(kind: str) -> list[Any]:
    return [pytest.param(case, id=case["source"]) for case in CASES[kind]]


def test_the_cases_file_holds_both_kinds_of_fact() -> None:
    assert CASES["deadline_cases"], "no deadline cases loaded"
    assert CASES["elapsed_cases"], "no elapsed cases loaded"
    used = {case["calendar"] for case in CASES["deadline_cases"] + CASES["elapsed_cases"]}
    assert used <= set(CASES["calendars"])


@pytest.mark.parametrize("case", cases("deadline_cases"))
def test_deadline_matches_published_case(case: dict[str, Any]) -> None:
    calendar = calendar_named(case["calendar"])
    start = instant(case["start"])

    deadline = calendar.deadline(start, case["business_seconds"])

    assert deadline == instant(case["expected_deadline"])
    # The same fact read backwards: exactly that much business time lies in [start, deadline).
    assert calendar.business_seconds(start, deadline) == case["business_seconds"]


@pytest.mark.parametrize("case", cases("elapsed_cases"))
def test_business_seconds_match_published_case(case: dict[str, Any]) -> None:
    calendar = calendar_named(case["calendar"])

    elapsed = calendar.business_seconds(instant(case["start"]), instant(case["end"]))

    assert elapsed == case["expected_business_seconds"]

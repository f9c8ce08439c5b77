"""The working day: deterministic for a seed, every story in it, and, replayed through the plugin's
own engine, the outcomes each story is there for."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest

from plugin.domain.engine import TargetState, evaluate_ticket
from plugin.host.payloads import parse_event
from plugin.settings.loading import load_settings
from sandbox import SandboxHost
from sandbox.scenario import DAY_MINUTES, DEFAULT_START, STORIES, Scenario, play, working_day
from sandbox.store import Helpdesk
from tests.sandbox.conftest import LiveSandbox


def test_the_day_is_the_same_for_the_same_seed_and_start() -> None:
    assert working_day(7, DEFAULT_START) == working_day(7, DEFAULT_START)
    assert working_day(7).steps != working_day(8).steps


def test_every_story_happens_inside_the_day_in_order() -> None:
    scenario = working_day(11)
    assert set(scenario.stories().values()) == set(STORIES) | {"routine_outage", "routine_lemon_web"}
    minutes = [step.minute for step in scenario.steps]
    assert minutes == sorted(minutes) and minutes[0] >= 0 and minutes[-1] < DAY_MINUTES
    assert "INC/2026/1" in scenario.stories()


def test_the_settings_are_valid_for_the_plugin() -> None:
    settings = load_settings(working_day(1).settings)
    assert {policy.id for policy in settings.policies} >= {"orange-email-urgent", "orange-email-high"}


def outcomes(scenario: Scenario) -> dict[str, list[TargetState]]:
    """Each story's targets at the day's end, as the plugin's engine computes them from the webhooks."""
    host = SandboxHost(Helpdesk(), "http://sandbox.test")
    host.install("acme")
    play(scenario, host, "acme")
    events = defaultdict(list)
    for record in host.helpdesk.accounts["acme"].webhooks:
        event = parse_event(json.loads(record["body"]))
        assert event is not None
        events[event.ticket_id].append(event)
    settings, stories = load_settings(scenario.settings), scenario.stories()
    by_story: dict[str, list[TargetState]] = defaultdict(list)
    for ticket_id, ticket_events in events.items():
        by_story[stories[ticket_id]] += evaluate_ticket(ticket_id, ticket_events, settings, scenario.end).targets
    return by_story


def statuses(targets: list[TargetState]) -> dict[str, str]:
    return {target.metric: target.status for target in targets}


@pytest.mark.parametrize("seed", [1, 2])
def test_the_stories_breach_meet_and_warn_as_intended(seed: int) -> None:
    day = outcomes(working_day(seed))
    assert statuses(day["outage_answered_in_time"])["first_response"] == "met"
    assert statuses(day["outage_answered_late"])["first_response"] == "breached"
    assert statuses(day["private_note_is_no_answer"])["first_response"] == "breached"
    assert statuses(day["next_response_late"])["next_response"] == "breached"
    assert statuses(day["resolved_late"])["resolution"] == "breached"
    assert statuses(day["pending_then_customer"]) == {"first_response": "met", "next_response": "met",
                                                      "resolution": "met"}
    assert statuses(day["reopened"])["next_response"] == "met"
    assert set(statuses(day["deleted_spam"]).values()) == {"cancelled"}
    warned = next(t for t in day["outage_answered_in_warning_window"] if t.metric == "first_response")
    assert warned.status == "met" and warned.stopped_at is not None
    assert timedelta(minutes=20) <= warned.stopped_at - warned.started_at < timedelta(minutes=30)
    open_at_close = next(t for t in day["unanswered_at_close"] if t.metric == "first_response")
    assert open_at_close.status == "active"
    assert open_at_close.warn_at is not None and open_at_close.due_at is not None
    assert open_at_close.warn_at <= working_day(seed).end < open_at_close.due_at
    routine = [t.status for t in day["routine_outage"] if t.metric == "first_response"]
    assert "met" in routine and "breached" in routine


def test_played_at_a_rate_the_clock_runs_from_the_start_and_steps_wait_their_instant() -> None:
    scenario = working_day(3)
    driver = RecordingDriver()
    now = [0.0]
    play(scenario, driver, "acme", rate=600, sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
         monotonic=lambda: now[0])
    assert driver.clock == [(scenario.start, 600)]
    assert len(driver.actions) == len(scenario.steps)
    assert now[0] == pytest.approx(scenario.steps[-1].minute * 60 / 600)


def test_a_separate_process_plays_a_day_over_http_and_reads_what_the_host_received(live: LiveSandbox) -> None:
    scenario = working_day(5)
    play(scenario, live.client, "acme")
    state = live.client.state()["accounts"]["acme"]
    tickets = {ticket["id"]: ticket for ticket in state["tickets"]}
    assert set(scenario.stories()) <= set(tickets)
    assert len(state["webhooks"]) == len(live.client.webhooks("acme")) > len(scenario.steps)
    assert {record["outcome"] for record in state["webhooks"]} == {"not_sent"}  # no plugin in this test
    assert tickets["INC/2026/1"]["status"] == "solved"


class RecordingDriver:
    def __init__(self) -> None:
        self.clock: list[tuple[Any, float]] = []
        self.actions: list[str] = []

    def set_clock(self, now: Any, rate: float = 0.0) -> None:
        self.clock.append((now, rate))

    def create_ticket(self, account_id: str, fields: dict[str, Any], send: bool = True) -> None:
        self.actions.append("create")

    def update_ticket(self, account_id: str, ticket_id: str, fields: dict[str, Any], send: bool = True) -> None:
        self.actions.append("update")

    def reply(self, account_id: str, ticket_id: str, author: str, body: str = "", public: bool = True,
              status: str | None = None, send: bool = True) -> None:
        self.actions.append("reply")

    def delete_ticket(self, account_id: str, ticket_id: str, send: bool = True) -> None:
        self.actions.append("delete")

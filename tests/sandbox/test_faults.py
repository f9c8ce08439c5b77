"""Faults on demand, over real HTTP against ``python -m sandbox serve`` in its own process."""

from __future__ import annotations

import time

import pytest
import requests

from sandbox.client import SandboxError
from tests.sandbox.conftest import LiveSandbox

TICKET = "/tickets/INC%2F7"


def patch_priority(live: LiveSandbox, key: str, priority: str = "urgent") -> requests.Response:
    return requests.patch(live.api(TICKET), json={"priority": priority}, headers=live.headers(key), timeout=5)


def test_unavailable_answers_503_to_the_next_n_calls_and_applies_nothing(live: LiveSandbox) -> None:
    live.client.add_fault(mode="unavailable", count=2)
    statuses = [patch_priority(live, "set-priority:INC/7").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert len(live.effects()) == 1


def test_a_fault_can_match_only_some_methods_and_paths(live: LiveSandbox) -> None:
    live.client.add_fault(mode="unavailable", count=None, methods=["POST"], paths=["/api/v1/tickets/*/tags"])
    assert requests.get(live.api(TICKET), headers=live.headers(), timeout=5).status_code == 200
    assert patch_priority(live, "k1").status_code == 200
    tags = requests.post(live.api(f"{TICKET}/tags"), json={"tags": ["sla-at-risk"]}, headers=live.headers("k2"),
                         timeout=5)
    assert tags.status_code == 503
    live.client.clear_faults()
    assert requests.post(live.api(f"{TICKET}/tags"), json={"tags": ["sla-at-risk"]}, headers=live.headers("k2"),
                         timeout=5).status_code == 200


def test_503_after_applying_then_the_retry_gets_the_first_success_and_one_effect(live: LiveSandbox) -> None:
    live.client.add_fault(mode="unavailable_after_apply", paths=["/api/v1/tickets/*/notes"])
    note = {"body": "First response breached", "internal": True}
    key = "post-note:INC/7:breach:first_response:0"
    lost = requests.post(live.api(f"{TICKET}/notes"), json=note, headers=live.headers(key), timeout=5)
    retry = requests.post(live.api(f"{TICKET}/notes"), json=note, headers=live.headers(key), timeout=5)
    assert (lost.status_code, retry.status_code) == (503, 201)
    assert retry.json()["note"]["id"] == "note-1"
    assert [(effect["kind"], effect["idempotency_key"]) for effect in live.effects()] == [("post_note", key)]
    calls = live.client.calls()
    assert [(call["status"], call["fault"], call["replay"]) for call in calls] == [
        (503, "unavailable_after_apply", False), (201, None, True)]
    assert calls[0]["effect"] == 1 and calls[1]["replay_of_effect"] == 1
    ticket = live.client.state()["accounts"]["acme"]["tickets"][0]
    assert [note["body"] for note in ticket["notes"]] == ["First response breached"]


def test_rate_limited_answers_429_with_retry_after(live: LiveSandbox) -> None:
    live.client.add_fault(mode="rate_limited", retry_after=7)
    limited = patch_priority(live, "k1")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert live.effects() == []
    assert patch_priority(live, "k1").status_code == 200


def test_slow_answers_wait_before_answering(live: LiveSandbox) -> None:
    live.client.add_fault(mode="slow", seconds=0.3)
    started = time.monotonic()
    assert requests.get(live.api(TICKET), headers=live.headers(), timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.3
    live.client.add_fault(mode="slow", seconds=0.5)
    with pytest.raises(requests.Timeout):
        requests.get(live.api(TICKET), headers=live.headers(), timeout=0.2)
    deadline = time.monotonic() + 5  # the sandbox still answers (to no one): wait, so the next test starts clean
    while len(live.client.calls()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [call["status"] for call in live.client.calls()] == [200, 200]


def test_a_dropped_connection_gets_no_answer_and_applies_nothing(live: LiveSandbox) -> None:
    live.client.add_fault(mode="drop")
    with pytest.raises(requests.ConnectionError):
        patch_priority(live, "k1")
    assert live.effects() == []
    assert [(call["status"], call["dropped"]) for call in live.client.calls()] == [(None, True)]
    assert patch_priority(live, "k1").status_code == 200  # the server is still there


def test_a_connection_dropped_after_applying_then_the_retry_replays(live: LiveSandbox) -> None:
    live.client.add_fault(mode="drop_after_apply")
    with pytest.raises(requests.ConnectionError):
        patch_priority(live, "set-priority:INC/7")
    retry = patch_priority(live, "set-priority:INC/7")
    assert (retry.status_code, retry.json()["ticket"]["priority"]) == (200, "urgent")
    assert len(live.effects()) == 1


def test_a_revoked_token_gets_401_until_restored(live: LiveSandbox) -> None:
    live.client.revoke()
    assert requests.get(live.api(TICKET), headers=live.headers(), timeout=5).status_code == 401
    assert patch_priority(live, "k1").status_code == 401
    live.client.restore()
    assert patch_priority(live, "k1").status_code == 200


def test_a_fault_the_sandbox_cannot_inject_is_refused(live: LiveSandbox) -> None:
    with pytest.raises(SandboxError, match="mode: must be one of"):
        live.client.add_fault(mode="explode")
    with pytest.raises(SandboxError, match="status: must be a 5xx"):
        live.client.add_fault(mode="unavailable", status=404)

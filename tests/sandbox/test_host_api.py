"""The host REST API of design.md §4 as the sandbox serves it: bearer tokens, every endpoint,
percent-encoded ids and tags, and Idempotency-Key replay."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from sandbox.app import Sandbox
from tests.sandbox.conftest import MONDAY_9, auth


def test_every_call_needs_the_installs_access_token(client: FlaskClient, token: str) -> None:
    assert client.get("/api/v1/tickets/T1").status_code == 401
    wrong = client.get("/api/v1/tickets/T1", headers=auth("sbx_not-ours"))
    assert (wrong.status_code, wrong.json["error"]) == (401, "invalid_token")
    assert client.get("/api/v1/tickets/T1", headers=auth(token)).status_code == 200


def test_a_revoked_token_gets_401_on_every_call_until_restored(client: FlaskClient, sandbox: Sandbox,
                                                                token: str) -> None:
    sandbox.helpdesk.set_revoked(True)
    for response in (client.get("/api/v1/tickets/T1", headers=auth(token)),
                     client.patch("/api/v1/tickets/T1", json={"priority": "high"}, headers=auth(token, "k1"))):
        assert (response.status_code, response.json["error"]) == (401, "token_revoked")
    assert sandbox.helpdesk.effects == []
    sandbox.helpdesk.set_revoked(False)
    assert client.get("/api/v1/tickets/T1", headers=auth(token)).status_code == 200


def test_a_reinstall_replaces_the_token(client: FlaskClient, sandbox: Sandbox, token: str) -> None:
    new_token = sandbox.host.install("acme")["access_token"]
    assert client.get("/api/v1/tickets/T1", headers=auth(token)).status_code == 401
    assert client.get("/api/v1/tickets/T1", headers=auth(new_token)).json["ticket"]["id"] == "T1"


def test_get_answers_the_protocols_ticket_object(client: FlaskClient, token: str) -> None:
    ticket = client.get("/api/v1/tickets/T1", headers=auth(token)).json["ticket"]
    assert set(ticket) == {"id", "product", "channel", "subject", "body", "status", "priority", "requester",
                           "tags", "created_at", "updated_at"}
    assert (ticket["status"], ticket["created_at"]) == ("new", "2026-03-02T09:00:00Z")


def test_an_unknown_ticket_is_404(client: FlaskClient, token: str) -> None:
    assert client.get("/api/v1/tickets/T404", headers=auth(token)).status_code == 404
    missing = client.post("/api/v1/tickets/T404/tags", json={"tags": ["x"]}, headers=auth(token, "k1"))
    assert (missing.status_code, missing.json["error"]) == (404, "not_found")


def test_a_ticket_id_holding_a_slash_is_one_escaped_segment(client: FlaskClient, sandbox: Sandbox,
                                                            token: str) -> None:
    sandbox.host.create_ticket("acme", {"id": "INC/2026/7"})
    assert client.get("/api/v1/tickets/INC%2F2026%2F7", headers=auth(token)).json["ticket"]["id"] == "INC/2026/7"
    tagged = client.post("/api/v1/tickets/INC%2F2026%2F7/tags", json={"tags": ["a/b"]}, headers=auth(token, "k1"))
    assert tagged.json["ticket"]["tags"] == ["a/b"]
    removed = client.delete("/api/v1/tickets/INC%2F2026%2F7/tags/a%2Fb", headers=auth(token, "k2"))
    assert removed.json["ticket"]["tags"] == []
    # a plugin that forgets to escape the slash gets what a real host would answer: no such ticket
    assert client.get("/api/v1/tickets/INC/2026/7", headers=auth(token)).status_code == 404


def test_patch_sets_the_priority_as_the_plugins(client: FlaskClient, sandbox: Sandbox, token: str) -> None:
    answer = client.patch("/api/v1/tickets/T1", json={"priority": "urgent"}, headers=auth(token, "set-priority:T1"))
    assert (answer.status_code, answer.json["ticket"]["priority"]) == (200, "urgent")
    ticket = sandbox.helpdesk.account("acme").ticket("T1")
    assert (ticket.priority, ticket.priority_set_by) == ("urgent", "plugin")
    bad = client.patch("/api/v1/tickets/T1", json={"priority": "critical"}, headers=auth(token, "k2"))
    assert (bad.status_code, bad.json["error"]) == (400, "invalid_request")
    extra = client.patch("/api/v1/tickets/T1", json={"priority": "low", "status": "open"}, headers=auth(token, "k3"))
    assert "status: unknown field" in extra.json["message"]


def test_tags_are_added_as_a_set_and_removing_an_absent_tag_changes_nothing(client: FlaskClient, sandbox: Sandbox,
                                                                              token: str) -> None:
    client.post("/api/v1/tickets/T1/tags", json={"tags": ["sla-at-risk"]}, headers=auth(token, "k1"))
    answer = client.post("/api/v1/tickets/T1/tags", json={"tags": ["sla-breached", "sla-at-risk", "sla-breached"]},
                         headers=auth(token, "k2"))
    assert answer.json["ticket"]["tags"] == ["sla-at-risk", "sla-breached"]
    assert sandbox.helpdesk.effects[-1]["detail"]["added"] == ["sla-breached"]
    absent = client.delete("/api/v1/tickets/T1/tags/vip", headers=auth(token, "k3"))
    assert (absent.status_code, sandbox.helpdesk.effects[-1]["detail"]["removed"]) == (200, False)
    assert client.post("/api/v1/tickets/T1/tags", json={"tags": ["two words"]},
                       headers=auth(token, "k4")).status_code == 400


def test_notes_and_reports_are_kept(client: FlaskClient, sandbox: Sandbox, token: str) -> None:
    note = client.post("/api/v1/tickets/T1/notes", json={"body": "First response breached by 12 minutes",
                                                        "internal": True}, headers=auth(token, "k1"))
    assert (note.status_code, note.json["note"]["internal"]) == (201, True)
    report = {"title": "Daily SLA summary", "period_start": "2026-03-01T21:00:00Z",
              "period_end": "2026-03-02T21:00:00Z", "body_markdown": "| a |\n|---|\n| 1 |",
              "data": {"period": "daily", "rows": []}}
    assert client.post("/api/v1/reports", json=report, headers=auth(token, "k2")).status_code == 201
    account = sandbox.helpdesk.account("acme")
    assert [n.body for n in account.ticket("T1").notes] == ["First response breached by 12 minutes"]
    assert [r.title for r in account.reports] == ["Daily SLA summary"]
    offset = client.post("/api/v1/reports", json=report | {"period_start": "2026-03-02T00:00:00+03:00"},
                         headers=auth(token, "k3"))
    assert "in UTC with 'Z'" in offset.json["message"]


def test_every_write_needs_an_idempotency_key(client: FlaskClient, sandbox: Sandbox, token: str) -> None:
    answer = client.post("/api/v1/tickets/T1/tags", json={"tags": ["x"]}, headers=auth(token))
    assert (answer.status_code, answer.json["error"]) == (400, "missing_idempotency_key")
    assert sandbox.helpdesk.effects == []


def test_a_repeated_key_gets_the_first_answer_and_no_second_effect(client: FlaskClient, sandbox: Sandbox,
                                                                    token: str) -> None:
    headers = auth(token, "post-note:T1:breach:first_response:0")
    first = client.post("/api/v1/tickets/T1/notes", json={"body": "breached", "internal": True}, headers=headers)
    again = client.post("/api/v1/tickets/T1/notes", json={"body": "breached", "internal": True}, headers=headers)
    assert (again.status_code, again.json) == (first.status_code, first.json)
    assert len(sandbox.helpdesk.account("acme").ticket("T1").notes) == 1
    assert [effect["idempotency_key"] for effect in sandbox.helpdesk.effects] == [headers["Idempotency-Key"]]
    assert [call["replay"] for call in sandbox.helpdesk.calls] == [False, True]


def test_a_key_reused_for_another_request_replays_and_is_flagged(client: FlaskClient, sandbox: Sandbox,
                                                                  token: str) -> None:
    client.patch("/api/v1/tickets/T1", json={"priority": "urgent"}, headers=auth(token, "k1"))
    other = client.patch("/api/v1/tickets/T1", json={"priority": "low"}, headers=auth(token, "k1"))
    assert other.json["ticket"]["priority"] == "urgent"
    assert sandbox.helpdesk.calls[-1]["key_reused_for_another_request"] is True


def test_keys_are_kept_per_access_token(client: FlaskClient, sandbox: Sandbox, token: str) -> None:
    other = sandbox.host.install("globex")["access_token"]
    sandbox.host.create_ticket("globex", {"id": "T1"})
    for bearer in (token, other):
        client.post("/api/v1/tickets/T1/tags", json={"tags": ["x"]}, headers=auth(bearer, "same-key"))
    assert [effect["account_id"] for effect in sandbox.helpdesk.effects] == ["acme", "globex"]


def test_the_listing_pages_through_tickets_updated_since(client: FlaskClient, sandbox: Sandbox, token: str) -> None:
    for minute in range(1, 6):
        sandbox.clock.set(MONDAY_9.replace(minute=minute))
        sandbox.host.create_ticket("acme", {"id": f"N{minute}"})
    seen, cursor = [], None
    while True:
        query = "updated_since=2026-03-02T09:02:00Z&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/v1/tickets?{query}", headers=auth(token)).json
        seen += [ticket["id"] for ticket in page["tickets"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["N2", "N3", "N4", "N5"]
    assert client.get("/api/v1/tickets?since=yesterday", headers=auth(token)).status_code == 400


def test_every_call_is_logged(client: FlaskClient, sandbox: Sandbox, token: str) -> None:
    client.get("/api/v1/tickets/T1", headers=auth(token))
    client.get("/api/v1/tickets/T1")
    calls = sandbox.helpdesk.calls
    assert [(call["method"], call["status"], call["account_id"]) for call in calls] == [
        ("GET", 200, "acme"), ("GET", 401, None)]
    assert calls[0]["sandbox_time"] == "2026-03-02T09:00:00Z"


def test_in_process_a_dropped_connection_raises_in_the_caller(client: FlaskClient, sandbox: Sandbox,
                                                              token: str) -> None:
    """Over real HTTP the socket closes unanswered (test_faults.py); the test client has no socket."""
    sandbox.faults.add({"mode": "drop"})
    with pytest.raises(ConnectionAbortedError):
        client.get("/api/v1/tickets/T1", headers=auth(token))

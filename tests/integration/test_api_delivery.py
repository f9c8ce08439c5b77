"""GET /api/v1/delivery and POST /api/v1/delivery/dead-letters/retry on both stores: what the admin
sees of the plugin's calls to the host, and sending dead letters again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plugin.host import commands
from tests.integration.conftest import runtime_of

DELIVERY = "/api/v1/delivery"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def dead_letter(app, account_id: str, command: commands.HostCommand, error: str) -> int:
    """Queue a command and settle it as a dead letter, as the worker would after its last attempt."""
    with runtime_of(app).uow() as uow:
        tenant = uow.tenants.by_account(account_id)
        uow.outbox.add(tenant.id, [command], NOW)
        [leased] = [entry for entry in uow.outbox.claim(NOW, NOW + timedelta(seconds=60), 100)
                    if entry.command.idempotency_key == command.idempotency_key]
        uow.outbox.finish(leased.id, "dead", NOW, error, attempts=12)
        uow.commit()
    return leased.id


@pytest.fixture
def acme(install):
    return install("acme")


def test_a_new_installation_delivers_and_has_nothing_dead(acme, client) -> None:
    answer = client.get(DELIVERY, headers=acme.auth("agent"))
    assert answer.status_code == 200
    assert answer.get_json() == {"paused": False, "paused_at": None, "paused_reason": None,
                                 "commands": {"pending": 0, "done": 0, "gone": 0, "dead": 0}, "dead_letters": []}


def test_dead_letters_are_shown_with_the_hosts_last_answer_and_an_admin_can_send_them_again(
    acme, install, client, app
) -> None:
    globex = install("globex")
    first = dead_letter(app, "acme", commands.post_note("T-1", "late", "breach:first_response:0"),
                        "500 Internal Server Error")
    dead_letter(app, "acme", commands.set_priority("T-2", "urgent", "outages"), "422 Unprocessable Entity")
    theirs = dead_letter(app, "globex", commands.set_priority("G-1", "urgent", "outages"), "422 Unprocessable Entity")

    shown = client.get(DELIVERY, headers=acme.auth()).get_json()
    assert shown["commands"]["dead"] == 2
    assert [(letter["ticket_id"], letter["kind"], letter["last_error"], letter["attempts"])
            for letter in shown["dead_letters"]] == [("T-2", "set_priority", "422 Unprocessable Entity", 12),
                                                     ("T-1", "post_note", "500 Internal Server Error", 12)]

    retried = client.post(f"{DELIVERY}/dead-letters/retry", json={"ids": [first, theirs]}, headers=acme.auth())
    assert retried.status_code == 200 and retried.get_json() == {"retried": 1}  # globex's is not acme's
    assert client.get(DELIVERY, headers=acme.auth()).get_json()["commands"] == {
        "pending": 1, "done": 0, "gone": 0, "dead": 1}
    assert client.post(f"{DELIVERY}/dead-letters/retry", json={}, headers=acme.auth()).get_json() == {"retried": 1}
    assert client.get(DELIVERY, headers=globex.auth()).get_json()["commands"]["dead"] == 1


def test_a_paused_delivery_says_why(acme, client, app) -> None:
    with runtime_of(app).uow() as uow:
        tenant = uow.tenants.by_account("acme")
        uow.tenants.pause_delivery(tenant.id, "the host refused the plugin's token (401 Unauthorized); install "
                                              "the plugin again to resume", NOW)
        uow.commit()

    shown = client.get(DELIVERY, headers=acme.auth()).get_json()

    assert shown["paused"] is True and shown["paused_at"] == "2026-03-02T09:00:00+00:00"
    assert shown["paused_reason"].startswith("the host refused the plugin's token (401 Unauthorized)")


@pytest.mark.parametrize(("body", "problem"), [
    ({"ids": "all"}, "ids"), ({"ids": [0]}, "ids"), ({"ids": [1.5]}, "ids"), ({"everything": True}, "everything"),
])
def test_a_retry_request_that_is_not_a_list_of_ids_is_refused_naming_the_field(acme, client, body, problem) -> None:
    answer = client.post(f"{DELIVERY}/dead-letters/retry", json=body, headers=acme.auth())
    assert answer.status_code == 422
    assert any(line.startswith(problem) for line in answer.get_json()["problems"]), answer.get_json()


def test_agents_may_look_but_not_retry(acme, client) -> None:
    assert client.get(DELIVERY, headers=acme.auth("agent")).status_code == 200
    answer = client.post(f"{DELIVERY}/dead-letters/retry", json={}, headers=acme.auth("agent"))
    assert answer.status_code == 403 and answer.get_json()["error"] == "forbidden"

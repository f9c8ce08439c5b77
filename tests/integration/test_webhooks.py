"""POST /webhooks/<account_id>: every error answer, deduplication, and the effects of an event."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.security.secrets import SecretBox
from plugin.services.ingest import InstallationChanged
from plugin.store.models import InboxEntry, OutboxCommand, SlaTarget, StoredEvent, Ticket
from plugin.webhooks import routes
from tests.integration.conftest import InstalledTenant, process_inbox, runtime_of, stored
from tests.support import new_encryption_key, signed_headers

CREATED = {
    "id": "evt_1",
    "type": "ticket.created",
    "occurred_at": "2026-03-02T09:00:00Z",
    "account_id": "acme",
    "data": {"ticket": {"id": "T1", "product": "Orange", "channel": "email", "subject": "Total outage",
                        "body": "Nothing works", "status": "new", "priority": None,
                        "requester": {"name": "Ayşe", "email": "ayse@example.com"}, "tags": [],
                        "created_at": "2026-03-02T09:00:00Z", "updated_at": "2026-03-02T09:00:00Z"}},
}


def count(app: Flask, model: type[Any]) -> int:
    with stored(app) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def priority_writes(app: Flask) -> int:
    """Queued set_priority commands (a breached ticket also gets tags and a note)."""
    with stored(app) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(OutboxCommand)
                              .where(OutboxCommand.kind == "set_priority")) or 0


@pytest.fixture
def tenant(install: Callable[..., InstalledTenant], example_settings: dict[str, Any], app: Flask) -> InstalledTenant:
    tenant = install("acme")
    tenant.configure(app, example_settings)
    return tenant


def test_signed_event_is_processed_and_starts_targets(tenant: InstalledTenant, app: Flask) -> None:
    response = tenant.send(CREATED)
    assert response.status_code == 200 and response.get_json() == {"status": "accepted"}
    with stored(app) as session:
        target = session.scalar(sa.select(SlaTarget))
        assert target is not None and target.metric == "first_response" and target.policy_id == "orange-email-urgent"
        # 2026-03-02 is long past by the wall clock: unanswered, the target breached at its due instant.
        assert target.due_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
        assert target.status == "breached"
        outbox = session.scalars(sa.select(OutboxCommand).order_by(OutboxCommand.id)).all()
        assert [(command.kind, command.payload.get("priority") or command.payload.get("tags")) for command in outbox] \
            == [("add_tags", ["sla-breached", "sla-breached-first-response"]), ("post_note", None),
                ("set_priority", "urgent")]


def test_duplicate_webhook_has_no_second_effect(tenant: InstalledTenant, app: Flask, client: Any) -> None:
    text = json.dumps(CREATED)
    headers = signed_headers(tenant.webhook_secret, text)
    first = client.post("/webhooks/acme", data=text, headers=headers)
    process_inbox(app)
    second = client.post("/webhooks/acme", data=text, headers=headers)
    process_inbox(app)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json() == {"status": "duplicate"}
    assert (count(app, InboxEntry), count(app, StoredEvent), priority_writes(app)) == (1, 1, 1)


def test_same_event_under_a_new_webhook_id_adds_nothing(tenant: InstalledTenant, app: Flask) -> None:
    tenant.send(CREATED)
    tenant.send(CREATED)
    assert (count(app, InboxEntry), count(app, StoredEvent), priority_writes(app)) == (2, 1, 1)


def test_unknown_event_type_is_acknowledged_and_ignored(tenant: InstalledTenant, app: Flask) -> None:
    response = tenant.send(CREATED | {"type": "ticket.merged"})
    assert response.status_code == 200 and response.get_json() == {"status": "ignored"}
    assert count(app, StoredEvent) == 0


def test_agent_priority_is_kept_and_not_written_back(tenant: InstalledTenant, app: Flask) -> None:
    body = json.loads(json.dumps(CREATED))
    body["data"]["ticket"]["priority"] = "urgent"
    tenant.send(body)
    assert priority_writes(app) == 0
    with stored(app) as session:
        ticket = session.scalar(sa.select(Ticket))
        assert ticket is not None and ticket.priority == "urgent" and ticket.policy_id == "orange-email-urgent"


def rejected(response: Any, status: int, error: str, message: str = "") -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == error and message in body["message"], body


def test_bad_signature_is_401(tenant: InstalledTenant, client: Any) -> None:
    text = json.dumps(CREATED)
    headers = signed_headers(tenant.webhook_secret, text + " ")
    rejected(client.post("/webhooks/acme", data=text, headers=headers), 401, "invalid_signature", "does not verify")


def test_signature_with_another_tenants_secret_is_401(
    tenant: InstalledTenant, install: Callable[..., InstalledTenant], client: Any
) -> None:
    other = install("globex")
    text = json.dumps(CREATED)
    rejected(client.post("/webhooks/acme", data=text, headers=signed_headers(other.webhook_secret, text)),
             401, "invalid_signature")


@pytest.mark.parametrize(("shift", "words"), [(-timedelta(minutes=6), "older"), (timedelta(minutes=6), "future")])
def test_stale_or_future_timestamp_is_401(tenant: InstalledTenant, client: Any, shift: timedelta, words: str) -> None:
    text = json.dumps(CREATED)
    headers = signed_headers(tenant.webhook_secret, text, at=datetime.now(UTC) + shift)
    rejected(client.post("/webhooks/acme", data=text, headers=headers), 401, "invalid_signature", words)


def test_a_timestamp_that_is_not_unix_seconds_is_named(tenant: InstalledTenant, client: Any) -> None:
    text = json.dumps(CREATED)
    headers = signed_headers(tenant.webhook_secret, text) | {"webhook-timestamp": "yesterday"}
    rejected(client.post("/webhooks/acme", data=text, headers=headers), 401, "invalid_signature",
             "webhook-timestamp: 'yesterday' is not a Unix time in seconds")


def test_missing_signature_headers_are_401(tenant: InstalledTenant, client: Any) -> None:
    response = client.post("/webhooks/acme", data=json.dumps(CREATED), headers={"content-type": "application/json"})
    rejected(response, 401, "invalid_signature", "missing header(s): webhook-id, webhook-timestamp, webhook-signature")


def test_garbled_signature_header_is_401_not_500(tenant: InstalledTenant, client: Any) -> None:
    text = json.dumps(CREATED)
    headers = signed_headers(tenant.webhook_secret, text) | {"webhook-signature": "v1"}
    rejected(client.post("/webhooks/acme", data=text, headers=headers), 401, "invalid_signature")


def test_unknown_tenant_is_404(tenant: InstalledTenant, client: Any) -> None:
    text = json.dumps(CREATED)
    response = client.post("/webhooks/initech", data=text, headers=signed_headers(tenant.webhook_secret, text))
    rejected(response, 404, "unknown_account", "initech")


def test_account_with_a_nul_character_is_404(tenant: InstalledTenant, client: Any) -> None:
    text = json.dumps(CREATED)
    response = client.post("/webhooks/ac%00me", data=text, headers=signed_headers(tenant.webhook_secret, text))
    rejected(response, 404, "unknown_account")


def test_malformed_json_is_400(tenant: InstalledTenant) -> None:
    rejected(tenant.send('{"id": "evt_1", "type": '), 400, "malformed_body", "not valid JSON")


def test_unstorable_characters_are_stored_as_replacement_characters(tenant: InstalledTenant, app: Flask) -> None:
    body = json.loads(json.dumps(CREATED))
    body["data"]["ticket"]["subject"] = "outage\u0000 in\u0000 Istanbul"
    assert tenant.send(body).get_json() == {"status": "accepted"}
    with stored(app) as session:
        saved = session.scalar(sa.select(StoredEvent.body))
    assert saved is not None and saved["data"]["ticket"]["subject"] == "outage\ufffd in\ufffd Istanbul"


def test_body_nested_too_deeply_is_400_not_500(tenant: InstalledTenant) -> None:
    rejected(tenant.send("[" * 100_000), 400, "malformed_body", "nested too deeply")


def test_body_that_is_not_utf8_is_rejected_cleanly(tenant: InstalledTenant, client: Any) -> None:
    body = b'{"id": "\xff"}'
    headers = signed_headers(tenant.webhook_secret, "placeholder")
    rejected(client.post("/webhooks/acme", data=body, headers=headers), 401, "invalid_signature",
             "signature does not verify")  # the signature first, whatever the body
    # Signed byte for byte, as Standard Webhooks signs: then it is the body that is wrong.
    secret = base64.b64decode(tenant.webhook_secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    headers["webhook-signature"] = "v1," + base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).decode()
    rejected(client.post("/webhooks/acme", data=body, headers=headers), 400, "malformed_body", "not UTF-8 text")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("id",), None, "id: missing"),
        (("occurred_at",), 12, "occurred_at: must be a non-empty string"),
        (("data", "ticket", "id"), None, "data.ticket.id: missing"),
        (("data", "ticket", "tags"), "vip", "data.ticket.tags: must be a list of strings"),
        (("data", "ticket", "created_at"), "yesterday", "data.ticket.created_at: 'yesterday' is not an ISO 8601"),
        (("data",), "ticket", "data: must be a JSON object"),
        (("account_id",), "globex", "account_id: does not match the URL"),
    ],
)
def test_missing_fields_and_wrong_types_are_400_naming_the_field(
    tenant: InstalledTenant, path: tuple[str, ...], value: Any, message: str
) -> None:
    body = json.loads(json.dumps(CREATED))
    node = body
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    rejected(tenant.send(body), 400, "invalid_event", message)


def test_an_installation_changing_under_a_webhook_twice_is_503_to_send_again(
    tenant: InstalledTenant, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def reinstalled_meanwhile(*_: object) -> None:
        raise InstallationChanged("the installation changed while this webhook was stored; send it again")

    monkeypatch.setattr(routes, "receive_webhook", reinstalled_meanwhile)
    response = tenant.send(CREATED)
    assert response.status_code == 503 and response.get_json()["error"] == "installation_changed"
    assert count(app, InboxEntry) == 0


def test_a_secret_the_configured_key_cannot_open_is_503_so_the_host_sends_again(
    tenant: InstalledTenant, app: Flask
) -> None:
    runtime_of(app).box = SecretBox(new_encryption_key())  # the operator changed SLA_ENCRYPTION_KEY
    runtime_of(app).credentials.forget("acme")

    response = tenant.send(CREATED, process=False)

    assert response.status_code == 503
    assert response.get_json() == {"error": "secrets_unreadable", "message": (
        "a stored secret does not open with SLA_ENCRYPTION_KEY: it is not the key the secrets were sealed with")}
    assert count(app, InboxEntry) == 0


def test_body_over_one_mebibyte_is_413(tenant: InstalledTenant, client: Any) -> None:
    text = json.dumps(CREATED | {"padding": "x" * (1024 * 1024)})
    rejected(client.post("/webhooks/acme", data=text, headers=signed_headers(tenant.webhook_secret, text)),
             413, "body_too_large")


def test_rejections_leave_no_trace(tenant: InstalledTenant, client: Any, app: Flask) -> None:
    text = json.dumps(CREATED)
    client.post("/webhooks/acme", data=text, headers=signed_headers(tenant.webhook_secret, text + "x"))
    tenant.send('{"broken"')
    assert (count(app, InboxEntry), count(app, StoredEvent)) == (0, 0)


def test_worked_example_shuffled_and_twice_gives_expected_targets(
    tenant: InstalledTenant, example_events: list[str], app: Flask
) -> None:
    deliveries = [(line, signed_headers(tenant.webhook_secret, line)) for line in example_events]
    deliveries = deliveries + deliveries
    random.Random(3).shuffle(deliveries)
    for line, headers in deliveries:
        assert tenant.client.post("/webhooks/acme", data=line, headers=headers).status_code == 200
    assert process_inbox(app).failed == 0
    with stored(app) as session:
        statuses = session.execute(
            sa.select(SlaTarget.status, sa.func.count()).group_by(SlaTarget.status)
        ).all()
        priorities = session.scalars(
            sa.select(OutboxCommand.payload).where(OutboxCommand.kind == "set_priority")
        ).all()
    assert dict(statuses) == {"met": 70, "breached": 30}
    assert len(priorities) == 100 and {payload["priority"] for payload in priorities} == {"urgent"}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=30)
    | st.sampled_from(["2026-03-02T09:00:00Z", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59Z", "agent"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
PATHS = [("id",), ("type",), ("occurred_at",), ("data",), ("data", "ticket"), ("data", "ticket", "id"),
         ("data", "ticket", "status"), ("data", "ticket", "priority"), ("data", "ticket", "created_at"),
         ("data", "ticket", "requester"), ("data", "ticket", "tags"), ("data", "changes"), ("data", "message")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["ticket.created", "ticket.updated", "message.created", "ticket.deleted"]),
    mutations=st.lists(st.tuples(st.sampled_from(PATHS), JSON_VALUES), max_size=3),
)
def test_no_signed_body_makes_the_endpoint_fail(
    tenant: InstalledTenant, kind: str, mutations: list[tuple[tuple[str, ...], Any]]
) -> None:
    body = json.loads(json.dumps(CREATED)) | {"type": kind, "id": f"evt_{random.random()}"}
    for path, value in mutations:
        node = body
        for key in path[:-1]:
            node = node.setdefault(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node[path[-1]] = value
    response = tenant.send(body)
    assert response.status_code in (200, 400), (response.status_code, response.get_data(as_text=True), body)


@pytest.mark.parametrize("constant", ["Infinity", "-Infinity", "NaN"])
def test_non_json_number_constants_are_400(tenant: InstalledTenant, constant: str) -> None:
    text = json.dumps(CREATED).replace('"changes": null', "").rstrip("}") + f', "score": {constant}}}'
    rejected(tenant.send(text), 400, "malformed_body", f"{constant} is not a JSON value")


def test_a_priority_in_capitals_is_the_protocols_and_gets_its_sla(tenant: InstalledTenant, app: Flask) -> None:
    body = json.loads(json.dumps(CREATED))
    body["data"]["ticket"] |= {"priority": "URGENT", "product": " orange ", "channel": "EMAIL"}
    assert tenant.send(body).get_json() == {"status": "accepted"}
    with stored(app) as session:
        ticket = session.scalar(sa.select(Ticket))
    assert ticket is not None and (ticket.priority, ticket.policy_id) == ("urgent", "orange-email-urgent")


def test_a_priority_outside_the_protocol_is_400_naming_the_allowed_values(tenant: InstalledTenant) -> None:
    body = json.loads(json.dumps(CREATED))
    body["data"]["ticket"]["priority"] = "P1"
    rejected(tenant.send(body), 400, "invalid_event",
             "data.ticket.priority: must be one of urgent, high, normal, low (any case), not 'P1'")

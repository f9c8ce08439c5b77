"""Webhook bodies into events: what is accepted, and how each problem is named."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from plugin.host.payloads import PayloadError, parse_event

CREATED: dict[str, Any] = {
    "id": "evt_1",
    "type": "ticket.created",
    "occurred_at": "2026-03-02T09:00:00Z",
    "account_id": "acme",
    "data": {
        "ticket": {
            "id": "T1",
            "product": "Orange",
            "channel": "email",
            "subject": "Outage",
            "body": "Nothing loads.",
            "status": "new",
            "priority": None,
            "requester": {"name": "Ayşe", "email": "ayse@example.com"},
            "tags": ["vip"],
            "created_at": "2026-03-02T12:00:00+03:00",
            "updated_at": "2026-03-02T09:00:00Z",
        }
    },
}
MESSAGE: dict[str, Any] = {
    "id": "evt_2",
    "type": "message.created",
    "occurred_at": "2026-03-02T09:10:00Z",
    "account_id": "acme",
    "data": {
        "ticket": {"id": 17},
        "message": {"id": "M1", "author_type": "agent", "public": True, "created_at": "2026-03-02T09:09:30Z"},
    },
}


def test_ticket_created_becomes_an_event_with_the_ticket() -> None:
    event = parse_event(CREATED)
    assert event is not None and event.ticket is not None
    assert event.ticket.created_at == datetime(2026, 3, 2, 9, tzinfo=UTC)  # offsets are normalised to UTC
    assert event.ticket.requester_domain == "example.com"
    assert event.ticket.tags == ("vip",)
    assert event.ticket.priority is None


def test_message_with_only_a_ticket_id_is_accepted_and_dated_by_the_message() -> None:
    event = parse_event(MESSAGE)
    assert event is not None and event.message is not None
    assert event.ticket_id == "17" and event.ticket is None
    assert event.at == datetime(2026, 3, 2, 9, 9, 30, tzinfo=UTC)


def test_updated_carries_its_changes() -> None:
    body = copy.deepcopy(CREATED) | {"type": "ticket.updated"}
    body["data"]["changes"] = {"status": ["new", "pending"]}
    event = parse_event(body)
    assert event is not None and event.changes == {"status": ("new", "pending")}


def test_unknown_event_types_are_ignored() -> None:
    assert parse_event(copy.deepcopy(CREATED) | {"type": "ticket.merged"}) is None


def broken(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(base)
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node = node[part]
    if value is None:
        node.pop(last)
    else:
        node[last] = value
    return body


@pytest.mark.parametrize(
    ("base", "path", "value", "message"),
    [
        (CREATED, "id", None, "id: missing"),
        (CREATED, "type", 5, "type: must be a non-empty string"),
        (CREATED, "occurred_at", "yesterday", "occurred_at: 'yesterday' is not an ISO 8601 instant"),
        (CREATED, "occurred_at", "2026-03-02T09:00:00", "occurred_at: '2026-03-02T09:00:00' has no time zone offset"),
        (CREATED, "data", [], "data: must be a JSON object"),
        (CREATED, "data.ticket", None, "data.ticket: must be a JSON object"),
        (CREATED, "data.ticket.id", None, "data.ticket.id: missing"),
        (CREATED, "data.ticket.tags", "vip", "data.ticket.tags: must be a list of strings"),
        (CREATED, "data.ticket.product", 7, "data.ticket.product: must be a string"),
        (CREATED, "data.ticket.requester", "Ayşe", "data.ticket.requester: must be a JSON object"),
        (MESSAGE, "data.message.author_type", "bot", "data.message.author_type: must be 'customer' or 'agent'"),
        (MESSAGE, "data.message.public", "yes", "data.message.public: must be true or false"),
        (MESSAGE, "data.message.created_at", None, "data.message.created_at: missing"),
        (MESSAGE, "data.message", None, "data.message: must be a JSON object"),
        (CREATED, "data.ticket.priority", "P1",
         "data.ticket.priority: must be one of urgent, high, normal, low (any case), not 'P1'"),
        (CREATED, "data.ticket.status", "exploded",
         "data.ticket.status: must be one of new, open, pending, on_hold, solved, closed (any case), not 'exploded'"),
        (CREATED, "data.ticket.priority", 1, "data.ticket.priority: must be one of urgent, high, normal, low"),
    ],
)
def test_each_problem_names_its_field(base: dict[str, Any], path: str, value: Any, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_event(broken(base, path, value))
    assert str(caught.value).startswith(message)


def test_a_body_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(PayloadError, match=r"^body: must be a JSON object"):
        parse_event(["ticket.created"])


def test_changes_must_be_old_new_pairs() -> None:
    body = copy.deepcopy(CREATED) | {"type": "ticket.updated"}
    body["data"]["changes"] = {"status": "pending"}
    with pytest.raises(PayloadError, match=r"^data.changes.status: must be a list \[old, new\]"):
        parse_event(body)


@pytest.mark.parametrize(("sent", "read"), [("URGENT", "urgent"), (" High ", "high"), ("normal", "normal")])
def test_priorities_are_the_protocols_in_any_case(sent: str, read: str) -> None:
    event = parse_event(broken(CREATED, "data.ticket.priority", sent))
    assert event is not None and event.ticket is not None and event.ticket.priority == read


def test_statuses_and_their_changes_are_the_protocols_in_any_case() -> None:
    body = broken(CREATED, "data.ticket.status", "On_Hold") | {"type": "ticket.updated"}
    body["data"]["changes"] = {"status": ["OPEN", "On_Hold"], "priority": [None, "Urgent"]}
    event = parse_event(body)
    assert event is not None and event.ticket is not None and event.ticket.status == "on_hold"
    assert event.changes == {"status": ("open", "on_hold"), "priority": (None, "urgent")}


def test_a_change_to_a_value_outside_the_protocol_names_the_change() -> None:
    body = copy.deepcopy(CREATED) | {"type": "ticket.updated"}
    body["data"]["changes"] = {"priority": ["low", "P1"]}
    with pytest.raises(PayloadError, match=r"^data\.changes\.priority\[1\]: must be one of urgent, high"):
        parse_event(body)

"""Settings edits reach open tickets, unless the admin saved them for new tickets only."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from plugin.store.models import SlaTarget
from tests.integration.conftest import InstalledTenant, stored


def created(ticket_id: str, at: str) -> dict[str, Any]:
    return {
        "id": f"evt_{ticket_id}", "type": "ticket.created", "occurred_at": at, "account_id": "acme",
        "data": {"ticket": {"id": ticket_id, "product": "Orange", "channel": "email", "subject": "outage",
                            "status": "new", "priority": None, "created_at": at, "tags": []}},
    }


def with_minutes(settings: dict[str, Any], minutes: int) -> dict[str, Any]:
    document = copy.deepcopy(settings)
    document["sla_policies"][0]["targets"][0]["minutes"] = minutes
    return document


def save(tenant: InstalledTenant, app: Flask, document: dict[str, Any], apply_to: str) -> None:
    tenant.configure(app, document, apply_to)


def due_of(app: Flask, ticket_id: str) -> datetime | None:
    with stored(app) as session:
        return session.scalar(sa.select(SlaTarget.due_at).where(SlaTarget.ticket_id == ticket_id))


def test_new_tickets_only_keeps_open_tickets_on_their_version(
    install: Callable[..., InstalledTenant], app: Flask, example_settings: dict[str, Any]
) -> None:
    tenant = install("acme")
    save(tenant, app, with_minutes(example_settings, 30), "open_tickets")
    tenant.send(created("OLD", "2026-03-02T09:00:00Z"))

    save(tenant, app, with_minutes(example_settings, 60), "new_tickets")
    tenant.send(created("NEW", "2026-03-02T09:00:00Z"))
    tenant.send({"id": "evt_note", "type": "message.created", "occurred_at": "2026-03-02T09:05:00Z",
                 "data": {"ticket": {"id": "OLD"}, "message": {"id": "M1", "author_type": "agent", "public": False,
                                                              "created_at": "2026-03-02T09:05:00Z"}}})
    assert due_of(app, "OLD") == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # recomputed, still on version 1
    assert due_of(app, "NEW") == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

    save(tenant, app, with_minutes(example_settings, 90), "open_tickets")
    tenant.send({"id": "evt_note2", "type": "message.created", "occurred_at": "2026-03-02T09:06:00Z",
                 "data": {"ticket": {"id": "OLD"}, "message": {"id": "M2", "author_type": "agent", "public": False,
                                                              "created_at": "2026-03-02T09:06:00Z"}}})
    assert due_of(app, "OLD") == datetime(2026, 3, 2, 10, 30, tzinfo=UTC)

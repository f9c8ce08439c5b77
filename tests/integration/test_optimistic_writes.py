"""PostgreSQL's webhook path: read, compute, and one write that applies only if nothing changed.

SQLite takes the ticket's lock instead (its writers are serialised anyway), so these run on
PostgreSQL only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from psycopg import _queries

from plugin.services import webhooks
from plugin.store import optimistic
from plugin.store.migrate import upgrade
from plugin.store.models import InboxEntry, OutboxCommand, SlaTarget, StoredEvent, Ticket
from tests.integration.conftest import InstalledTenant
from tests.support import signed_headers, temporary_postgres_database

CREATED = {
    "id": "evt_1", "type": "ticket.created", "occurred_at": "2026-03-02T09:00:00Z", "account_id": "acme",
    "data": {"ticket": {"id": "T1", "product": "Orange", "channel": "email", "subject": "Total outage",
                        "body": "Nothing works", "status": "new", "priority": None, "tags": [],
                        "created_at": "2026-03-02T09:00:00Z", "updated_at": "2026-03-02T09:00:00Z"}},
}
REPLIED = {
    "id": "evt_2", "type": "message.created", "occurred_at": "2026-03-02T09:10:00Z", "account_id": "acme",
    "data": {"ticket": {"id": "T1"}, "message": {"id": "m1", "author_type": "agent", "public": True,
                                                  "created_at": "2026-03-02T09:10:00Z"}},
}


@pytest.fixture
def database_url() -> Iterator[str]:
    """PostgreSQL only (this module's tests replace the conftest's SQLite-and-PostgreSQL one)."""
    with temporary_postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture
def tenant(install: Callable[..., InstalledTenant], example_settings: dict[str, Any], app: Flask) -> InstalledTenant:
    tenant = install("acme")
    tenant.configure(app, example_settings)
    return tenant


def rows(app: Flask) -> dict[str, int]:
    with app.extensions["sla_runtime"].uow() as uow:
        return {model.__tablename__: uow.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
                for model in (InboxEntry, StoredEvent, Ticket, SlaTarget, OutboxCommand)}


def first_response(app: Flask) -> SlaTarget:
    with app.extensions["sla_runtime"].uow() as uow:
        target = uow.session.scalar(sa.select(SlaTarget).where(SlaTarget.metric == "first_response"))
        assert target is not None
        return target


def test_a_ticket_changed_between_read_and_write_is_read_again(
    tenant: InstalledTenant, app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tenant.send(CREATED).get_json() == {"status": "processed"}
    reads: list[int] = []
    read = optimistic.OptimisticTickets.read

    def read_then_someone_else_saves(self: Any, *args: Any) -> Any:
        snapshot = read(self, *args)
        reads.append(snapshot.revision)
        if len(reads) == 1:  # another worker saves the ticket after our read
            with psycopg.connect(database_url, autocommit=True) as other:
                other.execute("UPDATE tickets SET revision = revision + 1")
        return snapshot

    monkeypatch.setattr(optimistic.OptimisticTickets, "read", read_then_someone_else_saves)
    assert tenant.send(REPLIED).get_json() == {"status": "processed"}
    assert reads == [1, 2]  # the first write did not apply: it read again, then wrote
    assert first_response(app).status == "met"
    assert rows(app) == {"webhook_inbox": 2, "ticket_events": 2, "tickets": 1, "sla_targets": 1, "outbox": 1}


def test_a_write_that_does_not_apply_changes_nothing(tenant: InstalledTenant, app: Flask, database_url: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    tenant.send(CREATED)
    before = rows(app)
    monkeypatch.setattr(webhooks, "OPTIMISTIC_ATTEMPTS", 1)
    write = optimistic.OptimisticTickets.write
    results: list[Any] = []

    def write_after_a_change(self: Any, *args: Any) -> Any:
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("UPDATE tickets SET revision = revision + 1")
        results.append(write(self, *args))
        raise RuntimeError("stop here")  # only the write's own effect is under test

    monkeypatch.setattr(optimistic.OptimisticTickets, "write", write_after_a_change)
    assert tenant.send(REPLIED).status_code == 500
    assert [(result.applied, result.unseen, result.tenant_current) for result in results] == [(False, True, True)]
    assert rows(app) == before
    assert first_response(app).status != "met"


def test_a_ticket_that_keeps_changing_is_handled_under_its_lock(
    tenant: InstalledTenant, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhooks, "OPTIMISTIC_ATTEMPTS", 0)  # every optimistic attempt "lost"
    assert tenant.send(CREATED).get_json() == {"status": "processed"}
    assert tenant.send(REPLIED).get_json() == {"status": "processed"}
    text = json.dumps(REPLIED)
    assert tenant.send(text).get_json() == {"status": "processed"}  # a new webhook id, the same event
    assert first_response(app).status == "met"
    assert rows(app) == {"webhook_inbox": 3, "ticket_events": 2, "tickets": 1, "sla_targets": 1, "outbox": 1}


def test_a_duplicate_seen_by_the_read_writes_nothing(tenant: InstalledTenant, app: Flask, client: Any) -> None:
    text = json.dumps(CREATED)
    headers = signed_headers(tenant.webhook_secret, text)
    assert client.post("/webhooks/acme", data=text, headers=headers).get_json() == {"status": "processed"}
    before = rows(app)
    assert client.post("/webhooks/acme", data=text, headers=headers).get_json() == {"status": "duplicate"}
    assert rows(app) == before


@pytest.mark.parametrize("statement", ["read", "write existing", "write new"])
def test_statements_stay_short_enough_for_psycopgs_parse_cache(statement: str) -> None:
    """psycopg re-parses every execution of a statement over its cache limit (4 KiB): on this path
    that was a tenth of a worker's CPU."""
    built = {"read": optimistic.read_ticket(), "write existing": optimistic.write_outcome(False),
             "write new": optimistic.write_outcome(True)}[statement]
    text = str(built.compile(dialect=sa.create_engine("postgresql+psycopg://").dialect))  # as run: with casts
    assert len(text.encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH


@pytest.mark.parametrize("attempts", [3, 0], ids=["optimistic", "under the lock"])
def test_an_event_id_reused_for_another_ticket_is_stored_once(
    tenant: InstalledTenant, app: Flask, monkeypatch: pytest.MonkeyPatch, attempts: int
) -> None:
    """A host that reuses an event id for another ticket: the event is stored once, for the first."""
    monkeypatch.setattr(webhooks, "OPTIMISTIC_ATTEMPTS", attempts)
    tenant.send(CREATED)
    reused = json.loads(json.dumps(CREATED))
    reused["data"]["ticket"]["id"] = "T2"
    assert tenant.send(reused).get_json() == {"status": "processed"}
    with app.extensions["sla_runtime"].uow() as uow:
        assert set(uow.session.execute(sa.select(StoredEvent.event_id, StoredEvent.ticket_id))) == {("evt_1", "T1")}
    assert rows(app)["webhook_inbox"] == 2 and rows(app)["tickets"] == 2

"""Tickets and their event histories."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..limits import findable, identifier
from ..records import HistoryEvent, TicketRecord
from ..tables import EVENTS, INBOX, TICKETS, insert_ignoring_duplicates, upsertable_insert

_RECORD = (TICKETS.c.ticket_id, TICKETS.c.priority, TICKETS.c.policy_id, TICKETS.c.settings_version,
           TICKETS.c.deleted, TICKETS.c.open, TICKETS.c.host_tags, TICKETS.c.tag_revision,
           TICKETS.c.next_tag_change_at)


# The sweep's query, built once (it runs every second, mostly finding nothing): tickets whose tags
# change by now, without events still waiting in the inbox, the earliest first.
_AWAITING_EVENTS = sa.exists().where(INBOX.c.tenant_id == TICKETS.c.tenant_id,
                                     INBOX.c.ticket_id == TICKETS.c.ticket_id, INBOX.c.status == "pending")
_TAG_CHANGES_DUE = (
    sa.select(TICKETS.c.tenant_id, TICKETS.c.ticket_id)
    .where(TICKETS.c.next_tag_change_at.is_not(None),
           TICKETS.c.next_tag_change_at <= sa.bindparam("now", type_=TICKETS.c.next_tag_change_at.type),
           ~_AWAITING_EVENTS)
    .order_by(TICKETS.c.next_tag_change_at).limit(sa.bindparam("limit", type_=sa.Integer()))
)


def _record(row: Any) -> TicketRecord:
    return TicketRecord(row.ticket_id, row.priority, row.policy_id, row.settings_version, row.deleted, row.open,
                        frozenset(row.host_tags.split()), row.tag_revision, row.next_tag_change_at)


class SqlTickets:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def add_events(self, tenant_id: int, events: Sequence[HistoryEvent]) -> None:
        """Add events to their tickets' histories, each event id once per tenant (a host that sends an
        event again, under a new webhook id, adds nothing). Inserted in event id order, so processors
        adding overlapping events wait for each other rather than deadlock."""
        unique = {event.event_id: event for event in reversed(events)}  # the first of each id wins
        rows = [{"tenant_id": tenant_id, "ticket_id": identifier(event.ticket_id, "data.ticket.id"),
                 "event_id": identifier(event.event_id, "id"), "type": event.event_type,
                 "occurred_at": event.occurred_at, "body": event.body}
                for _, event in sorted(unique.items())]
        if rows:
            self._connection.execute(insert_ignoring_duplicates(self._connection, EVENTS), rows)

    def lock(self, tenant_id: int, ticket_ids: Collection[str], now: datetime) -> dict[str, TicketRecord]:
        """The tickets' rows, created if new, locked until the transaction ends (PostgreSQL row locks
        taken in ticket id order, so two processors never deadlock; SQLite's one writer holds them
        all). Every history read after this sees what the last holder of a lock committed."""
        rows = [{"tenant_id": tenant_id, "ticket_id": identifier(ticket_id, "data.ticket.id"), "deleted": False,
                 "host_tags": "", "tag_revision": 0, "updated_at": now} for ticket_id in sorted(set(ticket_ids))]
        if not rows:
            return {}
        insert = upsertable_insert(self._connection, TICKETS)
        upsert = insert.on_conflict_do_update(index_elements=[TICKETS.c.tenant_id, TICKETS.c.ticket_id],
                                              set_={"updated_at": insert.excluded.updated_at})
        found = self._connection.execute(upsert.returning(*_RECORD, sort_by_parameter_order=True), rows)
        return {row.ticket_id: _record(row) for row in found}

    def histories(self, tenant_id: int, ticket_ids: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        """Each ticket's stored event bodies (any order: the engine orders them)."""
        histories: dict[str, list[dict[str, Any]]] = {ticket_id: [] for ticket_id in ticket_ids}
        rows = self._connection.execute(
            sa.select(EVENTS.c.ticket_id, EVENTS.c.body)
            .where(EVENTS.c.tenant_id == tenant_id, EVENTS.c.ticket_id.in_(sorted(histories)))
        )
        for ticket_id, body in rows:
            histories[ticket_id].append(body)
        return histories

    def active_since(self, tenant_id: int, since: datetime, limit: int) -> list[str]:
        """The tenant's tickets with a stored event at or after ``since``, the most recently active first
        (then by id), at most ``limit``: whose histories a what-if comparison replays."""
        last = sa.func.max(EVENTS.c.occurred_at)
        return list(self._connection.scalars(
            sa.select(EVENTS.c.ticket_id).where(EVENTS.c.tenant_id == tenant_id, EVENTS.c.occurred_at >= since)
            .group_by(EVENTS.c.ticket_id).order_by(last.desc(), EVENTS.c.ticket_id).limit(limit)
        ))

    def save(self, tenant_id: int, tickets: Sequence[TicketRecord], now: datetime) -> None:
        """Write what the engine decided of each ticket (its row must exist: ``lock`` first)."""
        if not tickets:
            return
        statement = (
            sa.update(TICKETS)
            .where(TICKETS.c.tenant_id == sa.bindparam("scope_tenant_id"),
                   TICKETS.c.ticket_id == sa.bindparam("scope_ticket_id"))
            .values(priority=sa.bindparam("new_priority"), policy_id=sa.bindparam("new_policy_id"),
                    settings_version=sa.bindparam("new_settings_version"), deleted=sa.bindparam("new_deleted"),
                    open=sa.bindparam("new_open"), host_tags=sa.bindparam("new_host_tags"),
                    tag_revision=sa.bindparam("new_tag_revision"),
                    next_tag_change_at=sa.bindparam("new_next_tag_change_at", type_=TICKETS.c.updated_at.type),
                    updated_at=sa.bindparam("new_updated_at", type_=TICKETS.c.updated_at.type))
        )
        self._connection.execute(statement, [
            {"scope_tenant_id": tenant_id, "scope_ticket_id": ticket.ticket_id, "new_priority": ticket.priority,
             "new_policy_id": ticket.policy_id, "new_settings_version": ticket.settings_version,
             "new_deleted": ticket.deleted, "new_open": ticket.open,
             "new_host_tags": " ".join(sorted(ticket.host_tags)), "new_tag_revision": ticket.tag_revision,
             "new_next_tag_change_at": ticket.next_tag_change_at, "new_updated_at": now}
            for ticket in tickets
        ])

    def open_ids(self, tenant_id: int) -> list[str]:
        """The tenant's tickets that are neither solved, closed nor deleted: a settings change
        recomputes them."""
        return list(self._connection.scalars(
            sa.select(TICKETS.c.ticket_id).where(TICKETS.c.tenant_id == tenant_id, TICKETS.c.open)
        ))

    def get(self, tenant_id: int, ticket_id: str) -> TicketRecord | None:
        if not findable(ticket_id):
            return None
        row = self._connection.execute(
            sa.select(*_RECORD).where(TICKETS.c.tenant_id == tenant_id, TICKETS.c.ticket_id == ticket_id)
        ).first()
        return None if row is None else _record(row)

    def tag_changes_due(self, now: datetime, limit: int) -> list[tuple[int, str]]:
        """(tenant, ticket) of the tickets whose SLA tags change by ``now``, the earliest first: what the
        sweep recomputes. The index holds only tickets with a running target, so the cost grows with the
        tickets due, not with those running. A ticket with events still waiting in the inbox is left to
        the inbox processor, which recomputes it with them (an answer given just before the due instant
        must not be outrun by its breach)."""
        rows = self._connection.execute(_TAG_CHANGES_DUE, {"now": now, "limit": limit})
        return [(row.tenant_id, row.ticket_id) for row in rows]

"""The webhook path's statements, built once per dialect.

Every webhook runs these, so they are prebuilt on the Core tables (not the ORM entities), take
their values as parameters, and run on the session's connection, which skips the ORM's execution
machinery. On PostgreSQL, where each statement is a round trip to the server, the steps of one
webhook are combined with data-modifying CTEs: recording a webhook is one statement, saving a
ticket's outcome another. SQLite, in-process, runs the same steps one by one.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .models import InboxEntry, SettingsVersion, SlaTarget, StoredEvent, Tenant, Ticket

TENANTS: sa.Table = Tenant.__table__  # type: ignore[assignment]
TICKETS: sa.Table = Ticket.__table__  # type: ignore[assignment]
TARGETS: sa.Table = SlaTarget.__table__  # type: ignore[assignment]
EVENTS: sa.Table = StoredEvent.__table__  # type: ignore[assignment]
VERSIONS: sa.Table = SettingsVersion.__table__  # type: ignore[assignment]
INBOX: sa.Table = InboxEntry.__table__  # type: ignore[assignment]

# What the engine writes of each target (besides its tenant and ticket).
TARGET_KEY = ("metric", "cycle")
TARGET_VALUES = ("policy_id", "status", "started_at", "due_at", "warn_at", "stopped_at", "breached_at",
                 "decided_at", "business_seconds", "target_seconds", "success_rate_percent")
TICKET_VALUES = ("priority", "policy_id", "deleted", "settings_version", "updated_at")


def _insert(dialect: str, table: sa.Table) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@lru_cache(maxsize=64)
def insert_ignoring(dialect: str, table: sa.Table) -> sa.Executable:
    # RETURNING, not rowcount: not every driver reports a rowcount for ON CONFLICT DO NOTHING.
    return _insert(dialect, table).on_conflict_do_nothing().returning(*table.primary_key.columns)


@lru_cache(maxsize=4)
def upsert_ticket(dialect: str) -> sa.Executable:
    """Create the ticket's row or touch it; either way the row is locked until commit (PostgreSQL)."""
    return _ticket_upsert(_insert(dialect, TICKETS))


def _ticket_upsert(statement: postgresql.Insert | sqlite.Insert) -> sa.Insert:
    upsert = statement.on_conflict_do_update(
        index_elements=[TICKETS.c.tenant_id, TICKETS.c.ticket_id], set_={"updated_at": statement.excluded.updated_at}
    )
    return upsert.returning(TICKETS.c.id, TICKETS.c.settings_version, TICKETS.c.priority)


def _param(name: str, column: sa.Column[Any]) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=column.type)


@lru_cache(maxsize=4)
def record_webhook(dialect: str) -> sa.Insert:
    """Record a webhook id, provided the tenant's row still holds the webhook secret the signature was
    checked with (``sealed_secret``, its ciphertext: a reinstall changes it); returns the new entry's
    id, or nothing when the id was recorded before or the tenant has changed."""
    confirmed = sa.select(
        _param("tenant_id", INBOX.c.tenant_id), _param("webhook_id", INBOX.c.webhook_id),
        _param("now", INBOX.c.received_at),
    ).where(TENANTS.c.id == sa.bindparam("tenant_id"),
            TENANTS.c.webhook_secret_encrypted == _param("sealed_secret", TENANTS.c.webhook_secret_encrypted))
    insert = _insert(dialect, INBOX).from_select(["tenant_id", "webhook_id", "received_at"], confirmed)
    return insert.on_conflict_do_nothing().returning(INBOX.c.id)


@lru_cache(maxsize=1)
def record_event_postgresql() -> sa.Executable:
    """``record_webhook``, the event and the ticket upsert in one statement: it returns the locked
    ticket's row, or nothing when the webhook was not recorded (then it has changed nothing).

    The event and the ticket are inserted only from the inbox insert's output, so a duplicate
    webhook adds neither. The ticket's history is read by a later statement, which (read
    committed) sees every event committed by whoever held the ticket's lock before.
    """
    tenant_id, ticket_id, now = (_param("tenant_id", INBOX.c.tenant_id), _param("ticket_id", EVENTS.c.ticket_id),
                                 _param("now", INBOX.c.received_at))
    webhook = record_webhook("postgresql").cte("new_webhook")
    event_values = sa.select(tenant_id, ticket_id, _param("event_id", EVENTS.c.event_id),
                             _param("type", EVENTS.c.type), _param("occurred_at", EVENTS.c.occurred_at),
                             _param("body", EVENTS.c.body)).select_from(webhook)
    event = (
        postgresql.insert(EVENTS)
        .from_select(["tenant_id", "ticket_id", "event_id", "type", "occurred_at", "body"], event_values)
        .on_conflict_do_nothing()
        .cte("new_event")
    )
    ticket_values = sa.select(tenant_id, ticket_id, sa.false(), now).select_from(webhook)
    ticket = postgresql.insert(TICKETS).from_select(["tenant_id", "ticket_id", "deleted", "updated_at"],
                                                    ticket_values)
    return _ticket_upsert(ticket).add_cte(event)


SAVE_TICKET = (
    sa.update(TICKETS)
    .where(TICKETS.c.id == sa.bindparam("row_id"))
    .values({**{name: _param(name, TICKETS.c[name]) for name in TICKET_VALUES}, "revision": TICKETS.c.revision + 1})
)
INSERT_TARGETS = sa.insert(TARGETS)
DELETE_TARGETS = sa.delete(TARGETS).where(
    TARGETS.c.tenant_id == sa.bindparam("tenant_id"), TARGETS.c.ticket_id == sa.bindparam("ticket_id")
)


@lru_cache(maxsize=1)
def save_outcome_postgresql() -> sa.Executable:
    """The ticket's row updated and its targets replaced, in one statement.

    The targets come as one JSON array (``targets``), so the statement is the same for any number
    of them: they are upserted on their key (``upsert_targets``), and the ticket's others deleted.
    """
    columns = (*TARGET_KEY, *TARGET_VALUES)
    given = recordset("targets", TARGETS, columns, "given")
    # Not named after columns of the ticket's row: SQLAlchemy would add those to the UPDATE's SET clause.
    tenant_id = _param("scope_tenant_id", TARGETS.c.tenant_id)
    ticket_id = _param("scope_ticket_id", TARGETS.c.ticket_id)
    rows = sa.select(tenant_id, ticket_id, *given.c)
    kept = upsert_targets(postgresql.insert(TARGETS).from_select(["tenant_id", "ticket_id", *columns], rows))
    stale = sa.delete(TARGETS).where(TARGETS.c.tenant_id == tenant_id, TARGETS.c.ticket_id == ticket_id,
                                     TARGETS.c.id.not_in(sa.select(kept.c.id)))
    return stale.add_cte(SAVE_TICKET.cte("saved"))


def upsert_targets(insert: postgresql.Insert) -> sa.CTE:
    """Insert or update targets on their key, as a CTE of the ids written. A delete of the ticket's
    other targets (``id NOT IN`` these) reads this output, so it runs after it and spares them."""
    upsert = insert.on_conflict_do_update(
        index_elements=[TARGETS.c.tenant_id, TARGETS.c.ticket_id, TARGETS.c.metric, TARGETS.c.cycle],
        set_={name: insert.excluded[name] for name in TARGET_VALUES},
    )
    return upsert.returning(TARGETS.c.id).cte("kept")


def recordset(parameter: str, table: sa.Table, names: tuple[str, ...], alias: str) -> Any:
    """The rows of a JSON array parameter as a table, its fields typed like ``table``'s columns
    (``jsonb_to_recordset``): one statement, whatever the number of rows."""
    fields = (sa.column(name, _recordset_type(table.c[name])) for name in names)
    array = sa.func.jsonb_to_recordset(sa.bindparam(parameter, type_=postgresql.JSONB()))
    return array.table_valued(*fields).render_derived(name=alias, with_types=True)


def _recordset_type(column: sa.Column[Any]) -> sa.types.TypeEngine[Any]:
    """The SQL type a JSON field is read as (the UTC decorator's own type for instants)."""
    return column.type.impl if isinstance(column.type, sa.types.TypeDecorator) else column.type  # type: ignore[return-value]


def _newest_version(*conditions: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
    newest = sa.select(sa.func.max(VERSIONS.c.version)).where(VERSIONS.c.tenant_id == sa.bindparam("tenant_id"))
    return newest.where(*conditions).scalar_subquery()


def _nothing(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    return sa.type_coerce(sa.null(), column.type)  # typed, so the union's rows are read back alike


# A ticket's history and the settings versions that may govern it, in one read: the event bodies,
# then (id, version, apply_to, created_at) of the newest version, the newest saved for open
# tickets, and the pinned one. Rows of the second kind have no body.
TICKET_HISTORY = sa.union_all(
    sa.select(EVENTS.c.body, *(_nothing(VERSIONS.c[name]).label(name)
                               for name in ("id", "version", "apply_to", "created_at")))
    .where(EVENTS.c.tenant_id == sa.bindparam("tenant_id"), EVENTS.c.ticket_id == sa.bindparam("ticket_id")),
    sa.select(_nothing(EVENTS.c.body), VERSIONS.c.id, VERSIONS.c.version, VERSIONS.c.apply_to, VERSIONS.c.created_at)
    .where(
        VERSIONS.c.tenant_id == sa.bindparam("tenant_id"),
        sa.or_(
            VERSIONS.c.version == sa.bindparam("pinned"),
            VERSIONS.c.version == _newest_version(),
            VERSIONS.c.version == _newest_version(VERSIONS.c.apply_to == "open_tickets"),
        ),
    ),
)
CREDENTIALS = sa.select(TENANTS.c.id, TENANTS.c.timezone, TENANTS.c.webhook_secret_encrypted).where(
    TENANTS.c.account_id == sa.bindparam("account_id")
)
HOLDS_SECRET = sa.select(TENANTS.c.id).where(
    TENANTS.c.id == sa.bindparam("tenant_id"), TENANTS.c.webhook_secret_encrypted == sa.bindparam("sealed_secret")
)

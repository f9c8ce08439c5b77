"""Tenants: one row per installation, with the host's credentials sealed."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..limits import findable, identifier, text
from ..records import HostEndpoint, InstallValues, SummaryMarks, TenantCredentials, TenantOverview, TenantRecord
from ..tables import EVENTS, INBOX, OUTBOX, TARGETS, TENANTS, TICKETS, VERSIONS

_RECORD = (TENANTS.c.id, TENANTS.c.account_id, TENANTS.c.timezone, TENANTS.c.host_origin, TENANTS.c.status,
           TENANTS.c.installed_at, TENANTS.c.host_kind)
# The webhook endpoint's two reads, built once: a duplicate webhook runs the second.
_CREDENTIALS = sa.select(TENANTS.c.id, TENANTS.c.timezone, TENANTS.c.webhook_secret_encrypted,
                         TENANTS.c.host_kind).where(TENANTS.c.account_id == sa.bindparam("account_id"))
_HOLDS_SECRET = sa.select(TENANTS.c.id).where(
    TENANTS.c.id == sa.bindparam("tenant_id"),
    TENANTS.c.webhook_secret_encrypted == sa.bindparam("sealed_secret", type_=sa.LargeBinary()))


class SqlTenants:
    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def credentials(self, account_id: str) -> TenantCredentials | None:
        if not findable(account_id):
            return None
        row = self._connection.execute(_CREDENTIALS, {"account_id": account_id}).first()
        return None if row is None else TenantCredentials(row.id, row.timezone, row.webhook_secret_encrypted,
                                                          row.host_kind)

    def holds_secret(self, tenant_id: int, sealed_secret: bytes) -> bool:
        """Whether the tenant is still installed with this webhook secret (its ciphertext, which every
        install seals anew)."""
        values = {"tenant_id": tenant_id, "sealed_secret": sealed_secret}
        return self._connection.execute(_HOLDS_SECRET, values).first() is not None

    def by_account(self, account_id: str) -> TenantRecord | None:
        if not findable(account_id):
            return None
        row = self._connection.execute(sa.select(*_RECORD).where(TENANTS.c.account_id == account_id)).first()
        return None if row is None else TenantRecord(*row)

    def host_endpoint(self, tenant_id: int) -> HostEndpoint | None:
        row = self._connection.execute(
            sa.select(TENANTS.c.id, TENANTS.c.api_base_url, TENANTS.c.access_token_encrypted,
                      TENANTS.c.requests_per_second, TENANTS.c.paused_reason, TENANTS.c.paused_at,
                      TENANTS.c.host_kind)
            .where(TENANTS.c.id == tenant_id)
        ).first()
        return None if row is None else HostEndpoint(*row)

    def ids(self) -> list[int]:
        return list(self._connection.scalars(sa.select(TENANTS.c.id).order_by(TENANTS.c.id)))

    def overview(self) -> list[TenantOverview]:
        """Every tenant, by account id, as the operator sees it."""
        rows = self._connection.execute(
            sa.select(TENANTS.c.account_id, TENANTS.c.host_kind, TENANTS.c.requests_per_second, TENANTS.c.paused_at,
                      TENANTS.c.paused_reason).order_by(TENANTS.c.account_id))
        return [TenantOverview(*row) for row in rows]

    def set_requests_per_second(self, tenant_id: int, requests_per_second: float | None) -> None:
        """The rate at which the plugin may call the tenant's host; None: the plugin's default."""
        self._connection.execute(sa.update(TENANTS).where(TENANTS.c.id == tenant_id)
                                 .values(requests_per_second=requests_per_second))

    def summary_marks(self, tenant_id: int) -> SummaryMarks | None:
        row = self._connection.execute(
            sa.select(TENANTS.c.installed_at, TENANTS.c.daily_summary_through, TENANTS.c.hourly_summary_through)
            .where(TENANTS.c.id == tenant_id)).first()
        return None if row is None else SummaryMarks(*row)

    def mark_summarized(self, tenant_id: int, period: str, through: datetime) -> None:
        """The tenant's summaries of ``period`` are queued up to ``through`` (never moved back)."""
        column = TENANTS.c.daily_summary_through if period == "daily" else TENANTS.c.hourly_summary_through
        self._connection.execute(sa.update(TENANTS).where(TENANTS.c.id == tenant_id,
                                                          sa.or_(column.is_(None), column < through))
                                 .values({column: through}))

    def pause_delivery(self, tenant_id: int, reason: str, now: datetime) -> None:
        """Stop delivering the tenant's commands (its token was refused) until it is installed again."""
        self._connection.execute(sa.update(TENANTS).where(TENANTS.c.id == tenant_id, TENANTS.c.paused_at.is_(None))
                                 .values(paused_at=now, paused_reason=reason[:500]))

    def newest_sealed_secret(self) -> tuple[str, bytes] | None:
        """The account most recently installed and its sealed webhook secret (None without tenants)."""
        row = self._connection.execute(
            sa.select(TENANTS.c.account_id, TENANTS.c.webhook_secret_encrypted)
            .order_by(TENANTS.c.updated_at.desc(), TENANTS.c.id.desc()).limit(1)).first()
        return None if row is None else (row.account_id, row.webhook_secret_encrypted)

    def by_id(self, tenant_id: int) -> TenantRecord | None:
        row = self._connection.execute(sa.select(*_RECORD).where(TENANTS.c.id == tenant_id)).first()
        return None if row is None else TenantRecord(*row)

    def install(self, values: InstallValues, now: datetime) -> tuple[TenantRecord, bool]:
        """Create the tenant, or refresh its credentials (settings and history are kept).
        True with a new tenant."""
        identifier(values.account_id, "account_id")
        for field in ("api_base_url", "host_origin"):
            text(getattr(values, field), field, 2000)
        text(values.timezone, "timezone", 64)
        if values.host_kind is not None:
            text(values.host_kind, "host_kind", 40)
        columns = {"api_base_url": values.api_base_url, "access_token_encrypted": values.access_token_encrypted,
                   "webhook_secret_encrypted": values.webhook_secret_encrypted, "timezone": values.timezone,
                   "host_origin": values.host_origin, "status": "active", "updated_at": now,
                   "paused_at": None, "paused_reason": None}  # a re-install resumes a paused delivery
        # Given, they replace the tenant's own; left out, a re-install keeps them.
        columns |= {name: getattr(values, name) for name in ("host_kind", "requests_per_second")
                    if getattr(values, name) is not None}
        existing = self.by_account(values.account_id)
        if existing is None:
            self._connection.execute(sa.insert(TENANTS).values(account_id=values.account_id, installed_at=now,
                                                               **columns))
        else:
            self._connection.execute(sa.update(TENANTS).where(TENANTS.c.id == existing.id).values(**columns))
        record = self.by_account(values.account_id)
        assert record is not None
        return record, existing is None

    def uninstall(self, tenant_id: int) -> None:
        """Secrets first, then every row of the tenant (children explicitly: SQLite may lack cascades)."""
        self._connection.execute(sa.update(TENANTS).where(TENANTS.c.id == tenant_id)
                                 .values(access_token_encrypted=b"", webhook_secret_encrypted=b""))
        for table in (OUTBOX, INBOX, TARGETS, EVENTS, TICKETS, VERSIONS):
            self._connection.execute(sa.delete(table).where(table.c.tenant_id == tenant_id))
        self._connection.execute(sa.delete(TENANTS).where(TENANTS.c.id == tenant_id))

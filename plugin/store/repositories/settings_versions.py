"""Settings versions: every saved settings document, kept for the audit trail and for the open
tickets that stay on the version they had."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection
from datetime import datetime
from threading import Lock
from typing import Any

import sqlalchemy as sa

from plugin.domain.policies import Settings
from plugin.settings.loading import load_settings

from ..errors import Conflict
from ..records import VersionEntry, VersionMeta
from ..tables import VERSIONS

_META = (VERSIONS.c.id, VERSIONS.c.version, VERSIONS.c.apply_to, VERSIONS.c.created_at)


class ParsedSettings:
    """Saved versions never change, so a process parses each one once. Keyed by tenant, row id and
    creation instant, so a row id reused after a deletion is never mistaken for another."""

    def __init__(self, limit: int = 256) -> None:
        self._limit = limit
        self._parsed: OrderedDict[tuple[int, int, datetime], Settings] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple[int, int, datetime]) -> Settings | None:
        with self._lock:
            return self._parsed.get(key)

    def keep(self, key: tuple[int, int, datetime], settings: Settings) -> None:
        with self._lock:
            self._parsed[key] = settings
            if len(self._parsed) > self._limit:
                self._parsed.popitem(last=False)


class SqlSettingsVersions:
    def __init__(self, connection: sa.Connection, parsed: ParsedSettings) -> None:
        self._connection = connection
        self._parsed = parsed

    def newest(self, tenant_id: int) -> VersionMeta | None:
        row = self._connection.execute(
            sa.select(*_META).where(VERSIONS.c.tenant_id == tenant_id).order_by(VERSIONS.c.version.desc()).limit(1)
        ).first()
        return None if row is None else VersionMeta(*row)

    def candidates(self, tenant_id: int, pinned: Collection[int]) -> list[VersionMeta]:
        """The versions that may govern the tenant's tickets, in version order: the newest, the newest
        saved for open tickets, and the ``pinned`` ones (those tickets are on)."""

        def newest(*conditions: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
            return (sa.select(sa.func.max(VERSIONS.c.version))
                    .where(VERSIONS.c.tenant_id == tenant_id, *conditions).scalar_subquery())

        rows = self._connection.execute(
            sa.select(*_META)
            .where(VERSIONS.c.tenant_id == tenant_id,
                   sa.or_(VERSIONS.c.version.in_(sorted(pinned)), VERSIONS.c.version == newest(),
                          VERSIONS.c.version == newest(VERSIONS.c.apply_to == "open_tickets")))
            .order_by(VERSIONS.c.version)
        )
        return [VersionMeta(*row) for row in rows]

    def settings(self, tenant_id: int, meta: VersionMeta) -> Settings:
        """The version's document, parsed (once per process)."""
        key = (tenant_id, meta.id, meta.created_at)
        parsed = self._parsed.get(key)
        if parsed is None:
            document = self._connection.execute(
                sa.select(VERSIONS.c.document).where(VERSIONS.c.tenant_id == tenant_id, VERSIONS.c.id == meta.id)
            ).scalar_one()
            parsed = load_settings(document)
            self._parsed.keep(key, parsed)
        return parsed

    def document(self, tenant_id: int, version: int) -> dict[str, Any] | None:
        if not 0 < version < 2**31:  # PostgreSQL's integer column would refuse a larger number
            return None
        return self._connection.execute(
            sa.select(VERSIONS.c.document).where(VERSIONS.c.tenant_id == tenant_id, VERSIONS.c.version == version)
        ).scalar_one_or_none()

    def history(self, tenant_id: int) -> list[VersionEntry]:
        """Every version, oldest first."""
        rows = self._connection.execute(
            sa.select(VERSIONS.c.version, VERSIONS.c.created_at, VERSIONS.c.created_by, VERSIONS.c.apply_to)
            .where(VERSIONS.c.tenant_id == tenant_id).order_by(VERSIONS.c.version)
        )
        return [VersionEntry(*row) for row in rows]

    def add(self, tenant_id: int, document: dict[str, Any], settings: Settings, author: str, now: datetime,
            apply_to: str) -> VersionMeta:
        """Store ``document`` (already validated as ``settings``) as the next version. Two saves racing
        for one number: the unique (tenant, version) key refuses the second (Conflict)."""
        newest = self.newest(tenant_id)
        version = newest.version + 1 if newest else 1
        try:
            row_id = self._connection.execute(
                sa.insert(VERSIONS).values(tenant_id=tenant_id, version=version, document=document, created_at=now,
                                           created_by=author[:200], apply_to=apply_to).returning(VERSIONS.c.id)
            ).scalar_one()
        except sa.exc.IntegrityError:
            raise Conflict(f"settings version {version} was saved by another change") from None
        meta = VersionMeta(row_id, version, apply_to, now)
        self._parsed.keep((tenant_id, row_id, now), settings)
        return meta

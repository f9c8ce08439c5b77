"""The unit of work on a database: one connection, one transaction, nothing saved unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import sqlalchemy as sa

from .repositories.inbox import SqlInbox
from .repositories.outbox import SqlOutbox
from .repositories.settings_versions import ParsedSettings, SqlSettingsVersions
from .repositories.targets import SqlTargets
from .repositories.tenants import SqlTenants
from .repositories.tickets import SqlTickets
from .repositories.token_ids import SqlTokenIds


class SqlUnitOfWork:
    """``with uow:`` opens a transaction on a pooled connection; leaving it rolls back whatever was
    not committed and returns the connection. The same object may be entered again, for a new one."""

    tenants: SqlTenants
    settings_versions: SqlSettingsVersions
    inbox: SqlInbox
    tickets: SqlTickets
    targets: SqlTargets
    outbox: SqlOutbox
    token_ids: SqlTokenIds

    def __init__(self, engine: sa.Engine, parsed_settings: ParsedSettings) -> None:
        self._engine = engine
        self._parsed_settings = parsed_settings
        self._connection: sa.Connection | None = None

    def __enter__(self) -> Self:
        connection = self._connection = self._engine.connect()
        self.tenants = SqlTenants(connection)
        self.settings_versions = SqlSettingsVersions(connection, self._parsed_settings)
        self.inbox = SqlInbox(connection)
        self.tickets = SqlTickets(connection)
        self.targets = SqlTargets(connection)
        self.outbox = SqlOutbox(connection)
        self.token_ids = SqlTokenIds(connection)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._connection is not None:
            self._connection.close()  # rolls back anything uncommitted
            self._connection = None

    def commit(self) -> None:
        assert self._connection is not None, "commit outside 'with uow:'"
        self._connection.commit()

    def rollback(self) -> None:
        assert self._connection is not None, "rollback outside 'with uow:'"
        self._connection.rollback()

"""A unit of work: one transaction; nothing is saved unless the handler commits.

The one exception is PostgreSQL's webhook path (``optimistic_tickets``): its write is a single
statement, atomic on its own, on a connection outside the unit of work's transaction.
"""

from __future__ import annotations

from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from plugin.store.optimistic import OptimisticTickets
from plugin.store.repositories import TenantData, Tenants, TokenIds


class UnitOfWork:
    session: Session
    tenants: Tenants
    token_ids: TokenIds

    def __init__(self, sessions: sessionmaker[Session], autocommit: sa.Engine | None = None) -> None:
        """``autocommit``: an engine whose connections run each statement as its own transaction
        (PostgreSQL's, for the webhook path that writes in one statement)."""
        self._sessions = sessions
        self._autocommit = autocommit
        self._autocommit_connection: sa.Connection | None = None
        self._connection: sa.Connection | None = None

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.tenants = Tenants(self.session)
        self.token_ids = TokenIds(self.session)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._connection = None
        self.session.close()  # rolls back anything uncommitted; loaded objects stay readable
        if self._autocommit_connection is not None:
            self._autocommit_connection.close()

    def data_of(self, tenant_id: int) -> TenantData:
        return TenantData(self.session, tenant_id, self.connection)

    def connection(self) -> sa.Connection:
        """The transaction's connection (kept until the commit: the session's own lookup is slow)."""
        if self._connection is None:
            self._connection = self.session.connection()
        return self._connection

    def commit(self) -> None:
        self._connection = None
        self.session.commit()

    @property
    def writes_in_one_statement(self) -> bool:
        """Whether a webhook's whole effect can be written in one statement (``plugin.store.optimistic``)."""
        return self._autocommit is not None

    def optimistic_tickets(self, tenant_id: int) -> OptimisticTickets:
        """The optimistic webhook path's statements, on a connection of their own outside this unit of
        work's transaction: each is its own transaction."""
        assert self._autocommit is not None
        if self._autocommit_connection is None:
            self._autocommit_connection = self._autocommit.connect()
        return OptimisticTickets(self._autocommit_connection, tenant_id)

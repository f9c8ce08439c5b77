"""A unit of work: one transaction; nothing is saved unless the handler commits."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from plugin.store.optimistic import OptimisticTickets
from plugin.store.repositories import TenantData, Tenants, TokenIds


class UnitOfWork:
    session: Session
    tenants: Tenants
    token_ids: TokenIds

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.tenants = Tenants(self.session)
        self.token_ids = TokenIds(self.session)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.session.close()  # rolls back anything uncommitted; loaded objects stay readable

    def data_of(self, tenant_id: int) -> TenantData:
        return TenantData(self.session, tenant_id)

    def commit(self) -> None:
        self.session.commit()

    @property
    def writes_in_one_statement(self) -> bool:
        """PostgreSQL can write a webhook's whole effect in one statement (``plugin.store.optimistic``)."""
        return self.session.get_bind().dialect.name == "postgresql"

    def optimistic_tickets(self, tenant_id: int) -> OptimisticTickets:
        """The optimistic webhook path's statements, each its own transaction: whatever this unit of
        work had not committed is rolled back first."""
        self.session.close()
        connection = self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return OptimisticTickets(connection, tenant_id)

    def restart(self) -> None:
        """Roll back, and begin anew with an ordinary transaction."""
        self.session.close()

"""What a running plugin process holds: its configuration, database, secret box and clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, sessionmaker

from plugin.config import Config
from plugin.security.secrets import SecretBox
from plugin.services.tenant_credentials import RememberedCredentials
from plugin.services.unit_of_work import UnitOfWork
from plugin.store.db import create_autocommit_engine, create_db_engine, session_factory


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    config: Config
    engine: sa.Engine
    sessions: sessionmaker[Session]
    box: SecretBox
    clock: Callable[[], datetime] = wall_clock
    credentials: RememberedCredentials = field(default_factory=RememberedCredentials)
    autocommit_engine: sa.Engine | None = None

    @classmethod
    def build(cls, config: Config, clock: Callable[[], datetime] = wall_clock) -> Runtime:
        engine = create_db_engine(config.database_url)
        return cls(config, engine, session_factory(engine), SecretBox(config.encryption_key), clock,
                   autocommit_engine=create_autocommit_engine(config.database_url))

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.autocommit_engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        if self.autocommit_engine is not None:
            self.autocommit_engine.dispose()

    def now(self) -> datetime:
        return self.clock()


def current_runtime() -> Runtime:
    return current_app.extensions["sla_runtime"]

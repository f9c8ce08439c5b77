"""What a running plugin process holds: its configuration, database, secret box and clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from plugin.config import Config
from plugin.security.secrets import SecretBox
from plugin.services.tenant_credentials import RememberedCredentials
from plugin.store.db import create_db_engine
from plugin.store.repositories.settings_versions import ParsedSettings
from plugin.store.unit_of_work import SqlUnitOfWork


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    config: Config
    engine: sa.Engine
    box: SecretBox
    clock: Callable[[], datetime] = wall_clock
    credentials: RememberedCredentials = field(default_factory=RememberedCredentials)
    parsed_settings: ParsedSettings = field(default_factory=ParsedSettings)

    @classmethod
    def build(cls, config: Config, clock: Callable[[], datetime] = wall_clock) -> Runtime:
        return cls(config, create_db_engine(config.database_url), SecretBox(config.encryption_key), clock)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.parsed_settings)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def now(self) -> datetime:
        return self.clock()


def current_runtime() -> Runtime:
    """The runtime of the app handling the current request."""
    from flask import current_app  # noqa: PLC0415  (the worker has no app)

    return current_app.extensions["sla_runtime"]

"""What a running plugin process holds: its configuration, database, secret box and clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from plugin.config import Config
from plugin.security.secrets import SecretBox
from plugin.services.sessions import AppIdentity
from plugin.services.tenant_credentials import RememberedCredentials
from plugin.store.db import create_db_engine
from plugin.store.repositories.settings_versions import ParsedSettings
from plugin.store.unit_of_work import SqlUnitOfWork


def wall_clock() -> datetime:
    return datetime.now(UTC)


def accelerated_clock(start: datetime, origin: float, rate: float) -> Callable[[], datetime]:
    """``start`` at the real instant ``origin`` (epoch seconds), then ``rate`` times as fast: the demo's."""

    def now() -> datetime:
        return start + timedelta(seconds=(time.time() - origin) * rate)

    return now


@dataclass
class Runtime:
    """``clock`` is the SLA clock: when events are evaluated, targets fall due and summaries are
    due. ``wall`` is real time, for what a host or a browser also measures: token expiry, the
    inbox's lag, delivery retries and Retry-After. They are one clock except in the demo."""

    config: Config
    engine: sa.Engine
    box: SecretBox
    clock: Callable[[], datetime] = wall_clock
    credentials: RememberedCredentials = field(default_factory=RememberedCredentials)
    parsed_settings: ParsedSettings = field(default_factory=ParsedSettings)
    wall: Callable[[], datetime] = wall_clock

    @classmethod
    def build(cls, config: Config, clock: Callable[[], datetime] = wall_clock) -> Runtime:
        """``clock`` is both clocks (tests inject one); the demo's configuration speeds up the SLA clock."""
        sla_clock = accelerated_clock(*config.demo_clock) if config.demo_clock is not None else clock
        return cls(config, create_db_engine(config.database_url), SecretBox(config.encryption_key), sla_clock,
                   wall=clock)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.parsed_settings)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def app_identity(self) -> AppIdentity:
        return AppIdentity(self.config.app_id, self.config.app_secret, self.config.session_ttl_seconds)

    def now(self) -> datetime:
        return self.clock()

    def wall_now(self) -> datetime:
        return self.wall()


def current_runtime() -> Runtime:
    """The runtime of the app handling the current request."""
    from flask import current_app  # noqa: PLC0415  (the worker has no app)

    return current_app.extensions["sla_runtime"]

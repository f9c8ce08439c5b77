"""Configuration from the environment (twelve-factor): nothing secret lives in a file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///var/sla-plugin.sqlite3"


class ConfigError(ValueError):
    """A required setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Config:
    database_url: str
    app_id: str
    app_secret: str  # Standard Webhooks secret (whsec_…): signs lifecycle calls and host JWTs
    encryption_key: str  # Fernet key for secrets at rest
    session_ttl_seconds: int = 3600
    max_body_bytes: int = 1024 * 1024
    # /readyz fails while the inbox's oldest pending event has waited longer than this.
    ready_max_lag_seconds: float = 120.0
    batch_size: int = 200  # events the inbox processor applies in one transaction

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        missing = [name for name in ("SLA_APP_SECRET", "SLA_ENCRYPTION_KEY") if not env.get(name)]
        if missing:
            raise ConfigError(f"set {' and '.join(missing)} in the environment (see README: Configuration)")
        if not env["SLA_APP_SECRET"].startswith("whsec_"):
            raise ConfigError("SLA_APP_SECRET must be a Standard Webhooks secret starting with 'whsec_'")
        try:
            ttl = int(env.get("SLA_SESSION_TTL_SECONDS", "3600"))
        except ValueError:
            raise ConfigError("SLA_SESSION_TTL_SECONDS must be a whole number of seconds") from None
        try:
            max_lag = float(env.get("SLA_READY_MAX_LAG_SECONDS", "120"))
        except ValueError:
            raise ConfigError("SLA_READY_MAX_LAG_SECONDS must be a number of seconds") from None
        database_url = env.get("SLA_DATABASE_URL") or DEFAULT_DATABASE_URL
        # SQLite's one writer holds webhooks back while a batch is applied: smaller batches there.
        default_batch = "200" if database_url.startswith("sqlite") else "500"
        try:
            batch_size = int(env.get("SLA_BATCH_SIZE") or default_batch)
        except ValueError:
            raise ConfigError("SLA_BATCH_SIZE must be a whole number of events") from None
        if batch_size < 1:
            raise ConfigError("SLA_BATCH_SIZE must be at least 1")
        return cls(
            database_url=database_url,
            app_id=env.get("SLA_APP_ID") or "sla-plugin",
            app_secret=env["SLA_APP_SECRET"],
            encryption_key=env["SLA_ENCRYPTION_KEY"],
            session_ttl_seconds=ttl,
            ready_max_lag_seconds=max_lag,
            batch_size=batch_size,
        )

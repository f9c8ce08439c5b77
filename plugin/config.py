"""Configuration from the environment (twelve-factor): nothing secret lives in a file.

Every setting is read and checked here, before anything starts: a bad one is a ``ConfigError``
whose message begins with the variable's name and says what it should be.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

DEFAULT_DATABASE_URL = "sqlite:///var/sla-plugin.sqlite3"
MAX_REQUESTS_PER_SECOND = 100_000.0  # of calls to one host: more is a typo, not a plan
MIN_REQUESTS_PER_SECOND = 0.001  # one call every 17 minutes: less could not deliver a day's tags in a day
MAKE_KEYS = "`sla-plugin keys` makes a new one"
T = TypeVar("T")


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
    log_level: str = "INFO"
    sweep_seconds: float = 1.0  # how often the worker looks for tickets whose SLA tags change
    # The default rate limit of calls to each tenant's host (an account may have its own).
    host_requests_per_second: float = 10.0
    host_burst: int = 20
    # How long a worker holds the host commands it claimed: past it, another worker may send them.
    delivery_lease_seconds: float = 60.0
    worker_metrics_bind: str | None = None  # host:port of the worker's /metrics; None: not served
    # The demo's accelerated SLA clock (start, real epoch it starts at, rate); never set otherwise.
    demo_clock: tuple[datetime, float, float] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        missing = [name for name in ("SLA_APP_SECRET", "SLA_ENCRYPTION_KEY") if not env.get(name)]
        if missing:
            raise ConfigError(f"{' and '.join(missing)}: not set; {MAKE_KEYS} (see docs/configuration.md)")
        database_url = setting(env, "SLA_DATABASE_URL", database_url_setting, DEFAULT_DATABASE_URL)
        # SQLite's one writer holds webhooks back while a batch is applied: smaller batches there.
        default_batch = "200" if database_url.startswith("sqlite") else "500"
        return cls(
            database_url=database_url,
            app_id=setting(env, "SLA_APP_ID", _non_empty, "sla-plugin"),
            app_secret=setting(env, "SLA_APP_SECRET", webhook_secret_setting, ""),
            encryption_key=setting(env, "SLA_ENCRYPTION_KEY", _fernet_key, ""),
            session_ttl_seconds=setting(env, "SLA_SESSION_TTL_SECONDS", whole_number(minimum=60), "3600"),
            ready_max_lag_seconds=setting(env, "SLA_READY_MAX_LAG_SECONDS", _seconds, "120"),
            batch_size=setting(env, "SLA_BATCH_SIZE", whole_number(minimum=1), default_batch),
            log_level=setting(env, "SLA_LOG_LEVEL", log_level_setting, "INFO"),
            sweep_seconds=setting(env, "SLA_SWEEP_SECONDS", _seconds, "1"),
            host_requests_per_second=setting(env, "SLA_HOST_REQUESTS_PER_SECOND", requests_per_second, "10"),
            host_burst=setting(env, "SLA_HOST_BURST", whole_number(minimum=1), "20"),
            delivery_lease_seconds=setting(env, "SLA_DELIVERY_LEASE_SECONDS", _seconds, "60"),
            worker_metrics_bind=setting(env, "SLA_WORKER_METRICS_BIND", _optional(bind_setting), ""),
            demo_clock=setting(env, "SLA_DEMO_CLOCK", demo_clock_setting, ""),
        )


def setting(env: Mapping[str, str], name: str, parse: Callable[[str], T], default: str) -> T:
    """``parse`` of the variable's value (or ``default`` when it is unset or empty)."""
    text = env.get(name) or default
    try:
        return parse(text.strip())
    except ValueError as error:
        raise ConfigError(f"{name}: {error}") from None


def database_url_setting(text: str) -> str:
    import sqlalchemy as sa  # noqa: PLC0415  (only commands that use a database pay for the import)

    try:
        backend = sa.make_url(text).get_backend_name()
    except sa.exc.ArgumentError:
        raise ValueError(f"{redacted_url(text)!r} is not a database URL, e.g. postgresql://user@host/db or "
                         "sqlite:///var/sla-plugin.sqlite3") from None
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"the plugin stores its data in SQLite or PostgreSQL, not {backend!r}")
    return text


def webhook_secret_setting(text: str) -> str:
    """A Standard Webhooks secret: ``whsec_`` and at least 16 bytes in base64."""
    if not text.startswith("whsec_"):
        raise ValueError(f"must be a Standard Webhooks secret starting with 'whsec_'; {MAKE_KEYS}")
    try:
        length = len(base64.b64decode(text.removeprefix("whsec_"), validate=True))
    except (binascii.Error, ValueError):
        raise ValueError(f"the part after 'whsec_' must be base64; {MAKE_KEYS}") from None
    if length < 16:
        raise ValueError(f"the secret must hold at least 16 bytes, not {length}; {MAKE_KEYS}")
    return text


def log_level_setting(text: str) -> str:
    level = text.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError(f"{text!r} is not a log level: DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, not {value}")
        return value

    return parse


def bind_setting(text: str) -> str:
    """host:port, as gunicorn takes it."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not host:port, e.g. 127.0.0.1:8000")
    return text


def positive_number(unit: str, maximum: float, example: str = "", minimum: float = 0.0) -> Callable[[str], float]:
    """A number of ``unit`` greater than 0 (at least ``minimum`` when one is given) and at most ``maximum``
    (which also keeps out inf and nan)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number of {unit}") from None
        if not 0 < value <= maximum:
            raise ValueError(f"must be a positive number of {unit}{example}")
        if value < minimum:
            raise ValueError(f"must be at least {minimum:g} {unit}{example}")
        return value

    return parse


_seconds = positive_number("seconds", 366 * 86_400)
# A rate of calls to a host: the default's (SLA_HOST_REQUESTS_PER_SECOND) and a tenant's own.
requests_per_second = positive_number("requests per second", MAX_REQUESTS_PER_SECOND,
                                      " (e.g. 10, or 0.8 for 48 a minute)", MIN_REQUESTS_PER_SECOND)


def _optional(parse: Callable[[str], str]) -> Callable[[str], str | None]:
    def parse_optional(text: str) -> str | None:
        return parse(text) if text else None

    return parse_optional


def demo_clock_setting(text: str) -> tuple[datetime, float, float] | None:
    """``START,ORIGIN,RATE``: the SLA clock reads START at the real epoch second ORIGIN and runs RATE
    times as fast. Only ``sla-plugin demo`` sets it, for its own processes."""
    if not text:
        return None
    parts = text.split(",")
    try:
        start, origin, rate = datetime.fromisoformat(parts[0]), float(parts[1]), float(parts[2])
    except (ValueError, IndexError):
        raise ValueError(f"{text!r} is not START,ORIGIN,RATE (the demo sets it; leave it unset)") from None
    if start.tzinfo is None or not 0 < rate <= 10_000 or len(parts) != 3:
        raise ValueError(f"{text!r} is not START,ORIGIN,RATE with an aware START and 0 < RATE ≤ 10000")
    return start.astimezone(UTC), origin, rate


def _non_empty(text: str) -> str:
    if not text:
        raise ValueError("must not be empty")
    return text


def _fernet_key(text: str) -> str:
    from cryptography.fernet import Fernet  # noqa: PLC0415

    try:
        Fernet(text.encode())
    except (ValueError, binascii.Error):
        raise ValueError(f"not a Fernet key (32 url-safe base64-encoded bytes); {MAKE_KEYS}") from None
    return text


def redacted_url(url: str) -> str:
    """A database URL without its password, for messages (whether or not it parses)."""
    scheme, separator, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not separator or not at:
        return url
    user = credentials.partition(":")[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


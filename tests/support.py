"""Helpers shared by integration and end-to-end tests: signing, tokens, tenants, databases."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import psycopg
import pytest
import requests
from cryptography.fernet import Fernet
from standardwebhooks import Webhook

POSTGRES_ADMIN_URL = os.environ.get("SLA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_encryption_key() -> str:
    return Fernet.generate_key().decode()


def signed_headers(secret: str, body: str | bytes, *, webhook_id: str | None = None,
                   at: datetime | None = None) -> dict[str, str]:
    """Standard Webhooks headers for ``body`` signed with ``secret``."""
    text = body.decode() if isinstance(body, bytes) else body
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, text),
        "content-type": "application/json",
    }


def host_token(app_secret: str, account_id: str, role: str = "admin", *, app_id: str = "sla-plugin",
               user: str = "user-1", lifetime: timedelta = timedelta(minutes=5), now: datetime | None = None,
               **overrides: Any) -> str:
    """The JWT a host puts in the settings iframe URL (design.md §4)."""
    now = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": "reference-host",
        "aud": app_id,
        "sub": user,
        "account_id": account_id,
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return jwt.encode({key: value for key, value in claims.items() if value is not None}, app_secret.encode(),
                      algorithm="HS256")


def install_body(account_id: str, webhook_secret: str, *, api_base_url: str = "http://127.0.0.1:9",
                 timezone: str = "UTC", host_origin: str = "https://host.example") -> str:
    return json.dumps({
        "account_id": account_id,
        "api_base_url": api_base_url,
        "access_token": f"token-{account_id}-{secrets.token_hex(4)}",
        "webhook_secret": webhook_secret,
        "timezone": timezone,
        "host_origin": host_origin,
    })


def postgres_available() -> bool:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def require_postgres() -> None:
    """In CI PostgreSQL is required (fail); elsewhere a missing server skips with a visible reason."""
    if postgres_available():
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI but {POSTGRES_ADMIN_URL} is unreachable")
    pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}")


@contextmanager
def temporary_postgres_database() -> Iterator[str]:
    """A fresh, empty database; dropped afterwards. Yields its SQLAlchemy URL."""
    require_postgres()
    name = f"sla_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def temporary_database(store: str, prefix: str = "sla-db-") -> Iterator[str]:
    """A fresh, empty database of ``store`` ("sqlite": a file in a temporary folder; "postgresql":
    ``temporary_postgres_database``), removed afterwards. Yields its SQLAlchemy URL."""
    if store == "postgresql":
        with temporary_postgres_database() as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield f"sqlite:///{Path(folder) / 'plugin.sqlite3'}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_ready(name: str, base_url: str, process: subprocess.Popen[Any], log_text: Any,
                     timeout: float) -> None:
    """Poll ``/readyz`` until it answers 200; RuntimeError with the end of the server's log if the
    process exits or ``timeout`` seconds pass. ``log_text()`` reads the log."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or too busy starting to answer
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start:\n{log_text()[-4000:]}")
        time.sleep(0.1)


# Debian's Chromium, as the browser tests and bench/pages.py start it: flags as the environment's own probe
# uses; and pages answered by Playwright's router count as public to Chromium, whose Local Network Access
# checks would then block frames of loopback servers.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--disable-features=LocalNetworkAccessChecks"]


def chromium_executable() -> str:
    """``SLA_CHROMIUM``, else the ``chromium`` on the PATH, else Debian's path (which may not exist)."""
    return os.environ.get("SLA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

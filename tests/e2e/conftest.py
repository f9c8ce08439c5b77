"""Real processes over real HTTP: `sla-plugin serve` (gunicorn, 2 workers) on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import (
    free_port,
    new_encryption_key,
    new_webhook_secret,
    temporary_postgres_database,
    wait_until_ready,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RunningPlugin:
    base_url: str
    database_url: str
    app_secret: str
    encryption_key: str


def start_plugin(database_url: str, log_path: Path, workers: int = 2) -> Iterator[RunningPlugin]:
    port = free_port()
    app_secret, key = new_webhook_secret(), new_encryption_key()
    env = os.environ | {
        "SLA_DATABASE_URL": database_url,
        "SLA_APP_SECRET": app_secret,
        "SLA_ENCRYPTION_KEY": key,
        "SLA_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "plugin.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=log_path.parent,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready("the plugin", base_url, process, log_path.read_text, timeout=30)
            yield RunningPlugin(base_url, database_url, app_secret, key)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(params=["sqlite", "postgresql"])
def plugin_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningPlugin]:
    if request.param == "sqlite":
        yield from start_plugin(f"sqlite:///{tmp_path / 'plugin.sqlite3'}", tmp_path / "serve.log")
        return
    with temporary_postgres_database() as url:
        yield from start_plugin(url, tmp_path / "serve.log")

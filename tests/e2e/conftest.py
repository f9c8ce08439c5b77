"""Real processes over real HTTP: `sla-plugin serve` (gunicorn, 2 workers) and `sla-plugin worker`,
on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

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
    env: dict[str, str]
    folder: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, *options: str) -> subprocess.Popen[bytes]:
        """Start `sla-plugin worker` (the inbox processor) in its own process."""
        log = (self.folder / f"worker-{len(self.workers)}.log").open("w")
        worker = subprocess.Popen([sys.executable, "-m", "plugin.cli", "worker", "--no-upgrade", *options],
                                  env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder)
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            stop(worker)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def inbox_is_drained(plugin: RunningPlugin, auth: dict[str, str]) -> Callable[[], bool]:
    """A check of GET /api/v1/status: nothing pending in the tenant's inbox."""

    def drained() -> bool:
        status = requests.get(f"{plugin.base_url}/api/v1/status", headers=auth, timeout=10)
        assert status.status_code == 200, status.text
        return status.json()["inbox"]["pending"] == 0

    return drained


def start_plugin(database_url: str, folder: Path, workers: int = 2) -> Iterator[RunningPlugin]:
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
    log_path = folder / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "plugin.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
        )
        base_url = f"http://127.0.0.1:{port}"
        plugin = RunningPlugin(base_url, database_url, app_secret, key, env, folder)
        try:
            wait_until_ready("the plugin", base_url, process, log_path.read_text, timeout=30)
            yield plugin
        finally:
            plugin.stop_workers()
            stop(process)


@pytest.fixture(params=["sqlite", "postgresql"])
def plugin_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningPlugin]:
    """`sla-plugin serve`; the tests start the workers they need (``start_worker``)."""
    if request.param == "sqlite":
        yield from start_plugin(f"sqlite:///{tmp_path / 'plugin.sqlite3'}", tmp_path)
        return
    with temporary_postgres_database() as url:
        yield from start_plugin(url, tmp_path)

"""Real processes over real HTTP: `sla-plugin serve` (gunicorn, 2 workers) and `sla-plugin worker`,
on SQLite or PostgreSQL; with ``host_stack``, also the sandbox helpdesk (`python -m sandbox serve`)
that the plugin's workers deliver their host commands to."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from plugin.store.db import create_db_engine
from plugin.store.models import OutboxCommand, Tenant
from sandbox import SandboxClient
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

    def start_worker(self, *options: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start `sla-plugin worker` (the inbox processor) in its own process; ``env``: variables
        added to the plugin's for this worker only."""
        log = (self.folder / f"worker-{len(self.workers)}.log").open("w")
        worker = subprocess.Popen([sys.executable, "-m", "plugin.cli", "worker", "--no-upgrade", *options],
                                  env=self.env | dict(env or {}), stdout=log, stderr=subprocess.STDOUT,
                                  cwd=self.folder)
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


def start_plugin(database_url: str, folder: Path, workers: int = 2,
                 extra_env: Mapping[str, str] | None = None) -> Iterator[RunningPlugin]:
    """``extra_env``: more variables for serve and every worker (e.g. ``SLA_SWEEP_SECONDS``)."""
    port = free_port()
    app_secret, key = new_webhook_secret(), new_encryption_key()
    env = os.environ | {
        "SLA_DATABASE_URL": database_url,
        "SLA_APP_SECRET": app_secret,
        "SLA_ENCRYPTION_KEY": key,
        "SLA_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(PROJECT_ROOT),
    } | dict(extra_env or {})
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


# -- the sandbox helpdesk, and the plugin delivering its host commands to it --------------------------------

HOST_STACK_ENV = {"SLA_SWEEP_SECONDS": "0.2"}  # the sweep looks for due targets five times a second


@dataclass
class HostStack:
    """One database's `sla-plugin serve`, its `sla-plugin worker` and the sandbox helpdesk they serve
    (`python -m sandbox serve --plugin-url …`), each in its own process. Accounts installed through the
    sandbox get the sandbox as their ``api_base_url``, so the worker's host commands reach it over HTTP."""

    plugin: RunningPlugin
    sandbox: SandboxClient
    engine: sa.Engine  # on the plugin's database
    worker: subprocess.Popen[bytes] | None = None
    metrics: dict[int, str] = field(default_factory=dict)  # worker pid -> its /metrics URL
    extra_workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _admin: dict[str, dict[str, str]] = field(default_factory=dict)

    def start_worker(self, *, extra: bool = False, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        """A new worker (the stack's own, or with ``extra`` one more beside it), serving its metrics;
        returned once its jobs run (a busy machine takes seconds to start one, and a test's tickets
        due in seconds must not wait for it). ``env``: variables for this worker only (e.g. its clock)."""
        metrics = f"127.0.0.1:{free_port()}"
        worker = self.plugin.start_worker(env=dict(env or {}) | {"SLA_WORKER_METRICS_BIND": metrics})
        self.metrics[worker.pid] = f"http://{metrics}/metrics"
        if extra:
            self.extra_workers.append(worker)
        else:
            self.worker = worker

        def running() -> bool:
            assert worker.poll() is None, f"the worker exited with {worker.returncode}; see {self.plugin.folder}"
            return bool(self.worker_metric(worker, 'sla_worker_job_seconds_count{job="delivery"}'))

        wait_for(running, 60, "a new worker to run its jobs")
        return worker

    def worker_metric(self, worker: subprocess.Popen[bytes], line_start: str) -> float | None:
        """The value of the worker's metric line that starts with ``line_start``; None until it serves."""
        try:
            text = requests.get(self.metrics[worker.pid], timeout=2).text
        except requests.RequestException:
            return None
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start))

    def install(self, account_id: str, settings: dict[str, Any]) -> None:
        """Install the account through the sandbox (which signs the install) and save its settings."""
        installed = self.sandbox.install(account_id)
        assert installed["plugin"]["status"] == 200, installed["plugin"]
        self.sandbox.save_settings(account_id, settings)

    def admin(self, account_id: str) -> dict[str, str]:
        if account_id not in self._admin:
            self._admin[account_id] = {"Authorization": f"Bearer {self.sandbox.admin_session(account_id)}"}
        return self._admin[account_id]

    def api(self, account_id: str, path: str) -> dict[str, Any]:
        answer = requests.get(f"{self.plugin.base_url}/api/v1{path}", headers=self.admin(account_id), timeout=10)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def settled(self, account_id: str) -> bool:
        """Every webhook applied and every host command finished (delivered, gone or dead)."""
        return bool(self.api(account_id, "/status")["inbox"]["pending"] == 0
                    and self.api(account_id, "/delivery")["commands"]["pending"] == 0)

    def effects(self, account_id: str) -> list[dict[str, Any]]:
        """What the sandbox applied for the account, in the order applied (one entry per applied write)."""
        return [effect for effect in self.sandbox.effects() if effect["account_id"] == account_id]

    def calls(self, account_id: str) -> list[dict[str, Any]]:
        """Every host API call the sandbox answered for the account, replays included (but not the calls an
        injected fault answered before the sandbox read their token: those have no account_id)."""
        return [call for call in self.sandbox.calls() if call["account_id"] == account_id]

    def fault_log(self) -> list[dict[str, Any]]:
        return list(requests.get(f"{self.sandbox.base_url}/sandbox/faults", timeout=10).json()["faults"])

    def outbox(self, account_id: str) -> list[Any]:
        """The account's host commands as the plugin stored them, in the order it decided them."""
        with self.engine.connect() as connection:
            return list(connection.execute(
                sa.select(OutboxCommand.id, OutboxCommand.ticket_id, OutboxCommand.kind,
                          OutboxCommand.idempotency_key, OutboxCommand.status, OutboxCommand.attempts,
                          OutboxCommand.leased_until, OutboxCommand.last_error)
                .join(Tenant, Tenant.id == OutboxCommand.tenant_id)
                .where(Tenant.account_id == account_id).order_by(OutboxCommand.id)).all())


def _start_sandbox(plugin: RunningPlugin, folder: Path) -> Iterator[str]:
    port = free_port()
    log_path = folder / "sandbox.log"
    env = os.environ | {"SLA_APP_SECRET": plugin.app_secret, "PYTHONPATH": str(PROJECT_ROOT)}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--plugin-url", plugin.base_url],
            env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready("the sandbox", url, process, log_path.read_text, timeout=20)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def host_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostStack]:
    """The sandbox, `sla-plugin serve` and one `sla-plugin worker` (``SLA_SWEEP_SECONDS`` 0.2), shared by
    a module's tests on one database; each test uses accounts of its own."""
    folder = tmp_path_factory.mktemp(f"host-{request.param}")
    with contextmanager(_database)(request.param, folder) as database_url, \
            contextmanager(start_plugin)(database_url, folder, extra_env=HOST_STACK_ENV) as plugin, \
            contextmanager(_start_sandbox)(plugin, folder) as sandbox_url:
        stack = HostStack(plugin, SandboxClient(sandbox_url), create_db_engine(database_url))
        stack.start_worker()
        try:
            yield stack
        finally:
            stack.engine.dispose()


@contextmanager
def own_host_stack(kind: str, folder: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[HostStack]:
    """A stack of its own, like ``host_stack``'s but with no worker yet (the test starts the ones it needs)
    and ``extra_env`` for serve and every worker (e.g. ``SLA_DEMO_CLOCK``: the SLA clock of serve, which
    dates installs; a worker given its own runs on that one)."""
    with contextmanager(_database)(kind, folder) as database_url, \
            contextmanager(start_plugin)(database_url, folder, extra_env=dict(extra_env or {})) as plugin, \
            contextmanager(_start_sandbox)(plugin, folder) as sandbox_url:
        stack = HostStack(plugin, SandboxClient(sandbox_url), create_db_engine(database_url))
        try:
            yield stack
        finally:
            stack.engine.dispose()


def sla_clock(start: datetime, origin: float, rate: float = 1.0) -> str:
    """``SLA_DEMO_CLOCK``'s value (the one mechanism that sets a plugin process's SLA clock): it reads
    ``start`` at the real epoch second ``origin`` (earlier before it) and runs ``rate`` times as fast."""
    return f"{start.isoformat()},{origin:.6f},{rate:g}"


def _database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'plugin.sqlite3'}"
        return
    with temporary_postgres_database() as url:
        yield url


@pytest.fixture
def host(host_stack: HostStack) -> Iterator[HostStack]:
    """The module's stack, left as the test found it: no faults, the sandbox's clock real, extra workers
    stopped, the stack's worker running."""
    yield host_stack
    host_stack.sandbox.clear_faults()
    host_stack.sandbox.set_clock(None)
    for worker in host_stack.extra_workers:
        stop(worker)
    host_stack.extra_workers.clear()
    if host_stack.worker is None or host_stack.worker.poll() is not None:
        host_stack.start_worker()

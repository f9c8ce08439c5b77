"""The sandbox in process (Flask test client, frozen clock, no plugin) and in its own process
(``python -m sandbox serve``, real HTTP), with an installed account."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sandbox import SandboxClient, create_sandbox_app, sandbox_of
from sandbox.app import Sandbox
from tests.support import free_port, wait_until_ready

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def app() -> Flask:
    app = create_sandbox_app("http://sandbox.test")
    app.testing = True
    sandbox_of(app).clock.set(MONDAY_9)
    return app


@pytest.fixture
def sandbox(app: Flask) -> Sandbox:
    return sandbox_of(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def token(sandbox: Sandbox) -> str:
    """The access token of account ``acme``, installed without a plugin, with ticket T1."""
    installed = sandbox.host.install("acme")
    sandbox.host.create_ticket("acme", {"id": "T1", "product": "Orange", "channel": "email", "subject": "Outage"})
    return str(installed["access_token"])


def auth(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    return headers | ({"Idempotency-Key": key} if key else {})


@dataclass
class LiveSandbox:
    """``python -m sandbox serve`` in its own process, reset before each test."""

    url: str
    client: SandboxClient
    token: str = ""

    def api(self, path: str) -> str:
        return f"{self.url}/api/v1{path}"

    def headers(self, key: str | None = None) -> dict[str, str]:
        return auth(self.token, key)

    def effects(self) -> list[dict[str, Any]]:
        return self.client.effects()


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", str(port)],
                                   cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready("the sandbox", url, process, log_path.read_text, timeout=20)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def live(sandbox_process: str) -> LiveSandbox:
    """The running sandbox, reset, with account ``acme`` installed and its ticket ``INC/7``."""
    client = SandboxClient(sandbox_process)
    client.reset()
    installed = client.install("acme")
    client.create_ticket("acme", {"id": "INC/7", "product": "Orange", "channel": "email", "subject": "Outage"})
    return LiveSandbox(sandbox_process, client, installed["access_token"])

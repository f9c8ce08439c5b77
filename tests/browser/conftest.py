"""The embedded pages in a real browser: Debian's Chromium driven by Playwright, against real
processes (`sla-plugin serve`, one `sla-plugin worker`, the sandbox helpdesk) on SQLite.

Chromium is required in CI (``.ci/run`` installs it with apt); elsewhere a missing browser skips these
tests with a visible reason. Playwright never downloads a browser here: it launches
``/usr/bin/chromium`` (or ``SLA_CHROMIUM``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from playwright.sync_api import sync_playwright

from sandbox import SandboxClient
from tests.e2e.conftest import RunningPlugin, _start_sandbox, start_plugin, wait_for
from tests.support import CHROMIUM_FLAGS, chromium_executable, host_token

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
EXAMPLE = PROJECT_ROOT / "tests" / "data" / "desk360_example"


def chromium_path() -> str:
    path = chromium_executable()
    if not Path(path).exists():
        reason = f"no Chromium at {path}: install Debian's chromium (apt-get install chromium) or set SLA_CHROMIUM"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests need Chromium in CI; {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@dataclass
class UiStack:
    """`sla-plugin serve` and a worker on SQLite, and the sandbox helpdesk that installs the accounts."""

    plugin: RunningPlugin
    sandbox: SandboxClient
    worker: Any = None
    _sessions: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return self.plugin.base_url

    def install(self, account_id: str, settings: dict[str, Any] | None = None, timezone: str = "UTC") -> None:
        """Install through the sandbox (whose origin becomes the account's host origin)."""
        installed = self.sandbox.install(account_id, timezone)
        assert installed["plugin"]["status"] == 200, installed["plugin"]
        if settings is not None:
            self.sandbox.save_settings(account_id, settings)

    def token(self, account_id: str, role: str = "admin", **claims: Any) -> str:
        """A fresh host JWT, as the helpdesk signs one for each page it opens."""
        return host_token(self.plugin.app_secret, account_id, role, **claims)

    def settings_url(self, account_id: str, role: str = "admin", tab: str = "") -> str:
        return f"{self.origin}/settings?token={self.token(account_id, role)}" + (f"#{tab}" if tab else "")

    def sidebar_url(self, account_id: str, ticket_id: str, role: str = "agent") -> str:
        return f"{self.origin}/sidebar?token={self.token(account_id, role)}&ticket_id={quote(ticket_id, safe='')}"

    def api(self, account_id: str, method: str, path: str, **options: Any) -> requests.Response:
        """The admin API as the account's admin (to check what a page saved)."""
        key = (account_id, "admin")
        if key not in self._sessions:
            self._sessions[key] = self.sandbox.admin_session(account_id)
        headers = {"Authorization": f"Bearer {self._sessions[key]}"} | options.pop("headers", {})
        return requests.request(method, f"{self.origin}/api/v1{path}", headers=headers, timeout=10, **options)

    def drained(self, account_id: str) -> bool:
        status = self.api(account_id, "GET", "/status")
        assert status.status_code == 200, status.text
        return bool(status.json()["inbox"]["pending"] == 0)

    def wait_drained(self, account_id: str, timeout: float = 60) -> None:
        wait_for(lambda: self.drained(account_id), timeout, "the inbox to drain")


@pytest.fixture(scope="session")
def ui_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiStack]:
    folder = tmp_path_factory.mktemp("ui")
    with contextmanager(start_plugin)(f"sqlite:///{folder / 'plugin.sqlite3'}", folder, workers=2) as plugin, \
            contextmanager(_start_sandbox)(plugin, folder) as sandbox_url:
        stack = UiStack(plugin, SandboxClient(sandbox_url))
        stack.worker = plugin.start_worker()
        yield stack  # start_plugin stops the worker with serve


@dataclass
class PageVisit:
    """A browser tab, with every request it made (to check none leaves the allowed origins)."""

    page: Any
    requests: list[str]

    def foreign_requests(self, *origins: str) -> list[str]:
        allowed = {_origin(url) for url in origins}
        return [url for url in self.requests if not url.startswith(("data:", "about:")) and _origin(url) not in allowed]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
def visit(browser: Any) -> Iterator[Callable[..., PageVisit]]:
    """``visit(url, width=800)``: a fresh browser context (no cookies, no storage) showing ``url``."""
    contexts: list[Any] = []

    def open_page(url: str, width: int = 800, height: int = 900) -> PageVisit:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        seen: list[str] = []
        page.on("request", lambda request: seen.append(request.url))
        page.set_default_timeout(15_000)
        page.goto(url)
        return PageVisit(page, seen)

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> None:
    """Save ``docs/screenshots/<name>.png`` (the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

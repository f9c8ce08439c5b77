"""How fast the embedded pages render, with the worked example loaded (``./dev bench-pages``).

Starts `sla-plugin serve` and `sla-plugin worker` on SQLite, installs an account with the worked
example's settings, sends its 220 signed webhooks and waits until they are applied. Then Debian's
Chromium (driven by Playwright, headless) opens each page — every tab of the settings app and a ticket's
sidebar — in a fresh browser context with a freshly signed token, ``--rounds`` times each, and prints
every round:

- **ready**: from the navigation's start until the page shows its data (its panel holds no "Loading…"
  any more): the entry's token exchange, the HTML, the scripts and every API call the panel makes;
- **first paint**: the browser's first-contentful-paint;
- the number of requests and the bytes transferred, and any request to another origin (there must be none).

The aim is a first render under 300 ms on the project's machines. The browser itself runs on the same two
cores as the servers, so these figures include its own CPU time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench.ingest import git_state, load_average, plugin_env, running, start, stop  # noqa: E402
from bench.output import line, machine_header  # noqa: E402
from tests.support import (  # noqa: E402
    CHROMIUM_FLAGS,
    chromium_executable,
    free_port,
    host_token,
    install_body,
    new_webhook_secret,
    signed_headers,
)

ACCOUNT = "acme"
EXAMPLE = ROOT / "tests" / "data" / "desk360_example"
CHROMIUM = chromium_executable()
TABS = ("policies", "rules", "calendars", "reports", "whatif", "status")
AIM_MS = 300.0
READY = """() => {
    const panel = document.querySelector('[role=tabpanel]:not([hidden])') || document.getElementById('sidebar-targets');
    return !!panel && panel.children.length > 0 && !panel.querySelector('.loading');
}"""
FIGURES = """() => {
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return {ready: performance.now(), paint: paint ? paint.startTime : null,
            bytes: entries.reduce((sum, entry) => sum + (entry.transferSize || 0), 0)};
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="visits of each page (default 5)")
    parser.add_argument("--quick", action="store_true", help="2 rounds, for CI smoke runs")
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    machine_header("Embedded pages: first render with the worked example loaded")
    line("code", git_state())
    line("load average before", load_average())
    line("chromium", CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder_name:
        folder = Path(folder_name)
        env = plugin_env(folder, f"sqlite:///{folder / 'plugin.sqlite3'}", "WARNING")
        port = free_port()
        serve = [sys.executable, "-m", "plugin.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        with running("plugin", serve, env, folder / "plugin.log", port) as server:
            worker = start([sys.executable, "-m", "plugin.cli", "worker", "--no-upgrade"], env, folder / "worker.log")
            try:
                ticket = load_worked_example(server.base_url, env["SLA_APP_SECRET"])
                measure(server.base_url, env["SLA_APP_SECRET"], ticket, rounds)
            finally:
                stop(worker)
    line("load average after", load_average())


def load_worked_example(base_url: str, app_secret: str) -> str:
    """Install the account, save the example's settings, send its events; returns a ticket id."""
    webhook_secret = new_webhook_secret()
    http = requests.Session()
    body = install_body(ACCOUNT, webhook_secret, timezone="Europe/Istanbul", host_origin="http://127.0.0.1:9")
    http.post(f"{base_url}/lifecycle/install", data=body, headers=signed_headers(app_secret, body),
              timeout=10).raise_for_status()
    session = http.post(f"{base_url}/api/v1/auth/session", json={"token": host_token(app_secret, ACCOUNT)},
                        timeout=10)
    session.raise_for_status()
    http.headers["Authorization"] = f"Bearer {session.json()['access_token']}"
    http.put(f"{base_url}/api/v1/settings", data=(EXAMPLE / "settings.json").read_text(),
             headers={"Content-Type": "application/json"}, timeout=10).raise_for_status()
    lines = (EXAMPLE / "events.jsonl").read_text().splitlines()
    for event in lines:
        http.post(f"{base_url}/webhooks/{ACCOUNT}", data=event, headers=signed_headers(webhook_secret, event),
                  timeout=10).raise_for_status()
    deadline = time.monotonic() + 120
    while http.get(f"{base_url}/api/v1/status", timeout=10).json()["inbox"]["pending"]:
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not apply the example's events in 2 minutes")
        time.sleep(0.2)
    line("loaded", f"{len(lines)} webhook events of the worked example, applied")
    return str(json.loads(lines[0])["data"]["ticket"]["id"])


def measure(base_url: str, app_secret: str, ticket: str, rounds: int) -> None:
    pages = {f"settings #{tab}": lambda tab=tab: f"{base_url}/settings?token={token(app_secret)}#{tab}" for tab in TABS}
    pages["sidebar"] = lambda: f"{base_url}/sidebar?token={token(app_secret, 'agent')}&ticket_id={ticket}"
    origin = f"{urlsplit(base_url).scheme}://{urlsplit(base_url).netloc}"
    worst: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        for name, url in pages.items():
            figures = [visit(browser, url(), origin) for _ in range(rounds)]
            ready = [figure["ready"] for figure in figures]
            worst.append(max(ready))
            rows = ", ".join(f"{figure['ready']:.0f}" for figure in figures)
            line(f"{name}: ready, each round (ms)", f"{rows}  (median {statistics.median(ready):.0f})")
            paint = [figure["paint"] for figure in figures if figure["paint"] is not None]
            line(f"{name}: first paint, each round (ms)", ", ".join(f"{value:.0f}" for value in paint))
            last = figures[-1]
            line(f"{name}: requests / bytes (last round)",
                 f"{last['requests']} / {last['bytes']:,}; to other origins: {last['foreign'] or 'none'}")
        browser.close()
    line("slowest round of any page", f"{max(worst):.0f} ms (aim: under {AIM_MS:.0f} ms)")


def token(app_secret: str, role: str = "admin") -> str:
    return host_token(app_secret, ACCOUNT, role)


def visit(browser: Any, url: str, origin: str) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 800, "height": 900})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url)
    page.wait_for_function(READY, timeout=30_000)
    figures: dict[str, Any] = page.evaluate(FIGURES)
    context.close()
    figures["requests"] = len(requested)
    figures["foreign"] = [url for url in requested if not url.startswith((origin, "data:"))]
    return figures


if __name__ == "__main__":
    main()

"""The sandbox speaks the plugin's protocol: the real plugin (in process, on SQLite) accepts its
signed install, its settings-page JWT, the scenario's settings and every webhook of a working day,
and its worker applies them all."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from plugin.app import create_app
from plugin.config import Config
from plugin.services.processing import process_inbox_batch
from plugin.store.migrate import upgrade
from sandbox import PluginLink, create_sandbox_app, sandbox_of
from sandbox.plugin_link import PluginAnswer
from sandbox.scenario import play, working_day
from tests.support import new_encryption_key, new_webhook_secret

PLUGIN_URL = "http://plugin.test"


@pytest.fixture
def plugin_app(tmp_path: Path) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path / 'plugin.sqlite3'}"
    upgrade(url)
    app = create_app(Config(database_url=url, app_id="sla-plugin", app_secret=new_webhook_secret(),
                            encryption_key=new_encryption_key(), session_ttl_seconds=600))
    yield app
    app.extensions["sla_runtime"].dispose()


def test_the_plugin_accepts_and_applies_everything_a_day_sends(plugin_app: Flask) -> None:
    plugin = plugin_app.test_client()

    def transport(method: str, url: str, body: bytes, headers: dict[str, str]) -> PluginAnswer:
        response = plugin.open(url.removeprefix(PLUGIN_URL), method=method, data=body, headers=headers)
        answer: Any = response.get_json(silent=True)
        return PluginAnswer(response.status_code, answer if answer is not None else response.get_data(as_text=True))

    config = plugin_app.extensions["sla_runtime"].config
    sandbox = sandbox_of(create_sandbox_app("http://sandbox.test", PluginLink(PLUGIN_URL, config.app_secret),
                                            transport=transport))
    scenario = working_day(4)
    assert sandbox.host.install("acme", "Europe/Istanbul")["plugin"]["body"]["status"] == "installed"
    saved = sandbox.host.save_settings("acme", scenario.settings)
    assert saved.status == 200, saved.body
    play(scenario, sandbox.host, "acme")
    webhooks = sandbox.helpdesk.accounts["acme"].webhooks
    assert Counter(record["outcome"] for record in webhooks) == {"accepted": len(webhooks)}
    runtime = plugin_app.extensions["sla_runtime"]
    failed = 0
    while (batch := process_inbox_batch(runtime.uow(), runtime.now)).claimed:
        failed += batch.failed
    assert failed == 0
    token = sandbox.host.admin_session("acme")
    targets = plugin.get("/api/v1/tickets/INC%2F2026%2F1/targets", headers={"Authorization": f"Bearer {token}"})
    assert targets.status_code == 200 and targets.json["policy"] == "lemon-phone-normal"

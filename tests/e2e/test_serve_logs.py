"""`sla-plugin serve`'s log: gunicorn's own lines are JSON like the app's, one object per line."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from tests.e2e.conftest import start_plugin


def test_every_line_serve_writes_is_a_json_object_gunicorns_own_included(tmp_path: Path) -> None:
    running = start_plugin(f"sqlite:///{tmp_path / 'plugin.sqlite3'}", tmp_path, workers=1)
    plugin = next(running)
    assert requests.post(f"{plugin.base_url}/webhooks/nobody", data="{}", timeout=10).status_code == 404
    next(running, None)  # stops the server

    lines = [line for line in (tmp_path / "serve.log").read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # a line that is not JSON fails here
    gunicorn = [entry["event"] for entry in entries if entry["logger"] == "gunicorn.error"]
    assert any(event.startswith("Starting gunicorn") for event in gunicorn), gunicorn
    assert any(event.startswith("Booting worker") for event in gunicorn), gunicorn
    assert any(event.startswith("Shutting down") for event in gunicorn), gunicorn
    assert {"time", "level", "event", "logger"} <= set(entries[0])

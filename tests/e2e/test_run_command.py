"""`sla-plugin run`: serve and worker as one command, stopped together by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from tests.e2e.conftest import PROJECT_ROOT, inbox_is_drained, wait_for
from tests.e2e.test_worked_example import EXAMPLE, RunningPlugin, installed_tenant
from tests.support import free_port, new_encryption_key, new_webhook_secret, signed_headers, wait_until_ready


def test_run_serves_applies_webhooks_and_stops_both_processes_on_sigterm(tmp_path: Path) -> None:
    port, database_url = free_port(), f"sqlite:///{tmp_path / 'plugin.sqlite3'}"
    env = os.environ | {"SLA_DATABASE_URL": database_url, "SLA_APP_SECRET": new_webhook_secret(),
                        "SLA_ENCRYPTION_KEY": new_encryption_key(), "SLA_LOG_LEVEL": "WARNING",
                        "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "plugin.cli", "run", "--bind", f"127.0.0.1:{port}"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_ready("sla-plugin run", base_url, process, log_path.read_text, timeout=30)
        plugin = RunningPlugin(base_url, database_url, env["SLA_APP_SECRET"], env["SLA_ENCRYPTION_KEY"], env,
                               tmp_path)
        http, auth, webhook_secret = installed_tenant(plugin)
        line = (EXAMPLE / "events.jsonl").read_text().splitlines()[0]
        answer = http.post(f"{base_url}/webhooks/acme", data=line, headers=signed_headers(webhook_secret, line))
        assert answer.json() == {"status": "accepted"}
        wait_for(inbox_is_drained(plugin, auth), 30, "the worker started by 'run' to apply the webhook")
        ticket_id = json.loads(line)["data"]["ticket"]["id"]
        assert requests.get(f"{base_url}/api/v1/tickets/{ticket_id}/targets", headers=auth, timeout=10).ok

        children = subprocess.check_output(["pgrep", "-P", str(process.pid)]).split()
        assert len(children) == 2  # serve (gunicorn's master) and worker
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log_path.read_text()[-3000:]
        for child in children:
            assert not Path(f"/proc/{int(child)}").exists() or b"zombie" in Path(
                f"/proc/{int(child)}/status").read_bytes().lower()
    finally:
        if process.poll() is None:
            process.kill()

"""examples/integrate.py, the integration example of docs/quickstart.md, against `sla-plugin run`:
what a person integrating a helpdesk copies must work as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import PROJECT_ROOT, stop
from tests.support import free_port, new_encryption_key, new_webhook_secret, wait_until_ready

EXAMPLE_SCRIPT = PROJECT_ROOT / "examples" / "integrate.py"
APP_ID = "example-sla-app"  # not the default: the script must read SLA_APP_ID


@pytest.fixture(scope="module")
def running_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """`sla-plugin run` (serve and worker) on SQLite: its base URL and the environment it runs with."""
    folder = tmp_path_factory.mktemp("integration-example")
    port = free_port()
    env = os.environ | {"SLA_DATABASE_URL": f"sqlite:///{folder / 'plugin.sqlite3'}",
                        "SLA_APP_SECRET": new_webhook_secret(), "SLA_ENCRYPTION_KEY": new_encryption_key(),
                        "SLA_APP_ID": APP_ID, "SLA_LOG_LEVEL": "WARNING", "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log_path = folder / "run.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "plugin.cli", "run", "--bind", f"127.0.0.1:{port}"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready("sla-plugin run", base_url, process, log_path.read_text, timeout=30)
        yield base_url, env
    finally:
        stop(process)


def run_example(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The script as a person runs it: its own process, only the app's settings in the environment."""
    script_env = {name: value for name, value in env.items() if not name.startswith("SLA_")}
    script_env |= {name: env[name] for name in ("SLA_APP_SECRET", "SLA_APP_ID") if name in env}
    script_env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, str(EXAMPLE_SCRIPT), *arguments], env=script_env, capture_output=True,
                          text=True, timeout=120, cwd=EXAMPLE_SCRIPT.parent, check=False)


def test_example_installs_configures_sends_a_ticket_and_prints_its_first_response_target(
        running_plugin: tuple[str, dict[str, str]]) -> None:
    base_url, env = running_plugin
    created = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    result = run_example("--url", base_url, "--ticket-id", "T-1001", "--created-at", created.isoformat(), env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    due = (created + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    warning = (created + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "ticket T-1001: priority urgent, policy orange-email-urgent" in result.stdout
    target_lines = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("first_response")]
    assert target_lines == [f"first_response: active, started {created:%Y-%m-%dT%H:%M:%SZ}, due {due}, "
                            f"at risk from {warning}"]


def test_example_run_twice_reinstalls_and_saves_a_new_settings_version(
        running_plugin: tuple[str, dict[str, str]]) -> None:
    base_url, env = running_plugin
    result = run_example("--url", base_url, "--account", "second-desk", env=env)
    again = run_example("--url", base_url, "--account", "second-desk", env=env)

    assert result.returncode == 0 and again.returncode == 0, again.stdout + again.stderr
    assert "installed account 'second-desk': installed" in result.stdout
    assert "installed account 'second-desk': updated" in again.stdout
    versions = [re.findall(r"saved the settings: version (\d+)", out) for out in (result.stdout, again.stdout)]
    assert versions == [["1"], ["2"]]


def test_example_with_another_app_secret_says_which_step_failed_and_exits_1(
        running_plugin: tuple[str, dict[str, str]]) -> None:
    base_url, env = running_plugin
    result = run_example("--url", base_url, env=env | {"SLA_APP_SECRET": new_webhook_secret()})

    assert result.returncode == 1
    assert "could not install the tenant" in result.stderr and "401 invalid_signature" in result.stderr


def test_example_without_a_plugin_asks_whether_it_is_running() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_example("--url", url, env=dict(os.environ) | {"SLA_APP_SECRET": new_webhook_secret()})

    assert result.returncode == 1
    assert f"cannot connect to {url}: is the plugin running there" in result.stderr


def test_example_without_the_app_secret_is_a_usage_error() -> None:
    env = {name: value for name, value in os.environ.items() if name != "SLA_APP_SECRET"}
    result = run_example(env=env)

    assert result.returncode == 2
    assert "SLA_APP_SECRET is not set" in result.stderr

"""Every setting is checked before anything starts: a bad one is one line naming it, and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from plugin.cli import main
from plugin.config import Config, ConfigError
from tests.support import new_encryption_key, new_webhook_secret

GOOD = {"SLA_APP_SECRET": new_webhook_secret(), "SLA_ENCRYPTION_KEY": new_encryption_key()}


def test_good_settings_are_read_with_their_defaults() -> None:
    config = Config.from_env(GOOD)
    assert (config.database_url, config.app_id, config.batch_size, config.log_level) == (
        "sqlite:///var/sla-plugin.sqlite3", "sla-plugin", 200, "INFO")
    assert Config.from_env(GOOD | {"SLA_DATABASE_URL": "postgresql://db/sla"}).batch_size == 500
    assert (config.sweep_seconds, config.host_requests_per_second, config.host_burst,
            config.worker_metrics_bind, config.delivery_lease_seconds) == (1.0, 10.0, 20, None, 60.0)
    assert Config.from_env(GOOD | {"SLA_DELIVERY_LEASE_SECONDS": " 90.5 "}).delivery_lease_seconds == 90.5
    assert Config.from_env(GOOD | {"SLA_WORKER_METRICS_BIND": "0.0.0.0:9101", "SLA_SWEEP_SECONDS": "0.5",
                                   "SLA_HOST_REQUESTS_PER_SECOND": "0.8"}).worker_metrics_bind == "0.0.0.0:9101"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SLA_APP_SECRET", "not-a-secret", "SLA_APP_SECRET: must be a Standard Webhooks secret starting with 'whsec_'"),
    ("SLA_APP_SECRET", "whsec_%%%", "SLA_APP_SECRET: the part after 'whsec_' must be base64"),
    ("SLA_APP_SECRET", "whsec_YWJj", "SLA_APP_SECRET: the secret must hold at least 16 bytes, not 3"),
    ("SLA_ENCRYPTION_KEY", "nope", "SLA_ENCRYPTION_KEY: not a Fernet key"),
    ("SLA_DATABASE_URL", "mysql://db/sla", "SLA_DATABASE_URL: the plugin stores its data in SQLite or PostgreSQL"),
    ("SLA_DATABASE_URL", "::::", "SLA_DATABASE_URL: '::::' is not a database URL"),
    ("SLA_BATCH_SIZE", "0", "SLA_BATCH_SIZE: must be at least 1, not 0"),
    ("SLA_SESSION_TTL_SECONDS", "an hour", "SLA_SESSION_TTL_SECONDS: 'an hour' is not a whole number"),
    ("SLA_READY_MAX_LAG_SECONDS", "-1", "SLA_READY_MAX_LAG_SECONDS: must be a positive number of seconds"),
    ("SLA_LOG_LEVEL", "loud", "SLA_LOG_LEVEL: 'loud' is not a log level"),
    ("SLA_SWEEP_SECONDS", "0", "SLA_SWEEP_SECONDS: must be a positive number of seconds"),
    ("SLA_HOST_REQUESTS_PER_SECOND", "fast", "SLA_HOST_REQUESTS_PER_SECOND: 'fast' is not a number of requests"),
    ("SLA_HOST_REQUESTS_PER_SECOND", "1e-300", "SLA_HOST_REQUESTS_PER_SECOND: must be at least 0.001 requests"),
    ("SLA_HOST_BURST", "0", "SLA_HOST_BURST: must be at least 1, not 0"),
    ("SLA_DELIVERY_LEASE_SECONDS", "0", "SLA_DELIVERY_LEASE_SECONDS: must be a positive number of seconds"),
    ("SLA_DELIVERY_LEASE_SECONDS", "-60", "SLA_DELIVERY_LEASE_SECONDS: must be a positive number of seconds"),
    ("SLA_DELIVERY_LEASE_SECONDS", "inf", "SLA_DELIVERY_LEASE_SECONDS: must be a positive number of seconds"),
    ("SLA_DELIVERY_LEASE_SECONDS", "a minute", "SLA_DELIVERY_LEASE_SECONDS: 'a minute' is not a number of seconds"),
    ("SLA_WORKER_METRICS_BIND", "9101", "SLA_WORKER_METRICS_BIND: '9101' is not host:port"),
])
def test_a_bad_setting_is_named_with_what_it_should_be(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_env(GOOD | {name: value})
    assert str(raised.value).startswith(message)


def test_missing_secrets_say_how_to_make_them() -> None:
    with pytest.raises(ConfigError, match="SLA_APP_SECRET and SLA_ENCRYPTION_KEY: not set; `sla-plugin keys`"):
        Config.from_env({})


@pytest.mark.parametrize(("command", "name", "value"), [
    *((command, name, value) for command in (["serve"], ["worker"], ["run"])
      for name, value in (("SLA_ENCRYPTION_KEY", "nope"), ("SLA_DATABASE_URL", "mysql://db/x"))),
    (["db", "upgrade"], "SLA_DATABASE_URL", "mysql://db/x"),  # the one setting it reads
])
def test_every_command_stops_on_a_bad_setting_with_one_line_and_exit_2(
    command: list[str], name: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, good in GOOD.items():
        monkeypatch.setenv(key, good)
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        main(command)
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith(f"sla-plugin: {name}: ") and error.count("\n") == 1


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SLA_WORKERS", "many", "SLA_WORKERS: 'many' is not a whole number"),
    ("SLA_BIND", "8000", "SLA_BIND: '8000' is not host:port"),
])
def test_serve_checks_its_own_settings_too(name: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    for key, good in (GOOD | {name: value}).items():
        monkeypatch.setenv(key, good)
    with pytest.raises(SystemExit) as exited:
        main(["serve"])
    assert exited.value.code == 2 and capsys.readouterr().err.startswith(f"sla-plugin: {message}")


def test_run_checks_the_settings_of_its_children_before_starting_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, good in (GOOD | {"SLA_THREADS": "0"}).items():
        monkeypatch.setenv(key, good)
    with pytest.raises(SystemExit) as exited:
        main(["run"])
    assert exited.value.code == 2 and capsys.readouterr().err.startswith("sla-plugin: SLA_THREADS: ")


def test_keys_prints_settings_that_the_plugin_accepts() -> None:
    printed = subprocess.run([sys.executable, "-m", "plugin.cli", "keys"], capture_output=True, text=True,
                             check=True, env=os.environ).stdout
    exported = dict(line.removeprefix("export ").split("=", 1) for line in printed.splitlines())
    assert set(exported) == {"SLA_APP_SECRET", "SLA_ENCRYPTION_KEY"}
    Config.from_env(exported)  # raises if either is not acceptable


def test_the_demo_clock_runs_the_sla_clock_faster_and_leaves_real_time_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    from plugin.runtime import Runtime  # noqa: PLC0415

    config = Config.from_env(GOOD | {"SLA_DEMO_CLOCK": "2026-03-02T06:00:00+00:00,1000.0,240"})
    assert config.demo_clock == (datetime(2026, 3, 2, 6, tzinfo=UTC), 1000.0, 240.0)
    monkeypatch.setattr("time.time", lambda: 1010.0)  # ten real seconds later: forty minutes of SLA time
    runtime = Runtime.build(config, clock=lambda: datetime(2026, 12, 1, tzinfo=UTC))
    try:
        assert runtime.now() == datetime(2026, 3, 2, 6, 40, tzinfo=UTC)
        assert runtime.wall_now() == datetime(2026, 12, 1, tzinfo=UTC)
    finally:
        runtime.dispose()
    assert Config.from_env(GOOD).demo_clock is None


@pytest.mark.parametrize("value", ["yesterday", "2026-03-02T06:00:00,1,240", "2026-03-02T06:00:00Z,1,0",
                                   "2026-03-02T06:00:00Z,1"])
def test_a_malformed_demo_clock_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^SLA_DEMO_CLOCK: "):
        Config.from_env(GOOD | {"SLA_DEMO_CLOCK": value})

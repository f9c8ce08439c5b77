"""What serve, worker and run check before they start, on a real database: the schema, and that the
configured encryption key opens the secrets already stored."""

from __future__ import annotations

import pytest

from plugin.cli import main
from tests.support import new_encryption_key


@pytest.fixture
def environment(config, monkeypatch):
    """The environment the installed tenants' plugin runs with."""
    for name, value in {"SLA_DATABASE_URL": config.database_url, "SLA_APP_SECRET": config.app_secret,
                        "SLA_ENCRYPTION_KEY": config.encryption_key}.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["run"]])
def test_a_key_that_does_not_open_the_stored_secrets_stops_the_command_before_it_starts(
    install, environment, capsys, command
):
    install("acme")
    environment.setenv("SLA_ENCRYPTION_KEY", new_encryption_key())
    capsys.readouterr()  # the install's log line

    with pytest.raises(SystemExit) as exited:
        main(command)

    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("sla-plugin: SLA_ENCRYPTION_KEY: does not open the secrets stored for account 'acme'")
    assert error.count("\n") == 1


def test_the_key_the_secrets_were_sealed_with_passes_the_check(install, environment, monkeypatch):
    from plugin import cli  # noqa: PLC0415

    install("acme")
    ran = []
    monkeypatch.setattr("plugin.worker.run_worker", lambda config, options: ran.append(options.batch_size))
    assert cli.main(["worker", "--batch-size", "7"]) == 0
    assert ran == [7]


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["run"]])
def test_an_unreachable_database_is_one_line_and_exit_1(environment, capsys, command):
    environment.setenv("SLA_DATABASE_URL", "postgresql://postgres:hunter2@127.0.0.1:1/nowhere")

    with pytest.raises(SystemExit) as exited:
        main(command)

    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert error.startswith("sla-plugin: SLA_DATABASE_URL postgresql://postgres:***@127.0.0.1:1/nowhere: ")
    assert error.count("\n") == 1 and "hunter2" not in error

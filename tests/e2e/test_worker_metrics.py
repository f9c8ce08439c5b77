"""The worker's own Prometheus figures (``SLA_WORKER_METRICS_BIND``), end to end (issue 9): the sandbox
helpdesk, `sla-plugin serve` and `sla-plugin worker` in their own processes on SQLite and PostgreSQL, the
worker's metrics port scraped over HTTP while it applies webhooks, sweeps and delivers host commands; and
what `sla-plugin worker` does with a metrics address it cannot serve on."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import PROJECT_ROOT, HostStack, wait_for
from tests.support import new_encryption_key, new_webhook_secret, temporary_postgres_database

SETTINGS: dict[str, Any] = {
    "timezone": "UTC",
    "prioritization_rules": [
        {"id": "outages", "name": "Outages are urgent", "product": "Orange", "channel": "email", "position": 1,
         "conditions": [{"field": "subject", "op": "contains", "value": "outage"}], "priority": "urgent"},
    ],
    "sla_policies": [
        {"id": "orange-email-urgent", "name": "Orange urgent email", "product": "Orange", "channel": "email",
         "priority": "urgent", "warn_before_minutes": 1,
         "targets": [{"metric": "first_response", "minutes": 30, "success_rate_percent": 80}]},
    ],
}
TARGET = timedelta(minutes=30)
JOBS = ("inbox", "sweep", "delivery", "summaries")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(host: HostStack) -> Samples:
    """Every sample the stack's worker serves, by name and labels (the text must parse as Prometheus')."""
    assert host.worker is not None
    answer = requests.get(host.metrics[host.worker.pid], timeout=5)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4"), answer.headers
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(answer.text) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def create_due_in(host: HostStack, account: str, ticket_id: str, seconds: float) -> None:
    """An Orange outage by email (urgent by the rule) whose first response falls due ``seconds`` from now."""
    host.sandbox.set_clock(datetime.now(UTC) - TARGET + timedelta(seconds=seconds))
    try:
        created = host.sandbox.create_ticket(account, {"id": ticket_id, "product": "Orange", "channel": "email",
                                                       "subject": "Checkout outage"})
    finally:
        host.sandbox.set_clock(None)
    assert [webhook["outcome"] for webhook in created["webhooks"]] == ["accepted"], created


def test_the_worker_serves_its_jobs_events_sweeps_and_deliveries_as_prometheus_text(host: HostStack) -> None:
    """Two tickets: one overdue when it arrives (its tags' first call gets a 503 and is retried), one falling
    due 3 s later (the sweep breaches it). The scrape counts every event applied, every ticket swept and
    every attempt by outcome, exactly as the plugin's outbox and the host's call log tell them, and times
    each of the four jobs."""
    account = "metrics"
    host.install(account, SETTINGS)
    before = scrape(host)
    host.sandbox.add_fault(mode="unavailable", methods=["POST"], paths=["/api/v1/tickets/overdue/tags"])
    create_due_in(host, account, "overdue", -60)
    create_due_in(host, account, "soon", 3)
    wait_for(lambda: any(effect["kind"] == "remove_tag" for effect in host.effects(account)), 20,
             "`soon` to breach (the sweep takes `sla-at-risk` off)")
    wait_for(lambda: host.settled(account), 20, "the worker to deliver every command")
    after = scrape(host)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    commands = host.outbox(account)
    assert {row.status for row in commands} == {"done"}
    faulted = [call for call in host.sandbox.calls() if call["fault"] is not None]  # these carry no account
    assert [(call["path"], call["status"]) for call in faulted] == [("/api/v1/tickets/overdue/tags", 503)]
    assert grew("sla_inbox_events_applied_total", result="processed") == 2  # the two creations
    assert grew("sla_inbox_events_applied_total", result="failed") == 0
    assert grew("sla_delivery_attempts_total", outcome="done") == len(commands) == len(host.calls(account)) \
        == len(host.effects(account)) > 0
    assert grew("sla_delivery_attempts_total", outcome="retry") == 1
    assert grew("sla_sweep_tickets_total") >= 1  # `soon`, at its warning's end and its due instant
    for job in JOBS:
        count = value(after, "sla_worker_job_seconds_count", job=job)
        assert count >= 1, job
        assert value(after, "sla_worker_job_seconds_bucket", job=job, le="+Inf") == count, job
        assert value(after, "sla_worker_job_seconds_sum", job=job) > 0, job
    for job in ("inbox", "sweep", "delivery"):  # every 0.1 or 0.2 s: they ran while the tickets were handled
        assert grew("sla_worker_job_seconds_count", job=job) > 0, job


# -- a metrics address the worker cannot serve on ----------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def worker_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """What `sla-plugin worker` needs, on a new database of each kind (its schema made by the worker)."""
    env = os.environ | {"SLA_APP_SECRET": new_webhook_secret(), "SLA_ENCRYPTION_KEY": new_encryption_key(),
                        "SLA_LOG_LEVEL": "WARNING", "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if request.param == "sqlite":
        yield env | {"SLA_DATABASE_URL": f"sqlite:///{tmp_path / 'plugin.sqlite3'}"}
        return
    with temporary_postgres_database() as url:
        yield env | {"SLA_DATABASE_URL": url}


def run_worker(env: dict[str, str], metrics_bind: str, folder: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([sys.executable, "-m", "plugin.cli", "worker"], cwd=folder, capture_output=True,
                              text=True, timeout=30, check=False, env=env | {"SLA_WORKER_METRICS_BIND": metrics_bind})
    except subprocess.TimeoutExpired as timeout:
        raise AssertionError(f"the worker started with SLA_WORKER_METRICS_BIND={metrics_bind!r} "
                             f"and kept running: {timeout.stderr!r}") from None


def assert_one_line_error(ran: subprocess.CompletedProcess[str], metrics_bind: str) -> str:
    """A non-zero exit and one line on stderr naming the variable and the value: no traceback."""
    assert ran.returncode != 0 and "Traceback" not in ran.stderr, (ran.returncode, ran.stderr)
    [line] = ran.stderr.splitlines()
    assert line.startswith("sla-plugin: SLA_WORKER_METRICS_BIND: ") and metrics_bind in line, line
    return line


MALFORMED = ("nonsense", "127.0.0.1:0", ":9100")


def test_a_malformed_metrics_address_stops_the_worker_with_one_line_and_exit_code_2(
        worker_env: dict[str, str], tmp_path: Path) -> None:
    """Refused with the other settings, before the worker touches its database (one worker per value, at once)."""
    workers = {value: subprocess.Popen([sys.executable, "-m", "plugin.cli", "worker"], cwd=tmp_path, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       env=worker_env | {"SLA_WORKER_METRICS_BIND": value})
               for value in MALFORMED}
    try:
        for metrics_bind, worker in workers.items():
            try:
                stdout, stderr = worker.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"the worker started with SLA_WORKER_METRICS_BIND={metrics_bind!r}") from None
            ran = subprocess.CompletedProcess(worker.args, worker.returncode, stdout, stderr)
            assert_one_line_error(ran, metrics_bind)
            assert (ran.returncode, ran.stderr) == (
                2, f"sla-plugin: SLA_WORKER_METRICS_BIND: '{metrics_bind}' is not host:port, e.g. 127.0.0.1:8000\n")
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.kill()
                worker.communicate()


def test_a_metrics_port_in_use_stops_the_worker_with_one_line_not_a_traceback(
        worker_env: dict[str, str], tmp_path: Path) -> None:
    """start_http_server's OSError (address already in use) is the worker's one-line refusal, exit 1."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        metrics_bind = f"127.0.0.1:{taken.getsockname()[1]}"
        ran = run_worker(worker_env, metrics_bind, tmp_path)
    assert_one_line_error(ran, metrics_bind)


def test_a_metrics_host_that_does_not_resolve_stops_the_worker_with_one_line_not_a_traceback(
        worker_env: dict[str, str], tmp_path: Path) -> None:
    """The well-formed ``host:port`` of a host that does not resolve (socket.gaierror): one line, exit 1."""
    metrics_bind = "metrics.invalid:9100"  # .invalid never resolves (RFC 2606)
    ran = run_worker(worker_env, metrics_bind, tmp_path)
    assert_one_line_error(ran, metrics_bind)

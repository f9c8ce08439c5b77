"""The worked example through a running plugin: signed webhooks over HTTP into `sla-plugin serve`,
applied by `sla-plugin worker`, then the report API."""

from __future__ import annotations

import json
import random
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import sqlalchemy as sa

from plugin.store.db import create_db_engine
from plugin.store.models import InboxEntry, OutboxCommand, StoredEvent, Tenant, Ticket
from tests.e2e.conftest import RunningPlugin, inbox_is_drained, wait_for
from tests.support import host_token, install_body, new_webhook_secret, signed_headers

EXAMPLE = Path(__file__).parents[1] / "data" / "desk360_example"


def test_worked_example_shuffled_and_twice_gives_expected_reports(plugin_server: RunningPlugin) -> None:
    http, auth, webhook_secret = installed_tenant(plugin_server)
    plugin_server.start_worker()
    lines = (EXAMPLE / "events.jsonl").read_text().splitlines()
    deliveries = [(line, signed_headers(webhook_secret, line)) for line in lines] * 2
    random.Random(2026).shuffle(deliveries)
    answers = [http.post(f"{plugin_server.base_url}/webhooks/acme", data=line, headers=headers)
               for line, headers in deliveries]
    assert {answer.status_code for answer in answers} == {200}
    assert sorted(answer.json()["status"] for answer in answers).count("duplicate") == len(lines)
    wait_for(inbox_is_drained(plugin_server, auth), 60, "the worker to drain the inbox")
    assert_expected_results(plugin_server, http, auth)


def test_a_worker_killed_mid_batch_and_restarted_applies_every_event_once(plugin_server: RunningPlugin) -> None:
    """SIGKILL while the inbox drains: the batch in flight rolls back, the next worker applies it.
    Four accounts' worked examples, applied one event a transaction, leave time to kill it mid-way."""
    accounts = ("acme", "globex", "initech", "umbrella")
    tenants = {account: installed_tenant(plugin_server, account) for account in accounts}
    lines = (EXAMPLE / "events.jsonl").read_text().splitlines()
    for account, (http, _auth, webhook_secret) in tenants.items():
        bodies = [line.replace('"account_id": "acme"', f'"account_id": "{account}"') for line in lines]
        deliveries = [(body, signed_headers(webhook_secret, body)) for body in bodies] * 2
        random.Random(7).shuffle(deliveries)
        for body, headers in deliveries:
            answer = http.post(f"{plugin_server.base_url}/webhooks/{account}", data=body, headers=headers)
            assert answer.status_code == 200, answer.text

    engine = create_db_engine(plugin_server.database_url)
    worker = plugin_server.start_worker("--batch-size", "1")
    wait_for(lambda: inbox_counts(engine).get("processed", 0) >= 20, 60, "the worker to apply some events")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    assert inbox_counts(engine).get("pending", 0) > 0, "the worker finished before it could be killed"
    plugin_server.start_worker("--batch-size", "7")
    for _http, auth, _secret in tenants.values():
        wait_for(inbox_is_drained(plugin_server, auth), 60, "the restarted worker to drain the inbox")

    assert inbox_counts(engine) == {"processed": len(lines) * len(accounts)}
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(StoredEvent)) == len(lines) * len(accounts)
    engine.dispose()
    for account, (http, auth, _secret) in tenants.items():
        assert_expected_results(plugin_server, http, auth, account)


def inbox_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(InboxEntry.status, sa.func.count()).group_by(InboxEntry.status))
        return {status: count for status, count in rows}


def test_worked_example_delivered_concurrently_gives_expected_reports(plugin_server: RunningPlugin) -> None:
    """Eight senders at once, each ticket's events and their redeliveries side by side, and two
    workers applying them: batches of both touch the same tickets (PostgreSQL's row locks, SQLite's
    one writer)."""
    http, auth, webhook_secret = installed_tenant(plugin_server)
    lines = (EXAMPLE / "events.jsonl").read_text().splitlines()
    deliveries = [(line, signed_headers(webhook_secret, line)) for line in lines] * 2
    deliveries.sort(key=lambda delivery: json.loads(delivery[0])["data"]["ticket"]["id"])
    local = threading.local()

    def send(delivery: tuple[str, dict[str, str]]) -> tuple[int, str]:
        if not hasattr(local, "http"):
            local.http = requests.Session()
        answer = local.http.post(f"{plugin_server.base_url}/webhooks/acme", data=delivery[0], headers=delivery[1])
        return answer.status_code, answer.json().get("status", answer.text)

    plugin_server.start_worker()
    plugin_server.start_worker()  # two processors side by side, claiming their own batches
    with ThreadPoolExecutor(max_workers=8) as senders:
        answers = list(senders.map(send, deliveries))
    assert {status for status, _ in answers} == {200}, answers
    assert sorted(outcome for _, outcome in answers).count("duplicate") == len(lines)
    wait_for(inbox_is_drained(plugin_server, auth), 60, "the workers to drain the inbox")
    assert_expected_results(plugin_server, http, auth)


def installed_tenant(plugin_server: RunningPlugin,
                     account: str = "acme") -> tuple[requests.Session, dict[str, str], str]:
    """Install the tenant and save the example's settings through the API: (session, auth, webhook secret)."""
    http = requests.Session()
    base = plugin_server.base_url
    webhook_secret = new_webhook_secret()
    body = install_body(account, webhook_secret)
    headers = signed_headers(plugin_server.app_secret, body)
    installed = http.post(f"{base}/lifecycle/install", data=body, headers=headers)
    assert installed.status_code == 200, installed.text
    exchange = http.post(f"{base}/api/v1/auth/session", json={"token": host_token(plugin_server.app_secret, account)})
    assert exchange.status_code == 200, exchange.text
    auth = {"Authorization": f"Bearer {exchange.json()['access_token']}"}
    settings = json.loads((EXAMPLE / "settings.json").read_text())
    saved = http.put(f"{base}/api/v1/settings", json=settings, headers=auth)
    assert saved.status_code == 200, saved.text
    return http, auth, webhook_secret


def assert_expected_results(plugin_server: RunningPlugin, http: requests.Session, auth: dict[str, str],
                            account: str = "acme") -> None:
    """The report API gives expected.json's rows; the outbox one set-priority per urgent ticket."""
    base = plugin_server.base_url
    expected = json.loads((EXAMPLE / "expected.json").read_text())
    for period in ("daily", "hourly"):
        report = http.get(f"{base}/api/v1/reports/{period}", headers=auth)
        assert report.status_code == 200, report.text
        rows = [{key: row[key] for key in expected[period][0]} for row in report.json()["rows"]]
        assert rows == expected[period]

    csv = http.get(f"{base}/api/v1/reports/daily?format=csv", headers=auth)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert ",100,70,30,70.0,80,10," in csv.text

    engine = create_db_engine(plugin_server.database_url)
    with engine.connect() as connection:
        tenant_id = connection.scalar(sa.select(Tenant.id).where(Tenant.account_id == account))
        commands = connection.execute(
            sa.select(OutboxCommand.ticket_id, OutboxCommand.payload)
            .where(OutboxCommand.kind == "set_priority", OutboxCommand.tenant_id == tenant_id)
        ).all()
        priorities = dict(connection.execute(sa.select(Ticket.ticket_id, Ticket.priority)
                                             .where(Ticket.tenant_id == tenant_id)).all())
    engine.dispose()
    urgent = {ticket for ticket, priority in priorities.items() if priority == "urgent"}
    assert len(urgent) == 100 and len(priorities) == 120
    assert sorted(ticket for ticket, _ in commands) == sorted(urgent)  # one each, none for the 20 low tickets
    assert {payload["priority"] for _, payload in commands} == {"urgent"}

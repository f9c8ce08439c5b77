"""Daily summaries end to end (issue 9): the sandbox helpdesk, `sla-plugin serve` and one or two
`sla-plugin worker` processes over real HTTP, on SQLite and on PostgreSQL; what the host received is
read back from the sandbox.

Time: each plugin process reads its SLA clock from ``SLA_DEMO_CLOCK`` (the demo's mechanism, the only
one there is). serve's clock dates the installation (from which summaries are owed); the workers' clock
is set past the day's ``daily_summary_at``, at 60 times real time, so that their summaries job looks
every real second (``plugin/worker.py``, ``_summary_seconds``). The sandbox's clock is frozen at each
ticket action's instant, which dates its events.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.e2e.conftest import PROJECT_ROOT, HostStack, own_host_stack, sla_clock, wait_for
from tests.support import signed_headers

EXAMPLE = Path(__file__).parents[1] / "data" / "desk360_example"
ZONE = "Europe/Istanbul"  # UTC+3 all year: a local day is 21:00Z to 21:00Z
RATE = 60.0  # the workers' SLA clock: one SLA minute a real second, summaries looked for every second
# Fast enough that delivery never waits on the per-worker rate limit; the sweep five times a second.
STACK_ENV = {"SLA_HOST_REQUESTS_PER_SECOND": "1000", "SLA_HOST_BURST": "1000", "SLA_SWEEP_SECONDS": "0.2"}
STORES = pytest.mark.parametrize("store", ["sqlite", "postgresql"])


def istanbul(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of March 2026 in Istanbul, in UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def day_bounds(day: int) -> tuple[str, str]:
    """A local day of March 2026 as the protocol writes a period: UTC with Z."""
    return (istanbul(day, 0).strftime("%Y-%m-%dT%H:%M:%SZ"),
            (istanbul(day, 0) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))


def example_settings(daily_summary_at: str) -> dict[str, Any]:
    """The worked example's settings (Orange outages by email are urgent, first response in 30 minutes,
    80 %), in Istanbul, with the daily summary at ``daily_summary_at`` and no hourly ones."""
    settings = json.loads((EXAMPLE / "settings.json").read_text())
    return settings | {"timezone": ZONE,
                       "reporting": {"daily_summary_at": daily_summary_at, "hourly_summary": False}}


def serve_clock_env(installed_at: datetime) -> dict[str, str]:
    """serve's SLA clock: ``installed_at`` now, then real time (the install happens within a second)."""
    return STACK_ENV | {"SLA_DEMO_CLOCK": sla_clock(installed_at, time.time())}


def daily_reports(host: HostStack, account: str) -> list[dict[str, Any]]:
    reports = host.sandbox.state()["accounts"][account]["reports"]
    return [report for report in reports if report["data"]["period"] == "daily"]


def plugin_daily_rows(host: HostStack, account: str, day: str, next_day: str) -> list[dict[str, Any]]:
    """The plugin's own daily report for one local day (plain dates: the settings' zone)."""
    return list(host.api(account, f"/reports/daily?from={day}&to={next_day}")["rows"])


def summaries_runs(host: HostStack, workers: list[subprocess.Popen[bytes]]) -> Callable[[], list[float]]:
    """How many times each worker's summaries job has run so far."""
    return lambda: [host.worker_metric(worker, 'sla_worker_job_seconds_count{job="summaries"}') or 0.0
                    for worker in workers]


def wait_for_more_summary_runs(host: HostStack, workers: list[subprocess.Popen[bytes]], runs: int = 2) -> None:
    """Until every worker has looked for due summaries ``runs`` more times: had any of them been going to
    queue the summary again, it would have by then."""
    count = summaries_runs(host, workers)
    before = count()
    wait_for(lambda: all(now >= then + runs for now, then in zip(count(), before, strict=True)), 20,
             "each worker to look for due summaries again")


def assert_posted_once(host: HostStack, account: str, period_starts: list[str]) -> None:
    """One report command each, each applied once by the host in one call (no retry, no replay)."""
    keys = [f"post-report:daily:{start}" for start in period_starts]
    commands = [row for row in host.outbox(account) if row.kind == "post_report"]
    assert [(row.idempotency_key, row.status) for row in commands] == [(key, "done") for key in keys]
    effects = [effect for effect in host.effects(account) if effect["kind"] == "post_report"]
    assert [effect["idempotency_key"] for effect in effects] == keys
    calls = [call for call in host.calls(account) if call["path"] == "/api/v1/reports"]
    assert [(call["idempotency_key"], call["status"], call["replay"]) for call in calls] == \
        [(key, 201, False) for key in keys]


# -- 1. one day's summary, two workers ----------------------------------------------------------------------

EXAMPLE_INSTALLED = istanbul(2, 8)  # Monday 2 March, 08:00 in Istanbul: before the example's first ticket
EXAMPLE_SUMMARY_AT = "06:30"
EXAMPLE_SUMMARY_DUE = istanbul(3, 6, 30)  # Tuesday: Monday's summary is due
# Real seconds from the workers' start to their clock reaching the summary's time: the day is usually
# applied by then; on a slow machine it is not, and the summary waits for it (plugin/services/summaries.py).
LEAD = 3.0


@STORES
def test_two_workers_post_the_days_summary_once_with_the_plugins_report_rows(store: str, tmp_path: Path) -> None:
    """The worked example's day (100 urgent tickets, 70 answered in time), signed webhooks straight into the
    plugin, applied by two workers whose clock then passes Tuesday 06:30: the host gets Monday's summary once,
    and its rows are the plugin's own daily report for Monday and the simulator's for the same events."""
    account = "acme"  # the example's events name it
    with own_host_stack(store, tmp_path, serve_clock_env(EXAMPLE_INSTALLED)) as host:
        installed = host.sandbox.install(account, ZONE)
        assert installed["plugin"]["status"] == 200, installed["plugin"]
        settings = example_settings(EXAMPLE_SUMMARY_AT)
        host.sandbox.save_settings(account, settings)
        http = requests.Session()
        for line in (EXAMPLE / "events.jsonl").read_text().splitlines():
            answer = http.post(f"{host.plugin.base_url}/webhooks/{account}", data=line,
                               headers=signed_headers(installed["webhook_secret"], line), timeout=10)
            assert answer.json() == {"status": "accepted"}, answer.text

        clock = {"SLA_DEMO_CLOCK": sla_clock(EXAMPLE_SUMMARY_DUE, time.time() + LEAD, RATE)}
        workers = [host.start_worker(env=clock), host.start_worker(extra=True, env=clock)]
        wait_for(lambda: bool(daily_reports(host, account)), LEAD + 30, "the day's summary to reach the host")
        wait_for(lambda: host.settled(account), 20, "the workers to finish delivering")
        wait_for_more_summary_runs(host, workers)

        assert all(worker.poll() is None for worker in workers)
        [summary] = daily_reports(host, account)
        assert_posted_once(host, account, [day_bounds(2)[0]])
        assert (summary["period_start"], summary["period_end"]) == day_bounds(2) == \
            ("2026-03-01T21:00:00Z", "2026-03-02T21:00:00Z")
        assert summary["title"] == "SLA daily summary: Monday 2 March 2026 (Europe/Istanbul)"
        rows = summary["data"]["rows"]
        assert rows == plugin_daily_rows(host, account, "2026-03-02", "2026-03-03")
        assert rows == simulated_daily_rows(settings, tmp_path, EXAMPLE_SUMMARY_DUE)
        [row] = rows
        assert (row["period_start"], row["total"], row["met"], row["breached"], row["achieved_percent"],
                row["target_percent"], row["missed_tickets"]) == ("2026-03-01T21:00:00Z", 100, 70, 30, 70.0, 80, 10)
        assert "| Orange urgent email | first response | 70.0 % (70 of 100) | 80 % | 10 | 30 |" in \
            summary["body_markdown"]


def simulated_daily_rows(settings: dict[str, Any], folder: Path, now: datetime) -> list[dict[str, Any]]:
    """`sla-plugin simulate`'s daily rows for the example's events under ``settings``."""
    settings_path = folder / "settings.json"
    settings_path.write_text(json.dumps(settings))
    simulated = subprocess.run(
        [sys.executable, "-m", "plugin.cli", "simulate", "--config", str(settings_path), "--events",
         str(EXAMPLE / "events.jsonl"), "--now", now.isoformat(), "--format", "json"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=True)
    return list(json.loads(simulated.stdout)["reports"]["daily"])


# -- 2. catching up after downtime ---------------------------------------------------------------------------

CATCH_UP_INSTALLED = istanbul(2, 15)  # Monday 15:00: Sunday's summary was due at 08:00, before the install
CATCH_UP_WORKER_CLOCK = istanbul(5, 10)  # Thursday 10:00: Monday's, Tuesday's and Wednesday's are due
TARGET = timedelta(minutes=30)


def outage(ticket_id: str) -> dict[str, Any]:
    """An Orange email ticket that the example's rule makes urgent: first response due in 30 minutes."""
    return {"id": ticket_id, "product": "Orange", "channel": "email", "subject": "Checkout outage"}


# (instant, ticket, action): "create", or the agent's first public reply. Decided on the day of the
# ticket's name: "met" answered in time, "late" answered after its due instant, "open" never answered.
HISTORY: list[tuple[datetime, str, str]] = [
    (istanbul(1, 14), "sun-met", "create"), (istanbul(1, 14, 10), "sun-met", "reply"),
    (istanbul(1, 15), "sun-late", "create"), (istanbul(1, 16), "sun-late", "reply"),
    (istanbul(2, 16), "mon-met", "create"), (istanbul(2, 16, 20), "mon-met", "reply"),
    (istanbul(2, 17), "mon-late", "create"), (istanbul(2, 18), "mon-late", "reply"),
    (istanbul(3, 10), "tue-open", "create"),
    (istanbul(3, 11), "tue-met", "create"), (istanbul(3, 11, 5), "tue-met", "reply"),
    (istanbul(4, 9), "wed-late", "create"), (istanbul(4, 12), "wed-late", "reply"),
    (istanbul(5, 9), "thu-open", "create"),  # breached Thursday 09:30: Thursday's summary is not due yet
]
BREACHED = ("sun-late", "mon-late", "tue-open", "wed-late", "thu-open")
MET = ("sun-met", "mon-met", "tue-met")
# Each day whose summary is due by Thursday 10:00 and came after the install: (total, met, breached).
EXPECTED_DAYS = {2: (2, 1, 1), 3: (2, 1, 1), 4: (1, 0, 1)}


@STORES
def test_a_worker_back_after_downtime_posts_each_summary_owed_since_the_install_once(store: str,
                                                                                       tmp_path: Path) -> None:
    """Installed Monday 15:00; four days of tickets reach the plugin while no worker runs; then a worker
    starts on Thursday 10:00. The host gets Monday's, Tuesday's and Wednesday's summaries, once each and in
    that order, each with the plugin's report of its day (the whole history applied); not Sunday's, due
    before the install. Each breached ticket gets its tags and one note naming its true due instant."""
    account = "downtime"
    with own_host_stack(store, tmp_path, serve_clock_env(CATCH_UP_INSTALLED)) as host:
        host.install(account, example_settings("08:00"))  # the default time, said aloud
        for at, ticket_id, action in HISTORY:
            host.sandbox.set_clock(at)
            if action == "create":
                done = host.sandbox.create_ticket(account, outage(ticket_id))
            else:
                done = host.sandbox.reply(account, ticket_id, "agent", "We are on it.")
            assert [hook["outcome"] for hook in done["webhooks"]] == ["accepted"], done
        host.sandbox.set_clock(None)
        assert host.api(account, "/status")["inbox"]["pending"] == len(HISTORY)  # no worker has run

        worker = host.start_worker(env={"SLA_DEMO_CLOCK": sla_clock(CATCH_UP_WORKER_CLOCK, time.time(), RATE)})
        wait_for(lambda: len(daily_reports(host, account)) >= len(EXPECTED_DAYS), 30,
                 "the owed summaries to reach the host")
        wait_for(lambda: host.settled(account), 20, "the worker to finish delivering")
        wait_for_more_summary_runs(host, [worker])

        reports = daily_reports(host, account)
        assert [(report["period_start"], report["period_end"]) for report in reports] == \
            [day_bounds(day) for day in EXPECTED_DAYS]
        assert_posted_once(host, account, [day_bounds(day)[0] for day in EXPECTED_DAYS])
        for report, (day, (total, met, breached)) in zip(reports, EXPECTED_DAYS.items(), strict=True):
            assert report["title"] == f"SLA daily summary: {datetime(2026, 3, day):%A} {day} March 2026 ({ZONE})"
            rows = report["data"]["rows"]
            assert rows == plugin_daily_rows(host, account, f"2026-03-{day:02d}", f"2026-03-{day + 1:02d}"), day
            assert [(row["total"], row["met"], row["breached"]) for row in rows] == [(total, met, breached)], day

        tickets = {ticket["id"]: ticket for ticket in host.sandbox.state()["accounts"][account]["tickets"]}
        for ticket_id in BREACHED:
            created = next(at for at, name, action in HISTORY if name == ticket_id and action == "create")
            due = (created + TARGET).astimezone(ZoneInfo(ZONE))
            notes = tickets[ticket_id]["notes"]
            assert [note["internal"] for note in notes] == [True], (ticket_id, notes)
            assert (f"the first response target of policy 'Orange urgent email' was due {due:%Y-%m-%d %H:%M} "
                    f"{ZONE} (30 minutes of business time) and was not met" in notes[0]["body"]), notes[0]["body"]
            assert sorted(tickets[ticket_id]["tags"]) == ["sla-breached", "sla-breached-first-response"], ticket_id
        for ticket_id in MET:  # applied with the rest of the history at once: never breached on the way
            assert (tickets[ticket_id]["notes"], tickets[ticket_id]["tags"]) == ([], []), ticket_id


# -- 3. a target left running when the worker stopped ---------------------------------------------------------

RUNNING_INSTALLED = istanbul(2, 15)  # Monday 15:00
BEFORE_DOWNTIME = istanbul(3, 10, 1)  # Tuesday 10:01: a worker applies the ticket, whose answer is due 10:30
AFTER_DOWNTIME = istanbul(5, 10)  # Thursday 10:00: Tuesday's and Wednesday's summaries are due


@STORES
def test_a_target_falling_due_while_no_worker_runs_is_in_the_summary_of_its_day(store: str, tmp_path: Path) -> None:
    """A worker applies Tuesday's ticket at 10:01 and stops before its answer is due (10:30); the next worker
    starts on Thursday. Its sweep breaches the target at its true due instant, and Tuesday's summary, owed
    since Wednesday 08:00, counts that breach: the summary waits for the sweep's catch-up, as it waits for
    the inbox's."""
    account = "stopped"
    with own_host_stack(store, tmp_path, serve_clock_env(RUNNING_INSTALLED)) as host:
        host.install(account, example_settings("08:00"))
        first = host.start_worker(env={"SLA_DEMO_CLOCK": sla_clock(BEFORE_DOWNTIME, time.time(), 1)})
        host.sandbox.set_clock(istanbul(3, 10))
        host.sandbox.create_ticket(account, outage("tue-open"))
        host.sandbox.set_clock(None)
        wait_for(lambda: host.settled(account), 20, "the first worker to apply the ticket")
        [target] = host.api(account, "/tickets/tue-open/targets")["targets"]
        assert (target["status"], target["due_at"]) == ("active", "2026-03-03T07:30:00Z"), target
        first.terminate()
        assert first.wait(timeout=15) == 0

        second = host.start_worker(env={"SLA_DEMO_CLOCK": sla_clock(AFTER_DOWNTIME, time.time(), RATE)})
        wait_for(lambda: len(daily_reports(host, account)) >= 3, 30, "the owed summaries to reach the host")
        wait_for(lambda: host.settled(account), 20, "the worker to finish delivering")
        wait_for_more_summary_runs(host, [second])

        reports = daily_reports(host, account)  # Monday's, by the first worker (due Tuesday 08:00), then these
        assert [(report["period_start"], report["period_end"]) for report in reports] == \
            [day_bounds(2), day_bounds(3), day_bounds(4)]
        monday, tuesday, wednesday = (report["data"]["rows"] for report in reports)
        assert (monday, wednesday) == ([], [])
        assert tuesday == plugin_daily_rows(host, account, "2026-03-03", "2026-03-04")
        assert [(row["total"], row["met"], row["breached"]) for row in tuesday] == [(1, 0, 1)]
        [note] = next(ticket for ticket in host.sandbox.state()["accounts"][account]["tickets"]
                      if ticket["id"] == "tue-open")["notes"]
        assert "was due 2026-03-03 10:30 Europe/Istanbul" in note["body"], note["body"]

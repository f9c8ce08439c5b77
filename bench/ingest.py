"""Benchmark: signed webhooks into a running plugin, against a bare app that only verifies signatures.

Run from anywhere with the project's interpreter::

    python bench/ingest.py              # 5,000 timed webhooks per server, 8 concurrent clients
    python bench/ingest.py --quick      # 1,000 timed webhooks, for CI smoke runs
    python bench/ingest.py --events N --clients C --workers W --threads T --rounds R

For SQLite (a temporary folder) and, when it is reachable at 127.0.0.1:5432, PostgreSQL (a fresh
temporary database, dropped afterwards) the plugin runs as ``python -m plugin.cli serve`` (gunicorn,
2 workers by default). A tenant is installed through the signed lifecycle call and saves the
settings of ``bench/event_stream.py`` (prioritization rules, policies on 24/7 and business-hours
calendars), so every event really runs the rules and starts, stops or pauses SLA clocks.

The traffic is ``bench/event_stream.py``'s helpdesk stream (ticket.created, message.created and
ticket.updated, in time order, shifted to end just before now), each body signed with the tenant's
webhook secret under a unique webhook-id. Everything is signed before the clock starts, right
before its batch is sent (the signatures' 5-minute tolerance: a batch stops after 4 minutes).
A first slice of the stream warms the workers up and is not timed.

The baseline is ``bench/bare_verify_app.py``: Flask under gunicorn with the same workers and
options, verifying the same signatures with ``standardwebhooks`` and answering 200, driven with
the same bodies by the same load generator (threads, one ``requests.Session`` each). The load
generator shares the machine with the servers; its own CPU use is printed too.

Both servers run side by side and are driven in alternating rounds (3 by default), each round a
slice of the timed stream sent to the plugin and then the same slice to the baseline: a machine
whose speed drifts during the run (shared virtual machines do) slows both alike. The ratio is
of the totals; each round's ratio is printed too.

Prints plain text, one figure per line. Target of the project: plugin/baseline ≥ 0.5 in
processed events per second.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from time import perf_counter
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``plugin``, ``bench`` and ``tests`` importable
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.event_stream import STREAM_START, settings_document, ticket_events  # noqa: E402
from bench.output import line, machine_header  # noqa: E402
from plugin.store.db import create_db_engine  # noqa: E402
from plugin.store.models import InboxEntry, OutboxCommand, SlaTarget, StoredEvent, Ticket  # noqa: E402
from tests.support import (  # noqa: E402
    POSTGRES_ADMIN_URL,
    free_port,
    host_token,
    install_body,
    new_encryption_key,
    new_webhook_secret,
    postgres_available,
    signed_headers,
    temporary_postgres_database,
    wait_until_ready,
)

ACCOUNT = "acme"  # the stream's bodies carry this account id
HANDLED = frozenset({"ticket.created", "message.created", "ticket.updated"})
TIME_KEYS = frozenset({"occurred_at", "created_at", "updated_at"})
SEED = 20260301
BATCH_LIMIT_SECONDS = 240.0  # signatures are valid for 5 minutes: stop sending a batch after 4
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
REQUEST_TIMEOUT = 30.0
TARGET_RATIO = 0.5




# -- header ----------------------------------------------------------------------------------




def header(mode: str, args: argparse.Namespace, postgres: str | None) -> None:
    machine_header(f"SLA plugin ingest benchmark ({mode})")
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in
                         ("flask", "werkzeug", "gunicorn", "sqlalchemy", "psycopg", "standardwebhooks", "requests"))
    line("packages", versions)
    line("postgresql", postgres or f"not reachable at {POSTGRES_ADMIN_URL} (skipped)")
    line("code", git_state())
    line("load average 1 / 5 / 15 min (other work on the machine)", load_average())
    kind = "sync workers" if args.threads == 1 else f"threaded workers ({args.threads} threads each)"
    line("servers", f"gunicorn {kind}: {args.workers}, loopback only; SLA_LOG_LEVEL={args.log_level}")
    line("load generator", f"{args.clients} threads in this process, one requests.Session each")
    print()


def git_state() -> str:
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return done.stdout.strip()


def load_average() -> str:
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def postgres_version() -> str | None:
    if not postgres_available():
        return None
    with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return f"{row[0] if row else '?'} at {POSTGRES_ADMIN_URL.rsplit('@', 1)[-1]}"


# -- traffic ---------------------------------------------------------------------------------


def webhook_bodies(count: int, seed: int, end: int) -> tuple[list[bytes], int]:
    """The first ``count`` handled events of a helpdesk stream in time order, the last at ``end``.

    Returns the JSON bodies and the number of distinct tickets. Tickets are generated in creation
    order until the stream's clock has passed ``count`` handled events; each ticket adds at least
    one event (its creation), so the loop is bounded by ``count`` tickets.
    """
    rng = random.Random(seed)
    pending: list[tuple[int, int, dict[str, Any]]] = []  # future events of the tickets created so far
    chosen: list[tuple[int, dict[str, Any]]] = []
    created, sequence = STREAM_START, 0
    for number in range(1, count + 1):
        created += max(1, int(rng.expovariate(1 / 90)))  # a busy desk: a ticket every 90 s or so
        for ts, body in ticket_events(rng, number, created):
            if body["type"] in HANDLED:
                heapq.heappush(pending, (ts, sequence, body))
                sequence += 1
        while pending and pending[0][0] <= created and len(chosen) < count:
            ts, _, body = heapq.heappop(pending)
            chosen.append((ts, body))
        if len(chosen) == count:
            break
    shift = end - chosen[-1][0]
    bodies = [json.dumps(_shifted(body, shift)).encode() for _, body in chosen]
    tickets = len({body["data"]["ticket"]["id"] for _, body in chosen})
    return bodies, tickets


def _shifted(value: Any, seconds: int) -> Any:
    """A copy of a body with every instant moved by ``seconds`` (retried bodies are shared objects)."""
    if isinstance(value, dict):
        return {key: _moved(item, seconds) if key in TIME_KEYS and isinstance(item, str) else _shifted(item, seconds)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_shifted(item, seconds) for item in value]
    return value


def _moved(text: str, seconds: int) -> str:
    instant = datetime.fromisoformat(text).timestamp() + seconds
    return datetime.fromtimestamp(instant, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_all(secret: str, bodies: Sequence[bytes]) -> list[tuple[bytes, dict[str, str]]]:
    """Each body with its own webhook-id, signed now."""
    return [(body, signed_headers(secret, body)) for body in bodies]


# -- servers ---------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path


@contextlib.contextmanager
def running(name: str, command: list[str], env: dict[str, str], log_path: Path, port: int) -> Iterator[Server]:
    """Start a server, wait for /readyz, and stop it afterwards whatever happens."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                   start_new_session=True)  # its own group: workers can be killed with it
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_ready(name, server.base_url, process, lambda: log_path.read_text(errors="replace"), START_TIMEOUT)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the gunicorn arbiter (graceful), then SIGKILL to its whole process group."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # the group of the process started above: any straggling worker
    if process.poll() is None:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


def base_env(folder: Path, **extra: str) -> dict[str, str]:
    metrics = folder / "prometheus"
    metrics.mkdir(exist_ok=True)
    return os.environ | {"PYTHONPATH": str(ROOT), "PROMETHEUS_MULTIPROC_DIR": str(metrics), **extra}


def plugin_server(folder: Path, database_url: str, workers: int, threads: int, log_level: str
                  ) -> tuple[contextlib.AbstractContextManager[Server], str]:
    port = free_port()
    app_secret = new_webhook_secret()
    env = base_env(folder, SLA_DATABASE_URL=database_url, SLA_APP_SECRET=app_secret,
                   SLA_ENCRYPTION_KEY=new_encryption_key(), SLA_LOG_LEVEL=log_level)
    command = [sys.executable, "-m", "plugin.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--threads", str(threads)]
    return running("plugin", command, env, folder / "plugin.log", port), app_secret


def baseline_server(folder: Path, webhook_secret: str, workers: int, threads: int
                    ) -> contextlib.AbstractContextManager[Server]:
    port = free_port()
    env = base_env(folder, BENCH_WEBHOOK_SECRET=webhook_secret)
    command = [sys.executable, str(ROOT / "bench" / "bare_verify_app.py"), "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", str(threads)]
    return running("baseline", command, env, folder / "baseline.log", port)


def install_tenant(base_url: str, app_secret: str) -> str:
    """The signed lifecycle install, then the settings through the admin API; returns the webhook secret."""
    webhook_secret = new_webhook_secret()
    with requests.Session() as http:
        body = install_body(ACCOUNT, webhook_secret, timezone="Europe/Berlin")
        answer = http.post(f"{base_url}/lifecycle/install", data=body, headers=signed_headers(app_secret, body),
                           timeout=REQUEST_TIMEOUT)
        _expect(answer, "install")
        answer = http.post(f"{base_url}/api/v1/auth/session", json={"token": host_token(app_secret, ACCOUNT)},
                           timeout=REQUEST_TIMEOUT)
        _expect(answer, "session")
        auth = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        answer = http.put(f"{base_url}/api/v1/settings", json=settings_document(), headers=auth,
                          timeout=REQUEST_TIMEOUT)
        _expect(answer, "settings")
    return webhook_secret


def _expect(answer: requests.Response, step: str) -> None:
    if answer.status_code != 200:
        raise RuntimeError(f"{step}: HTTP {answer.status_code}: {answer.text[:500]}")


def server_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of the gunicorn arbiter and its live workers (Linux /proc), None elsewhere."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total = 0
        for each in [str(pid), *children]:
            fields = Path(f"/proc/{each}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# -- load ------------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # of 200 answers, seconds
    statuses: Counter[str] = field(default_factory=Counter)  # HTTP status (or exception name)
    answers: Counter[str] = field(default_factory=Counter)  # "status" of 200 answers' JSON
    samples: list[str] = field(default_factory=list)  # a few non-200 answers
    unsent: int = 0
    client_cpu: float = 0.0
    server_cpu: float | None = None

    @property
    def ok(self) -> int:
        return self.statuses["200"]

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, percent: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        rank = max(1, -(-len(ordered) * percent // 100))  # nearest rank
        return ordered[int(min(rank, len(ordered))) - 1]


def drive(server: Server, deliveries: Sequence[tuple[bytes, dict[str, str]]], clients: int,
          signed_at: float) -> Run:
    """Send every delivery once, in order, from ``clients`` threads; each takes the next one when free."""
    url = f"{server.base_url}/webhooks/{ACCOUNT}"
    run = Run()
    position = iter(range(len(deliveries)))
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = signed_at + BATCH_LIMIT_SECONDS

    def client() -> None:
        latencies: list[float] = []
        statuses: Counter[str] = Counter()
        answers: Counter[str] = Counter()
        samples: list[str] = []
        with requests.Session() as http:
            start.wait()
            while time.monotonic() < stop_at:
                with lock:
                    index = next(position, None)
                if index is None:
                    break
                body, headers = deliveries[index]
                began = perf_counter()
                try:
                    answer = http.post(url, data=body, headers=headers, timeout=REQUEST_TIMEOUT)
                except requests.RequestException as error:
                    statuses[type(error).__name__] += 1
                    continue
                elapsed = perf_counter() - began
                statuses[str(answer.status_code)] += 1
                if answer.status_code == 200:
                    latencies.append(elapsed)
                    answers[str(answer.json().get("status"))] += 1
                elif len(samples) < 3:
                    samples.append(f"HTTP {answer.status_code}: {answer.text[:200]}")
        with lock:
            run.latencies.extend(latencies)
            run.statuses.update(statuses)
            run.answers.update(answers)
            run.samples.extend(samples[: 3 - len(run.samples)])

    threads = [threading.Thread(target=client, name=f"client-{number}", daemon=True) for number in range(clients)]
    for thread in threads:
        thread.start()
    cpu_before, server_before = time.process_time(), server_cpu_seconds(server.process.pid)
    start.wait()
    began = perf_counter()
    for thread in threads:
        thread.join()
    run.seconds = perf_counter() - began
    run.client_cpu = time.process_time() - cpu_before
    server_after = server_cpu_seconds(server.process.pid)
    if server_before is not None and server_after is not None:
        run.server_cpu = server_after - server_before
    run.unsent = len(deliveries) - sum(run.statuses.values())
    return run


def warm_up(server: Server, secret: str, warmup: Sequence[bytes], clients: int) -> None:
    drive(server, sign_all(secret, warmup), clients, time.monotonic())


def measure(server: Server, secret: str, timed: Sequence[bytes], clients: int) -> Run:
    """Sign the timed batch right before sending it (the signatures' tolerance), then send it."""
    signed_at = time.monotonic()
    return drive(server, sign_all(secret, timed), clients, signed_at)


def combined(runs: Sequence[Run]) -> Run:
    """Several runs as one: their times, answers and CPU added up."""
    total = Run()
    for run in runs:
        total.seconds += run.seconds
        total.latencies += run.latencies
        total.statuses.update(run.statuses)
        total.answers.update(run.answers)
        total.samples += run.samples[: 3 - len(total.samples)]
        total.unsent += run.unsent
        total.client_cpu += run.client_cpu
        if run.server_cpu is not None:
            total.server_cpu = (total.server_cpu or 0.0) + run.server_cpu
    return total


def report(prefix: str, run: Run, events: int) -> None:
    line(f"{prefix} events/s (200 answers)", f"{run.rate:,.0f}")
    line(f"{prefix} 200 answers", f"{run.ok:,} of {events:,} in {run.seconds:.2f} s")
    bad = sum(count for status, count in run.statuses.items() if status != "200")
    detail = ", ".join(f"{status}: {count:,}" for status, count in sorted(run.statuses.items()) if status != "200")
    line(f"{prefix} non-200 answers", f"{bad:,}" + (f" ({detail})" if detail else ""))
    for sample in run.samples:
        print(f"    {sample}")
    if run.unsent:
        line(f"{prefix} not sent (4-minute batch limit)", f"{run.unsent:,}")
    line(f"{prefix} answer statuses", ", ".join(f"{name} {count:,}" for name, count in sorted(run.answers.items())))
    figures = [run.percentile(p) * 1000 for p in (50, 90, 99, 100)]
    line(f"{prefix} latency p50 / p90 / p99 / max", " / ".join(f"{value:,.1f}" for value in figures) + " ms")
    if run.server_cpu is not None and run.ok:
        line(f"{prefix} server CPU (gunicorn processes)", f"{run.server_cpu:.2f} s, "
             f"{run.server_cpu * 1000 / run.ok:.2f} ms per event")
    line(f"{prefix} load generator CPU", f"{run.client_cpu:.2f} s "
         f"({run.client_cpu / max(run.seconds, 1e-9):.0%} of one core)")


def stored(database_url: str) -> str:
    """What the plugin wrote: proof that the events ran rules and SLA clocks."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            def count(model: Any) -> int:
                return int(connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())

            statuses = dict(connection.execute(
                sa.select(SlaTarget.status, sa.func.count()).group_by(SlaTarget.status)).all())
            tickets, events, inbox, outbox = count(Ticket), count(StoredEvent), count(InboxEntry), count(OutboxCommand)
    finally:
        engine.dispose()
    targets = ", ".join(f"{status} {number:,}" for status, number in sorted(statuses.items()))
    return (f"{tickets:,} tickets, {events:,} events, {inbox:,} webhook ids, {sum(statuses.values()):,} SLA targets "
            f"({targets}), {outbox:,} outbox commands")


# -- one backend -----------------------------------------------------------------------------


def backend_bench(name: str, database_url: str, folder: Path, args: argparse.Namespace, warmup: Sequence[bytes],
                  timed: Sequence[bytes]) -> float:
    """The plugin on one database and the baseline, both running, driven in alternating rounds with the
    same slices of the stream (so a machine whose speed drifts slows both alike); returns plugin/baseline."""
    shown = sa.make_url(database_url).render_as_string(hide_password=True)
    print(f"{name}: plugin on {shown}")
    began = perf_counter()
    context, app_secret = plugin_server(folder, database_url, args.workers, args.threads, args.log_level)
    with context as plugin:
        line(f"{name} plugin started (schema upgraded) in", f"{perf_counter() - began:.1f} s")
        secret = install_tenant(plugin.base_url, app_secret)
        with baseline_server(folder, secret, args.workers, args.threads) as baseline:
            warm_up(plugin, secret, warmup, args.clients)
            warm_up(baseline, secret, warmup, args.clients)
            plugin_runs, baseline_runs = [], []
            size = -(-len(timed) // args.rounds)
            for start in range(0, len(timed), size):
                plugin_runs.append(measure(plugin, secret, timed[start:start + size], args.clients))
                baseline_runs.append(measure(baseline, secret, timed[start:start + size], args.clients))
    plugin_run, baseline_run = combined(plugin_runs), combined(baseline_runs)
    report(f"{name} plugin", plugin_run, len(timed))
    line(f"{name} plugin stored (warm-up included)", stored(database_url))
    report(f"{name} baseline", baseline_run, len(timed))
    rounds = [ours.rate / theirs.rate if theirs.rate else 0.0
              for ours, theirs in zip(plugin_runs, baseline_runs, strict=True)]
    line(f"{name} ratio in each round", " / ".join(f"{ratio:.2f}" for ratio in rounds))
    ratio = plugin_run.rate / baseline_run.rate if baseline_run.rate else 0.0
    line(f"{name} ratio plugin/baseline events/s", f"{ratio:.2f}")
    print()
    return ratio


# -- main ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 timed webhooks instead of 5,000")
    parser.add_argument("--events", type=int, help="timed webhooks per server (default 5,000; 1,000 with --quick)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each server (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker of each server (default 1)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternate plugin and baseline this many times, a slice of the stream each (default 3)")
    parser.add_argument("--log-level", default="INFO", help="the plugin's SLA_LOG_LEVEL (default INFO, its own)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    events = args.events or (1_000 if args.quick else 5_000)
    if events < 10 or min(args.clients, args.workers, args.threads, args.rounds) < 1:
        parser.error("--events must be at least 10, --clients, --workers, --threads and --rounds at least 1")
    postgres = None if args.no_postgres else postgres_version()
    header("quick" if args.quick else "full", args, postgres)
    began = perf_counter()

    warmup_count = max(50, events // 20)
    generated = perf_counter()
    bodies, tickets = webhook_bodies(warmup_count + events, SEED, int(time.time()) - 60)
    warmup, timed = bodies[:warmup_count], bodies[warmup_count:]
    kinds = Counter(json.loads(body)["type"] for body in timed)
    print("Traffic: bench/event_stream.py's helpdesk stream in time order, ending a minute ago")
    line("generated in (not counted)", f"{perf_counter() - generated:.2f} s")
    line("webhooks per server", f"{events:,} timed after {warmup_count:,} warm-up, {tickets:,} tickets")
    line("timed event types", ", ".join(f"{kind} {count:,}" for kind, count in sorted(kinds.items())))
    line("mean body size", f"{sum(map(len, timed)) / len(timed):,.0f} bytes")
    signing = perf_counter()
    sign_all(new_webhook_secret(), timed)
    line("signing the timed batch (done before timing)", f"{(perf_counter() - signing) * 1000:,.0f} ms")
    print()

    ratios: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="sla-ingest-") as tmp:
        folder = Path(tmp)
        ratios["SQLite"] = backend_bench("sqlite", f"sqlite:///{folder / 'plugin.sqlite3'}", folder, args,
                                         warmup, timed)
        if postgres is not None:
            with temporary_postgres_database() as url:
                ratios["PostgreSQL"] = backend_bench("postgresql", url, folder, args, warmup, timed)

    print("Targets")
    for name, ratio in ratios.items():
        line(f"plugin/baseline >= {TARGET_RATIO} ({name})", f"{'met' if ratio >= TARGET_RATIO else 'NOT met'} "
             f"({ratio:.2f})")
    line("load average at the end, 1 / 5 / 15 min", load_average())
    line("total bench time", f"{perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: signed webhooks into a running plugin, against a bare app that only verifies signatures.

Run from anywhere with the project's interpreter (``wrk`` must be installed; ``./dev bench-ingest``
installs it)::

    python bench/ingest.py                    # 5 rounds of 10 s per server and store (~7 minutes)
    python bench/ingest.py --quick            # a smoke run for CI (~1 minute)
    python bench/ingest.py --store sqlite --rounds 3 --duration 20 --connections 8 --events 20000

What it measures, on SQLite (a temporary folder) and on PostgreSQL (a temporary database, when
one is reachable at 127.0.0.1:5432), each with a fresh ``python -m plugin.cli serve`` (gunicorn,
2 sync workers by default) and a tenant installed through the signed lifecycle call, with the
settings of ``bench/event_stream.py`` saved through ``PUT /api/v1/settings``:

1. Acknowledged webhooks per second and latency (p50, p99) of the plugin against the baseline,
   ``bench/bare_verify_app.py``: Flask under gunicorn with the same options, verifying the same
   Standard Webhooks signatures and answering 200, nothing else. wrk drives both with 1 thread
   and 8 connections, in alternating rounds of fixed duration (plugin then baseline, baseline
   then plugin, ...): a machine whose speed drifts (shared virtual machines do) slows both alike.
   Every round is printed, with its ratio; the headline is the ratio of the totals. The inbox
   processor does not run during these rounds: they measure what the web process does before
   its 200 (verify, validate, store in the inbox; before the inbox redesign, all the SLA work).
2. The inbox processor's sustained events per second, batches included: with the processor
   stopped the inbox is filled (``--events`` webhooks, plus the untimed warm-up), then
   ``python -m plugin.cli worker`` starts and drains it, and is stopped with SIGTERM. The rate is
   events / (last processed_at - first processed_at); a batch's entries share one processed_at,
   so that span covers every batch but one, and half the first and half the last batch are left
   out of the count. The wall time from the processor's start (start-up included) is printed too.
3. The inbox lag (processed_at - received_at) under a steady load (500 webhooks/s for 25 s by
   default, after an untimed warm-up at that rate while the processor starts) with the web app
   and the processor both running: p50, p99 and max over the timed phase's entries.

Measurements 2 and 3 run first (so that the backlog is exactly what was sent for them), then the
rounds of 1. They need the inbox processor (``plugin.cli worker`` and the inbox's status columns);
without it they are skipped with a line saying so.

Why this way:

- **A cheap load generator.** The previous version sent from Python threads (``requests``); they
  used ~92 % of a core, so the baseline's figure was the generator's. wrk (C, epoll) replays
  prebuilt requests through ``bench/ingest.lua`` and uses a fraction of that; its CPU time is
  printed for every run, beside the servers' CPU per webhook (gunicorn's processes, and on
  PostgreSQL its backends of the benchmark's database, read from /proc).
- **Presigned, unique requests.** Each request carries its own webhook-id and is signed with the
  tenant's secret just before its round starts (the signatures' tolerance is 5 minutes; a round
  lasts at most 4), and written whole (headers and body) to a file the Lua script reads. Each
  request is sent once: a repeated webhook-id is answered 200 "duplicate" after far less work, so
  the script never repeats one. A round gets twice the requests its server managed per second
  so far times its duration (at least 2,000/s for the plugin, 4,000/s for the baseline); if it
  runs out anyway, wrk stops there and the round's time is the time until then ("ran out").
- **Only acknowledgements count.** The Lua script counts HTTP statuses and the ``status`` of the
  answers' JSON: the figure counts 200 ``accepted`` (the redesigned plugin; ``processed`` before
  it) and the baseline's 200 ``ok``; duplicates, ignored events and errors are listed apart.
- **The same traffic.** ``bench/event_stream.py``'s helpdesk stream (ticket.created,
  message.created, ticket.updated; rules, policies on 24/7 and business-hours calendars), in time
  order and shifted to end a minute before the run, is generated once; the plugin's phases take
  consecutive slices of it (a slice is never sent twice), and each baseline round is sent the
  bodies of its plugin round, continued as far as it needs.
- **Latency** is wrk's (write of the request to the end of the answer), with wrk's usual
  correction: answers slower than twice the mean cycle add estimated samples for the requests a
  closed loop could not send meanwhile. The rounds' percentiles are printed; the summary gives
  their medians.
- **Pacing** (measurement 3) uses wrk's ``delay()``: each request waits for its slot on a fixed
  schedule, so the rate holds when answers are slow for a moment. A waiting wrk connection holds
  a gunicorn sync worker (idle: wrk reconnects at once, the worker accepts, then waits for the
  request), so more connections do not always help; with too few, a slow answer (PostgreSQL's
  commit waits for its WAL flush) caps the rate. The rate reached is printed, and flagged when it
  falls short of the one asked for.

Prints plain text, one figure per line; never fails on a figure, fails (non-zero) when wrk is
missing or a server does not start. Aim of the project: plugin/baseline >= 0.5.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
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
from plugin.store.models import InboxEntry  # noqa: E402
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
LUA_SCRIPT = ROOT / "bench" / "ingest.lua"
ACKNOWLEDGED = frozenset({"accepted", "processed", "ok"})  # plugin (after / before the inbox), baseline
SIGNED_FOR = 240  # seconds: a presigned batch is sent within 4 of its signatures' 5 minutes
PLUGIN_RATE_CAP = 2_000  # webhooks/s: sizes the stream generated up front (its rounds' share)
BASELINE_WARMUP_RATE = 8_000  # requests/s presigned for the baseline's warm-up
SIZE_MARGIN = 2.0  # a round gets this many times (best rate so far x duration) requests, and at least
BASELINE_FLOOR = 4_000  # this many (the baseline) or PLUGIN_RATE_CAP (the plugin) per second
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
REQUEST_TIMEOUT = 30.0
POLL_SECONDS = 0.25
TARGET_RATIO = 0.5
PENDING = "pending"

FULL = {"rounds": 5, "duration": 10, "warmup": 2, "events": 20_000, "lag_seconds": 25}
QUICK = {"rounds": 2, "duration": 3, "warmup": 1, "events": 1_000, "lag_seconds": 5}


# -- header ----------------------------------------------------------------------------------


def header(args: argparse.Namespace, postgres: str | None, worker: bool) -> None:
    machine_header(f"SLA plugin ingest benchmark ({'quick' if args.quick else 'full'})")
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in
                         ("flask", "werkzeug", "gunicorn", "sqlalchemy", "psycopg", "standardwebhooks"))
    line("packages", versions)
    line("load generator", f"{wrk_version()}, bench/ingest.lua")
    line("postgresql", postgres or f"not reachable at {POSTGRES_ADMIN_URL} (skipped)")
    line("code", git_state())
    line("load average 1 / 5 / 15 min (other work on the machine)", load_average())
    kind = "sync workers" if args.threads == 1 else f"threaded workers ({args.threads} threads each)"
    line("servers", f"gunicorn {kind}: {args.workers}, loopback only; SLA_LOG_LEVEL={args.log_level}")
    line("rounds", f"{args.rounds} per server and store, {args.duration} s each after {args.warmup} s of "
         f"warm-up; wrk -t1 -c{args.connections}")
    if worker:
        batch = f", --batch-size {args.batch_size}" if args.batch_size else ""
        line("inbox processor", f"python -m plugin.cli worker{batch}: drain of {args.events:,} webhooks, "
             f"then lag at {args.lag_rate:g}/s for {args.lag_seconds} s (wrk -t1 -c{args.lag_connections}, paced)")
    else:
        line("inbox processor", "absent: processor measurements need the inbox processor (plugin worker)")
    print()


def wrk_version() -> str:
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False)
    first = (done.stdout or done.stderr).splitlines()[:1]
    return first[0].split(" Copyright")[0] if first else "wrk (version unknown)"


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


class Stream:
    """The generated bodies; the plugin's phases take consecutive slices, never the same body twice."""

    def __init__(self, bodies: list[bytes]) -> None:
        self.bodies = bodies
        self.position = 0

    @property
    def left(self) -> int:
        return len(self.bodies) - self.position

    def next(self, count: int) -> list[bytes]:
        """Up to ``count`` bodies from the current position (``advance`` by what was really sent)."""
        return self.bodies[self.position:self.position + count]

    def advance(self, count: int) -> None:
        self.position += count

    def wrapped(self, start: int, count: int) -> list[bytes]:
        """``count`` bodies from ``start``, wrapping around: the baseline's (it does not read them)."""
        return [self.bodies[(start + index) % len(self.bodies)] for index in range(count)]


def presign(path: Path, secret: str, host: str, bodies: Sequence[bytes]) -> int:
    """Write each body as a whole HTTP request with its own webhook-id, signed now, for ingest.lua."""
    with path.open("wb") as out:
        for body in bodies:
            signed = signed_headers(secret, body)
            head = (f"POST /webhooks/{ACCOUNT} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nwebhook-id: {signed['webhook-id']}\r\n"
                    f"webhook-timestamp: {signed['webhook-timestamp']}\r\n"
                    f"webhook-signature: {signed['webhook-signature']}\r\n\r\n").encode()
            out.write(b"%d\n" % (len(head) + len(body)))
            out.write(head)
            out.write(body)
    return len(bodies)


# -- processes -------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def host(self) -> str:
        return self.base_url.removeprefix("http://")

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/webhooks/{ACCOUNT}"


def start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                start_new_session=True)  # its own group: workers can be killed with it


@contextlib.contextmanager
def running(name: str, command: list[str], env: dict[str, str], log_path: Path, port: int) -> Iterator[Server]:
    """Start a server, wait for /readyz, and stop it afterwards whatever happens."""
    process = start(command, env, log_path)
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_ready(name, server.base_url, process, lambda: log_path.read_text(errors="replace"), START_TIMEOUT)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (gunicorn's arbiter and the inbox processor stop gracefully), then SIGKILL to the group."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # the group of the process started above: any straggler
    if process.poll() is None:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


def base_env(folder: Path, **extra: str) -> dict[str, str]:
    metrics = folder / "prometheus"
    metrics.mkdir(exist_ok=True)
    return os.environ | {"PYTHONPATH": str(ROOT), "PROMETHEUS_MULTIPROC_DIR": str(metrics), **extra}


def plugin_env(folder: Path, database_url: str, log_level: str) -> dict[str, str]:
    """What ``serve`` and ``worker`` both read."""
    return base_env(folder, SLA_DATABASE_URL=database_url, SLA_APP_SECRET=new_webhook_secret(),
                    SLA_ENCRYPTION_KEY=new_encryption_key(), SLA_LOG_LEVEL=log_level)


def plugin_server(folder: Path, env: dict[str, str], args: argparse.Namespace
                  ) -> contextlib.AbstractContextManager[Server]:
    port = free_port()
    command = [sys.executable, "-m", "plugin.cli", "serve", "--bind", f"127.0.0.1:{port}",
               "--workers", str(args.workers), "--threads", str(args.threads)]
    return running("plugin", command, env, folder / "plugin.log", port)


def baseline_server(folder: Path, webhook_secret: str, args: argparse.Namespace
                    ) -> contextlib.AbstractContextManager[Server]:
    port = free_port()
    env = base_env(folder, BENCH_WEBHOOK_SECRET=webhook_secret)
    command = [sys.executable, str(ROOT / "bench" / "bare_verify_app.py"), "--bind", f"127.0.0.1:{port}",
               "--workers", str(args.workers), "--threads", str(args.threads)]
    return running("baseline", command, env, folder / "baseline.log", port)


def worker_command(batch_size: int | None) -> list[str]:
    command = [sys.executable, "-m", "plugin.cli", "worker"]
    return command + (["--batch-size", str(batch_size)] if batch_size else [])


def worker_available() -> bool:
    """``python -m plugin.cli worker`` exists (and the inbox has the columns the figures read)."""
    done = subprocess.run([*worker_command(None), "--help"], cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
                          capture_output=True, timeout=120, check=False)
    return done.returncode == 0 and hasattr(InboxEntry, "processed_at") and hasattr(InboxEntry, "status")


@contextlib.contextmanager
def inbox_worker(folder: Path, env: dict[str, str], batch_size: int | None) -> Iterator[subprocess.Popen[bytes]]:
    log_path = folder / "worker.log"
    process = start(worker_command(batch_size), env, log_path)
    try:
        yield process
    finally:
        stop(process)


def check_alive(process: subprocess.Popen[bytes], log_path: Path) -> None:
    if process.poll() is not None:
        raise RuntimeError(f"the inbox processor exited ({process.returncode}):\n"
                           f"{log_path.read_text(errors='replace')[-4000:]}")


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


# -- CPU time (Linux /proc) ------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, ValueError, IndexError):
        return 0.0


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU of a process and its live descendants (gunicorn's arbiter and workers); None without /proc."""
    if not Path(f"/proc/{pid}/stat").exists():
        return None
    total, todo = 0.0, [pid]
    while todo:
        each = todo.pop()
        total += cpu_seconds(each)
        with contextlib.suppress(OSError):
            todo += [int(child) for child in Path(f"/proc/{each}/task/{each}/children").read_text().split()]
    return total


class DatabaseCpu:
    """CPU of PostgreSQL's backends serving the benchmark's database (PostgreSQL on this machine only)."""

    def __init__(self, database_url: str | None) -> None:
        self.connection: psycopg.Connection[Any] | None = None
        if database_url and sa.make_url(database_url).host in ("127.0.0.1", "localhost", "::1"):
            with contextlib.suppress(psycopg.Error):
                self.connection = psycopg.connect(database_url, autocommit=True, connect_timeout=5)

    def snapshot(self) -> dict[int, float] | None:
        if self.connection is None:
            return None
        rows = self.connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid()").fetchall()
        if rows and not Path(f"/proc/{rows[0][0]}/stat").exists():
            return None
        return {pid: cpu_seconds(pid) for (pid,) in rows}

    @staticmethod
    def spent(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
        if before is None or after is None:
            return None
        return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


class Meter:
    """Server-side CPU from now on: a process tree (gunicorn's, or the processor) and PostgreSQL's backends."""

    def __init__(self, pid: int, database: DatabaseCpu) -> None:
        self.pid, self.database = pid, database
        self.process, self.backends = tree_cpu_seconds(pid), database.snapshot()

    def read(self) -> tuple[float | None, float | None]:
        """CPU seconds spent since the start by the process tree and by the backends (None: unknown)."""
        after = tree_cpu_seconds(self.pid)
        process = None if after is None or self.process is None else after - self.process
        return process, DatabaseCpu.spent(self.backends, self.database.snapshot())


def cpu_text(process: float | None, database: float | None, events: int, what: str) -> str:
    if process is None or not events:
        return "unknown (no /proc)"
    text = f"{process * 1000 / events:.2f} ms {what}"
    if database is not None:
        text += f" + {database * 1000 / events:.2f} ms PostgreSQL backends"
    return text + " per webhook"


# -- load (wrk) ------------------------------------------------------------------------------


@dataclass
class Load:
    """One wrk run: what it sent, what came back, and what it cost."""

    seconds: float
    sent: int
    prepared: int
    ran_out: bool
    answers: Counter[str]  # "<HTTP status> <status field of the JSON answer>"
    errors: dict[str, int]
    latency_ms: dict[str, float]  # p50, p90, p99, max, mean
    generator_cpu: float
    wall: float
    server_cpu: float | None = None
    database_cpu: float | None = None

    @property
    def acknowledged(self) -> int:
        return sum(count for key, count in self.answers.items()
                   if key.partition(" ")[0] == "200" and key.partition(" ")[2] in ACKNOWLEDGED)

    @property
    def rate(self) -> float:
        return self.acknowledged / self.seconds if self.seconds else 0.0

    @property
    def other_answers(self) -> str:
        others = {key: count for key, count in self.answers.items()
                  if not (key.partition(" ")[0] == "200" and key.partition(" ")[2] in ACKNOWLEDGED)}
        errors = {name: count for name, count in self.errors.items() if count and name != "status"}
        parts = [f"{key} {count:,}" for key, count in sorted(others.items())]
        parts += [f"socket {name} errors {count:,}" for name, count in sorted(errors.items())]
        return ", ".join(parts) or "none"


def run_wrk(url: str, requests_path: Path, connections: int, seconds: int, folder: Path,
            rate: float = 0.0) -> Load:
    """wrk through ingest.lua over the presigned requests, for ``seconds`` or until they run out."""
    summary, marker, output = folder / "wrk-summary.json", folder / "wrk-ran-out", folder / "wrk.out"
    for leftover in (summary, marker):
        leftover.unlink(missing_ok=True)
    env = os.environ | {"BENCH_REQUESTS": str(requests_path), "BENCH_SUMMARY": str(summary),
                        "BENCH_EXHAUSTED": str(marker), "BENCH_THREADS": "1", "BENCH_RATE": f"{rate:g}"}
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", f"{int(REQUEST_TIMEOUT)}s",
               "-s", str(LUA_SCRIPT), url]
    began = time.monotonic()
    with output.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    interrupted, status, usage = False, 0, None
    while usage is None:
        pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            usage = rusage
            break
        if not interrupted and marker.exists():  # the requests ran out: wrk's SIGINT ends its run now
            process.send_signal(signal.SIGINT)
            interrupted = True
        if time.monotonic() > began + seconds + 60:
            process.kill()
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - began
    if process.returncode != 0 or not summary.exists():
        raise RuntimeError(f"wrk failed (exit code {process.returncode}):\n"
                           f"{output.read_text(errors='replace')[-2000:]}")
    data = json.loads(summary.read_text())
    threads = list(data["threads"].values())
    ran_out = any(thread["exhausted"] for thread in threads)
    if ran_out:  # the time until the requests ran out, not wrk's whole -d
        elapsed = [(thread["stopped_us"] or data["done_us"]) - thread["first_sent_us"] for thread in threads
                   if thread["sent"]]
        elapsed_seconds = max(elapsed, default=0) / 1e6
    else:
        elapsed_seconds = data["duration_us"] / 1e6
    answers: Counter[str] = Counter()
    for thread in threads:
        answers.update({key: int(count) for key, count in thread["answers"].items()})
    return Load(
        seconds=elapsed_seconds,
        sent=sum(int(thread["sent"]) for thread in threads),
        prepared=sum(int(thread["records"]) for thread in threads),
        ran_out=ran_out,
        answers=answers,
        errors={name: int(count) for name, count in data["errors"].items()},
        latency_ms={name: float(value) / 1000 for name, value in data["latency_us"].items()},
        generator_cpu=usage.ru_utime + usage.ru_stime,
        wall=wall,
    )


class Generator:
    """The load generator's own CPU over the whole benchmark."""

    cpu = 0.0
    wall = 0.0

    @classmethod
    def add(cls, load: Load) -> None:
        cls.cpu += load.generator_cpu
        cls.wall += load.wall


def drive(server: Server, database: DatabaseCpu, folder: Path, secret: str, bodies: Sequence[bytes],
          connections: int, seconds: int, rate: float = 0.0) -> Load:
    """Presign ``bodies`` for ``server`` now, then send them with wrk, metering the server's CPU."""
    path = folder / "requests.bin"
    presign(path, secret, server.host, bodies)
    meter = Meter(server.process.pid, database)
    load = run_wrk(server.webhook_url, path, connections, seconds, folder, rate)
    load.server_cpu, load.database_cpu = meter.read()
    path.unlink(missing_ok=True)
    Generator.add(load)
    return load


def load_text(load: Load) -> str:
    cut = f", ran out after {load.seconds:.1f} s" if load.ran_out else ""
    return (f"{load.rate:,.0f}/s ({load.acknowledged:,} in {load.seconds:.1f} s{cut}), "
            f"p50 / p99 {load.latency_ms['p50']:.1f} / {load.latency_ms['p99']:.1f} ms")


def cost_text(load: Load, what: str) -> str:
    return (f"{cpu_text(load.server_cpu, load.database_cpu, load.acknowledged, what)}; "
            f"wrk {load.generator_cpu / max(load.wall, 1e-9):.0%} of a core")


# -- the inbox -------------------------------------------------------------------------------


def reader_engine(database_url: str) -> sa.Engine:
    """For reading the inbox while the app and the processor write. The plugin's SQLite engine opens
    every transaction with BEGIN IMMEDIATE (the write lock): this one reads in autocommit instead."""
    if sa.make_url(database_url).get_backend_name() == "sqlite":
        return sa.create_engine(database_url, isolation_level="AUTOCOMMIT", connect_args={"timeout": 30})
    return create_db_engine(database_url)


def pending(engine: sa.Engine, after_id: int = 0) -> int:
    query = sa.select(sa.func.count()).select_from(InboxEntry).where(
        InboxEntry.status == PENDING, InboxEntry.id > after_id)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def last_inbox_id(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.coalesce(sa.func.max(InboxEntry.id), 0))).scalar_one())


def inbox_rows(engine: sa.Engine, after_id: int, upto_id: int | None = None) -> list[sa.Row[Any]]:
    query = sa.select(InboxEntry.status, InboxEntry.received_at, InboxEntry.processed_at).where(
        InboxEntry.id > after_id)
    if upto_id is not None:
        query = query.where(InboxEntry.id <= upto_id)
    with engine.connect() as connection:
        return list(connection.execute(query))


def wait_for_drain(engine: sa.Engine, worker: subprocess.Popen[bytes], log_path: Path, after_id: int,
                   timeout: float) -> bool:
    """Poll until no entry after ``after_id`` is pending; False if ``timeout`` passed first."""
    deadline = time.monotonic() + timeout
    while pending(engine, after_id):
        check_alive(worker, log_path)
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def percentile(ordered: Sequence[float], percent: float) -> float:
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(len(ordered) * percent / 100))  # nearest rank
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Processor:
    rate: float | None = None
    lag_ms: tuple[float, float, float] | None = None  # p50, p99, max
    lag_rate: float | None = None


def processor_bench(name: str, plugin: Server, env: dict[str, str], secret: str, stream: Stream, folder: Path,
                    args: argparse.Namespace, engine: sa.Engine, database: DatabaseCpu) -> Processor:
    """Measurements 2 (drain of a filled inbox) and 3 (lag under a steady load)."""
    fill = drive(plugin, database, folder, secret, stream.next(args.events), args.connections, SIGNED_FOR)
    stream.advance(fill.sent)
    line(f"{name} inbox filled (processor stopped)", f"{fill.acknowledged:,} webhooks at {fill.rate:,.0f}/s; "
         f"other answers: {fill.other_answers}")
    rate = drain_bench(name, env, folder, args, engine, database)
    lag_rate, lag_ms = lag_bench(name, plugin, env, secret, stream, folder, args, engine, database)
    return Processor(rate, lag_ms, lag_rate)


def drain_bench(name: str, env: dict[str, str], folder: Path, args: argparse.Namespace, engine: sa.Engine,
                database: DatabaseCpu) -> float | None:
    """Start the processor on the filled inbox, time the drain, stop it with SIGTERM; events/s."""
    log_path = folder / "worker.log"
    backlog, upto = pending(engine), last_inbox_id(engine)
    began = time.monotonic()
    deadline = began + max(60.0, backlog / 20)
    with inbox_worker(folder, env, args.batch_size) as worker:
        # The processor's CPU is counted from its first batch on (not its start-up), per entry
        # still pending then.
        meter, metered, left = None, 0, backlog
        while left and time.monotonic() < deadline:
            check_alive(worker, log_path)
            time.sleep(POLL_SECONDS)
            left = pending(engine)
            if meter is None and left < backlog:
                meter, metered = Meter(worker.pid, database), left
        wall = time.monotonic() - began
        worker_cpu, database_cpu = meter.read() if meter else (None, None)  # before SIGTERM
    rows = inbox_rows(engine, 0, upto)
    stamps = Counter(row.processed_at for row in rows if row.processed_at is not None)
    statuses = Counter(row.status for row in rows)
    processed = sum(stamps.values())
    line(f"{name} drain", f"{processed:,} of {backlog:,} pending entries (warm-up included) processed in "
         f"{wall:.1f} s from the processor's start{' (TIMED OUT)' if left else ''}; " +
         ", ".join(f"{status} {count:,}" for status, count in sorted(statuses.items())))
    cpu = cpu_text(worker_cpu, database_cpu, metered - left, "processor")
    if len(stamps) < 2:
        line(f"{name} processor CPU (from its first batch on)", cpu)
        return None
    # A batch's entries share one processed_at: the span from the first stamp to the last covers
    # every batch but one, so half the first and half the last batch are left out of the count
    # (exact whichever end of its batch a stamp marks, within half a batch otherwise).
    first, last = min(stamps), max(stamps)
    span = (last - first).total_seconds()
    counted = processed - (stamps[first] + stamps[last]) / 2
    line(f"{name} processor events/s (first to last processed_at)",
         f"{counted / span:,.0f} ({counted:,.0f} in {span:.2f} s; {len(stamps):,} distinct processed_at, "
         f"{processed / len(stamps):,.0f} entries each on average)")
    line(f"{name} processor CPU (from its first batch on)", cpu)
    return counted / span


def lag_bench(name: str, plugin: Server, env: dict[str, str], secret: str, stream: Stream, folder: Path,
              args: argparse.Namespace, engine: sa.Engine, database: DatabaseCpu
              ) -> tuple[float, tuple[float, float, float] | None]:
    """The app and the processor running, a paced load: the rate reached and the lag p50, p99, max (ms)."""
    log_path, no_database = folder / "worker.log", DatabaseCpu(None)
    with inbox_worker(folder, env, args.batch_size) as worker:
        # Warm-up at the same rate (not counted): the processor starts up, the pacing settles.
        warm_count = math.ceil(args.lag_rate * args.warmup * 1.1) + 50
        warm = drive(plugin, no_database, folder, secret, stream.next(warm_count), args.lag_connections, args.warmup,
                     rate=args.lag_rate)
        stream.advance(warm.sent)
        wait_for_drain(engine, worker, log_path, 0, 60.0)
        after = last_inbox_id(engine)
        count = math.ceil(args.lag_rate * args.lag_seconds * 1.1) + 50
        meter, backends = Meter(worker.pid, no_database), database.snapshot()
        load = drive(plugin, no_database, folder, secret, stream.next(count), args.lag_connections,
                     args.lag_seconds, rate=args.lag_rate)
        stream.advance(load.sent)
        drained = wait_for_drain(engine, worker, log_path, after, max(60.0, 3.0 * args.lag_seconds))
        worker_cpu, _ = meter.read()
        backends_cpu = DatabaseCpu.spent(backends, database.snapshot())
    rows = inbox_rows(engine, after)
    lags = sorted((row.processed_at - row.received_at).total_seconds() * 1000 for row in rows
                  if row.processed_at is not None)
    short = f" (BELOW the {args.lag_rate:g}/s asked)" if load.rate < 0.95 * args.lag_rate else ""
    line(f"{name} steady load (app and processor running)", f"{load_text(load)}{short}; other answers: "
         f"{load.other_answers}")
    if not lags:
        line(f"{name} inbox lag", f"no entry processed of {len(rows):,}")
        return load.rate, None
    figures = (percentile(lags, 50), percentile(lags, 99), lags[-1])
    line(f"{name} inbox lag p50 / p99 / max", " / ".join(f"{value:,.1f}" for value in figures) +
         f" ms over {len(lags):,} entries" + (f"; {len(rows) - len(lags):,} not processed" if len(rows) > len(lags)
                                               else "") + ("" if drained else " (TIMED OUT waiting)"))
    if load.server_cpu is not None and worker_cpu is not None:
        costs = [f"gunicorn {load.server_cpu * 1000 / len(lags):.2f} ms",
                 f"processor {worker_cpu * 1000 / len(lags):.2f} ms"]
        if backends_cpu is not None:
            costs.append(f"PostgreSQL backends {backends_cpu * 1000 / len(lags):.2f} ms")
        line(f"{name} steady load CPU per webhook", f"{', '.join(costs)}; "
             f"wrk {load.generator_cpu / max(load.wall, 1e-9):.0%} of a core")
    return load.rate, figures


# -- one store -------------------------------------------------------------------------------


@dataclass
class StoreResult:
    name: str
    plugin: list[Load] = field(default_factory=list)
    baseline: list[Load] = field(default_factory=list)
    processor: Processor | None = None

    def total(self, loads: Sequence[Load]) -> tuple[int, float]:
        return sum(load.acknowledged for load in loads), sum(load.seconds for load in loads)

    @property
    def ratio(self) -> float:
        (ours, our_time), (theirs, their_time) = self.total(self.plugin), self.total(self.baseline)
        if not (our_time and their_time and theirs):
            return 0.0
        return (ours / our_time) / (theirs / their_time)

    @property
    def round_ratios(self) -> list[float]:
        return [ours.rate / theirs.rate if theirs.rate else 0.0
                for ours, theirs in zip(self.plugin, self.baseline, strict=True)]


def median_latency(loads: Sequence[Load], name: str) -> float:
    return statistics.median(load.latency_ms[name] for load in loads) if loads else float("nan")


def round_size(best_rate: float, floor: float, seconds: int) -> int:
    """Requests to presign for a round: enough for twice the best rate so far, and at least ``floor``/s."""
    return math.ceil(max(best_rate * SIZE_MARGIN, floor) * seconds) + 200


def store_bench(name: str, database_url: str, folder: Path, args: argparse.Namespace, stream: Stream,
                worker: bool) -> StoreResult:
    shown = sa.make_url(database_url).render_as_string(hide_password=True)
    print(f"{name}: plugin on {shown}")
    result = StoreResult(name)
    stream.position = 0  # each store gets the same stream from its start
    env = plugin_env(folder, database_url, args.log_level)
    database = DatabaseCpu(database_url if name == "postgresql" else None)
    engine = reader_engine(database_url)
    began = perf_counter()
    try:
        with plugin_server(folder, env, args) as plugin:
            line(f"{name} plugin started (schema upgraded) in", f"{perf_counter() - began:.1f} s")
            secret = install_tenant(plugin.base_url, env["SLA_APP_SECRET"])
            with baseline_server(folder, secret, args) as baseline:
                warm = drive(plugin, database, folder, secret, stream.next(PLUGIN_RATE_CAP * args.warmup),
                             args.connections, args.warmup)
                stream.advance(warm.sent)
                best = {"plugin": max(warm.rate, 1.0)}
                warm_base = drive(baseline, database, folder, secret,
                                  stream.wrapped(0, BASELINE_WARMUP_RATE * args.warmup), args.connections, args.warmup)
                best["baseline"] = max(warm_base.rate, 1.0)
                line(f"{name} warm-up (not counted)", f"plugin {warm.rate:,.0f}/s, baseline {warm_base.rate:,.0f}/s; "
                     f"other answers: plugin {warm.other_answers}, baseline {warm_base.other_answers}")

                if worker:
                    result.processor = processor_bench(name, plugin, env, secret, stream, folder, args, engine,
                                                       database)
                else:
                    line(f"{name} inbox processor", "skipped: processor measurements need the inbox processor "
                         "(plugin worker)")

                print(f"{name}: rounds (inbox processor stopped)")
                for number in range(1, args.rounds + 1):
                    start_at = stream.position
                    plugin_bodies = stream.next(round_size(best["plugin"], PLUGIN_RATE_CAP, args.duration))
                    baseline_bodies = stream.wrapped(start_at, round_size(best["baseline"], BASELINE_FLOOR,
                                                                          args.duration))

                    def plugin_round(bodies: Sequence[bytes] = plugin_bodies) -> Load:
                        load = drive(plugin, database, folder, secret, bodies, args.connections, args.duration)
                        stream.advance(load.sent)
                        return load

                    def baseline_round(bodies: Sequence[bytes] = baseline_bodies) -> Load:
                        return drive(baseline, database, folder, secret, bodies, args.connections, args.duration)

                    order = [("plugin", plugin_round), ("baseline", baseline_round)]
                    loads = {who: run() for who, run in (order if number % 2 else order[::-1])}
                    for who in ("plugin", "baseline"):
                        load = loads[who]
                        best[who] = max(best[who], load.rate)
                        line(f"{name} round {number} {who}", load_text(load))
                        line(f"{name} round {number} {who} cost", cost_text(load, "gunicorn"))
                        if load.other_answers != "none":
                            line(f"{name} round {number} {who} other answers", load.other_answers)
                    result.plugin.append(loads["plugin"])
                    result.baseline.append(loads["baseline"])
                    ratio = result.round_ratios[-1]
                    line(f"{name} round {number} ratio plugin/baseline", f"{ratio:.2f}")
        line(f"{name} plugin stored", stored(engine))
    finally:
        engine.dispose()
        database.close()
    report_store(result)
    print()
    return result


def report_store(result: StoreResult) -> None:
    name = result.name
    for who, loads in (("plugin", result.plugin), ("baseline", result.baseline)):
        count, seconds = result.total(loads)
        cpu = [load.server_cpu for load in loads]
        db = [load.database_cpu for load in loads]
        line(f"{name} {who} total", f"{count / seconds if seconds else 0:,.0f}/s ({count:,} in {seconds:.1f} s); "
             f"p50 / p99 median of rounds {median_latency(loads, 'p50'):.1f} / {median_latency(loads, 'p99'):.1f} ms")
        if loads and all(value is not None for value in cpu):
            database = None if any(value is None for value in db) else sum(value or 0.0 for value in db)
            line(f"{name} {who} server CPU", cpu_text(sum(value or 0.0 for value in cpu), database, count, "gunicorn"))
    line(f"{name} ratio in each round", " / ".join(f"{ratio:.2f}" for ratio in result.round_ratios))
    line(f"{name} ratio of totals plugin/baseline", f"{result.ratio:.2f}")


def stored(engine: sa.Engine) -> str:
    """Rows per table (and the inbox's statuses): what the plugin wrote."""
    with engine.connect() as connection:
        names = [table for table in sa.inspect(connection).get_table_names() if table != "alembic_version"]
        counts = {table: int(connection.execute(sa.select(sa.func.count()).select_from(sa.table(table)))
                             .scalar_one()) for table in names}
        inbox = ""
        if hasattr(InboxEntry, "status"):
            statuses = connection.execute(sa.select(InboxEntry.status, sa.func.count())
                                          .group_by(InboxEntry.status)).all()
            inbox = " (" + ", ".join(f"{status} {count:,}" for status, count in sorted(statuses)) + ")"
    return ", ".join(f"{table} {count:,}{inbox if table == InboxEntry.__tablename__ else ''}"
                     for table, count in sorted(counts.items()) if count)


# -- main ------------------------------------------------------------------------------------


def summary(results: Sequence[StoreResult], began: float) -> None:
    print("Summary")
    for result in results:
        name = result.name
        (ours, our_time), (theirs, their_time) = result.total(result.plugin), result.total(result.baseline)
        line(f"{name}: acknowledged/s plugin / baseline",
             f"{ours / our_time if our_time else 0:,.0f} / {theirs / their_time if their_time else 0:,.0f}"
             f" (ratio of totals {result.ratio:.2f}; rounds "
             + " / ".join(f"{ratio:.2f}" for ratio in result.round_ratios) + ")")
        line(f"{name}: latency p50 / p99 plugin, baseline",
             f"{median_latency(result.plugin, 'p50'):.1f} / {median_latency(result.plugin, 'p99'):.1f} ms, "
             f"{median_latency(result.baseline, 'p50'):.1f} / {median_latency(result.baseline, 'p99'):.1f} ms "
             "(medians of the rounds)")
        processor = result.processor
        if processor is None:
            line(f"{name}: inbox processor", "not measured (no plugin worker)")
            continue
        line(f"{name}: inbox processor events/s", f"{processor.rate:,.0f}" if processor.rate else "n/a")
        if processor.lag_ms:
            line(f"{name}: inbox lag p50 / p99 at {processor.lag_rate or 0:,.0f}/s",
                 f"{processor.lag_ms[0]:,.1f} / {processor.lag_ms[1]:,.1f} ms (max {processor.lag_ms[2]:,.1f})")
    for result in results:
        line(f"plugin/baseline >= {TARGET_RATIO} ({result.name}, the project's aim)",
             f"{'met' if result.ratio >= TARGET_RATIO else 'NOT met'} ({result.ratio:.2f})")
    line("load generator CPU (wrk, every run)",
         f"{Generator.cpu:.1f} s over {Generator.wall:.1f} s ({Generator.cpu / max(Generator.wall, 1e-9):.0%} "
         "of one core)")
    line("load average at the end, 1 / 5 / 15 min", load_average())
    line("total bench time", f"{perf_counter() - began:.0f} s")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 rounds of 3 s, 1,000 webhooks to drain, "
                        "5 s of steady load")
    parser.add_argument("--rounds", type=int, help="rounds per server and store (default 5; 2 with --quick)")
    parser.add_argument("--duration", type=int, help="seconds per round (default 10; 3 with --quick; at most 240)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up per server, not counted (default 2; 1)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections for the rounds (default 8)")
    parser.add_argument("--events", type=int, help="webhooks sent into the stopped processor's inbox before the "
                        "drain (default 20,000; 1,000 with --quick)")
    parser.add_argument("--lag-rate", type=float, default=500.0, help="steady load, webhooks/s (default 500)")
    parser.add_argument("--lag-seconds", type=int, help="steady load's duration (default 25; 5 with --quick)")
    parser.add_argument("--lag-connections", type=int, default=8, help="wrk connections of the steady load (default 8)")
    parser.add_argument("--batch-size", type=int, help="the processor's --batch-size (default: its own)")
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both",
                        help="default both (PostgreSQL skipped when unreachable)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each server (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker of each server (default 1)")
    parser.add_argument("--log-level", default="INFO", help="the plugin's SLA_LOG_LEVEL (default INFO, its own)")
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if min(args.rounds, args.duration, args.warmup, args.connections, args.events, args.lag_seconds,
           args.lag_connections, args.workers, args.threads) < 1 or args.lag_rate <= 0:
        parser.error("counts, durations and rates must be positive")
    if max(args.duration, args.lag_seconds) > SIGNED_FOR:
        parser.error(f"--duration and --lag-seconds: at most {SIGNED_FOR} s (the signatures' tolerance is 5 minutes)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if shutil.which("wrk") is None:
        print("bench/ingest.py: wrk is not installed (apt-get install wrk, or ./dev bench-ingest)", file=sys.stderr)
        return 1
    postgres = None if args.store == "sqlite" else postgres_version()
    if args.store == "postgresql" and postgres is None:
        print(f"bench/ingest.py: PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}", file=sys.stderr)
        return 1
    worker = worker_available()
    header(args, postgres, worker)
    began = perf_counter()

    total = (PLUGIN_RATE_CAP * (args.warmup + args.rounds * args.duration) + args.events
             + math.ceil(args.lag_rate * (args.warmup + args.lag_seconds) * 1.1) + 100)
    generated = perf_counter()
    bodies, tickets = webhook_bodies(total, SEED, int(time.time()) - 60)
    stream = Stream(bodies)
    kinds = Counter(json.loads(body)["type"] for body in bodies)
    print("Traffic: bench/event_stream.py's helpdesk stream in time order, ending a minute ago")
    line("generated in (not counted)", f"{perf_counter() - generated:.2f} s")
    line("webhooks generated", f"{len(bodies):,} ({tickets:,} tickets): " +
         ", ".join(f"{kind} {count:,}" for kind, count in sorted(kinds.items())))
    line("mean body size", f"{sum(map(len, bodies)) / len(bodies):,.0f} bytes")
    signing = perf_counter()
    with tempfile.TemporaryDirectory(prefix="sla-ingest-sign-") as tmp:
        presign(Path(tmp) / "requests.bin", new_webhook_secret(), "127.0.0.1:1", bodies[:10_000])
    line("presigning 10,000 requests (done before each run)", f"{(perf_counter() - signing) * 1000:,.0f} ms")
    print()

    results: list[StoreResult] = []
    try:
        if args.store in ("sqlite", "both"):
            with tempfile.TemporaryDirectory(prefix="sla-ingest-") as tmp:
                folder = Path(tmp)
                results.append(store_bench("sqlite", f"sqlite:///{folder / 'plugin.sqlite3'}", folder, args, stream,
                                           worker))
        if postgres is not None:
            with tempfile.TemporaryDirectory(prefix="sla-ingest-") as tmp, temporary_postgres_database() as url:
                results.append(store_bench("postgresql", url, Path(tmp), args, stream, worker))
    except RuntimeError as error:
        print(f"bench/ingest.py: {error}", file=sys.stderr)
        return 1
    summary(results, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the sweep, from a target's due instant to its tag on the host, and what one sweep costs.

Run from anywhere with the project's interpreter (``./dev bench-sweep`` does)::

    python bench/sweep.py                     # the full run (~7 minutes)
    python bench/sweep.py --quick             # a smoke run for CI (under a minute)
    python bench/sweep.py --store sqlite --tickets 400 --spread 90 --sizes 10000,50000 --rounds 3

What it measures, on SQLite (a temporary folder) and on PostgreSQL (a temporary database, when one
is reachable at 127.0.0.1:5432):

1. **Latency**: the time from a target's due instant to its ``sla-breached`` tag arriving at the
   host, with the plugin's default settings (``SLA_SWEEP_SECONDS=1``, the host rate limit of 10
   calls per second and burst 20; no ``SLA_*`` variable of the environment is passed on). Real processes: the
   sandbox helpdesk (``python -m sandbox serve``), ``python -m plugin.cli serve`` (gunicorn, 2
   workers), and for each round its own ``python -m plugin.cli worker``. Each round installs a new
   account through the sandbox and saves a settings document whose urgent tickets have a 30-minute
   first-response target (24/7, no warning window: a breach is the only tag change, one note and one
   add-tags call per ticket), then creates ``--tickets`` urgent tickets through the sandbox, each
   dated (the sandbox's clock frozen at that instant) 30 minutes before its due instant, so that the
   due instants fall on whole seconds spread evenly over ``--spread`` seconds, the first ``--lead``
   seconds after the creations begin. Nobody answers them. When every tag has arrived (or
   ``--wait`` seconds after the last due instant), each ticket's latency is read three ways:
   - **host**: the sandbox's effect log, ``received_at`` of the ``add_tags`` call carrying
     ``sla-breached``, minus the target's ``due_at`` (the plugin's ``sla_targets`` row). The log
     writes whole seconds, rounded down, and due instants are whole seconds, so a ticket's latency
     is known to lie in [n, n + 1) s: printed as "< n + 1".
   - **delivered**: the outbox's ``done_at`` of that command (the worker's clock, microseconds,
     taken after the host answered) minus ``due_at``: exact, and never less than the true latency.
     The aim is judged on it.
   - **swept**: the outbox's ``created_at`` (the instant of the sweep that queued the command) minus
     ``due_at``: the part of the latency that the sweep's interval makes. APScheduler runs the sweep
     on a fixed grid from the worker's start, so each worker sweeps at one phase within the second,
     and tickets due on whole seconds all wait that long: each round's worker is started anew, and
     its phase is printed (with due instants at random phases the wait is uniform in [0, 1) s).
   Every round prints p50 / p90 / p99 / max of each and every ticket's host latency as a histogram,
   and how many tickets were created or applied after their due instant (their latency then holds
   that wait: a run with any is not a clean measurement).
2. **Cost of one sweep**, in process, on one database per running count (10,000, 100,000,
   1,000,000), each built directly: a tenant installed and the settings of ``bench/event_stream.py``
   saved through the services (the engine runs on a real settings version); 1,000 due tickets, each
   with a real history (ticket.created of an outage, which the rules make urgent: 30 minutes to a
   first response; a customer's message; an agent's private note) applied through the one write path
   20 minutes before the sweep's instant, so their first-response targets fell due in the ten
   minutes before it; and the running tickets, rows whose ``next_tag_change_at`` lies in the next
   week, written by one ``INSERT … SELECT`` over a generated series (no histories: the sweep never
   reads them). PostgreSQL's databases are vacuumed, analysed and checkpointed after the build, as
   autovacuum and the checkpointer would in a while; SQLite's are not analysed (the plugin never
   runs ``ANALYZE``). A round times the worker's sweep job (``sweep_tag_changes(uow, clock)`` until
   it sweeps fewer than a batch: 500 + 500 + 0 tickets) once on every database, in turn, the order
   reversed every other round, so that a drift of the machine's speed slows every size alike;
   before each, the due tickets are put back as they were (tags, revision, ``next_tag_change_at``)
   and the outbox emptied, untimed. Every round is printed with its ratio to the 10,000 baseline of
   the same round; the headline is the ratio of the medians. Then the **idle sweep** (nothing due:
   the clock an hour before the earliest due instant) is timed ``--idle`` times per size, in blocks
   that alternate between the sizes: median, p99, max. The plan of the sweep's query
   (``tag_changes_due``) is printed for each size: on PostgreSQL ``EXPLAIN (ANALYZE, BUFFERS)`` of
   the due and the idle case, on SQLite ``EXPLAIN QUERY PLAN``.

Prints plain text, one figure per line; never fails on a figure, fails (non-zero) when a process
does not start. Aims of the project: latency p99 <= 5 s; a sweep's cost flat in the running count;
an idle sweep under 1 ms at 1,000,000 running.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from time import perf_counter
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``plugin``, ``bench``, ``sandbox`` and ``tests`` importable
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.event_stream import settings_document  # noqa: E402
from bench.ingest import (  # noqa: E402
    DatabaseCpu,
    base_env,
    git_state,
    load_average,
    postgres_version,
    running,
    start,
    stop,
)
from bench.output import line, machine_header  # noqa: E402
from plugin.config import Config  # noqa: E402
from plugin.runtime import Runtime  # noqa: E402
from plugin.services.lifecycle import Installation, install  # noqa: E402
from plugin.services.recompute import recompute_tickets  # noqa: E402
from plugin.services.settings_changes import SettingsChange, replace_settings  # noqa: E402
from plugin.services.sweep import SWEEP_BATCH, sweep_tag_changes  # noqa: E402
from plugin.store.db import create_db_engine  # noqa: E402
from plugin.store.migrate import upgrade  # noqa: E402
from plugin.store.records import HistoryEvent  # noqa: E402
from plugin.store.tables import INBOX, OUTBOX, TARGETS, TENANTS, TICKETS  # noqa: E402
from sandbox.client import SandboxClient  # noqa: E402
from tests.support import (  # noqa: E402
    POSTGRES_ADMIN_URL,
    free_port,
    new_encryption_key,
    new_webhook_secret,
    temporary_database,
)

BREACHED = "sla-breached"
TARGET_MINUTES = 30
LATENCY_AIM = 5.0  # seconds, p99
IDLE_AIM_MS = 1.0
DUE = 1_000  # due tickets of the cost measurement
DUE_SPAN = 600  # seconds: their due instants spread over the ten minutes before the sweep's instant
RUNNING_SPAN = 7 * 86_400  # seconds: the running tickets' next tag change spread over the next week
POLL_SECONDS = 0.5

FULL = {"tickets": 200, "spread": 60, "lead": 10, "latency_rounds": 2, "wait": 30,
        "sizes": "10000,100000,1000000", "rounds": 5, "idle": 2_000}
QUICK = {"tickets": 20, "spread": 3, "lead": 3, "latency_rounds": 1, "wait": 15,
         "sizes": "10000,100000", "rounds": 2, "idle": 300}

# Urgent tickets: first response within 30 minutes, around the clock, no warning window; the host
# sets the priority on creation, so the rule decides nothing and no priority command is queued.
LATENCY_SETTINGS: dict[str, Any] = {
    "timezone": "UTC",
    "calendars": [],
    "prioritization_rules": [{"id": "everything", "name": "Everything", "product": "*", "channel": "*",
                              "conditions": [], "priority": "normal", "position": 1}],
    "sla_policies": [{"id": "urgent-24-7", "name": "Urgent, around the clock", "product": "*", "channel": "*",
                      "priority": "urgent", "calendar": None,
                      "targets": [{"metric": "first_response", "minutes": TARGET_MINUTES, "success_rate_percent": 90},
                                  {"metric": "resolution", "minutes": 480, "success_rate_percent": 80}]}],
}


# -- figures ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank: the smallest value with at least ``q`` % of the values at or below it."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def spread_text(values: Sequence[float], unit: str = "s", digits: int = 2) -> str:
    if not values:
        return "none"
    return (f"p50 {percentile(values, 50):.{digits}f} / p90 {percentile(values, 90):.{digits}f} / "
            f"p99 {percentile(values, 99):.{digits}f} / max {max(values):.{digits}f} {unit} "
            f"(min {min(values):.{digits}f}, n={len(values)})")


def host_text(seconds: Sequence[float]) -> str:
    """Latencies read from the sandbox's log, whole seconds rounded down: each is below its figure + 1."""
    if not seconds:
        return "none"
    return (f"p50 < {percentile(seconds, 50) + 1:.0f} / p90 < {percentile(seconds, 90) + 1:.0f} / "
            f"p99 < {percentile(seconds, 99) + 1:.0f} / max < {max(seconds) + 1:.0f} s (n={len(seconds)})")


def histogram(seconds: Sequence[float]) -> str:
    counts = Counter(int(value) for value in seconds)
    return ", ".join(f"{second}-{second + 1} s: {count}" for second, count in sorted(counts.items())) or "none"


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- header ----------------------------------------------------------------------------------


def header(args: argparse.Namespace, postgres: str | None) -> None:
    machine_header(f"SLA plugin sweep benchmark ({'quick' if args.quick else 'full'})")
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in
                         ("sqlalchemy", "psycopg", "apscheduler", "gunicorn", "flask"))
    line("packages", versions)
    line("sqlite", sqlite3.sqlite_version)
    line("postgresql", postgres or f"not reachable at {POSTGRES_ADMIN_URL} (skipped)")
    line("code", git_state())
    line("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    line("load average 1 / 5 / 15 min (other work on the machine)", load_average())
    if args.latency_rounds:
        line("latency", f"{args.latency_rounds} round(s) per store of {args.tickets} tickets due over {args.spread} s "
             f"(the first {args.lead} s after creation starts); plugin defaults (SLA_SWEEP_SECONDS=1, host "
             "10 calls/s, burst 20); serve with 2 gunicorn workers, a new worker each round, the sandbox")
    if args.sizes:
        line("cost", f"running {', '.join(f'{size:,}' for size in args.sizes)}; {DUE:,} due; {args.rounds} round(s) "
             f"per size; idle sweep timed {args.idle:,} times per size")
    print()


# -- 1. latency: real processes --------------------------------------------------------------


@dataclass
class LatencyRound:
    store: str
    number: int
    tickets: int
    host: list[float] = field(default_factory=list)  # effect log received_at - due_at (whole seconds)
    delivered: list[float] = field(default_factory=list)  # outbox done_at - due_at
    swept: list[float] = field(default_factory=list)  # outbox created_at - due_at
    late_created: int = 0  # tickets whose creation call returned after their due instant
    late_applied: int = 0  # tickets whose ticket.created the worker applied after their due instant
    missing: int = 0  # tickets without a breach tag at the host when the wait ran out


def plugin_env(folder: Path, database_url: str) -> dict[str, str]:
    """The plugin's defaults: no ``SLA_*`` variable of the environment is passed on (a sweep interval, a
    rate limit, a demo's clock), only the database, new keys and the log level."""
    ours = {"SLA_DATABASE_URL": database_url, "SLA_APP_SECRET": new_webhook_secret(),
            "SLA_ENCRYPTION_KEY": new_encryption_key(), "SLA_LOG_LEVEL": "WARNING"}
    env = base_env(folder, **ours)
    return {name: value for name, value in env.items() if not name.startswith("SLA_") or name in ours}


@dataclass
class LatencyProcesses:
    """serve and the sandbox, running for the whole store; a worker started for each round."""

    client: SandboxClient
    engine: sa.Engine
    env: dict[str, str]
    folder: Path

    @contextlib.contextmanager
    def worker(self, number: int) -> Iterator[Callable[[], None]]:
        """``python -m plugin.cli worker`` for one round (its sweep's phase within the second is set by
        when it starts: each round samples another); yields a check that it still runs."""
        log_path = self.folder / f"worker-{number}.log"
        process = start([sys.executable, "-m", "plugin.cli", "worker", "--no-upgrade"], self.env, log_path)

        def check() -> None:
            if process.poll() is not None:
                raise RuntimeError(f"the worker exited ({process.returncode}):\n"
                                   f"{log_path.read_text(errors='replace')[-4000:]}")

        try:
            yield check
        finally:
            stop(process)


@contextlib.contextmanager
def latency_processes(folder: Path, database_url: str) -> Iterator[LatencyProcesses]:
    """serve, then the sandbox pointing at it; both stopped afterwards."""
    env = plugin_env(folder, database_url)
    port = free_port()
    serve = [sys.executable, "-m", "plugin.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    began = perf_counter()
    with running("plugin", serve, env, folder / "plugin.log", port) as plugin:
        sandbox_port = free_port()
        sandbox = [sys.executable, "-m", "sandbox", "serve", "--port", str(sandbox_port), "--plugin-url",
                   plugin.base_url]
        with running("sandbox", sandbox, env, folder / "sandbox.log", sandbox_port) as host:
            engine = create_db_engine(database_url)
            try:
                line("serve and sandbox started (schema upgraded) in", f"{perf_counter() - began:.1f} s")
                yield LatencyProcesses(SandboxClient(host.base_url), engine, env, folder)
            finally:
                engine.dispose()


def latency_round(store: str, number: int, processes: LatencyProcesses, args: argparse.Namespace) -> LatencyRound:
    client, account = processes.client, f"sweep-{number}"
    result = LatencyRound(store, number, args.tickets)
    with processes.worker(number) as check_worker:
        client.install(account, "UTC")
        client.save_settings(account, LATENCY_SETTINGS)
        first_due = math.ceil(time.time()) + args.lead
        dues = [first_due + (index * args.spread) // args.tickets for index in range(args.tickets)]
        created_in = perf_counter()
        try:
            for index, due in enumerate(dues):
                client.set_clock(datetime.fromtimestamp(due - TARGET_MINUTES * 60, UTC))
                client.create_ticket(account, {"id": f"R{number}-{index:04d}", "product": "Orange",
                                               "channel": "email", "subject": f"Outage {index}",
                                               "body": "Nothing loads.", "priority": "urgent",
                                               "requester": {"name": f"Customer {index}",
                                                             "email": f"c{index}@example.com"}})
                if time.time() > due:
                    result.late_created += 1
        finally:
            client.set_clock(None)
        line(f"{store} round {number}: {args.tickets} tickets created in",
             f"{perf_counter() - created_in:.1f} s, due from {iso(datetime.fromtimestamp(dues[0], UTC))} to "
             f"{iso(datetime.fromtimestamp(dues[-1], UTC))}")

        deadline = dues[-1] + args.wait
        effects: list[dict[str, Any]] = []
        while True:
            check_worker()
            effects = [effect for effect in client.effects() if effect["account_id"] == account
                       and effect["kind"] == "add_tags" and BREACHED in effect["detail"]["requested"]]
            if len(effects) >= args.tickets or time.time() > deadline:
                break
            time.sleep(POLL_SECONDS)
        settled_by = time.time() + 3.0  # the worker settles a command (done_at) after the host's answer
        while time.time() < settled_by and None in plugin_side(processes.engine, account).done_at.values():
            time.sleep(0.1)

    side = plugin_side(processes.engine, account)
    arrived = {effect["ticket_id"]: instant(effect["received_at"]) for effect in effects}
    for ticket_id, due in sorted(side.due_at.items()):
        applied = side.applied_at.get(ticket_id)
        if applied is None or applied > due:
            result.late_applied += 1
        if ticket_id not in arrived:
            result.missing += 1
            continue
        result.host.append((arrived[ticket_id] - due).total_seconds())
        if ticket_id in side.swept_at:
            result.swept.append((side.swept_at[ticket_id] - due).total_seconds())
        if side.done_at.get(ticket_id) is not None:
            result.delivered.append((side.done_at[ticket_id] - due).total_seconds())
    result.missing += args.tickets - len(side.due_at)
    report_latency_round(result)
    return result


@dataclass
class PluginSide:
    due_at: dict[str, datetime]  # each ticket's first-response due instant
    applied_at: dict[str, datetime | None]  # when the worker applied its ticket.created
    swept_at: dict[str, datetime]  # when the sweep queued its breach tags
    done_at: dict[str, datetime | None]  # when the host's answer to them was settled


def plugin_side(engine: sa.Engine, account: str) -> PluginSide:
    with engine.connect() as connection:
        tenant_id = connection.execute(sa.select(TENANTS.c.id).where(TENANTS.c.account_id == account)).scalar_one()
        due_at = {row.ticket_id: row.due_at for row in connection.execute(
            sa.select(TARGETS.c.ticket_id, TARGETS.c.due_at)
            .where(TARGETS.c.tenant_id == tenant_id, TARGETS.c.metric == "first_response"))}
        applied = {row.ticket_id: row.processed_at for row in connection.execute(
            sa.select(INBOX.c.ticket_id, INBOX.c.processed_at)
            .where(INBOX.c.tenant_id == tenant_id, INBOX.c.event_type == "ticket.created"))}
        commands = connection.execute(
            sa.select(OUTBOX.c.ticket_id, OUTBOX.c.created_at, OUTBOX.c.done_at, OUTBOX.c.payload)
            .where(OUTBOX.c.tenant_id == tenant_id, OUTBOX.c.kind == "add_tags")).all()
    breach = [row for row in commands if BREACHED in row.payload.get("tags", [])]
    return PluginSide(due_at, applied, {row.ticket_id: row.created_at for row in breach},
                      {row.ticket_id: row.done_at for row in breach})


def sweep_phase(swept: Sequence[float]) -> float:
    """Where in each second this round's worker swept: due instants are whole seconds, so each ticket
    waited this long (plus whole seconds when a sweep was busy) for the sweep that found it."""
    return statistics.median(value % 1 for value in swept) if swept else float("nan")


def report_latency_round(result: LatencyRound) -> None:
    name = f"{result.store} round {result.number}"
    line(f"{name} host (sandbox's effect log, whole s)", host_text(result.host))
    line(f"{name} every ticket's host latency (tickets)", histogram(result.host))
    line(f"{name} delivered (outbox done_at, exact)", spread_text(result.delivered))
    line(f"{name} swept (outbox created_at, exact)", spread_text(result.swept))
    line(f"{name} this worker's sweeps, past each second", f"{sweep_phase(result.swept):.2f} s")
    if result.late_created or result.late_applied:
        line(f"{name} tickets created / applied after their due instant",
             f"{result.late_created} / {result.late_applied} (their latency includes the wait for their creation)")
    if result.missing:
        line(f"{name} tickets without a breach tag at the host", f"{result.missing} (wait ran out)")


def latency_bench(store: str, database_url: str, args: argparse.Namespace) -> list[LatencyRound]:
    print(f"{store}: latency, {sa.make_url(database_url).render_as_string(hide_password=True)}")
    rounds: list[LatencyRound] = []
    with tempfile.TemporaryDirectory(prefix="sla-sweep-") as tmp, \
            latency_processes(Path(tmp), database_url) as processes:
        for number in range(1, args.latency_rounds + 1):
            rounds.append(latency_round(store, number, processes, args))
    host = [value for one in rounds for value in one.host]
    delivered = [value for one in rounds for value in one.delivered]
    line(f"{store} all rounds host", host_text(host))
    line(f"{store} all rounds delivered", spread_text(delivered))
    print()
    return rounds


# -- 2. cost: in process ---------------------------------------------------------------------


@dataclass
class SweepRound:
    seconds: float
    calls: list[tuple[int, float]]  # (tickets swept, seconds) of each call of the job
    cpu: float  # CPU seconds of this process (the sweep runs in it)
    backend_cpu: float | None  # and of PostgreSQL's backends serving it (None: SQLite, or no /proc)

    @property
    def total_cpu(self) -> float:
        return self.cpu + (self.backend_cpu or 0.0)


@dataclass
class SizeResult:
    running: int
    build_seconds: float
    rounds: list[SweepRound] = field(default_factory=list)
    idle_ms: list[float] = field(default_factory=list)
    idle_cpu: float = 0.0  # CPU seconds of all the idle sweeps, this process and PostgreSQL's backends

    @property
    def median(self) -> float:
        return statistics.median(one.seconds for one in self.rounds)

    @property
    def median_cpu(self) -> float:
        return statistics.median(one.total_cpu for one in self.rounds)


@dataclass
class CostResult:
    store: str
    sizes: list[SizeResult] = field(default_factory=list)


class QueryCapture:
    """The sweep's own SELECT of the due tickets, as the driver received it (for EXPLAIN)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statement: str | None = None
        self.parameters: Any = None
        self.armed = False
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _connection: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
              _many: bool) -> None:
        if self.armed and "next_tag_change_at <=" in statement:
            self.statement, self.parameters, self.armed = statement, parameters, False


def event_bodies(account: str, ticket_id: str, created: datetime, number: int) -> list[HistoryEvent]:
    """A ticket of an outage (the rules make it urgent: first response in 30 minutes, around the clock),
    the customer's follow-up a minute later and an agent's private note two minutes later."""
    def at(seconds: int) -> str:
        return iso(created + timedelta(seconds=seconds))

    ticket = {"id": ticket_id, "product": "Orange", "channel": "email", "subject": "Service outage in EU-West",
              "body": "Nothing loads, every page shows an error 502.", "status": "new", "priority": None,
              "requester": {"name": f"Customer {number}", "email": f"c{number}@example.com"}, "tags": [],
              "created_at": at(0), "updated_at": at(0)}
    bodies = [
        {"id": f"evt_{ticket_id}_1", "type": "ticket.created", "occurred_at": at(0), "account_id": account,
         "data": {"ticket": ticket}},
        {"id": f"evt_{ticket_id}_2", "type": "message.created", "occurred_at": at(60), "account_id": account,
         "data": {"ticket": {"id": ticket_id}, "message": {"id": f"m_{ticket_id}_1", "author_type": "customer",
                                                           "public": True, "created_at": at(60),
                                                           "body": "Still nothing. Any news?"}}},
        {"id": f"evt_{ticket_id}_3", "type": "message.created", "occurred_at": at(120), "account_id": account,
         "data": {"ticket": {"id": ticket_id}, "message": {"id": f"m_{ticket_id}_2", "author_type": "agent",
                                                           "public": False, "created_at": at(120),
                                                           "body": "Escalated to the on-call engineer."}}},
    ]
    return [HistoryEvent(ticket_id, body["id"], body["type"], instant(body["occurred_at"]), body) for body in bodies]


class CostDatabase:
    """A migrated database with one tenant, its settings, 1,000 due tickets and the running ones."""

    account = "acme"

    def __init__(self, database_url: str, now: datetime) -> None:
        self.url = database_url
        self.now = now
        self.dialect = sa.make_url(database_url).get_backend_name()
        upgrade(database_url)
        config = Config(database_url=database_url, app_id="sla-plugin", app_secret=new_webhook_secret(),
                        encryption_key=new_encryption_key())
        self.runtime = Runtime.build(config)
        self.capture = QueryCapture(self.runtime.engine)
        self.backends = DatabaseCpu(database_url if self.dialect == "postgresql" else None)
        self.running = 0
        self.due_state: list[dict[str, Any]] = []
        self.tenant_id = 0

    def setup(self) -> None:
        """The tenant, its settings, and the due tickets applied through the one write path 20 minutes
        before ``now``: their first-response targets are then running, due in the ten minutes before
        ``now``, with their warning instants as their next tag change."""
        runtime, setup_now = self.runtime, self.now - timedelta(minutes=20)
        install(runtime.uow(), runtime.box, Installation(self.account, "http://127.0.0.1:9", "token", "whsec_x",
                                                         "Europe/Berlin", "http://127.0.0.1:9"), setup_now)
        with runtime.uow() as uow:
            tenant = uow.tenants.by_account(self.account)
        assert tenant is not None
        self.tenant_id = tenant.id
        replace_settings(runtime.uow(), tenant, settings_document(), SettingsChange("bench", setup_now))
        ids = [f"DUE-{number:04d}" for number in range(DUE)]
        with runtime.uow() as uow:
            events: list[HistoryEvent] = []
            for number, ticket_id in enumerate(ids):
                due = self.now - timedelta(seconds=DUE_SPAN * (DUE - number) / DUE)
                events += event_bodies(self.account, ticket_id, due - timedelta(minutes=TARGET_MINUTES), number)
            uow.tickets.add_events(tenant.id, events)
            recompute_tickets(uow, tenant, ids, setup_now)
            uow.commit()
        with runtime.engine.begin() as connection:
            connection.execute(sa.delete(OUTBOX))  # the rules' priority commands: delivered long ago
            rows = connection.execute(
                sa.select(TICKETS.c.ticket_id, TICKETS.c.host_tags, TICKETS.c.tag_revision,
                          TICKETS.c.next_tag_change_at)
                .where(TICKETS.c.tenant_id == tenant.id, TICKETS.c.ticket_id.like("DUE-%"))).all()
        due_now = [row for row in rows if row.next_tag_change_at is not None and row.next_tag_change_at <= self.now]
        if len(due_now) != DUE:
            raise RuntimeError(f"set-up: {len(due_now)} of {DUE} tickets due at the sweep's instant")
        self.due_state = [{"scope_tenant_id": tenant.id, "scope_ticket_id": row.ticket_id, "new_host_tags":
                           row.host_tags, "new_tag_revision": row.tag_revision,
                           "new_next_tag_change_at": row.next_tag_change_at} for row in rows]

    def grow(self, running: int) -> float:
        """Add running tickets up to ``running`` (one INSERT … SELECT); seconds taken."""
        began = perf_counter()
        base = int(self.now.timestamp()) + 60
        params = {"tenant": self.tenant_id, "first": self.running + 1, "last": running, "base": base,
                  "span": RUNNING_SPAN, "updated": self.now.strftime("%Y-%m-%d %H:%M:%S.%f") if self.dialect == "sqlite"
                  else self.now}
        columns = ("tenant_id, ticket_id, priority, policy_id, settings_version, deleted, open, updated_at, "
                   "host_tags, tag_revision, next_tag_change_at")
        if self.dialect == "sqlite":
            statement = (f"WITH RECURSIVE n(k) AS (SELECT :first UNION ALL SELECT k + 1 FROM n WHERE k < :last) "
                         f"INSERT INTO tickets ({columns}) SELECT :tenant, 'RUN-' || k, 'urgent', 'urgent-247', 1, "
                         "0, 1, :updated, '', 0, strftime('%Y-%m-%d %H:%M:%S', :base + (k * 7919) % :span, "
                         "'unixepoch') || '.000000' FROM n")
        else:
            statement = (f"INSERT INTO tickets ({columns}) SELECT :tenant, 'RUN-' || k, 'urgent', 'urgent-247', 1, "
                         "false, true, :updated, '', 0, "
                         "to_timestamp(CAST(:base AS bigint) + (k * 7919) % CAST(:span AS bigint)) "
                         "FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS k")
        with self.runtime.engine.begin() as connection:
            connection.execute(sa.text(statement), params)
        self.running = running
        if self.dialect == "postgresql":
            with self.runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM ANALYZE tickets"))
                with contextlib.suppress(sa.exc.DBAPIError):  # a superuser's (or pg_checkpoint's) right
                    connection.execute(sa.text("CHECKPOINT"))  # the load's writes out of the way of the rounds
        return perf_counter() - began

    def check(self) -> str:
        """What the tickets table holds (and that the sweep would see the right ones)."""
        with self.runtime.engine.connect() as connection:
            total = connection.execute(sa.select(sa.func.count()).select_from(TICKETS)).scalar_one()
            indexed = connection.execute(sa.select(sa.func.count()).select_from(TICKETS)
                                         .where(TICKETS.c.next_tag_change_at.is_not(None))).scalar_one()
            due = connection.execute(sa.select(sa.func.count()).select_from(TICKETS)
                                     .where(TICKETS.c.next_tag_change_at <= self.now)).scalar_one()
        return f"{total:,} tickets, {indexed:,} with a next tag change, {due:,} due"

    def reset(self) -> None:
        """The due tickets as they were before the sweep; the outbox empty."""
        with self.runtime.engine.begin() as connection:
            connection.execute(
                sa.update(TICKETS)
                .where(TICKETS.c.tenant_id == sa.bindparam("scope_tenant_id"),
                       TICKETS.c.ticket_id == sa.bindparam("scope_ticket_id"))
                .values(host_tags=sa.bindparam("new_host_tags"), tag_revision=sa.bindparam("new_tag_revision"),
                        next_tag_change_at=sa.bindparam("new_next_tag_change_at", type_=TICKETS.c.updated_at.type)),
                self.due_state)
            connection.execute(sa.delete(OUTBOX))

    def sweep_job(self) -> SweepRound:
        """What the worker's sweep job does: sweeps until one finds fewer than a batch."""
        calls: list[tuple[int, float]] = []
        backends = self.backends.snapshot()
        cpu = time.process_time()
        began = perf_counter()
        while True:
            started = perf_counter()
            swept = sweep_tag_changes(self.runtime.uow(), lambda: self.now)
            calls.append((swept, perf_counter() - started))
            if swept < SWEEP_BATCH:
                break
        seconds, cpu = perf_counter() - began, time.process_time() - cpu
        return SweepRound(seconds, calls, cpu, DatabaseCpu.spent(backends, self.backends.snapshot()))

    def idle_sweep(self) -> float:
        earlier = self.now - timedelta(seconds=DUE_SPAN + 3600)
        started = perf_counter()
        swept = sweep_tag_changes(self.runtime.uow(), lambda: earlier)
        elapsed = perf_counter() - started
        if swept:
            raise RuntimeError(f"the idle sweep swept {swept} tickets")
        return elapsed

    def outcome(self) -> str:
        with self.runtime.engine.connect() as connection:
            kinds = connection.execute(sa.select(OUTBOX.c.kind, sa.func.count()).group_by(OUTBOX.c.kind)).all()
            left = connection.execute(sa.select(sa.func.count()).select_from(TICKETS)
                                      .where(TICKETS.c.next_tag_change_at <= self.now)).scalar_one()
        return ", ".join(f"{kind} {count:,}" for kind, count in sorted(kinds)) + f"; still due {left:,}"

    def explain(self, idle: bool) -> list[str]:
        """The plan of the sweep's SELECT, with the parameters it was last run with (the due or idle case)."""
        if self.capture.statement is None:
            return ["(not captured)"]
        statement, parameters = self.capture.statement, self.capture.parameters
        if idle:
            earlier = self.now - timedelta(seconds=DUE_SPAN + 3600)
            parameters = replace_instant(parameters, earlier, self.dialect)
        raw = self.runtime.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.dialect == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                plan = [str(row[-1]) for row in cursor.fetchall()]
            else:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plan = [str(row[0]) for row in cursor.fetchall()]
            raw.rollback()
        finally:
            raw.close()
        return plan

    def dispose(self) -> None:
        self.backends.close()
        self.runtime.dispose()


def replace_instant(parameters: Any, moment: datetime, dialect: str) -> Any:
    """The captured parameters with the sweep's instant replaced by ``moment``."""
    def swap(value: Any) -> Any:
        if isinstance(value, datetime):
            return moment if value.tzinfo else moment.astimezone(UTC).replace(tzinfo=None)
        if isinstance(value, str) and dialect == "sqlite" and len(value) >= 19 and value[4] == "-":
            return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    if isinstance(parameters, dict):
        return {key: swap(value) for key, value in parameters.items()}
    return type(parameters)(swap(value) for value in parameters)


def cost_bench(store: str, args: argparse.Namespace) -> CostResult:
    """One database per running count, built first; then the rounds alternate between them (the order
    reversed every other round), so that a drift in the machine's speed slows every size alike."""
    print(f"{store}: cost of one sweep, one database per size")
    result = CostResult(store)
    now = datetime.now(UTC).replace(microsecond=0)
    with contextlib.ExitStack() as stack:
        databases: list[CostDatabase] = []
        for running in args.sizes:
            url = stack.enter_context(temporary_database(store, "sla-sweep-db-"))
            one = CostDatabase(url, now)
            stack.callback(one.dispose)
            began = perf_counter()
            one.setup()
            setup = perf_counter() - began
            size = SizeResult(running, one.grow(running))
            line(f"{store} {running:,} running: built in", f"{setup:.1f} s (tenant, settings, {DUE:,} due tickets "
                 f"with histories) + {size.build_seconds:.1f} s (running); {one.check()}")
            databases.append(one)
            result.sizes.append(size)
        pairs = list(zip(databases, result.sizes, strict=True))
        for number in range(1, args.rounds + 1):
            for one, size in pairs if number % 2 else pairs[::-1]:
                one.reset()
                one.capture.armed = number == 1
                timed = one.sweep_job()
                size.rounds.append(timed)
                calls = " + ".join(str(swept) for swept, _ in timed.calls)
                each = " / ".join(f"{seconds * 1000:,.1f}" for _, seconds in timed.calls)
                swept = sum(count for count, _ in timed.calls)
                line(f"{store} round {number}, {size.running:,} running",
                     f"{timed.seconds * 1000:,.0f} ms for {swept:,} due ({calls}: {each} ms); CPU "
                     f"{cpu_text(timed)}")
            baseline = result.sizes[0].rounds[-1]
            line(f"{store} round {number}, against {result.sizes[0].running:,} running (time, CPU)",
                 ", ".join(f"{size.running:,}: {size.rounds[-1].seconds / baseline.seconds:.2f}, "
                           f"{size.rounds[-1].total_cpu / baseline.total_cpu:.2f}" for size in result.sizes[1:])
                 or "(one size only)")
        for one, size in pairs:
            line(f"{store} {size.running:,} running after the last round", one.outcome())
        blocks = 10
        for one in databases:
            one.idle_sweep()  # warm
        for block in range(blocks):  # the idle sweeps too alternate between the sizes, in blocks
            for one, size in pairs:
                share = args.idle // blocks + (1 if block < args.idle % blocks else 0)
                backends, cpu = one.backends.snapshot(), time.process_time()
                size.idle_ms += [one.idle_sweep() * 1000 for _ in range(share)]
                size.idle_cpu += time.process_time() - cpu + (DatabaseCpu.spent(backends, one.backends.snapshot())
                                                              or 0.0)
        for size in result.sizes:
            line(f"{store} {size.running:,} running idle sweep (none due) x{len(size.idle_ms):,}",
                 f"median {statistics.median(size.idle_ms):.3f} / p99 {percentile(size.idle_ms, 99):.3f} / "
                 f"max {max(size.idle_ms):.3f} ms (mean {statistics.fmean(size.idle_ms):.3f}); CPU "
                 f"{size.idle_cpu * 1000 / len(size.idle_ms):.3f} ms each")
        for one, size in pairs:
            one.reset()
            for label, idle in (("due", False), ("idle", True)):
                for number, row in enumerate(one.explain(idle)):
                    line(f"{store} {size.running:,} running plan, {label}" if number == 0 else "", row)
        report_ratios(store, result)
    print()
    return result


def cpu_text(timed: SweepRound) -> str:
    if timed.backend_cpu is None:
        return f"{timed.cpu * 1000:,.0f} ms"
    return f"{timed.total_cpu * 1000:,.0f} ms ({timed.cpu * 1000:,.0f} here + {timed.backend_cpu * 1000:,.0f} backends)"


def report_ratios(store: str, result: CostResult) -> None:
    baseline = result.sizes[0]
    for size in result.sizes:
        rounds = " / ".join(f"{one.seconds * 1000:,.0f}" for one in size.rounds)
        cpu = " / ".join(f"{one.total_cpu * 1000:,.0f}" for one in size.rounds)
        line(f"{store} {size.running:,} running: median of rounds",
             f"{size.median * 1000:,.0f} ms (rounds {rounds}); CPU {size.median_cpu * 1000:,.0f} ms (rounds {cpu})")
        if size is baseline:
            continue
        pairs = list(zip(size.rounds, baseline.rounds, strict=True))
        each = " / ".join(f"{ours.seconds / theirs.seconds:.2f}" for ours, theirs in pairs)
        each_cpu = " / ".join(f"{ours.total_cpu / theirs.total_cpu:.2f}" for ours, theirs in pairs)
        idle = statistics.median(size.idle_ms) / statistics.median(baseline.idle_ms)
        line(f"{store} {size.running:,} / {baseline.running:,} running",
             f"time {size.median / baseline.median:.2f}x (ratio of medians; round by round {each}); "
             f"CPU {size.median_cpu / baseline.median_cpu:.2f}x (round by round {each_cpu}); idle {idle:.2f}x")


# -- main ------------------------------------------------------------------------------------


def summary(latencies: dict[str, list[LatencyRound]], costs: Sequence[CostResult], began: float) -> None:
    print("Summary")
    for store, rounds in latencies.items():
        host = [value for one in rounds for value in one.host]
        delivered = [value for one in rounds for value in one.delivered]
        missing = sum(one.missing for one in rounds)
        line(f"{store}: latency, host (sandbox's effect log, whole s)",
             host_text(host) + f" in {len(rounds)} round(s)" + (f"; {missing} missing" if missing else ""))
        line(f"{store}: latency, delivered (exact)",
             f"p50 {percentile(delivered, 50):.2f} / p99 {percentile(delivered, 99):.2f} / "
             f"max {max(delivered, default=math.nan):.2f} s; rounds' p99: "
             + " / ".join(f"{percentile(one.delivered, 99):.2f}" for one in rounds)
             + "; rounds' sweep phase: " + " / ".join(f"{sweep_phase(one.swept):.2f}" for one in rounds) + " s")
        met = not missing and bool(delivered) and percentile(delivered, 99) <= LATENCY_AIM
        line(f"latency p99 <= {LATENCY_AIM:g} s ({store}, the project's aim)", "met" if met else "NOT met")
    for cost in costs:
        baseline = cost.sizes[0]
        for size in cost.sizes:
            line(f"{cost.store}: sweep of {DUE:,} due, {size.running:,} running",
                 f"{size.median * 1000:,.0f} ms, CPU {size.median_cpu * 1000:,.0f} ms (medians of {len(size.rounds)}; "
                 f"{size.median / baseline.median:.2f}x and {size.median_cpu / baseline.median_cpu:.2f}x the "
                 f"{baseline.running:,} baseline); idle median {statistics.median(size.idle_ms):.3f} ms, "
                 f"p99 {percentile(size.idle_ms, 99):.3f} ms")
        largest = cost.sizes[-1]
        idle = statistics.median(largest.idle_ms)
        line(f"idle sweep < {IDLE_AIM_MS:g} ms at {largest.running:,} running ({cost.store})",
             f"{'met' if idle < IDLE_AIM_MS else 'NOT met'} ({idle:.3f} ms median)")
    line("load average at the end, 1 / 5 / 15 min", load_average())
    line("total bench time", f"{perf_counter() - began:.0f} s")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 latency round of 20 tickets; "
                        "10,000 and 100,000 running, 2 rounds")
    parser.add_argument("--tickets", type=int, help="tickets per latency round (default 200; 20 with --quick)")
    parser.add_argument("--spread", type=int, help="seconds their due instants spread over (default 60; 5)")
    parser.add_argument("--lead", type=int, help="seconds from the first creation to the first due instant "
                        "(default 10; 4)")
    parser.add_argument("--wait", type=int, help="seconds to wait for the tags after the last due instant "
                        "(default 30; 15)")
    parser.add_argument("--latency-rounds", type=int, help="latency rounds per store (default 2; 1); 0 skips them")
    parser.add_argument("--sizes", help="running counts of the cost measurement, ascending, comma-separated; the "
                        "first is the baseline (default 10000,100000,1000000; 10000,100000); 'none' skips it")
    parser.add_argument("--rounds", type=int, help="sweeps timed per size (default 5; 2)")
    parser.add_argument("--idle", type=int, help="idle sweeps timed per size (default 2,000; 300)")
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both",
                        help="default both (PostgreSQL skipped when unreachable)")
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    try:
        args.sizes = [] if args.sizes == "none" else [int(size.replace("_", "")) for size in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes: whole numbers separated by commas, or 'none'")
    if args.sizes != sorted(set(args.sizes)) or any(size < 1 for size in args.sizes):
        parser.error("--sizes: ascending, positive, each once")
    if min(args.tickets, args.spread, args.lead, args.wait, args.rounds, args.idle) < 1 or args.latency_rounds < 0:
        parser.error("counts and durations must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    postgres = None if args.store == "sqlite" else postgres_version()
    if args.store == "postgresql" and postgres is None:
        print(f"bench/sweep.py: PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}", file=sys.stderr)
        return 1
    header(args, postgres)
    began = perf_counter()
    stores = [store for store in ("sqlite", "postgresql")
              if args.store in (store, "both") and (store == "sqlite" or postgres is not None)]
    latencies: dict[str, list[LatencyRound]] = {}
    costs: list[CostResult] = []
    try:
        for store in stores:
            if args.latency_rounds:
                with temporary_database(store, "sla-sweep-db-") as url:
                    latencies[store] = latency_bench(store, url, args)
        for store in stores:
            if args.sizes:
                costs.append(cost_bench(store, args))
    except (RuntimeError, psycopg.Error, sa.exc.SQLAlchemyError) as error:
        print(f"bench/sweep.py: {error}", file=sys.stderr)
        return 1
    summary(latencies, costs, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())

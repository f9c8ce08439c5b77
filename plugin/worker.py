"""``sla-plugin worker``: the plugin's scheduler. It never runs inside the web workers.

Four jobs, on APScheduler, each one instance at a time:

- **inbox**: apply the stored webhooks in batches, as fast as they come (every ``poll_seconds``
  when the inbox is empty);
- **sweep**: every ``SLA_SWEEP_SECONDS``, recompute the tickets whose SLA tags change by
  themselves (a warning window opens, a target falls due), which queues their tags and notes;
- **delivery**: send the outbox's commands to the hosts (one attempt each per round; retries and
  backoff live in the outbox), each tenant's through the adapter of its host kind (made on first
  use from ``plugin.host.registry``: a new helpdesk's adapter registers there, not here);
- **summaries**: every ``SUMMARY_SECONDS``, queue each tenant's daily (and hourly) summaries whose
  time has come, once per period.

Every job is idempotent: any number of workers may run side by side (each batch, ticket and
command is claimed by one of them), and a worker killed at any point loses nothing. SIGTERM or
SIGINT lets the jobs in flight finish, then exits. With ``SLA_WORKER_METRICS_BIND`` the worker
serves its own Prometheus figures (jobs' durations, tickets swept, delivery outcomes).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import Counter, Histogram, start_http_server

from plugin.config import Config
from plugin.host.rate_limit import RateLimiter
from plugin.host.registry import AdapterPool
from plugin.logs import configure_logging
from plugin.runtime import Runtime, wall_clock
from plugin.services.delivery import Courier, deliver_due_commands
from plugin.services.processing import DEFAULT_BATCH_SIZE, process_inbox_batch
from plugin.services.summaries import backlog_received_before, queue_due_summaries
from plugin.services.sweep import SWEEP_BATCH, sweep_tag_changes
from plugin.store.errors import is_transient

log = logging.getLogger("sla.worker")
JOB_SECONDS = Histogram("sla_worker_job_seconds", "Time one run of a worker job took", ["job"])
SWEPT = Counter("sla_sweep_tickets_total", "Tickets the sweep recomputed because their tags changed")
DELIVERED = Counter("sla_delivery_attempts_total", "Host commands by what one attempt gave", ["outcome"])
EVENTS = Counter("sla_inbox_events_applied_total", "Webhook events the inbox processor applied", ["result"])
DELIVERY_ROUND = 50  # commands claimed per delivery round
SUMMARY_SECONDS = 15.0
SUMMARIES = Counter("sla_summaries_queued_total", "Daily and hourly summaries queued for the hosts")


@dataclass(frozen=True)
class WorkerOptions:
    batch_size: int = DEFAULT_BATCH_SIZE
    poll_seconds: float = 0.1
    exit_when_idle: bool = False  # drain the inbox, then exit (for scripts and benchmarks)


class Worker:
    def __init__(self, runtime: Runtime, options: WorkerOptions) -> None:
        self.runtime = runtime
        self.options = options
        self.stopping = threading.Event()
        self.started_at = runtime.wall_now()
        self.inbox_caught_up = threading.Event()  # set once no event received before the start is pending
        self.sweep_caught_up = threading.Event()  # set once a sweep found nothing more due
        config = runtime.config
        self.adapters = AdapterPool()
        self.courier = Courier(self.adapters, runtime.box, runtime.wall_now,
                               RateLimiter(config.host_requests_per_second, config.host_burst),
                               lease=timedelta(seconds=config.delivery_lease_seconds))

    # -- the jobs: each runs until it has nothing left to do now ------------------------------------

    def drain_inbox(self) -> None:
        while not self.stopping.is_set():
            result = process_inbox_batch(self.runtime.uow(), self.runtime.now, self.options.batch_size)
            EVENTS.labels("processed").inc(result.processed)
            EVENTS.labels("failed").inc(result.failed)
            if result.claimed < self.options.batch_size:
                return

    def sweep(self) -> None:
        while not self.stopping.is_set():
            swept = sweep_tag_changes(self.runtime.uow(), self.runtime.now)
            SWEPT.inc(swept)
            if swept < SWEEP_BATCH:
                self.sweep_caught_up.set()
                return

    def deliver(self) -> None:
        while not self.stopping.is_set():
            result = deliver_due_commands(self.runtime.uow(), self.courier, DELIVERY_ROUND)
            for outcome, count in result.outcomes.items():
                DELIVERED.labels(outcome).inc(count)
            if result.claimed < DELIVERY_ROUND:
                return

    def summarize(self) -> None:
        """Not before this worker has applied the inbox and swept once: a worker back from downtime
        summarizes the days it missed with their whole history and every breach (later, only a backlog
        in the inbox holds a summary back: plugin.services.summaries)."""
        if not self.inbox_caught_up.is_set() and not backlog_received_before(self.runtime.uow(), self.started_at):
            self.inbox_caught_up.set()  # asked of the store: a drain under a steady load never ends
        if self.inbox_caught_up.is_set() and self.sweep_caught_up.is_set():
            SUMMARIES.inc(queue_due_summaries(self.runtime.uow(), self.runtime.now, self.runtime.wall_now))

    # -- running them --------------------------------------------------------------------------------

    def run(self) -> None:
        """Until asked to stop: the jobs on their intervals, each one run at a time."""
        scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(4)}, timezone="UTC",
                                        job_defaults={"coalesce": True, "max_instances": 1,
                                                      "misfire_grace_time": None})
        jobs: list[tuple[str, Callable[[], None], float]] = [
            ("inbox", self.drain_inbox, self.options.poll_seconds),
            ("sweep", self.sweep, self.runtime.config.sweep_seconds),
            ("delivery", self.deliver, self.options.poll_seconds),
            ("summaries", self.summarize, self._summary_seconds()),
        ]
        for name, job, seconds in jobs:
            scheduler.add_job(self._guarded(name, job), "interval", seconds=seconds, id=name, name=name,
                              next_run_time=datetime.now().astimezone())
        scheduler.start()
        try:
            self.stopping.wait()
        finally:
            scheduler.shutdown(wait=True)  # the jobs in flight finish their batch, sweep or call
            self.adapters.close()

    def _summary_seconds(self) -> float:
        """Every SUMMARY_SECONDS of real time; under the demo's fast clock, every SLA minute (at least
        every half second), so that summaries arrive when they are due there too."""
        demo = self.runtime.config.demo_clock
        return SUMMARY_SECONDS if demo is None else max(0.5, min(SUMMARY_SECONDS, 60 / demo[2]))

    def drain_until_idle(self) -> None:
        """The inbox only, until it is empty (``--exit-when-idle``)."""
        self._guarded("inbox", self.drain_inbox)()

    def stop(self, *_: object) -> None:
        self.stopping.set()

    def _guarded(self, name: str, job: Callable[[], None]) -> Callable[[], None]:
        """A job that logs what went wrong instead of stopping the others; the next run tries again."""

        def run() -> None:
            started = time.perf_counter()
            try:
                job()
            except Exception as error:
                if is_transient(error):
                    log.warning("worker.database_unavailable", extra={"reason": str(error).splitlines()[0],
                                                                      "command": name})
                else:
                    log.exception("worker.job_failed", extra={"command": name})
            finally:
                JOB_SECONDS.labels(name).observe(time.perf_counter() - started)

        return run


class MetricsUnavailable(RuntimeError):
    """SLA_WORKER_METRICS_BIND names an address the worker cannot listen on; the message says why."""


def serve_metrics(bind: str) -> None:
    """The worker's Prometheus figures on ``host:port`` (a thread of this process)."""
    host, _, port = bind.rpartition(":")
    try:
        start_http_server(int(port), host)
    except OSError as error:  # the port is taken, the host does not resolve or is not this machine's
        reason = error.strerror or str(error)
        raise MetricsUnavailable(f"SLA_WORKER_METRICS_BIND: cannot serve metrics on {bind!r}: {reason}") from None


def run_worker(config: Config, options: WorkerOptions, clock: Callable[[], datetime] = wall_clock) -> None:
    if config.worker_metrics_bind:
        serve_metrics(config.worker_metrics_bind)  # first: a bad address stops the worker before it starts
    configure_logging(config.log_level)
    runtime = Runtime.build(config, clock)
    worker = Worker(runtime, options)

    def on_signal(number: int, _frame: FrameType | None) -> None:
        log.info("worker.stopping", extra={"reason": signal.Signals(number).name})
        worker.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("worker.started", extra={"status": f"batch size {options.batch_size}, sweep every "
                                                f"{config.sweep_seconds:g} s"})
    started = time.monotonic()
    try:
        if options.exit_when_idle:
            worker.drain_until_idle()
        else:
            worker.run()
    finally:
        runtime.dispose()
        log.info("worker.stopped", extra={"status": f"after {time.monotonic() - started:.1f} s"})

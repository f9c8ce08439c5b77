"""``sla-plugin worker``: the process that applies the webhook inbox (and, next, runs the scheduler).

It never runs inside the web workers. The inbox processor drains pending events in batches as
fast as they come and, when the inbox is empty, looks again every ``poll_seconds``. SIGTERM or
SIGINT lets the batch in flight finish (its transaction commits or rolls back whole), then exits.
Any number of workers may run side by side: each batch claims its own events.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import FrameType

from plugin.config import Config
from plugin.logs import configure_logging
from plugin.runtime import Runtime, wall_clock
from plugin.services.processing import DEFAULT_BATCH_SIZE, process_inbox_batch
from plugin.store.errors import is_transient

log = logging.getLogger("sla.worker")
MAX_BACKOFF_SECONDS = 30.0


@dataclass(frozen=True)
class WorkerOptions:
    batch_size: int = DEFAULT_BATCH_SIZE
    poll_seconds: float = 0.1
    exit_when_idle: bool = False  # drain the inbox, then exit (for scripts and benchmarks)


class InboxWorker:
    def __init__(self, runtime: Runtime, options: WorkerOptions) -> None:
        self.runtime = runtime
        self.options = options
        self.stopping = threading.Event()

    def run(self) -> None:
        """Apply batches until asked to stop; a database that fails is tried again with backoff."""
        backoff = 0.0
        while not self.stopping.is_set():
            try:
                result = process_inbox_batch(self.runtime.uow(), self.runtime.now, self.options.batch_size)
            except Exception as error:
                if not is_transient(error):
                    raise
                backoff = min(MAX_BACKOFF_SECONDS, max(0.5, backoff * 2))
                log.warning("worker.database_unavailable", extra={"reason": str(error).splitlines()[0]})
                self.stopping.wait(backoff)
                continue
            backoff = 0.0
            if result.claimed == 0:
                if self.options.exit_when_idle:
                    return
                self.stopping.wait(self.options.poll_seconds)

    def stop(self, *_: object) -> None:
        self.stopping.set()


def run_worker(config: Config, options: WorkerOptions, clock: Callable[[], datetime] = wall_clock) -> None:
    configure_logging(config.log_level)
    runtime = Runtime.build(config, clock)
    worker = InboxWorker(runtime, options)

    def on_signal(number: int, _frame: FrameType | None) -> None:
        log.info("worker.stopping", extra={"reason": signal.Signals(number).name})
        worker.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("worker.started", extra={"status": f"batch size {options.batch_size}"})
    started = time.monotonic()
    try:
        worker.run()
    finally:
        runtime.dispose()
        log.info("worker.stopped", extra={"status": f"after {time.monotonic() - started:.1f} s"})

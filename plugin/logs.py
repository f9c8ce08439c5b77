"""Structured logs: one JSON object per line on stderr, never a token or a secret.

The app, the worker and gunicorn's own lines (start, workers booting and exiting, timeouts) share
the format. This module imports nothing heavy: gunicorn's master loads it before forking.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line. Only whitelisted context keys are written: never a token or a secret."""

    CONTEXT_KEYS = ("account_id", "webhook_id", "reason", "ticket_id", "command", "status")

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        entry = {"time": at, "level": record.levelname.lower(), "event": record.getMessage(), "logger": record.name}
        entry.update({key: getattr(record, key) for key in self.CONTEXT_KEYS if hasattr(record, key)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is emitted (it may be replaced after start-up)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    handler = _StderrHandler()
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger("sla")
    if not root.handlers:
        root.addHandler(handler)
        root.setLevel(level)
        root.propagate = False
    # The worker's scheduler: its errors as JSON too; not its notices that a job's next run was
    # skipped while the previous one still ran (each job runs one at a time on purpose).
    scheduler = logging.getLogger("apscheduler")
    if not scheduler.handlers:
        scheduler.addHandler(handler)
        scheduler.setLevel(logging.ERROR)
        scheduler.propagate = False


class JsonGunicornLogger(GunicornLogger):
    """gunicorn's error log (its own lines) as JSON; its access log stays off."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonLogFormatter())

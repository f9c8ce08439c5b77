"""``sla-plugin run``: ``serve`` and ``worker`` side by side on one machine, as one command.

Each runs as its own child process (the same commands an operator would run apart); the schema is
upgraded once, first, by the command. SIGTERM or SIGINT is passed on to both; when either child exits, the other
is stopped too, and the exit code is the first one's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType


def run_together(bind: str, web_workers: int) -> int:
    """Start both children (the caller has prepared the store) and wait for either to exit."""
    command = [sys.executable, "-m", "plugin.cli"]
    children = [
        subprocess.Popen([*command, "serve", "--bind", bind, "--workers", str(web_workers), "--no-upgrade"]),
        subprocess.Popen([*command, "worker", "--no-upgrade"]),
    ]

    def forward(number: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(number)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while all(child.poll() is None for child in children):
        time.sleep(0.2)
    first = next(child for child in children if child.returncode is not None)
    forward(signal.SIGTERM, None)
    for child in children:
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
    return first.returncode if first.returncode is not None else os.EX_SOFTWARE

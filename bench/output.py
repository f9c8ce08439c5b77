"""What every benchmark prints first and how it lines up its figures."""

from __future__ import annotations

import os
import platform

LABEL = 56


def line(label: str, value: str) -> None:
    print(f"{label:<{LABEL}} {value}", flush=True)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for row in info:
                if row.startswith("model name"):
                    return row.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_header(title: str) -> None:
    """The title, then the interpreter, the processor and the cores the figures came from."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(title)
    line("python", f"{platform.python_version()} ({platform.python_implementation()}) on {platform.platform()}")
    line("cpu", cpu_model())
    line("cores", f"{os.cpu_count()} (usable by this process: {usable})")

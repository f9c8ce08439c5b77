"""Benchmark: business-time deadlines against ``businesstimedelta``, and simulator throughput.

Run from anywhere with the project's interpreter::

    python bench/engine.py              # full run (1,000,000 simulated events, ~2 s per figure)
    python bench/engine.py --quick      # ~10x smaller, for CI smoke runs (< 30 s)
    python bench/engine.py --events N   # simulator stream length

Prints plain text, one figure per line. Targets of the project: ≥ 100x businesstimedelta for
8-hour deadlines; ≥ 20,000 events/s through the simulator with memory that does not grow
with the stream.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, time
from importlib import metadata
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``plugin`` and ``bench`` importable
    sys.path.insert(0, str(ROOT))

import holidays as holiday_data  # noqa: E402
import pytz  # noqa: E402
from businesstimedelta import BusinessTimeDelta, HolidayRule, Rules, WorkDayRule  # noqa: E402

from bench.event_stream import settings_document, write_stream  # noqa: E402
from bench.output import line, machine_header  # noqa: E402
from plugin.domain.calendar import BusinessCalendar, to_epoch  # noqa: E402
from plugin.domain.engine import TicketOutcome  # noqa: E402
from plugin.report_formats import write_simulation  # noqa: E402
from plugin.simulate import read_settings_file, replay_events_file  # noqa: E402

ZONE = "Europe/Berlin"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE_HOURS = {day: [["09:00", "17:00"]] for day in WEEKDAYS}
# Berlin's public holidays (about ten a year); deadlines from late 2026 run into 2027.
HOLIDAYS = frozenset(holiday_data.country_holidays("DE", subdiv="BE", years=range(2025, 2029)))
TARGETS = (("30 min", 30 * 60), ("8 h", 8 * 3600), ("3 weeks", 3 * 5 * 8 * 3600))
YEAR_START = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
YEAR = 365 * 86_400
STARTS = 16_000  # distinct start instants, cycled through by the timed loops
COLD_EVERY = 1_000  # the "cold" figure builds a new calendar every this many deadlines
SEED = 20260301




# -- header ----------------------------------------------------------------------------------




def header(mode: str) -> None:
    machine_header(f"SLA plugin benchmark ({mode})")
    line("businesstimedelta / pytz", f"{metadata.version('businesstimedelta')} / {metadata.version('pytz')}")
    print()


# -- 1. deadlines ----------------------------------------------------------------------------


def our_calendar() -> BusinessCalendar:
    return BusinessCalendar.from_hours(ZONE, OFFICE_HOURS, HOLIDAYS)


def their_rules() -> Rules:
    """The same calendar for businesstimedelta: rules evaluated in Berlin local time via pytz."""
    tz = pytz.timezone(ZONE)
    workdays = WorkDayRule(start_time=time(9), end_time=time(17), working_days=[0, 1, 2, 3, 4], tz=tz)
    # A frozenset, not a list: HolidayRule probes ``date in holidays`` once per day it walks.
    return Rules([workdays, HolidayRule(HOLIDAYS, tz=tz)])


def start_instants(count: int, seed: int) -> list[datetime]:
    """Whole-second UTC instants spread pseudo-randomly over 2026 (business and closed hours)."""
    rng = random.Random(seed)
    return [datetime.fromtimestamp(YEAR_START + rng.randrange(YEAR), UTC) for _ in range(count)]


def dst_instants(count: int, seed: int) -> list[datetime]:
    """Instants in the ten days before each 2026 DST change, when deadlines cross it."""
    rng = random.Random(seed)
    changes = [int(datetime(2026, month, day, 1, tzinfo=UTC).timestamp()) for month, day in ((3, 29), (10, 25))]
    return [
        datetime.fromtimestamp(rng.choice(changes) - rng.randrange(10 * 86_400), UTC) for _ in range(count)
    ]


def per_second(run: Callable[[Sequence[datetime]], object], starts: Sequence[datetime], min_seconds: float,
               batch: int = 1, max_batch: int = 1024) -> float:
    """Deadlines per second: run growing batches until at least ``min_seconds`` have elapsed."""
    done = position = 0
    began = perf_counter()
    while True:
        if position + batch > len(starts):
            position = 0
        run(starts[position:position + batch])
        position += batch
        done += batch
        elapsed = perf_counter() - began
        if elapsed >= min_seconds:
            return done / elapsed
        batch = min(batch * 2, max_batch)


def deadline_bench(min_seconds: float, sample: int) -> dict[str, float]:
    starts = start_instants(STARTS, SEED)
    rules = their_rules()
    ratios: dict[str, float] = {}
    print("1. Deadlines per second, Mon-Fri 09:00-17:00 Europe/Berlin with DE-BE holidays,")
    print(f"   {len(starts):,} start instants spread over 2026 (seed {SEED}); ours via BusinessCalendar.deadline,")
    print("   theirs via businesstimedelta (WorkDayRule + HolidayRule on pytz Europe/Berlin)")
    for name, seconds in TARGETS:
        warm = our_calendar()
        for start in starts:  # warm the day cache: one calendar reused is the realistic case
            warm.deadline(start, seconds)

        def ours_warm(chunk: Sequence[datetime], calendar: BusinessCalendar = warm, budget: int = seconds) -> object:
            return [calendar.deadline(start, budget) for start in chunk]

        def ours_cold(chunk: Sequence[datetime], budget: int = seconds) -> object:
            calendar = our_calendar()
            return [calendar.deadline(start, budget) for start in chunk]

        def ours_fresh(chunk: Sequence[datetime], budget: int = seconds) -> object:
            return [our_calendar().deadline(start, budget) for start in chunk]

        delta = BusinessTimeDelta(rules, seconds=seconds)

        def theirs(chunk: Sequence[datetime], delta: BusinessTimeDelta = delta) -> object:
            return [start + delta for start in chunk]

        warm_rate = per_second(ours_warm, starts, min_seconds)
        cold_rate = per_second(ours_cold, starts, min_seconds, batch=COLD_EVERY, max_batch=COLD_EVERY)
        fresh_rate = per_second(ours_fresh, starts, min_seconds)
        their_rate = per_second(theirs, starts, min_seconds)
        ratios[name] = warm_rate / their_rate
        prefix = f"deadline {name:<8}"
        line(f"{prefix} ours warm /s", f"{warm_rate:,.0f}")
        line(f"{prefix} ours cold (new calendar per {COLD_EVERY:,}) /s", f"{cold_rate:,.0f}")
        line(f"{prefix} ours coldest (new calendar each) /s", f"{fresh_rate:,.0f}")
        line(f"{prefix} businesstimedelta /s", f"{their_rate:,.0f}")
        line(f"{prefix} ratio warm/theirs", f"{warm_rate / their_rate:,.1f}x")
        line(f"{prefix} ratio cold/theirs", f"{cold_rate / their_rate:,.1f}x")
        agreement(prefix, seconds, rules, sample)
    return ratios


def agreement(prefix: str, seconds: int, rules: Rules, sample: int) -> None:
    """Both libraries on the same starts: random ones plus ones just before the DST changes."""
    tz = pytz.timezone(ZONE)
    calendar = our_calendar()
    delta = BusinessTimeDelta(rules, seconds=seconds)
    starts = start_instants(sample, SEED + 1) + dst_instants(max(1, sample // 4), SEED + 2)
    mismatches = []
    for start in starts:
        ours, theirs = calendar.deadline(start, seconds), start + delta
        if to_epoch(ours) != to_epoch(theirs):
            mismatches.append((start, ours, theirs))
    line(f"{prefix} mismatches vs businesstimedelta", f"{len(mismatches)} of {len(starts):,}")
    for start, ours, theirs in mismatches[:3]:
        print(f"    start {start.astimezone(tz):%Y-%m-%d %H:%M:%S%z}: ours {ours.astimezone(tz):%Y-%m-%d %H:%M:%S%z}"
              f", theirs {theirs.astimezone(tz):%Y-%m-%d %H:%M:%S%z}")


# -- 2. simulator ----------------------------------------------------------------------------


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def worker(events_path: Path, settings_path: Path, now: datetime) -> None:
    """One simulator run in a fresh process, exactly the CLI's path (JSON output to /dev/null)."""
    settings = read_settings_file(settings_path)
    baseline = max_rss_mib()
    counted = Counted(replay_events_file(settings, events_path, now))
    began = perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        write_simulation(counted, settings.timezone, "json", sink)
    finished = perf_counter()
    print(json.dumps({
        "seconds": finished - began,
        "tickets": counted.tickets,
        "targets": counted.targets,
        "baseline_mib": baseline,
        "peak_mib": max_rss_mib(),
    }))


class Counted:
    """Passes tickets through, counting them and their targets."""

    def __init__(self, tickets: Iterator[TicketOutcome]) -> None:
        self._tickets, self.tickets, self.targets = tickets, 0, 0

    def __iter__(self) -> Iterator[TicketOutcome]:
        for ticket in self._tickets:
            self.tickets += 1
            self.targets += len(ticket.targets)
            yield ticket


def run_worker(events_path: Path, settings_path: Path, now: datetime) -> dict[str, float]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(events_path), str(settings_path),
               now.isoformat()]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def simulator_bench(events: int) -> tuple[float, float, float]:
    prefix_events = max(1, events // 10)
    print(f"2. Simulator: the CLI's path (read, replay, write JSON) over {events:,} webhook bodies (JSONL),")
    print("   each run in a fresh subprocess; generating the stream is not timed")
    with tempfile.TemporaryDirectory(prefix="sla-bench-") as tmp:
        folder = Path(tmp)
        settings_path = folder / "settings.json"
        settings_path.write_text(json.dumps(settings_document(), indent=1), encoding="utf-8")
        full_path, prefix_path = folder / "events.jsonl", folder / "events-10pct.jsonl"
        began = perf_counter()
        full, prefix = write_stream(full_path, events, prefix_path, prefix_events)
        line("stream generated in (not counted)", f"{perf_counter() - began:.1f} s")
        line("stream size", f"{full_path.stat().st_size / 2**20:,.0f} MiB, {full.events:,} events")
        first, last = datetime.fromtimestamp(full.first, UTC), datetime.fromtimestamp(full.last, UTC)
        line("stream spans", f"{first:%Y-%m-%d} to {last:%Y-%m-%d}, evaluated at {full.now:%Y-%m-%d %H:%M}Z")
        small = run_worker(prefix_path, settings_path, prefix.now)
        large = run_worker(full_path, settings_path, full.now)
    rates = []
    for label, info, run in ((f"10% ({prefix.events:,} events)", prefix, small),
                             (f"100% ({full.events:,} events)", full, large)):
        elapsed = run["seconds"]
        rates.append(info.events / elapsed)
        line(f"sim {label} tickets", f"{run['tickets']:,}")
        line(f"sim {label} targets", f"{run['targets']:,}")
        line(f"sim {label} seconds (read, replay, write JSON)", f"{elapsed:.2f} s")
        line(f"sim {label} events/s", f"{info.events / elapsed:,.0f}")
        line(f"sim {label} peak RSS (ru_maxrss)", f"{run['peak_mib']:,.0f} MiB "
             f"(after imports and settings: {run['baseline_mib']:,.0f} MiB)")
    small_growth = small["peak_mib"] - small["baseline_mib"]
    large_growth = large["peak_mib"] - large["baseline_mib"]
    line("sim peak RSS growth, 100% vs 10% of stream", f"{large_growth:,.0f} MiB vs {small_growth:,.0f} MiB "
         f"({large_growth / max(small_growth, 1e-9):.1f}x for {full.events / prefix.events:.0f}x the events)")
    line("sim RSS per event (100% run, above baseline)", f"{large_growth * 2**20 / full.events:,.0f} bytes")
    line("bench process ru_maxrss (generator)", f"{max_rss_mib():,.0f} MiB")
    return rates[-1], small_growth, large_growth


# -- main ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 10x smaller, for CI smoke runs")
    parser.add_argument("--events", type=int, help="simulator stream length (default 1,000,000; 100,000 with --quick)")
    parser.add_argument("--worker", nargs=3, metavar=("EVENTS", "SETTINGS", "NOW"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        events_path, settings_path, now = args.worker
        worker(Path(events_path), Path(settings_path), datetime.fromisoformat(now))
        return 0
    events = args.events or (100_000 if args.quick else 1_000_000)
    if events < 10:
        parser.error("--events must be at least 10")
    min_seconds, sample = (0.2, 300) if args.quick else (2.0, 3_000)
    header("quick" if args.quick else "full")
    began = perf_counter()
    ratios = deadline_bench(min_seconds, sample)
    print()
    rate, small_growth, large_growth = simulator_bench(events)
    print()
    print("Targets")
    eight = ratios["8 h"]
    line("8 h deadlines >= 100x businesstimedelta", f"{'met' if eight >= 100 else 'NOT met'} ({eight:,.1f}x)")
    line("simulator >= 20,000 events/s", f"{'met' if rate >= 20_000 else 'NOT met'} ({rate:,.0f}/s)")
    # Events are held one slice at a time; what still grows is the report itself (each decided
    # target's business time, for exact percentiles, and one row per hour, policy and metric).
    line("simulator memory growth, 10% -> 100% of the stream",
         f"{small_growth:,.0f} -> {large_growth:,.0f} MiB ({large_growth * 2**20 / events:,.0f} bytes per event)")
    line("total bench time", f"{perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

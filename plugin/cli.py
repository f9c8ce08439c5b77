"""``sla-plugin``: the command line entry point."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path

from plugin.report_formats import write_simulation
from plugin.simulate import InputFileError, read_settings_file, replay_events_file

USAGE_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return USAGE_ERROR
    return int(args.run(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sla-plugin", description="SLA plugin for helpdesks")
    commands = parser.add_subparsers(dest="command")
    sim = commands.add_parser(
        "simulate",
        help="replay webhook events against settings and print every target and the reports",
        description="Replay webhook bodies (one JSON object per line, any order) through the SLA engine.",
    )
    sim.add_argument("--config", required=True, type=Path, help="settings document (JSON, export format)")
    sim.add_argument("--events", required=True, type=Path, help="webhook bodies, one per line (JSONL)")
    sim.add_argument("--now", type=_instant, help="evaluate as of this ISO 8601 instant (default: now)")
    sim.add_argument("--format", choices=("json", "csv", "table"), default="json")
    sim.set_defaults(run=_simulate)
    return parser


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a time zone, e.g. 2026-03-02T12:00:00Z")
    return value.astimezone(UTC)


def _simulate(args: argparse.Namespace) -> int:
    now = args.now or datetime.now(UTC)  # the entry point is where the wall clock is read
    try:
        settings = read_settings_file(args.config)
        tickets = replay_events_file(settings, args.events, now)
        first = next(tickets, None)  # the whole file is checked before anything is printed
    except InputFileError as error:
        print(f"sla-plugin simulate: {error}", file=sys.stderr)
        return USAGE_ERROR
    write_simulation(chain([first], tickets) if first else (), settings.timezone, args.format, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The simulator: replay webhook bodies against settings with no server and no database.

It calls the same engine and report arithmetic as the live plugin, so "what would our SLA
have been last month under this draft policy?" gets the answer the plugin would have given.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from plugin.domain.engine import TicketOutcome, evaluate_ticket
from plugin.domain.events import TicketEvent
from plugin.domain.policies import Settings
from plugin.domain.reports import ReportRow, build_report
from plugin.settings.loading import SettingsError, load_settings
from plugin.webhooks.payloads import PayloadError, parse_event


class InputFileError(ValueError):
    """A settings or events file that cannot be used; the message names file, line and problem."""


@dataclass(frozen=True)
class Simulation:
    tickets: list[TicketOutcome]
    hourly: list[ReportRow]
    daily: list[ReportRow]


def read_settings_file(path: Path) -> Settings:
    document = _read_json_file(path)
    try:
        return load_settings(document)
    except SettingsError as error:
        raise InputFileError("\n".join(f"{path}: {problem}" for problem in error.problems)) from None


def read_events_file(path: Path) -> dict[str, list[TicketEvent]]:
    """Events grouped by ticket id, in file order (the engine orders them by time)."""
    by_ticket: dict[str, list[TicketEvent]] = defaultdict(list)
    for event in _events_in(path):
        by_ticket[event.ticket_id].append(event)
    return by_ticket


def simulate(settings: Settings, events_by_ticket: dict[str, list[TicketEvent]], now: datetime) -> Simulation:
    tickets = [
        evaluate_ticket(ticket_id, events, settings, now) for ticket_id, events in sorted(events_by_ticket.items())
    ]
    targets = [target for ticket in tickets for target in ticket.targets]
    return Simulation(
        tickets=tickets,
        hourly=build_report(targets, "hourly", settings.timezone),
        daily=build_report(targets, "daily", settings.timezone),
    )


def _events_in(path: Path) -> Iterator[TicketEvent]:
    try:
        lines = path.open("rb")
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read ({error.strerror})") from None
    with lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                event = parse_event(json.loads(line))
            except UnicodeDecodeError:
                raise InputFileError(f"{path}:{number}: not UTF-8 text") from None
            except json.JSONDecodeError as error:
                raise InputFileError(f"{path}:{number}: not valid JSON ({error.msg})") from None
            except PayloadError as error:
                raise InputFileError(f"{path}:{number}: {error}") from None
            if event is not None:
                yield event


def _read_json_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from None

"""What-if: the reports the current settings and a draft give on the same events, side by side.

The events are an uploaded file in the simulator's format (one webhook body per line) or the
tenant's stored history of the last days. Both are replayed by the simulator's own replay
(``plugin.simulate.replay_events_file``, handed in by the caller: the simulator sits above the
services), so the answer is the one ``sla-plugin simulate`` gives. Nothing is saved: the draft is
validated as a save would validate it, and applying it is a separate settings change.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from plugin.domain.engine import TicketOutcome
from plugin.domain.policies import Settings
from plugin.domain.reports import ReportBuilder, ReportRow, day_start
from plugin.host.adapter import EventParser
from plugin.host.registry import host_kind as registered_kind
from plugin.input_files import InputFileError
from plugin.store.records import TenantRecord

from .settings_changes import settings_as_saved
from .settings_versions import settings_in_force
from .unit_of_work import UnitOfWork

MAX_STORED_EVENTS = 20_000  # of the stored history replayed: the most recently active tickets' whole histories
MAX_DAYS = 90
CHUNK = 500  # tickets whose histories are read in one query

Replay = Callable[[Settings, Path, datetime, EventParser], Iterator[TicketOutcome]]


class InvalidEvents(ValueError):
    """An events file the simulator cannot replay; ``problems`` name the line and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class UploadedEvents:
    text: str  # webhook bodies, one JSON object per line


@dataclass(frozen=True)
class StoredHistory:
    days: int  # the tickets with an event in the last ``days`` local days (today the last), whole histories


@dataclass(frozen=True)
class Reports:
    daily: list[ReportRow]
    hourly: list[ReportRow]


@dataclass(frozen=True)
class Comparison:
    current: Reports
    draft: Reports
    events: int  # events replayed
    tickets: int  # tickets they describe
    settings_version: int  # the version the current reports are of (the draft's base)
    since: datetime | None  # stored history: the first instant counted (rows start at or after it)
    truncated: bool  # stored history: more than MAX_STORED_EVENTS events; the least recently active left out
    max_events: int = MAX_STORED_EVENTS


def compare(uow: UnitOfWork, tenant: TenantRecord, source: UploadedEvents | StoredHistory,
            draft: dict[str, Any] | list[Any], now: datetime, replay: Replay) -> Comparison:
    """Replay the events under the settings in force and under ``draft`` (a whole settings document,
    or only its ``sla_policies``, the rest as in force), as of ``now``. ``SettingsError``: the draft is
    not valid settings (paths as in the document); ``InvalidEvents``: a line cannot be replayed."""
    since: datetime | None = None
    bodies: list[dict[str, Any]] = []
    truncated = False
    with uow:
        version, document, current = settings_in_force(uow, tenant)
        drafted = draft_settings(document, draft, tenant, now)
        if isinstance(source, StoredHistory):
            today = now.astimezone(ZoneInfo(current.timezone)).date()
            since = day_start(today - timedelta(days=source.days - 1), current.timezone)
            bodies, truncated = _stored_bodies(uow, tenant, since)
    parse = registered_kind(tenant.host_kind).parse_event
    with tempfile.TemporaryDirectory(prefix="sla-what-if-") as folder:
        path = Path(folder) / "events.jsonl"
        if isinstance(source, UploadedEvents):
            path.write_text(source.text, encoding="utf-8", errors="surrogatepass")
            events = sum(1 for line in source.text.split("\n") if line.strip())
        else:
            path.write_bytes(b"".join(_json_line(body) for body in bodies))
            events = len(bodies)
        where = "events" if isinstance(source, UploadedEvents) else "stored history"
        current_reports, tickets = _reports(replay(current, path, now, parse), current.timezone, since, path, where)
        draft_reports, _tickets = _reports(replay(drafted, path, now, parse), drafted.timezone, since, path, where)
    return Comparison(current_reports, draft_reports, events, tickets, version, since, truncated)


def draft_settings(document: dict[str, Any], draft: dict[str, Any] | list[Any], tenant: TenantRecord,
                   now: datetime) -> Settings:
    """The draft as a save would read it: the whole document valid, every target reachable."""
    if isinstance(draft, list):
        draft = {**copy.deepcopy(document), "sla_policies": draft}
    return settings_as_saved(draft, tenant, now).settings


def _stored_bodies(uow: UnitOfWork, tenant: TenantRecord, since: datetime) -> tuple[list[dict[str, Any]], bool]:
    """The whole histories of the tickets active since ``since``, the most recently active first, as
    long as they fit in MAX_STORED_EVENTS; True when some were left out."""
    ticket_ids = uow.tickets.active_since(tenant.id, since, MAX_STORED_EVENTS + 1)
    bodies: list[dict[str, Any]] = []
    for start in range(0, len(ticket_ids), CHUNK):
        chunk = ticket_ids[start:start + CHUNK]
        histories = uow.tickets.histories(tenant.id, chunk)
        for ticket_id in chunk:
            if len(bodies) + len(histories[ticket_id]) > MAX_STORED_EVENTS:
                return bodies, True
            bodies += histories[ticket_id]
    return bodies, False


def _reports(tickets: Iterable[TicketOutcome], timezone: str, since: datetime | None, path: Path,
             where: str) -> tuple[Reports, int]:
    hourly, daily = ReportBuilder("hourly", timezone), ReportBuilder("daily", timezone)
    count = 0
    try:
        for ticket in tickets:
            count += 1
            for target in ticket.targets:
                hourly.add(target)
                daily.add(target)
    except InputFileError as error:
        raise InvalidEvents([_line_problem(str(error), path, where)]) from None

    def kept(rows: list[ReportRow]) -> list[ReportRow]:
        return rows if since is None else [row for row in rows if row.period_start >= since]

    return Reports(kept(daily.rows()), kept(hourly.rows())), count


def _json_line(body: Any) -> bytes:
    try:
        return orjson.dumps(body) + b"\n"
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, which JSON allows
        return json.dumps(body).encode() + b"\n"


def _line_problem(message: str, path: Path, where: str) -> str:
    """The simulator's "<file>:<line>: problem" as the uploader reads it: "events: line 3: problem"."""
    match = re.match(re.escape(str(path)) + r":(\d+): (.*)", message, re.DOTALL)
    if match:
        return f"{where}: line {match.group(1)}: {match.group(2)}"
    return f"{where}: {message.replace(str(path), 'the events')}"

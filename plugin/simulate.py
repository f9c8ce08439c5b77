"""The simulator: replay webhook bodies against settings with no server and no database.

It calls the same engine and report arithmetic as the live plugin, so "what would our SLA
have been last month under this draft policy?" gets the answer the plugin would have given. The
bodies are read by a host kind's parser (``plugin.host.registry``): the reference protocol's
unless told otherwise, as there is no tenant to say.
"""

from __future__ import annotations

import marshal
import tempfile
import zlib
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from plugin.domain.engine import TicketOutcome, evaluate_ticket
from plugin.domain.events import Message, TicketEvent, TicketSnapshot
from plugin.domain.policies import Settings
from plugin.host.adapter import EventParser, PayloadError
from plugin.host.payloads import parse_event
from plugin.input_files import InputFileError, read_json_file
from plugin.settings.loading import SettingsError, load_settings

SLICE_BYTES = 4 * 2**20  # events of about this much JSON are replayed together
MAX_SLICES = 256


def read_settings_file(path: Path) -> Settings:
    document = read_json_file(path)
    try:
        return load_settings(document)
    except SettingsError as error:
        raise InputFileError("\n".join(f"{path}: {problem}" for problem in error.problems)) from None


def read_events_file(path: Path, parse: EventParser = parse_event) -> dict[str, list[TicketEvent]]:
    """Events grouped by ticket id, in file order (the engine orders them by time)."""
    by_ticket: dict[str, list[TicketEvent]] = defaultdict(list)
    for event in _events_in(path, parse):
        by_ticket[event.ticket_id].append(event)
    return by_ticket


def replay_events_file(settings: Settings, path: Path, now: datetime, parse: EventParser = parse_event
                       ) -> Iterator[TicketOutcome]:
    """Every ticket of an events file, one at a time, with memory that does not grow with the file.

    Events may come in any order, so a large file is first split by ticket into slices on disk
    (every line validated on the way); then one slice at a time is read back and replayed.
    Errors in the file surface before the first ticket is yielded.
    """
    slices = _slice_count(path)
    if slices == 1:
        yield from _evaluate(read_events_file(path, parse), settings, now)
        return
    with tempfile.TemporaryDirectory(prefix="sla-simulate-") as folder:
        slice_paths = [Path(folder) / f"{index}.marshal" for index in range(slices)]
        streams = [slice_path.open("wb") for slice_path in slice_paths]
        try:
            for event in _events_in(path, parse):
                stream = streams[zlib.crc32(event.ticket_id.encode()) % slices]
                marshal.dump(_record(event), stream)
        finally:
            for stream in streams:
                stream.close()
        for slice_path in slice_paths:
            yield from _evaluate(_read_slice(slice_path), settings, now)
            slice_path.unlink()


def _evaluate(events_by_ticket: dict[str, list[TicketEvent]], settings: Settings, now: datetime
              ) -> Iterator[TicketOutcome]:
    for ticket_id in sorted(events_by_ticket):
        yield evaluate_ticket(ticket_id, events_by_ticket[ticket_id], settings, now)


def _slice_count(path: Path) -> int:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read ({error.strerror})") from None
    return max(1, min(MAX_SLICES, size // SLICE_BYTES))


def _read_slice(path: Path) -> dict[str, list[TicketEvent]]:
    """A slice written by this process a moment ago (never anyone else's file)."""
    by_ticket: dict[str, list[TicketEvent]] = defaultdict(list)
    with path.open("rb") as stream:
        while True:
            try:
                event = _event(marshal.load(stream))
            except EOFError:
                return by_ticket
            by_ticket[event.ticket_id].append(event)


# Events cross the slice files as tuples of plain values: marshal reads and writes those several
# times faster than pickle does dataclasses and aware datetimes.
def _record(event: TicketEvent) -> tuple[Any, ...]:
    ticket, message = event.ticket, event.message
    return (
        event.id,
        event.type,
        event.occurred_at.timestamp(),
        event.ticket_id,
        None if ticket is None else (
            ticket.id, ticket.product, ticket.channel, ticket.subject, ticket.body, ticket.status, ticket.priority,
            ticket.requester_name, ticket.requester_email, ticket.tags,
            None if ticket.created_at is None else ticket.created_at.timestamp(),
        ),
        event.changes,
        None if message is None else (message.id, message.author_type, message.public, message.created_at.timestamp()),
    )


def _event(record: tuple[Any, ...]) -> TicketEvent:
    event_id, kind, occurred, ticket_id, ticket_fields, changes, message_fields = record
    ticket = message = None
    if ticket_fields is not None:
        snapshot_id, product, channel, subject, body, status, priority, name, email, tags, created = ticket_fields
        ticket = TicketSnapshot(
            snapshot_id, product, channel, subject, body, status, priority, name, email, tags,
            None if created is None else datetime.fromtimestamp(created, UTC),
        )
    if message_fields is not None:
        message_id, author, public, sent = message_fields
        message = Message(message_id, author, public, datetime.fromtimestamp(sent, UTC))
    return TicketEvent(event_id, kind, datetime.fromtimestamp(occurred, UTC), ticket_id, ticket, changes, message)


def _events_in(path: Path, parse: EventParser) -> Iterator[TicketEvent]:
    try:
        lines = path.open("rb")
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read ({error.strerror})") from None
    with lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                event = parse(orjson.loads(line))
            except orjson.JSONDecodeError as error:
                problem = f"not valid JSON ({_first_clause(error)})"
                raise InputFileError(f"{path}:{number}: {problem}{_array_hint(number, line)}") from None
            except PayloadError as error:
                raise InputFileError(f"{path}:{number}: {error}{_array_hint(number, line)}") from None
            if event is not None:
                yield event


def _array_hint(number: int, line: bytes) -> str:
    """A file that is one JSON array is the commonest mistake: say what is expected instead."""
    if number == 1 and line.lstrip().startswith(b"["):
        return " (an events file holds one JSON object per line, not a JSON array)"
    return ""


def _first_clause(error: ValueError) -> str:
    return str(error).split(":")[0]



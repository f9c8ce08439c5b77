"""How engine results are written out: JSON documents, CSV and plain-text tables.

The simulator and the report API share these, so a row reads the same everywhere.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

from plugin.domain.engine import TargetState, TicketOutcome
from plugin.domain.reports import ReportBuilder, ReportRow

REPORT_COLUMNS = (
    "period_start",
    "policy",
    "metric",
    "total",
    "met",
    "breached",
    "achieved_percent",
    "target_percent",
    "missed_tickets",
    "median_business_seconds",
    "p90_business_seconds",
)


def iso_utc(instant: datetime | None) -> str | None:
    """ISO 8601 in UTC with ``Z``, whole seconds."""
    if instant is None:
        return None
    return instant.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def plain_number(value: float) -> int | float:
    """80.0 → 80, so JSON shows a whole percentage the way an admin typed it."""
    return int(value) if float(value).is_integer() else value


def report_row_document(row: ReportRow) -> dict[str, Any]:
    document = asdict(row)
    document["period_start"] = iso_utc(row.period_start)
    for key in ("target_percent", "median_business_seconds", "p90_business_seconds"):
        document[key] = plain_number(document[key])
    return {column: document[column] for column in REPORT_COLUMNS}


def target_document(target: TargetState) -> dict[str, Any]:
    return {
        "metric": target.metric,
        "status": target.status,
        "started_at": iso_utc(target.started_at),
        "due_at": iso_utc(target.due_at),
        "stopped_at": iso_utc(target.stopped_at),
        "breached_at": iso_utc(target.breached_at),
        "business_seconds": target.business_seconds,
    }


def ticket_document(ticket: TicketOutcome) -> dict[str, Any]:
    return {
        "id": ticket.ticket_id,
        "priority": ticket.priority,
        "policy": ticket.policy_id,
        "targets": [target_document(target) for target in ticket.targets],
    }


def report_csv(rows_by_period: dict[str, list[ReportRow]]) -> str:
    """One CSV with a leading ``period`` column (hourly or daily)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("period", *REPORT_COLUMNS))
    for period, rows in rows_by_period.items():
        for row in rows:
            document = report_row_document(row)
            writer.writerow((period, *(document[column] for column in REPORT_COLUMNS)))
    return buffer.getvalue()


AT_RISK_COLUMNS = ("ticket_id", "policy", "metric", "cycle", "status", "started_at", "warn_at", "due_at",
                   "business_seconds")


def at_risk_csv(targets: Iterable[Any]) -> str:
    """The at-risk list (``TicketTarget`` records: a ticket id and its target's state) as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AT_RISK_COLUMNS)
    for target in targets:
        state = target.state
        writer.writerow((target.ticket_id, state.policy_id, state.metric, state.cycle, state.status,
                         iso_utc(state.started_at), iso_utc(state.warn_at), iso_utc(state.due_at),
                         state.business_seconds))
    return buffer.getvalue()


_TABLE_COLUMNS = (
    ("period_start", "period start (UTC)"),
    ("policy", "policy"),
    ("metric", "metric"),
    ("total", "total"),
    ("met", "met"),
    ("breached", "breached"),
    ("achieved_percent", "achieved %"),
    ("target_percent", "target %"),
    ("missed_tickets", "missed"),
    ("median_business_seconds", "median s"),
    ("p90_business_seconds", "p90 s"),
)


def report_table(title: str, rows: list[ReportRow]) -> str:
    """A fixed-width text table for a terminal."""
    cells = [[str(report_row_document(row)[key]) for key, _ in _TABLE_COLUMNS] for row in rows]
    headers = [header for _, header in _TABLE_COLUMNS]
    widths = [max(len(text) for text in column) for column in zip(headers, *cells, strict=False)]

    def line(values: list[str]) -> str:
        return "  ".join(value.rjust(width) if index >= 3 else value.ljust(width)
                         for index, (value, width) in enumerate(zip(values, widths, strict=True))).rstrip()

    body = [line(values) for values in cells] or ["(no targets decided in this range)"]
    return "\n".join([title, line(headers), line(["-" * width for width in widths]), *body])


def write_simulation(tickets: Iterable[TicketOutcome], timezone: str, output_format: str, out: TextIO) -> None:
    """Stream the simulator's output: tickets are written as they come, reports at the end."""
    hourly, daily = ReportBuilder("hourly", timezone), ReportBuilder("daily", timezone)
    replayed = with_targets = 0
    if output_format == "json":
        out.write('{"tickets": [')
    for ticket in tickets:
        for target in ticket.targets:
            hourly.add(target)
            daily.add(target)
        if output_format == "json":
            out.write(("\n " if replayed == 0 else ",\n ") + orjson.dumps(ticket_document(ticket)).decode())
        replayed += 1
        with_targets += bool(ticket.targets)
    if output_format == "json":
        out.write('\n ],\n "reports": {')
        for index, (name, builder) in enumerate((("hourly", hourly), ("daily", daily))):
            out.write(f'{"," if index else ""}\n  "{name}": [')
            for number, row in enumerate(builder.iter_rows()):
                out.write(("\n   " if number == 0 else ",\n   ") + orjson.dumps(report_row_document(row)).decode())
            out.write("\n  ]")
        out.write("\n }\n}\n")
    elif output_format == "csv":
        out.write(report_csv({"hourly": hourly.rows(), "daily": daily.rows()}))
    else:
        summary = f"{replayed} tickets replayed, {with_targets} under an SLA policy"
        tables = [summary, report_table("Daily", daily.rows()), report_table("Hourly", hourly.rows())]
        out.write("\n\n".join(tables) + "\n")

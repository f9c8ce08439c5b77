"""A period's SLA summary as Markdown that reads well in a helpdesk: one table row per policy and
metric, achieved against targeted rate, missed tickets, breaches, median and p90 business time in
human units, and the change from the period before."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from plugin.domain.reports import Period, ReportRow

METRIC_NAMES = {"first_response": "first response", "next_response": "next response", "resolution": "resolution"}
HEADER = ("| Policy | Target | Achieved | Targeted | Missed tickets | Breached | Median | p90 | {change} |\n"
          "|---|---|--:|--:|--:|--:|--:|--:|--:|")


def summary_title(period: Period, start: datetime, end: datetime, timezone: str) -> str:
    zone = ZoneInfo(timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if period == "daily":
        return f"SLA daily summary: {local_start:%A} {local_start.day} {local_start:%B %Y} ({timezone})"
    return (f"SLA hourly summary: {local_start.day} {local_start:%B %Y}, {local_start:%H:%M}–{local_end:%H:%M} "
            f"({timezone})")


def summary_markdown(title: str, period: Period, rows: Sequence[ReportRow], previous: Sequence[ReportRow],
                     policy_names: Mapping[str, str]) -> str:
    """``previous``: the rows of the period before, for the change column."""
    if not rows:
        return f"**{title}**\n\nNo SLA target was met or breached in this period."
    before = {(row.policy, row.metric): row for row in previous}
    change = "vs day before" if period == "daily" else "vs hour before"
    lines = [f"**{title}**", "", HEADER.format(change=change)]
    for row in sorted(rows, key=lambda row: (policy_names.get(row.policy, row.policy), row.metric)):
        earlier = before.get((row.policy, row.metric))
        lines.append("| " + " | ".join((
            _cell(policy_names.get(row.policy, row.policy)),
            METRIC_NAMES.get(row.metric, row.metric),
            f"{row.achieved_percent:.1f} % ({row.met} of {row.total})",
            f"{_number(row.target_percent)} %",
            str(row.missed_tickets),
            str(row.breached),
            business_time(row.median_business_seconds),
            business_time(row.p90_business_seconds),
            _change(row, earlier),
        )) + " |")
    missed = sum(row.missed_tickets for row in rows)
    lines += ["", f"{sum(row.breached for row in rows)} targets breached; {missed} more tickets had to be met "
                  "to reach every targeted rate." if missed else
                  f"{sum(row.breached for row in rows)} targets breached; every targeted rate was reached."]
    return "\n".join(lines)


def business_time(seconds: float) -> str:
    """Business time in the units a person reads: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min"
    if whole < 86_400:
        hours, minutes = divmod(whole // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(whole // 3600, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _change(row: ReportRow, earlier: ReportRow | None) -> str:
    if earlier is None or earlier.total == 0:
        return "–"
    delta = row.achieved_percent - earlier.achieved_percent
    return "±0.0 pts" if abs(delta) < 0.05 else f"{delta:+.1f} pts".replace("-", "−")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _cell(text: str) -> str:
    """A policy name inside a table cell: its pipes and line breaks would break the table."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")

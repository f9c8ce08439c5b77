"""Report rows drawn as an SVG chart: achieved against targeted success rate, per period.

Pure: rows in, SVG text out. One small panel per policy and metric (the same periods across, so
the panels line up), a bar per period (green when it reached its targeted rate, red when not),
the targeted rate as a dashed line, and a tooltip (``<title>``) on every bar. The chart has a
``<title>`` and a ``<desc>`` that say in words what it shows. Every text is escaped (and characters
XML cannot hold replaced), so a policy named ``<script>`` is drawn as those characters. Colours
and fonts are presentation attributes, not ``style``: the settings page's CSP allows no inline
styles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from plugin.domain.reports import Period, ReportRow, achieved_percent

WIDTH = 760
LEFT, RIGHT = 52, 12  # room for the y axis labels
HEADER = 46  # the chart's title and legend
PANEL_HEIGHT = 150  # one policy and metric: its heading, plot and x labels
PLOT_TOP, PLOT_HEIGHT = 24, 96  # inside a panel
MAX_PANELS = 8
MAX_LABELS = 8
MAX_BAR = 56  # a bar's width, however few the periods
MET, BELOW, TARGET, INK, MUTED, GRID = "#2f9e66", "#d64545", "#1f2733", "#1f2733", "#5f6b7a", "#dde3ea"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
METRIC_NAMES = {"first_response": "First response", "next_response": "Next response", "resolution": "Resolution"}
EMPTY_MESSAGE = "No targets were decided in this range"

# Characters XML 1.0 cannot hold (controls, lone surrogates, U+FFFE/U+FFFF): drawn as U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """Text safe inside an element or a quoted attribute."""
    return escape(_NOT_XML.sub("\ufffd", str(value)), quote=True)


def achieved_vs_target_svg(rows: Sequence[ReportRow], *, period: Period, timezone: str,
                           policy_names: Mapping[str, str] | None = None, id_prefix: str = "sla-chart") -> str:
    """The chart of ``rows`` (one report's, any order); periods are labelled in ``timezone``."""
    names = policy_names or {}
    zone = ZoneInfo(timezone)
    title = f"{'Daily' if period == 'daily' else 'Hourly'} achieved against targeted success rate"
    series = _series(rows, names)
    starts = sorted({row.period_start for row in rows})
    shown = series[:MAX_PANELS]
    height = HEADER + (PANEL_HEIGHT * len(shown) if shown else 40)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="{xml_text(id_prefix)}-title {xml_text(id_prefix)}-desc" '
        f'font-family="{xml_text(FONT)}" font-size="12" fill="{INK}">',
        f'<title id="{xml_text(id_prefix)}-title">{xml_text(title)}</title>',
        f'<desc id="{xml_text(id_prefix)}-desc">{xml_text(_description(series, starts, period, zone))}</desc>',
        f'<text x="0" y="16" font-size="14" font-weight="600">{xml_text(title)}</text>',
    ]
    if not shown:
        parts.append(f'<text x="0" y="{HEADER + 16}" fill="{MUTED}">{xml_text(EMPTY_MESSAGE)}</text>')
    else:
        parts.append(_legend())
        slot = (WIDTH - LEFT - RIGHT) / len(starts)
        index = {start: number for number, start in enumerate(starts)}
        for number, (label, panel_rows) in enumerate(shown):
            parts.append(_panel(HEADER + number * PANEL_HEIGHT, label, panel_rows, index, slot, starts, period, zone))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _series(rows: Sequence[ReportRow], names: Mapping[str, str]) -> list[tuple[str, list[ReportRow]]]:
    """(heading, rows by period) per policy and metric, by policy name, then metric."""
    grouped: dict[tuple[str, str], list[ReportRow]] = {}
    for row in rows:
        grouped.setdefault((row.policy, row.metric), []).append(row)
    order = list(METRIC_NAMES)

    def key(item: tuple[tuple[str, str], list[ReportRow]]) -> tuple[str, str, int, str]:
        (policy, metric), _rows = item
        name = names.get(policy, policy)
        return name.casefold(), policy, order.index(metric) if metric in order else len(order), metric

    return [(f"{names.get(policy, policy)} · {METRIC_NAMES.get(metric, metric)}",
             sorted(series_rows, key=lambda row: row.period_start))
            for (policy, metric), series_rows in sorted(grouped.items(), key=key)]


def _description(series: list[tuple[str, list[ReportRow]]], starts: list[datetime], period: Period,
                 zone: ZoneInfo) -> str:
    if not series:
        return f"{EMPTY_MESSAGE}."
    unit = "day" if period == "daily" else "hour"
    span = _label(starts[0], period, zone, True)
    if len(starts) > 1:
        span += f" to {_label(starts[-1], period, zone, True)}"
    sentences = [f"One bar per {unit} with decided targets, {span}."]
    for label, rows in series:
        met, total = sum(row.met for row in rows), sum(row.total for row in rows)
        below = sum(row.achieved_percent < row.target_percent for row in rows)
        targets = sorted({_number(row.target_percent) for row in rows})
        sentences.append(f"{label}: {achieved_percent(met, total):.1f} % achieved ({met} of {total} met) against "
                         f"{' / '.join(targets)} % targeted; {below} of {len(rows)} {unit}s below target.")
    if len(series) > MAX_PANELS:
        sentences.append(f"{len(series) - MAX_PANELS} more policies and metrics are not drawn: "
                         "choose a policy or a metric to see them.")
    return " ".join(sentences)


def _legend() -> str:
    x = WIDTH - 330
    return (f'<g font-size="11" fill="{MUTED}">'
            f'<rect x="{x}" y="6" width="10" height="10" fill="{MET}"/><text x="{x + 14}" y="15">target met</text>'
            f'<rect x="{x + 90}" y="6" width="10" height="10" fill="{BELOW}"/>'
            f'<text x="{x + 104}" y="15">below target</text>'
            f'<line x1="{x + 190}" y1="11" x2="{x + 212}" y2="11" stroke="{TARGET}" stroke-width="1.5" '
            f'stroke-dasharray="4 3"/><text x="{x + 216}" y="15">targeted rate</text></g>')


def _panel(top: float, label: str, rows: list[ReportRow], index: Mapping[datetime, int], slot: float,
           starts: list[datetime], period: Period, zone: ZoneInfo) -> str:
    bottom = top + PLOT_TOP + PLOT_HEIGHT

    def y(percent: float) -> float:
        return bottom - PLOT_HEIGHT * max(0.0, min(100.0, percent)) / 100

    parts = [f'<g class="chart-panel"><text x="0" y="{top + 14}" font-weight="600">{xml_text(label)}</text>']
    for percent in (0, 50, 100):
        parts.append(f'<line x1="{LEFT}" y1="{y(percent):.1f}" x2="{WIDTH - RIGHT}" y2="{y(percent):.1f}" '
                     f'stroke="{GRID}" stroke-width="1"/>'
                     f'<text x="{LEFT - 6}" y="{y(percent) + 4:.1f}" text-anchor="end" fill="{MUTED}" '
                     f'font-size="11">{percent} %</text>')
    bar = max(1.0, min(slot * 0.7, MAX_BAR))
    target_path = []
    for row in rows:
        x = LEFT + index[row.period_start] * slot
        bar_x, top_y = x + (slot - bar) / 2, y(row.achieved_percent)
        colour = MET if row.achieved_percent >= row.target_percent else BELOW
        tip = (f"{_label(row.period_start, period, zone, True)}: {row.achieved_percent:.1f} % achieved, "
               f"{_number(row.target_percent)} % targeted ({row.met} of {row.total} met, "
               f"{row.missed_tickets} missed)")
        parts.append(f'<rect x="{bar_x:.1f}" y="{min(top_y, bottom - 1):.1f}" width="{bar:.1f}" '
                     f'height="{max(1.0, bottom - top_y):.1f}" fill="{colour}"><title>{xml_text(tip)}</title></rect>')
        target_path.append(f"M{x:.1f} {y(row.target_percent):.1f}H{x + slot:.1f}")
    parts.append(f'<path d="{"".join(target_path)}" fill="none" stroke="{TARGET}" stroke-width="1.5" '
                 'stroke-dasharray="4 3"/>')
    step = max(1, -(-len(starts) // MAX_LABELS))
    with_day = period == "hourly" and len({start.astimezone(zone).date() for start in starts}) > 1
    for number in range(0, len(starts), step):
        x = LEFT + number * slot + slot / 2
        text = _label(starts[number], period, zone, with_day or period == "daily", short=True)
        parts.append(f'<text x="{x:.1f}" y="{bottom + 16:.1f}" text-anchor="middle" fill="{MUTED}" '
                     f'font-size="11">{xml_text(text)}</text>')
    parts.append("</g>")
    return "".join(parts)


def _label(start: datetime, period: Period, zone: ZoneInfo, with_day: bool, *, short: bool = False) -> str:
    """A period as its tenant reads it: "Mon 2 Mar 2026", "2 Mar 09:00", "09:00"."""
    local = start.astimezone(zone)
    day = f"{local.day} {local:%b}" if short else f"{local:%a} {local.day} {local:%b %Y}"
    if period == "daily":
        return day
    return f"{day} {local:%H:%M}" if with_day else f"{local:%H:%M}"


def _number(value: float) -> str:
    return f"{value:g}"

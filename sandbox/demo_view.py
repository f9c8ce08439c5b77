"""What ``python -m sandbox demo`` shows in the terminal: plain ANSI text.

Live (a terminal): the feed of what happens scrolls, and a block of figures under it is redrawn
twice a second. Plain (``--no-live``, or stdout not a terminal): the feed, and the figures once
per SLA hour.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from statistics import mean
from typing import Any, TextIO

COLORS = {"breach": "31", "risk": "33", "ok": "32", "note": "35", "summary": "36;1", "plugin": "34", "dim": "2",
          "bold": "1", "warn": "33;1", "error": "31;1"}


@dataclass(frozen=True)
class Figures:
    sla_now: datetime  # in the account's zone
    elapsed: float  # real seconds since the demo began
    rate: float
    phase: str
    created: int
    deleted: int
    by_status: dict[str, int]
    running: int
    at_risk: int
    met: int
    breached: int
    priorities_set: int
    tagged: int
    breached_tagged: int
    at_risk_tagged: int
    notes: int
    summaries: int
    pending_events: int
    failed_events: int
    pending_commands: int
    dead_letters: int


@dataclass
class DemoView:
    live: bool
    color: bool
    out: TextIO = field(default_factory=lambda: sys.stdout)
    _block: int = 0  # lines of the figures block on screen (live)
    _last_hour: str = ""

    def _paint(self, text: str, kind: str) -> str:
        return f"\x1b[{COLORS[kind]}m{text}\x1b[0m" if self.color and kind in COLORS else text

    def _width(self) -> int:
        return max(40, shutil.get_terminal_size((100, 24)).columns - 1)

    def _print(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def _clear_block(self) -> None:
        if self.live and self._block:
            self.out.write(f"\x1b[{self._block}F\x1b[J")
            self._block = 0

    def header(self, sandbox_url: str, plugin_url: str, folder: Path, rate: float, scenario: Any,
               summary_due: datetime, admin_url: str = "", ticket_url: str = "") -> None:
        start = scenario.start.astimezone(summary_due.tzinfo)
        tickets = len(scenario.stories())
        self._print(self._paint("SLA plugin demo", "bold") + f": a working day at a helpdesk, {rate:g}× faster "
                    f"than real time (1 s = {_sla_span(rate)}).")
        self._print(f"  The sandbox helpdesk's ticket page: {self._paint(sandbox_url + '/', 'bold')}"
                    "  (open it in a browser; it refreshes itself)")
        if admin_url:
            self._print(f"  The admin page, with the plugin's settings in its frame: {self._paint(admin_url, 'bold')}")
        if ticket_url:
            self._print(f"  A ticket's page, with the plugin's sidebar: {ticket_url}  (once the day has created it; "
                        "every ticket on the list links to its own)")
        self._print(f"  The plugin: {plugin_url}    its database and the logs: {folder}/")
        self._print(f"  The day: {start:%A} {start.day} {start:%B %Y}, {start:%H:%M} to 19:00 {start.tzinfo} "
                    f"(seed {scenario.seed}, {tickets} tickets); its summary is due at {summary_due:%H:%M} "
                    f"the next day, {(summary_due - scenario.start).total_seconds() / rate:.0f} s after the day "
                    "starts.")
        self._print("Starting the sandbox, the plugin (sla-plugin serve) and its worker on a new SQLite database…")

    def message(self, text: str) -> None:
        self._clear_block()
        self._print(text)

    def failure(self, text: str) -> None:
        self._clear_block()
        self._print(self._paint("The demo failed: ", "error") + text)

    def update(self, lines: list[tuple[str, str, str, str]], figures: Figures) -> None:
        self._clear_block()
        width = self._width()
        self._feed(lines, width)
        if self.live:
            block = self._figures(figures, width)
            self.out.write("".join(line + "\n" for line in block))
            self.out.flush()
            self._block = len(block)
        elif figures.sla_now.strftime("%d %H") != self._last_hour:
            self._last_hour = figures.sla_now.strftime("%d %H")
            self._print(self._paint(" · ".join(line.strip() for line in self._figures(figures, 10_000, rule=False)),
                                    "dim"))

    def _feed(self, lines: list[tuple[str, str, str, str]], width: int) -> None:
        for at, ticket, text, kind in lines:
            self._print(self._paint(f" {at}  {ticket:<13} {text}"[:width], kind))

    def finish(self, lines: list[tuple[str, str, str, str]], figures: Figures) -> None:
        """The last lines of the feed and the figures, once and for all."""
        self._clear_block()
        width = self._width()
        self._feed(lines, width)
        for line in self._figures(figures, width):
            self._print(line)

    def _figures(self, figures: Figures, width: int, rule: bool = True) -> list[str]:
        minutes, seconds = divmod(int(figures.elapsed), 60)
        clock = (f"SLA clock {figures.sla_now:%a} {figures.sla_now.day} {figures.sla_now:%b %H:%M} "
                 f"({figures.sla_now.tzinfo}) · real {minutes}:{seconds:02d} · {figures.rate:g}× · {figures.phase}")
        status = figures.by_status
        lines = [
            f" tickets  {figures.created} created: {status['new']} new, {status['open']} open, "
            f"{status['pending']} pending, {status['on_hold']} on hold, {status['solved']} solved, "
            f"{figures.deleted} deleted",
            f" targets  {figures.running} running ({figures.at_risk} at risk), {figures.met} met, "
            f"{figures.breached} breached",
            f" host     {figures.priorities_set} priorities set, SLA tags on {figures.tagged} tickets "
            f"({figures.breached_tagged} breached, {figures.at_risk_tagged} at risk), {figures.notes} notes, "
            f"{figures.summaries} summaries",
            f" plugin   inbox {figures.pending_events} pending, {figures.failed_events} failed · host commands "
            f"{figures.pending_commands} pending, {figures.dead_letters} dead letters",
        ]
        head = f"── {clock} " if rule else clock
        painted = [self._paint(head.ljust(width, "─")[:width] if rule else head, "bold")]
        return painted + [line[:width] for line in lines]

    def summary(self, report: dict[str, Any], timings: dict[str, float]) -> None:
        self._clear_block()
        after = timings["summary_after"]
        self._print()
        self._print(self._paint(f"The daily summary the host received, {int(after // 60)} min {int(after % 60):02d} s "
                                f"after the demo began ({timings['summary_after_origin']:.0f} s after the day "
                                f"did, at {timings['rate']:g}×):", "bold"))
        self._print()
        self._print(report["body_markdown"])
        self._print()

    def health(self, health: dict[str, Any]) -> None:
        delays = health["breach_tag_delays"]
        rate = health["rate"]
        if delays:
            self._print(f"Breach tags reached the host {mean(delays):.0f} SLA seconds after their breach on "
                        f"average (at most {max(delays):.0f}; {max(delays) / rate:.2f} real seconds).")
        if health["breaches_withdrawn"]:
            self._print(f"{_count(health['breaches_withdrawn'], 'breach was', 'breaches were')} withdrawn: "
                        "events that the plugin applied after the due instant showed the target was met.")
        skew = health["clock_skew"]
        self._print(f"The three clocks agreed within {_count(round(max(skew.values())), 'SLA second')} "
                    f"(sandbox {skew['sandbox']:.0f}, plugin {skew['plugin']:.0f}).")
        for event in health["failed_events"]:
            self._print(self._paint(f"Failed event {event['webhook_id']} (ticket {event['ticket_id']}): "
                                    f"{event['error']}", "warn"))
        for letter in health["dead_letters"]:
            self._print(self._paint(f"Dead letter {letter['kind']} {letter['ticket_id']}: {letter['last_error']}",
                                    "warn"))
        if health["pending_commands"]:
            self._print(self._paint(f"{health['pending_commands']} host commands were still pending.", "warn"))


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def _sla_span(rate: float) -> str:
    seconds = rate
    if seconds < 60:
        return f"{seconds:g} SLA seconds"
    if seconds < 3600:
        return f"{seconds / 60:g} SLA minutes"
    return f"{seconds / 3600:.3g} SLA hours"

"""``python -m sandbox demo`` (and ``sla-plugin demo``, which hands over to it): the live demo.

It starts three processes on this machine, each with its log in the demo's folder (``var/demo/``
by default, emptied of the previous run's database and logs first):

- the sandbox helpdesk (``python -m sandbox serve``), whose ticket list page it prints first, with
  its admin page (the plugin's settings in a frame) and a ticket's page (the plugin's sidebar);
- the plugin's web app and its worker (``sla-plugin serve`` and ``sla-plugin worker``) on a new
  SQLite database, with new keys, and the worker sweeping every 0.1 s.

Then it installs an account, saves the working day's settings (``day_settings.SETTINGS``, with
hourly summaries and the daily one at 00:10) and plays ``scenario.working_day`` on an accelerated
clock that the three processes share: ``SLA_DEMO_CLOCK`` tells the plugin's two that their SLA
clock reads the day's start at the real instant ORIGIN and runs ``rate`` times as fast, and the
sandbox's clock is set to the same start at ORIGIN (``POST /sandbox/clock``). ORIGIN is chosen a
few seconds ahead, when the processes start, so that everything is ready by then; each step of
the day is played at its instant on that clock. At the default rate, 480 (one real second is
eight SLA minutes), the day (09:00 to 19:00 in Istanbul) takes 75 seconds and the daily summary
is due two minutes after ORIGIN.

Meanwhile it shows the SLA time, the tickets, the targets (running, at risk, met, breached, from
the plugin's admin API with a session the sandbox opens) and what the host received (priorities,
tags, notes, summaries); it ends with the daily summary's Markdown as the host received it, and
stops every process (also on Ctrl-C, SIGTERM or SIGHUP).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests

from .client import SandboxClient, SandboxError
from .clock import iso
from .demo_view import DemoView, Figures
from .embedding import admin_page_path, ticket_page_path
from .scenario import DEFAULT_START, Scenario, Step, perform, working_day

ACCOUNT = "demo"
DEFAULT_RATE = 480.0  # one real second is eight SLA minutes
MAX_RATE = 10_000.0  # SLA_DEMO_CLOCK's limit
DAILY_SUMMARY_AT = "00:10"
LEAD_SECONDS = 4.0  # from starting the plugin to ORIGIN: time to get ready, install and save settings
SUMMARY_JOB_SECONDS = 15.0  # how often the plugin's worker queues due summaries (real seconds)
POLL_SECONDS = 0.5
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATABASE = "plugin.sqlite3"


class DemoFailed(RuntimeError):
    """Something the demo needs did not happen; the message says what (and where its log is)."""


@dataclass(frozen=True)
class DemoClock:
    """The SLA clock the three processes share: ``start`` at the real epoch second ``origin``, then
    ``rate`` times as fast (what ``SLA_DEMO_CLOCK`` says to the plugin)."""

    start: datetime
    origin: float
    rate: float

    def at(self, real: float) -> datetime:
        return self.start + timedelta(seconds=(real - self.origin) * self.rate)

    def now(self) -> datetime:
        return self.at(time.time())

    def real_at(self, instant: datetime) -> float:
        return self.origin + (instant - self.start).total_seconds() / self.rate

    def variable(self) -> str:
        return f"{self.start.isoformat()},{self.origin:.6f},{self.rate:g}"


def add_demo_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=_rate, default=DEFAULT_RATE,
                        help=f"how many times faster than real time the SLA clock runs (default {DEFAULT_RATE:g}: "
                             f"the day in 75 s, its summary two minutes after the start; at most {MAX_RATE:g})")
    parser.add_argument("--seed", type=int, default=1, help="which working day (scenario.working_day); default 1")
    parser.add_argument("--keep-running", action="store_true",
                        help="after the daily summary, keep everything running until Ctrl-C")
    parser.add_argument("--no-live", dest="live", action="store_false",
                        help="plain lines instead of the live view (the default when stdout is not a terminal)")
    parser.add_argument("--folder", type=Path, default=Path("var/demo"),
                        help="where the database and the logs go (default var/demo, emptied of the last run's)")
    parser.add_argument("--port", type=int, default=None,
                        help="the sandbox's port (default 8090 if it is free, else any free port; 0: any free port)")
    parser.add_argument("--result", type=Path,
                        help="also write what the host received and the plugin's own figures to this JSON file")


def run_demo(options: argparse.Namespace) -> int:
    """The whole demo; its exit code (0, 1 when something failed, 130 when interrupted)."""
    view = DemoView(live=options.live and sys.stdout.isatty(), color=sys.stdout.isatty() and
                    not os.environ.get("NO_COLOR"))
    demo = Demo(options, view)
    # SIGINT too: a shell starts background jobs with it ignored, and Python then leaves it so.
    previous = {number: signal.signal(number, _interrupt) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        return demo.run()
    except KeyboardInterrupt:
        view.message("Interrupted: stopping the worker, the plugin and the sandbox.")
        return 130
    except DemoFailed as problem:
        view.failure(str(problem))
        return 1
    except (SandboxError, requests.RequestException) as problem:
        view.failure(f"{problem} (the logs are in {demo.folder}/)")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave processes behind
        demo.stop()
        view.message(f"Stopped. The logs and the database are in {demo.folder}/.")
        for number, handler in previous.items():
            signal.signal(number, handler)


def _interrupt(_number: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class Demo:
    def __init__(self, options: argparse.Namespace, view: DemoView) -> None:
        self.options = options
        self.view = view
        self.rate: float = options.rate
        self.folder: Path = options.folder
        self.processes = Processes(self.folder)
        self.stopping = threading.Event()
        self.player: Player | None = None

    def run(self) -> int:
        began = time.time()
        self._prepare_folder()
        scenario = working_day(self.options.seed, DEFAULT_START)
        settings = scenario.settings | {"reporting": {"daily_summary_at": DAILY_SUMMARY_AT, "hourly_summary": True}}
        zone = ZoneInfo(settings["timezone"])
        day = scenario.start.astimezone(zone).date()
        hours, minutes = (int(part) for part in DAILY_SUMMARY_AT.split(":"))
        summary_due = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone).replace(
            hour=hours, minute=minutes)
        port = self.options.port
        sandbox_port = port if port else 8090 if port is None and _port_is_free(8090) else _free_port()
        sandbox_url, plugin_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{_free_port()}"
        first_ticket = next(step.ticket_id for step in scenario.steps if step.action == "create")
        self.view.header(sandbox_url, plugin_url, self.folder, self.rate, scenario, summary_due,
                         admin_url=sandbox_url + admin_page_path(ACCOUNT),
                         ticket_url=sandbox_url + ticket_page_path(ACCOUNT, first_ticket))

        clock = self._start_processes(scenario, sandbox_url, plugin_url)
        client = SandboxClient(sandbox_url)
        installed = client.install(ACCOUNT, settings["timezone"])
        if not installed["plugin"] or installed["plugin"]["status"] != 200:
            raise DemoFailed(f"the plugin refused the install: {installed['plugin']}")
        client.save_settings(ACCOUNT, settings)
        monitor = Monitor(client, plugin_url, client.admin_session(ACCOUNT), clock, scenario, zone)
        late = time.time() - clock.origin
        if late > 0:
            self.view.message(f"Starting took {late:.1f} s longer than planned: the day's first "
                              f"{late * self.rate / 60:.0f} SLA minutes play at once.")
        else:
            self.view.message(f"Ready after {time.time() - began:.1f} s; the day starts in {-late:.1f} s.")
            time.sleep(-late)
        client.set_clock(clock.now(), clock.rate)  # the day's start, at ORIGIN (or as late as we are)
        self.player = Player(scenario, SandboxClient(sandbox_url), clock, self.stopping)  # a session of its own
        self.player.start()

        summary = self._watch(monitor, began, lambda: monitor.daily_summary(day),
                              deadline=clock.real_at(summary_due) + SUMMARY_JOB_SECONDS + 30)
        last = monitor.poll([], every_ticket=True)  # what the host and the plugin hold now, for --result too
        report = monitor.plugin_daily_report(day)
        self.view.finish(last, monitor.figures("done", time.time() - began))
        self.view.summary(summary, monitor.timings(began))
        self.view.health(monitor.health())
        if self.options.result:
            self.options.result.write_text(json.dumps(monitor.result(summary, report, began), indent=1))
        if self.options.keep_running:
            self.view.message(f"Everything keeps running: the sandbox at {sandbox_url}/ (its admin page "
                              f"{sandbox_url}{admin_page_path(ACCOUNT)}), the plugin at {plugin_url}. Ctrl-C stops it.")
            with contextlib.suppress(KeyboardInterrupt):
                self._watch(monitor, began, lambda: None, deadline=float("inf"))
        return 0

    def _prepare_folder(self) -> None:
        """The folder, without the last run's database and logs."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stale = [DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", *(path.name for path in self.folder.glob("*.log"))]
        for name in stale:
            with contextlib.suppress(FileNotFoundError):
                (self.folder / name).unlink()

    def _start_processes(self, scenario: Scenario, sandbox_url: str, plugin_url: str) -> DemoClock:
        """The sandbox, the schema, then serve and worker on the clock that starts LEAD_SECONDS later."""
        python = [sys.executable, "-m"]
        app_secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        base_env = {name: value for name, value in os.environ.items()
                    if not name.startswith("SLA_") and name != "PROMETHEUS_MULTIPROC_DIR"}
        base_env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(PROJECT_ROOT), os.environ.get("PYTHONPATH"))))
        sandbox = self.processes.start(
            "sandbox", [*python, "sandbox", "serve", "--port", sandbox_url.rsplit(":", 1)[1], "--plugin-url",
                        plugin_url], base_env | {"SLA_APP_SECRET": app_secret}, stop_with=signal.SIGINT)
        plugin_env = base_env | {
            "SLA_DATABASE_URL": f"sqlite:///{(self.folder / DATABASE).resolve()}",
            "SLA_APP_SECRET": app_secret,
            "SLA_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),  # a Fernet key
            "SLA_LOG_LEVEL": "INFO",
            "SLA_SWEEP_SECONDS": "0.1",  # tags reach the host within about an SLA minute of their instant
            "SLA_HOST_REQUESTS_PER_SECOND": "100",  # the sandbox is local: no need to spare it
            "SLA_HOST_BURST": "100",
        }
        self.processes.run_once("upgrade", [*python, "plugin.cli", "db", "upgrade"], plugin_env)
        clock = DemoClock(scenario.start, time.time() + LEAD_SECONDS, self.rate)
        plugin_env["SLA_DEMO_CLOCK"] = clock.variable()
        serve = self.processes.start("serve", [*python, "plugin.cli", "serve", "--bind", plugin_url.removeprefix(
            "http://"), "--workers", "2", "--no-upgrade"], plugin_env)
        self.processes.start("worker", [*python, "plugin.cli", "worker", "--no-upgrade"], plugin_env)
        self.processes.wait_http("sandbox", sandbox, f"{sandbox_url}/healthz")
        self.processes.wait_http("serve", serve, f"{plugin_url}/readyz")
        self.processes.wait_log("worker", "worker.started")
        return clock

    def _watch(self, monitor: Monitor, began: float, found: Callable[[], dict[str, Any] | None],
               deadline: float) -> dict[str, Any]:
        """Refresh the view until ``found()`` answers (the daily summary), the processes fail or the deadline."""
        assert self.player is not None
        while True:
            self.processes.check()
            if self.player.failure is not None:
                raise DemoFailed(f"playing the day failed: {self.player.failure}")
            lines = monitor.poll(self.player.played())
            summary = found()
            phase = ("the working day" if not self.player.done.is_set() else
                     "waiting for the daily summary" if monitor.summary_seen_at is None else "done; Ctrl-C stops")
            self.view.update(lines, monitor.figures(phase, time.time() - began))
            if summary is not None:
                monitor.summary_seen_at = time.time()
                return summary
            if time.time() > deadline:
                raise DemoFailed("the daily summary did not reach the host in time (see the worker's log, "
                                 f"{self.folder / 'worker.log'})")
            time.sleep(POLL_SECONDS)

    def stop(self) -> None:
        self.stopping.set()
        if self.player is not None:
            self.player.join(timeout=35)
        self.processes.stop()


class Player(threading.Thread):
    """Plays the day's steps, each at its instant on the shared clock (``scenario.play``'s loop, timed
    by the plugin's own formula so that a late start cannot make the two clocks disagree)."""

    def __init__(self, scenario: Scenario, client: SandboxClient, clock: DemoClock, stopping: threading.Event) -> None:
        super().__init__(name="demo-player", daemon=True)
        self.scenario, self.client, self.clock, self.stopping = scenario, client, clock, stopping
        self.steps: queue.Queue[Step] = queue.Queue()
        self.done = threading.Event()
        self.failure: str | None = None

    def run(self) -> None:
        try:
            for step in self.scenario.steps:
                if self.stopping.wait(max(0.0, self.clock.real_at(self.scenario.at(step)) - time.time())):
                    return
                perform(step, self.client, ACCOUNT)
                self.steps.put(step)
        except (SandboxError, requests.RequestException) as problem:
            self.failure = str(problem)
        finally:
            self.done.set()

    def played(self) -> list[Step]:
        steps = []
        with contextlib.suppress(queue.Empty):
            while True:
                steps.append(self.steps.get_nowait())
        return steps


# -- what the host received and what the plugin computed ---------------------------------------------


@dataclass
class Monitor:
    """Reads the sandbox (tickets, effects, reports) and the plugin's admin API (targets, at risk,
    inbox, delivery) and turns them into the view's lines and figures."""

    client: SandboxClient
    plugin_url: str
    token: str
    clock: DemoClock
    scenario: Scenario
    zone: ZoneInfo
    state: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)  # ticket id -> GET .../targets
    checked: dict[str, str] = field(default_factory=dict)  # ticket id -> its updated_at when last read
    at_risk: int = 0
    status: dict[str, Any] = field(default_factory=dict)
    delivery: dict[str, Any] = field(default_factory=dict)
    effects_seen: int = 0
    skew: dict[str, float] = field(default_factory=lambda: {"sandbox": 0.0, "plugin": 0.0})
    summary_seen_at: float | None = None
    http: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        self.stories = self.scenario.stories()

    def api(self, path: str, **params: str) -> Any:
        answer = self.http.get(f"{self.plugin_url}/api/v1{path}", params=params or None, timeout=10)
        if answer.status_code == 404 and path.endswith("/targets"):
            return None
        if not answer.ok:
            raise DemoFailed(f"the plugin's GET /api/v1{path} answered {answer.status_code} {answer.text[:300]}")
        return answer.json()

    def poll(self, steps: list[Step], every_ticket: bool = False) -> list[tuple[str, str, str, str]]:
        """New feed lines, in SLA time order: (local time, ticket, text, kind)."""
        asked = time.time()
        self.state = self.client.state()
        self._skew("sandbox", self.state["clock"]["now"], asked, time.time())
        asked = time.time()
        at_risk = self.api("/reports/at-risk")
        self._skew("plugin", at_risk["as_of"], asked, time.time())
        self.at_risk = len(at_risk["targets"])
        self.status, self.delivery = self.api("/status"), self.api("/delivery")
        account = self.state["accounts"].get(ACCOUNT) or {"tickets": []}
        for ticket in account["tickets"]:  # deleted ones too: the plugin cancels their targets
            known = self.targets.get(ticket["id"])
            running = known is None or any(target["status"] in ("active", "paused") for target in known["targets"])
            if every_ticket or running or self.checked.get(ticket["id"]) != ticket["updated_at"]:
                found = self.api(f"/tickets/{quote(ticket['id'], safe='')}/targets")
                if found is not None:
                    self.targets[ticket["id"]] = found
                    self.checked[ticket["id"]] = ticket["updated_at"]
        lines = [(self.scenario.at(step), step.ticket_id, *_step_text(step)) for step in steps
                 if step.action in ("create", "delete")]
        effects = [effect for effect in self.state["effects"] if effect["account_id"] == ACCOUNT]
        for effect in effects[self.effects_seen:]:
            text = self._effect_text(effect)
            if text is not None:
                lines.append((_instant(effect["at"]), effect["ticket_id"] or "", *text))
        self.effects_seen = len(effects)
        lines.sort(key=lambda line: line[0])  # stable: a ticket's creation before what the plugin did about it
        return [(self._local(at), ticket, text, kind) for at, ticket, text, kind in lines]

    def _skew(self, which: str, reported: str, asked: float, answered: float) -> None:
        """How far the process's clock is from the shared one, in SLA seconds (beyond the request's own time
        and the one-second resolution of what it reports)."""
        low, high = self.clock.at(asked) - timedelta(seconds=1), self.clock.at(answered) + timedelta(seconds=1)
        instant = datetime.fromisoformat(reported)
        off = (low - instant).total_seconds() if instant < low else max(0.0, (instant - high).total_seconds())
        self.skew[which] = max(self.skew[which], off)

    def tickets(self) -> list[dict[str, Any]]:
        account = self.state.get("accounts", {}).get(ACCOUNT)
        return [ticket for ticket in account["tickets"] if not ticket["deleted"]] if account else []

    def reports(self) -> list[dict[str, Any]]:
        account = self.state.get("accounts", {}).get(ACCOUNT)
        return list(account["reports"]) if account else []

    def daily_summary(self, day: Any) -> dict[str, Any] | None:
        start = iso(datetime.combine(day, datetime.min.time(), self.zone))
        return next((report for report in self.reports()
                     if report["data"].get("period") == "daily" and report["period_start"] == start), None)

    def plugin_daily_report(self, day: Any) -> list[dict[str, Any]]:
        return list(self.api("/reports/daily", **{"from": day.isoformat(),
                                                  "to": (day + timedelta(days=1)).isoformat()})["rows"])

    def figures(self, phase: str, elapsed: float) -> Figures:
        tickets = self.tickets()
        account = self.state.get("accounts", {}).get(ACCOUNT) or {"tickets": []}
        statuses = [target["status"] for found in self.targets.values() if not found["deleted"]
                    for target in found["targets"]]
        tagged = [ticket for ticket in tickets if any(by == "plugin" for by in ticket["tags_added_by"].values())]
        return Figures(
            sla_now=self.clock.now().astimezone(self.zone), elapsed=elapsed, rate=self.clock.rate, phase=phase,
            created=len(account["tickets"]), deleted=sum(ticket["deleted"] for ticket in account["tickets"]),
            by_status={status: sum(ticket["status"] == status for ticket in tickets)
                       for status in ("new", "open", "pending", "on_hold", "solved")},
            running=sum(status in ("active", "paused") for status in statuses), at_risk=self.at_risk,
            met=statuses.count("met"), breached=statuses.count("breached"),
            priorities_set=sum(ticket["priority_set_by"] == "plugin" for ticket in tickets),
            tagged=len(tagged), breached_tagged=sum("sla-breached" in ticket["tags"] for ticket in tagged),
            at_risk_tagged=sum("sla-at-risk" in ticket["tags"] for ticket in tagged),
            notes=sum(len(ticket["notes"]) for ticket in tickets), summaries=len(self.reports()),
            pending_events=self.status.get("inbox", {}).get("pending", 0),
            failed_events=self.status.get("inbox", {}).get("failed", 0),
            pending_commands=self.delivery.get("commands", {}).get("pending", 0),
            dead_letters=self.delivery.get("commands", {}).get("dead", 0),
        )

    def breach_tag_delays(self) -> list[float]:
        """For each target breached, SLA seconds from its breach to the host's receipt of its tag."""
        added: dict[tuple[str, str], datetime] = {}
        for effect in self.state.get("effects", []):
            if effect["account_id"] == ACCOUNT and effect["kind"] == "add_tags":
                for tag in effect["detail"]["added"]:
                    added.setdefault((effect["ticket_id"], tag), _instant(effect["at"]))
        delays = []
        for ticket_id, found in self.targets.items():
            for target in found["targets"]:
                tag = "sla-breached-" + target["metric"].replace("_", "-")
                if target["status"] == "breached" and (ticket_id, tag) in added:
                    delays.append((added[ticket_id, tag] - _instant(target["breached_at"])).total_seconds())
        return delays

    def timings(self, began: float) -> dict[str, float]:
        seen = self.summary_seen_at or time.time()
        return {"ready_after": self.clock.origin - began, "summary_after": seen - began,
                "summary_after_origin": seen - self.clock.origin, "rate": self.clock.rate}

    def health(self) -> dict[str, Any]:
        delays = self.breach_tag_delays()
        withdrawn = sum(1 for effect in self.state.get("effects", []) if effect["account_id"] == ACCOUNT
                        and effect["kind"] == "remove_tag" and effect["detail"]["tag"] == "sla-breached"
                        and effect["detail"]["removed"])
        return {"failed_events": self.status.get("failed_events", []),
                "dead_letters": self.delivery.get("dead_letters", []),
                "pending_commands": self.delivery.get("commands", {}).get("pending", 0),
                "breach_tag_delays": delays, "breaches_withdrawn": withdrawn, "clock_skew": dict(self.skew),
                "rate": self.clock.rate}

    def result(self, summary: dict[str, Any], report: list[dict[str, Any]], began: float) -> dict[str, Any]:
        account = self.state["accounts"][ACCOUNT]
        return {
            "seed": self.scenario.seed, "start": iso(self.clock.start), "origin": self.clock.origin,
            "rate": self.clock.rate, "account": ACCOUNT, "timings": self.timings(began),
            "host": {"tickets": account["tickets"], "reports": account["reports"],
                     "effects": [effect for effect in self.state["effects"] if effect["account_id"] == ACCOUNT]},
            "daily_summary": summary,
            "plugin": {"daily_report": report, "status": self.status, "delivery": self.delivery,
                       "targets": self.targets},
            "health": self.health(),
        }

    def _local(self, instant: datetime) -> str:
        return instant.astimezone(self.zone).strftime("%H:%M")

    def _effect_text(self, effect: dict[str, Any]) -> tuple[str, str] | None:
        detail = effect["detail"]
        if effect["kind"] == "set_priority":
            return f"priority set to {detail['priority']} by a rule", "plugin"
        if effect["kind"] == "add_tags":
            if not detail["added"]:
                return None
            breached = any(tag.startswith("sla-breached") for tag in detail["added"])
            return "+ " + " ".join(detail["added"]), "breach" if breached else "risk"
        if effect["kind"] == "remove_tag":
            return ("− " + detail["tag"], "ok") if detail["removed"] else None
        if effect["kind"] == "post_note":
            ticket = next((ticket for ticket in self.tickets() if ticket["id"] == effect["ticket_id"]), None)
            note = next((note for note in ticket["notes"] if note["id"] == detail["note_id"]), None) if ticket else None
            first_line = note["body"].strip().splitlines()[0] if note else ""
            return f"note: {first_line}", "note"
        if effect["kind"] == "post_report":
            report = next((report for report in self.reports() if report["id"] == detail["report_id"]), None)
            rows = report["data"].get("rows", []) if report else []
            met, total = sum(row["met"] for row in rows), sum(row["total"] for row in rows)
            figures = f"{met} of {total} targets met" if total else "nothing decided"
            return f"summary posted: {detail['title'].removeprefix('SLA ')} — {figures}", "summary"
        return None


def _step_text(step: Step) -> tuple[str, str]:
    if step.action == "delete":
        return "deleted by an agent", "dim"
    fields = step.fields
    return f"new: {fields.get('subject')} ({fields.get('product')} {fields.get('channel')})", "dim"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- the processes ------------------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    stop_with: int


class Processes:
    """The demo's child processes, each in its own process group (the terminal's Ctrl-C reaches the demo
    alone, which stops them in order: worker, web app, sandbox), each with its log in the folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.children: list[Child] = []

    def start(self, name: str, argv: list[str], env: dict[str, str],
              stop_with: int = signal.SIGTERM) -> subprocess.Popen[bytes]:
        with (self.folder / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(argv, env=env, cwd=self.folder, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, process_group=0)
        self.children.append(Child(name, process, stop_with))
        return process

    def run_once(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        process = self.start(name, argv, env)
        try:
            code = process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            raise DemoFailed(f"{' '.join(argv[2:])} did not finish in 120 s:\n{self.log_tail(name)}") from None
        self.children = [child for child in self.children if child.process is not process]  # done with it
        if code != 0:
            raise DemoFailed(f"{' '.join(argv[2:])} failed:\n{self.log_tail(name)}")

    def log_tail(self, name: str, characters: int = 3000) -> str:
        try:
            return (self.folder / f"{name}.log").read_text(errors="replace")[-characters:]
        except FileNotFoundError:
            return ""

    def check(self) -> None:
        for child in self.children:
            if child.process.poll() is not None:
                raise DemoFailed(f"the {child.name} process exited with code {child.process.returncode}; "
                                 f"its log ({self.folder / child.name}.log) ends:\n{self.log_tail(child.name)}")

    def wait_http(self, name: str, process: subprocess.Popen[bytes], url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(url, timeout=2).status_code == 200:
                    return
            self.check()
            if time.monotonic() > deadline:
                raise DemoFailed(f"the {name} process did not answer {url} within {timeout:g} s; its log ends:\n"
                                 f"{self.log_tail(name)}")
            time.sleep(0.05)

    def wait_log(self, name: str, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log_tail(name, 100_000):
            self.check()
            if time.monotonic() > deadline:
                raise DemoFailed(f"the {name} process did not start within {timeout:g} s; its log ends:\n"
                                 f"{self.log_tail(name)}")
            time.sleep(0.05)

    def stop(self, timeout: float = 20) -> None:
        """Ask each child to stop (the worker first), wait, and kill what is left of its process group."""
        for child in reversed(self.children):
            if child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(child.stop_with)
                try:
                    child.process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:  # still ours (not reaped): its whole group goes
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(child.process.pid, signal.SIGKILL)
                    child.process.wait(timeout=10)
        self.children.clear()


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < rate <= MAX_RATE:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {MAX_RATE:g}")
    return rate


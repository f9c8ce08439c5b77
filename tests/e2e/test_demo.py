"""`sla-plugin demo`, shortened: the sandbox, `sla-plugin serve` and `sla-plugin worker` in their own
processes, the working day played at 5,000 times real time (the day in 7 s), and what the host received
checked against the plugin's own figures. And Ctrl-C midway: every process stops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from tests.e2e.conftest import PROJECT_ROOT

RATE = 5000
DAY_START, DAY_END = "2026-03-01T21:00:00Z", "2026-03-02T21:00:00Z"  # Monday 2 March 2026 in Istanbul


def _demo_env() -> dict[str, str]:
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT), "NO_COLOR": "1"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_demo_ends_with_the_daily_summary_whose_figures_are_the_plugins_report(tmp_path: Path) -> None:
    result_path = tmp_path / "result.json"
    began = time.monotonic()
    demo = subprocess.run(  # through `sla-plugin demo`, which hands over to `python -m sandbox demo`
        [sys.executable, "-m", "plugin.cli", "demo", "--rate", str(RATE), "--seed", "3", "--no-live",
         "--folder", str(tmp_path / "demo"), "--port", "0", "--result", str(result_path)],
        cwd=PROJECT_ROOT, env=_demo_env(), capture_output=True, text=True, timeout=58, check=False)
    took = time.monotonic() - began
    logs = "\n".join(f"== {path.name}\n{path.read_text()[-2000:]}" for path in (tmp_path / "demo").glob("*.log"))
    assert demo.returncode == 0, f"{demo.stdout[-3000:]}\n{demo.stderr[-3000:]}\n{logs}"
    result = json.loads(result_path.read_text())
    host, plugin = result["host"], result["plugin"]

    # The daily summary reached the host, once, and the demo printed its Markdown at the end.
    summary = result["daily_summary"]
    dailies = [report for report in host["reports"] if report["data"]["period"] == "daily"]
    assert [(report["period_start"], report["period_end"]) for report in dailies] == [(DAY_START, DAY_END)]
    assert summary["title"] == "SLA daily summary: Monday 2 March 2026 (Europe/Istanbul)"
    assert summary["body_markdown"] in demo.stdout
    assert demo.stdout.rstrip().endswith("Stopped. The logs and the database are in " f"{tmp_path / 'demo'}/.")
    # Hourly summaries came during the day (at this rate the worker, which looks every 15 real seconds, finds
    # about 20 hours' due at a time).
    hourly = [report for report in host["reports"] if report["data"]["period"] == "hourly"]
    assert len(hourly) >= 3 and "summary posted: hourly summary: 2 March 2026, 09:00–10:00" in demo.stdout

    # Its figures are the plugin's own daily report for that day, row for row, and its table shows them.
    report = plugin["daily_report"]
    assert report, "the plugin decided no target that day"
    assert summary["data"]["rows"] == report
    for row in report:
        assert f"{row['achieved_percent']:.1f} % ({row['met']} of {row['total']})" in summary["body_markdown"]
    # ... and they count the targets the plugin decided that day, ticket by ticket.
    decided: Counter[tuple[str, str, str]] = Counter()
    for ticket in plugin["targets"].values():
        for target in ticket["targets"]:
            at = target["stopped_at"] if target["status"] == "met" else target["breached_at"]
            if target["status"] in ("met", "breached") and _instant(DAY_START) <= _instant(at) < _instant(DAY_END):
                decided[target["policy"], target["metric"], target["status"]] += 1
    assert {(row["policy"], row["metric"]): (row["total"], row["met"], row["breached"]) for row in report} == {
        (policy, metric): (decided[policy, metric, "met"] + decided[policy, metric, "breached"],
                           decided[policy, metric, "met"], decided[policy, metric, "breached"])
        for policy, metric, _status in decided}
    breached = sum(row["breached"] for row in report)
    assert breached >= 3  # urgent outages answered late, a late next response, the outage left unanswered

    # The host holds the plugin's tags and notes: every ticket with a breached target (and only those) is tagged
    # sla-breached and sla-breached-<metric>, with an internal note per breach.
    tickets = {ticket["id"]: ticket for ticket in host["tickets"] if not ticket["deleted"]}
    for ticket_id, ticket in tickets.items():
        metrics = {target["metric"] for target in plugin["targets"][ticket_id]["targets"]
                   if target["status"] == "breached"}
        expected = {"sla-breached", *(f"sla-breached-{metric.replace('_', '-')}" for metric in metrics)} if metrics \
            else set()
        plugin_tags = {tag for tag, by in ticket["tags_added_by"].items() if by == "plugin" and tag != "sla-at-risk"}
        assert plugin_tags == expected, (ticket_id, ticket["tags"], plugin["targets"][ticket_id])
        notes = [note for note in ticket["notes"] if note["internal"] and note["body"].startswith("SLA breached:")]
        assert len(notes) >= len(metrics), (ticket_id, ticket["notes"])
    assert sum(ticket["priority_set_by"] == "plugin" for ticket in tickets.values()) >= 20  # the rules' priorities
    kinds = Counter(effect["kind"] for effect in host["effects"])
    assert kinds["add_tags"] >= breached and kinds["post_note"] >= breached

    # Nothing went wrong on the way, and the three clocks agreed (within half a real second).
    assert plugin["status"]["inbox"] == {"failed": 0, "oldest_pending_at": None, "pending": 0}
    assert plugin["delivery"]["commands"].get("dead", 0) == 0 and plugin["delivery"]["paused"] is False
    assert max(result["health"]["clock_skew"].values()) < RATE * 0.5
    # The summary is due 10.9 s after the day starts, and the worker queues summaries every 15 s.
    assert result["timings"]["summary_after_origin"] < 30
    assert took < 55


def _descendants(pid: int) -> set[int]:
    """Every process under ``pid``, by /proc's parent links."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return False


def test_ctrl_c_midway_stops_the_sandbox_the_plugin_and_its_worker(tmp_path: Path) -> None:
    log = (tmp_path / "demo.out").open("w+")
    demo = subprocess.Popen([sys.executable, "-m", "sandbox", "demo", "--no-live", "--folder", str(tmp_path / "demo"),
                             "--port", "0"], cwd=PROJECT_ROOT, env=_demo_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 40
        while "new: " not in (tmp_path / "demo.out").read_text():  # the day has begun
            assert demo.poll() is None and time.monotonic() < deadline, (tmp_path / "demo.out").read_text()
            time.sleep(0.1)
        processes = _descendants(demo.pid)
        assert len(processes) >= 5, processes  # sandbox, gunicorn's master and 2 workers, worker
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=40) == 130
        assert [pid for pid in processes if _alive(pid)] == []
        output = (tmp_path / "demo.out").read_text()
        assert "Interrupted: stopping the worker, the plugin and the sandbox." in output
        assert "Worker exiting" in (tmp_path / "demo" / "serve.log").read_text()  # gunicorn stopped them itself
        assert '"worker.stopped"' in (tmp_path / "demo" / "worker.log").read_text()
    finally:
        if demo.poll() is None:
            demo.kill()
        log.close()

"""`sla-plugin simulate`: the worked example end to end, every output format, and bad input."""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from plugin.cli import main
from tests.unit.fake_desk import registered_fake_desk

EXAMPLE = Path(__file__).parents[1] / "data" / "desk360_example"
NOW = "2026-03-03T00:00:00Z"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["simulate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def simulate_example(capsys: pytest.CaptureFixture[str], *extra: str, events: Path | None = None) -> str:
    code, out, err = run(
        capsys, "--config", str(EXAMPLE / "settings.json"), "--events", str(events or EXAMPLE / "events.jsonl"),
        "--now", NOW, *extra,
    )
    assert code == 0, err
    return out


def rows_as_expected(rows: list[dict[str, object]], expected: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{key: row[key] for key in expected[0]} for row in rows]


def test_worked_example_reproduces_expected_reports(capsys: pytest.CaptureFixture[str]) -> None:
    expected = json.loads((EXAMPLE / "expected.json").read_text())
    result = json.loads(simulate_example(capsys))
    assert rows_as_expected(result["reports"]["daily"], expected["daily"]) == expected["daily"]
    assert rows_as_expected(result["reports"]["hourly"], expected["hourly"]) == expected["hourly"]
    daily = result["reports"]["daily"][0]
    assert (daily["total"], daily["met"], daily["achieved_percent"], daily["missed_tickets"]) == (100, 70, 70.0, 10)


def test_worked_example_lists_every_ticket_with_its_targets(capsys: pytest.CaptureFixture[str]) -> None:
    expected = json.loads((EXAMPLE / "expected.json").read_text())["tickets"]
    tickets = json.loads(simulate_example(capsys))["tickets"]
    urgent = [ticket for ticket in tickets if ticket["priority"] == "urgent"]
    low = [ticket for ticket in tickets if ticket["priority"] == "low"]
    assert (len(urgent), len(low)) == (expected["urgent_with_policy"], expected["low_without_policy"])
    assert all(ticket["policy"] == "orange-email-urgent" for ticket in urgent)
    assert all(ticket["policy"] is None and ticket["targets"] == [] for ticket in low)
    target = urgent[0]["targets"][0]
    assert set(target) == {"metric", "status", "started_at", "due_at", "stopped_at", "breached_at", "business_seconds"}
    assert target["started_at"].endswith("Z") and target["due_at"].endswith("Z")


def test_arrival_order_and_duplicates_do_not_change_the_result(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = (EXAMPLE / "events.jsonl").read_text().splitlines()
    replayed = lines + random.Random(7).sample(lines, len(lines))
    random.Random(11).shuffle(replayed)
    shuffled = tmp_path / "events.jsonl"
    shuffled.write_text("\n".join(replayed) + "\n")
    assert simulate_example(capsys, events=shuffled) == simulate_example(capsys)


def test_csv_has_hourly_and_daily_rows(capsys: pytest.CaptureFixture[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(simulate_example(capsys, "--format", "csv"))))
    assert [row["period"] for row in rows] == ["hourly"] * 4 + ["daily"]
    assert rows[-1]["missed_tickets"] == "10" and rows[-1]["achieved_percent"] == "70.0"


def test_table_shows_the_daily_figures(capsys: pytest.CaptureFixture[str]) -> None:
    table = simulate_example(capsys, "--format", "table")
    daily = table.split("Daily")[1].split("Hourly")[0]
    assert "orange-email-urgent" in daily
    assert " 100 " in daily and " 70.0 " in daily and " 10 " in daily


def test_now_decides_what_is_still_running(capsys: pytest.CaptureFixture[str]) -> None:
    result = json.loads(simulate_example(capsys, "--now", "2026-03-02T09:30:00Z"))
    statuses = {target["status"] for ticket in result["tickets"] for target in ticket["targets"]}
    assert "active" in statuses
    assert all(row["period_start"] < "2026-03-02T09:30:00Z" for row in result["reports"]["hourly"])


@pytest.mark.parametrize(
    ("events_text", "message"),
    [
        ('{"id": "e1", "type": "ticket.created"\n', "events.jsonl:1: not valid JSON"),
        ('\n{"id": "e1", "type": "ticket.created", "occurred_at": "2026-03-02T09:00:00Z", "data": {}}\n',
         "events.jsonl:2: data.ticket: must be a JSON object"),
        ('{"id": "e1", "type": "ticket.created", "occurred_at": "noon", "data": {}}\n',
         "events.jsonl:1: occurred_at: 'noon' is not an ISO 8601 instant"),
        ('[{"id": "e1", "type": "ticket.created"},\n {"id": "e2"}]\n',
         "events.jsonl:1: not valid JSON (unexpected end of data) (an events file holds one JSON object per "
         "line, not a JSON array)"),
    ],
)
def test_bad_events_file_names_file_line_and_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, events_text: str, message: str
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(events_text)
    code, out, err = run(capsys, "--config", str(EXAMPLE / "settings.json"), "--events", str(events))
    assert code == 2 and out == ""
    assert f"{tmp_path}/{message}" in err
    assert "Traceback" not in err


def test_invalid_settings_name_the_file_and_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    settings = json.loads((EXAMPLE / "settings.json").read_text())
    settings["sla_policies"][0]["targets"][0]["success_rate_percent"] = 180
    config = tmp_path / "settings.json"
    config.write_text(json.dumps(settings))
    code, _, err = run(capsys, "--config", str(config), "--events", str(EXAMPLE / "events.jsonl"))
    assert code == 2
    assert f"{config}: sla_policies[0].targets[0].success_rate_percent: Must be greater than or equal to 0" in err


def test_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--config", str(tmp_path / "nope.json"), "--events", str(EXAMPLE / "events.jsonl"))
    assert code == 2 and "nope.json: cannot be read (No such file or directory)" in err


def test_settings_that_are_not_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "settings.json"
    config.write_text("{\n  'timezone': 'UTC'\n}")
    code, _, err = run(capsys, "--config", str(config), "--events", str(EXAMPLE / "events.jsonl"))
    assert code == 2 and f"{config}:2: not valid JSON" in err


def test_now_may_be_a_plain_date_its_first_instant_in_utc(capsys: pytest.CaptureFixture[str]) -> None:
    by_date = simulate_example(capsys, "--now", "2026-03-03")
    assert by_date == simulate_example(capsys, "--now", "2026-03-03T00:00:00Z")


def test_now_must_carry_a_time_zone(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["simulate", "--config", "x", "--events", "y", "--now", "2026-03-02T09:00:00"])
    assert caught.value.code == 2
    assert "needs a time zone" in capsys.readouterr().err


def test_console_script_runs_as_a_separate_process() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "plugin.cli", "simulate", "--config", str(EXAMPLE / "settings.json"),
         "--events", str(EXAMPLE / "events.jsonl"), "--now", NOW, "--format", "csv"],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    last_row = completed.stdout.splitlines()[-1]
    assert last_row.startswith("daily,2026-03-02T00:00:00Z,orange-email-urgent,first_response,100,70,30,70.0,80,10,")


def test_large_files_are_replayed_in_slices_with_the_same_result(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = simulate_example(capsys)
    monkeypatch.setattr("plugin.simulate.SLICE_BYTES", 4096)  # the example's 80 KiB in about 20 slices
    sliced = json.loads(simulate_example(capsys))
    expected = json.loads(whole)
    assert sliced["reports"] == expected["reports"]
    by_id = {ticket["id"]: ticket for ticket in expected["tickets"]}
    assert len(sliced["tickets"]) == len(by_id)
    assert all(ticket == by_id[ticket["id"]] for ticket in sliced["tickets"])


def test_an_error_late_in_a_sliced_file_prints_nothing_but_the_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("plugin.simulate.SLICE_BYTES", 4096)
    events = tmp_path / "events.jsonl"
    lines = (EXAMPLE / "events.jsonl").read_text().splitlines()
    events.write_text("\n".join([*lines, '{"id": "broken"}']) + "\n")
    code, out, err = run(capsys, "--config", str(EXAMPLE / "settings.json"), "--events", str(events))
    assert code == 2 and out == ""
    assert f"events.jsonl:{len(lines) + 1}: type: missing" in err


def test_host_kind_reads_the_events_in_that_kinds_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    reference = simulate_example(capsys)
    events = tmp_path / "fakedesk.jsonl"
    with registered_fake_desk() as desk:
        bodies = [json.loads(line) for line in (EXAMPLE / "events.jsonl").read_text().splitlines() if line.strip()]
        events.write_text("".join(json.dumps(desk.body(body, "acme")) + "\n" for body in bodies))

        assert simulate_example(capsys, "--host-kind", "fakedesk", events=events) == reference
        code, _out, err = run(capsys, "--config", str(EXAMPLE / "settings.json"), "--events", str(events))
    assert code == 2 and err == f"sla-plugin simulate: {events}:1: type: missing\n"  # the default: reference

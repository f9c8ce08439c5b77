"""What-if comparisons (``plugin.services.what_if``) on the in-memory unit of work: the current and a
draft settings replayed by the simulator's own replay on an uploaded file or the stored history."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from plugin.domain.policies import Settings
from plugin.services import what_if
from plugin.services.settings_changes import SettingsChange, replace_settings
from plugin.services.what_if import InvalidEvents, StoredHistory, UploadedEvents, compare
from plugin.settings.loading import SettingsError
from plugin.simulate import replay_events_file
from plugin.store.records import HistoryEvent, TenantRecord
from tests.unit.fakes import FakeUnitOfWork, created, example_events, example_settings, install_tenant, message

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
EVENTS = example_events()
UPLOAD = UploadedEvents("\n".join(json.dumps(event) for event in EVENTS) + "\n")


@pytest.fixture
def tenant(uow: FakeUnitOfWork) -> TenantRecord:
    tenant = install_tenant(uow)
    replace_settings(uow, tenant, example_settings(), SettingsChange("ada", NOW - timedelta(days=9)))
    return tenant


def draft(minutes: int = 30, **changes: Any) -> dict[str, Any]:
    document = example_settings()
    document["sla_policies"][0]["targets"][0]["minutes"] = minutes
    document["sla_policies"][0].update(changes)
    return document


def store(uow: FakeUnitOfWork, tenant: TenantRecord, bodies: list[dict[str, Any]]) -> None:
    with uow:
        uow.tickets.add_events(tenant.id, [
            HistoryEvent(body["data"]["ticket"]["id"], body["id"], body["type"],
                         datetime.fromisoformat(body["occurred_at"]), body) for body in bodies])
        uow.commit()


def summary(rows: list[Any]) -> list[tuple[str, int, int, float, int]]:
    return [(row.period_start.isoformat(), row.total, row.met, row.achieved_percent, row.missed_tickets)
            for row in rows]


def test_an_upload_is_replayed_under_the_current_settings_and_the_draft(uow: FakeUnitOfWork,
                                                                        tenant: TenantRecord) -> None:
    comparison = compare(uow, tenant, UPLOAD, draft(minutes=45), NOW, replay_events_file)
    assert summary(comparison.current.daily) == [("2026-03-02T00:00:00+00:00", 100, 70, 70.0, 10)]
    assert [row.total for row in comparison.current.hourly] == [19, 39, 25, 17]
    [drafted] = comparison.draft.daily
    assert drafted.total == 100 and drafted.met > 70
    assert (comparison.events, comparison.tickets, comparison.settings_version) == (220, 120, 1)
    assert (comparison.since, comparison.truncated) == (None, False)


def test_the_answer_is_the_simulators(uow: FakeUnitOfWork, tenant: TenantRecord, tmp_path: Path) -> None:
    """The same rows ``sla-plugin simulate`` reports for the draft, as the same replay computes them."""
    from plugin.domain.reports import build_report  # noqa: PLC0415
    from plugin.settings.loading import load_settings  # noqa: PLC0415

    path = tmp_path / "events.jsonl"
    path.write_text(UPLOAD.text)
    settings = load_settings(draft(minutes=45))
    targets = [target for ticket in replay_events_file(settings, path, NOW) for target in ticket.targets]
    comparison = compare(uow, tenant, UPLOAD, draft(minutes=45), NOW, replay_events_file)
    assert comparison.draft.daily == build_report(targets, "daily", "UTC")
    assert comparison.draft.hourly == build_report(targets, "hourly", "UTC")


def test_nothing_is_saved(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    committed = uow.committed
    compare(uow, tenant, UPLOAD, draft(minutes=240, enabled=False), NOW, replay_events_file)
    assert uow.committed == committed
    with uow:
        assert uow.settings_versions.newest(tenant.id).version == 1  # type: ignore[union-attr]


def test_a_disabled_draft_policy_reports_nothing(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    comparison = compare(uow, tenant, UPLOAD, draft(enabled=False), NOW, replay_events_file)
    assert comparison.draft.daily == [] and len(comparison.current.daily) == 1


def test_the_draft_may_be_only_the_policies(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    comparison = compare(uow, tenant, UPLOAD, draft(minutes=240)["sla_policies"], NOW, replay_events_file)
    assert comparison.draft.daily[0].met == 100


@pytest.mark.parametrize(("changes", "problem"), [
    ({"minutes": 0}, "sla_policies[0].targets[0].minutes: "),
    ({"calendar": "nowhere"}, "sla_policies[0].calendar: "),
])
def test_an_invalid_draft_is_refused_with_the_paths_a_save_names(uow: FakeUnitOfWork, tenant: TenantRecord,
                                                                 changes: dict[str, Any], problem: str) -> None:
    document = draft()
    policy = document["sla_policies"][0]
    if "minutes" in changes:
        policy["targets"][0]["minutes"] = changes["minutes"]
    else:
        policy.update(changes)
    with pytest.raises(SettingsError) as refused:
        compare(uow, tenant, UPLOAD, document, NOW, replay_events_file)
    assert any(line.startswith(problem) for line in refused.value.problems), refused.value.problems


def test_a_target_no_calendar_can_hold_is_refused_as_a_save_refuses_it(uow: FakeUnitOfWork,
                                                                       tenant: TenantRecord) -> None:
    document = draft(minutes=400_000, calendar="minute")
    document["calendars"] = [{"id": "minute", "timezone": "UTC", "hours": {"mon": [["09:00", "09:01"]]}}]
    with pytest.raises(SettingsError) as refused:
        compare(uow, tenant, UPLOAD, document, NOW, replay_events_file)
    assert refused.value.problems[0].startswith("sla_policies[0].targets[0].minutes: ")


@pytest.mark.parametrize(("text", "problem"), [
    ('{"id": "e1"}\nnot json\n', "events: line 1: "),
    (json.dumps(EVENTS[0]) + "\n\n{oops\n", "events: line 3: not valid JSON"),
    ('[{"id": "e1"}]\n', "events: line 1: body: must be a JSON object (an events file holds one JSON object"),
])
def test_a_line_that_cannot_be_replayed_is_named(uow: FakeUnitOfWork, tenant: TenantRecord, text: str,
                                                 problem: str) -> None:
    with pytest.raises(InvalidEvents) as refused:
        compare(uow, tenant, UploadedEvents(text), draft(), NOW, replay_events_file)
    [line] = refused.value.problems
    assert line.startswith(problem), line
    assert "/tmp" not in line and "sla-what-if" not in line


def test_the_stored_history_of_the_last_days_is_replayed(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    store(uow, tenant, EVENTS)
    comparison = compare(uow, tenant, StoredHistory(30), draft(minutes=240), NOW, replay_events_file)
    assert (comparison.events, comparison.tickets, comparison.truncated) == (220, 120, False)
    assert comparison.since == datetime(2026, 2, 9, tzinfo=UTC)
    assert summary(comparison.current.daily) == [("2026-03-02T00:00:00+00:00", 100, 70, 70.0, 10)]
    assert comparison.draft.daily[0].met == 100
    assert compare(uow, tenant, StoredHistory(8), draft(), NOW, replay_events_file).events == 0


def test_a_ticket_active_in_the_window_counts_with_its_whole_history(uow: FakeUnitOfWork,
                                                                     tenant: TenantRecord) -> None:
    """Created before the window, answered in it: the answer is measured from the creation; rows before
    the window are not shown (its other tickets are not there)."""
    store(uow, tenant, [created("OLD", "2026-03-01T23:50:00Z"), message("OLD", "2026-03-02T00:10:00Z"),
                        created("GONE", "2026-02-01T10:00:00Z")])
    comparison = compare(uow, tenant, StoredHistory(9), draft(), NOW, replay_events_file)
    assert comparison.since == datetime(2026, 3, 2, tzinfo=UTC)
    assert (comparison.events, comparison.tickets) == (2, 1)
    assert summary(comparison.current.daily) == [("2026-03-02T00:00:00+00:00", 1, 1, 100.0, 0)]


def test_the_stored_history_is_capped_keeping_the_most_recently_active_tickets(
        uow: FakeUnitOfWork, tenant: TenantRecord, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(what_if, "MAX_STORED_EVENTS", 3)
    store(uow, tenant, [created("A", "2026-03-09T09:00:00Z"), message("A", "2026-03-09T09:05:00Z"),
                        created("B", "2026-03-08T09:00:00Z"), message("B", "2026-03-08T09:05:00Z"),
                        created("C", "2026-03-09T10:00:00Z")])
    comparison = compare(uow, tenant, StoredHistory(30), draft(), NOW, replay_events_file)
    assert (comparison.events, comparison.tickets, comparison.truncated) == (3, 2, True)
    assert sum(row.total for row in comparison.current.daily) == 2  # A and C; B, the least recent, left out


def test_the_replay_it_is_given_runs_each_settings_once(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    seen: list[Settings] = []

    def replay(settings: Settings, path: Path, now: datetime, parse: Any) -> Any:
        seen.append(settings)
        assert now == NOW and path.read_text() == UPLOAD.text
        return iter(())

    compare(uow, tenant, UPLOAD, draft(minutes=99), NOW, replay)
    assert [settings.policies[0].targets[0].minutes for settings in seen] == [30, 99]


def test_a_draft_without_a_zone_keeps_the_installations(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    document = copy.deepcopy(draft())
    del document["timezone"]
    comparison = compare(uow, tenant, UPLOAD, document, NOW, replay_events_file)
    assert comparison.draft.daily[0].period_start == datetime(2026, 3, 2, tzinfo=UTC)

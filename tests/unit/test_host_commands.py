"""Host commands: the API call each one makes, and idempotency keys that name exactly one effect."""

from __future__ import annotations

from datetime import UTC, datetime

from plugin.host import commands
from plugin.host.commands import CommandKind, HostRequest


def test_set_priority_patches_the_ticket_once_per_ticket() -> None:
    command = commands.set_priority("T 1/2", "urgent", "outages")
    assert command.kind is CommandKind.SET_PRIORITY
    assert command.request() == HostRequest("PATCH", "/api/v1/tickets/T%201%2F2", {"priority": "urgent"})
    assert command.idempotency_key == commands.set_priority("T 1/2", "high", "other").idempotency_key


def test_add_tags_posts_sorted_unique_tags() -> None:
    command = commands.add_tags("T1", ["sla-breached-first-response", "sla-breached", "sla-breached"],
                                "breach:first_response:0")
    assert command.request() == HostRequest(
        "POST", "/api/v1/tickets/T1/tags", {"tags": ["sla-breached", "sla-breached-first-response"]}
    )
    same = commands.add_tags("T1", ["sla-breached", "sla-breached-first-response"], "breach:first_response:0")
    assert command.idempotency_key == same.idempotency_key
    other_cycle = commands.add_tags("T1", ["sla-breached"], "breach:next_response:2")
    assert other_cycle.idempotency_key != command.idempotency_key


def test_remove_tag_deletes_the_one_tag() -> None:
    command = commands.remove_tag("T1", "sla-at-risk", "met:first_response:0")
    assert command.request() == HostRequest("DELETE", "/api/v1/tickets/T1/tags/sla-at-risk", None)


def test_post_note_is_internal() -> None:
    command = commands.post_note("T1", "First response breached at 09:30Z.", "breach:first_response:0")
    assert command.request() == HostRequest(
        "POST", "/api/v1/tickets/T1/notes", {"body": "First response breached at 09:30Z.", "internal": True}
    )


def test_post_report_is_keyed_by_period() -> None:
    start, end = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
    daily = commands.post_report("SLA report", "daily", start, end, "| policy | ... |", {"rows": []})
    assert daily.ticket_id is None
    assert daily.request() == HostRequest("POST", "/api/v1/reports", {
        "title": "SLA report", "period_start": "2026-03-02T00:00:00Z", "period_end": "2026-03-03T00:00:00Z",
        "body_markdown": "| policy | ... |", "data": {"rows": []},
    })
    hourly = commands.post_report("SLA report", "hourly", start, start.replace(hour=1), "", {})
    assert len({daily.idempotency_key, hourly.idempotency_key}) == 2

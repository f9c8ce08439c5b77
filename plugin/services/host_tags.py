"""The host commands that keep a ticket's SLA tags equal to the engine's state, and its breach notes.

Called by the one write path for every ticket it recomputes. The ticket's row remembers the tags
the plugin has put on the host; only a change of the wanted set queues commands (so a tag an agent
removed by hand is not put back on every recompute), and only the plugin's own tags are ever
removed. Each change is numbered (``tag_revision``) and its commands carry the number in their
idempotency keys; each breached target gets one note, keyed by the target, so recomputing a ticket
again queues nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from plugin.domain.engine import TargetState, TicketOutcome
from plugin.domain.policies import Settings
from plugin.domain.tags import BREACHED, next_tag_change, sla_tags
from plugin.host import commands
from plugin.host.commands import HostCommand
from plugin.store.records import TicketRecord

METRIC_NAMES = {"first_response": "first response", "next_response": "next response", "resolution": "resolution"}


@dataclass(frozen=True)
class TagState:
    host_tags: frozenset[str]
    tag_revision: int
    next_tag_change_at: datetime | None


def tag_changes(outcome: TicketOutcome, stored: TicketRecord, settings: Settings,
                now: datetime) -> tuple[TagState, list[HostCommand]]:
    """The ticket's tag state after this recompute, and the commands that bring the host there."""
    if outcome.deleted:  # the host deleted the ticket: nothing to tell it
        return TagState(stored.host_tags, stored.tag_revision, None), []
    wanted = sla_tags(outcome.targets, now)
    queued = [commands.post_note(outcome.ticket_id, breach_note(target, settings, now),
                                 f"breach:{target.metric}:{target.cycle}")
              for target in outcome.targets if target.status == "breached"]
    revision = stored.tag_revision
    if wanted != stored.host_tags:
        revision += 1
        reason = f"r{revision}"
        added, removed = sorted(wanted - stored.host_tags), sorted(stored.host_tags - wanted)
        if added:
            queued.append(commands.add_tags(outcome.ticket_id, added, reason))
        queued += [commands.remove_tag(outcome.ticket_id, tag, reason) for tag in removed]
        if BREACHED in removed:
            queued.append(commands.post_note(
                outcome.ticket_id, "SLA breach withdrawn: events that arrived late show the ticket's targets were "
                                   "met after all, so the plugin removed its breach tags.", f"unbreached:{reason}"))
    return TagState(wanted, revision, next_tag_change(outcome.targets, now)), queued


def breach_note(target: TargetState, settings: Settings, now: datetime) -> str:
    """Which target, which policy, due when (in the account's zone), missed by how much when noted."""
    assert target.breached_at is not None
    policy = next((policy for policy in settings.policies if policy.id == target.policy_id), None)
    name = f"'{policy.name}'" if policy is not None else f"'{target.policy_id}'"
    zone = ZoneInfo(settings.timezone)
    due = target.breached_at.astimezone(zone)
    metric = METRIC_NAMES.get(target.metric, target.metric)
    cycle = f" (reply {target.cycle})" if target.metric == "next_response" else ""
    return (f"SLA breached: the {metric} target{cycle} of policy {name} was due {due:%Y-%m-%d %H:%M} "
            f"{settings.timezone} ({target.target_seconds // 60} minutes of business time) and was not met; "
            f"{_overdue(now - target.breached_at)} overdue when this note was written.")


def _overdue(elapsed: timedelta) -> str:
    seconds = max(0, int(elapsed.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"

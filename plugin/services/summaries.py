"""Summaries posted to the host: each tenant's previous local day at its ``daily_summary_at``, and
each hour if it asked for hourly ones.

Run by the worker every few seconds. For each tenant, every period whose time has come since the
tenant's last summary is queued as a ``post_report`` command (its idempotency key names the
period, so two workers, or a worker that crashed after queueing, queue it once), and the tenant's
mark moves past it in the same transaction. A worker that was down posts, when it is back, each
summary whose time passed meanwhile; none whose time came before the tenant installed the plugin.

A tenant's summaries wait until its figures are all in: while its inbox holds an event that has
waited there longer than ``INBOX_SETTLED`` (a backlog the processor has not caught up with), and
while the sweep has not yet recomputed a ticket of the tenant whose target fell due before the
period ended. Without that, a worker back from downtime summarized the days it missed at once,
beside its inbox job and its sweep still catching up (the jobs start together), and posted them
short of those events and breaches, for good. Events that arrived moments ago do not hold a summary
back: a tenant whose webhooks never stop would otherwise never get one; and the worker queues no
summary before its own first complete drain of the inbox and first sweep (plugin.worker), so a backlog
it finds when it starts, however young, is applied first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from plugin.domain.policies import Settings
from plugin.domain.reports import Period, ReportRow, build_report, period_start
from plugin.host import commands
from plugin.report_formats import report_row_document
from plugin.store.records import SummaryMarks
from plugin.summaries_markdown import summary_markdown, summary_title

from .queries import first_period_at_or_after
from .settings_versions import settings_in_force
from .sweep import SWEEP_BATCH
from .unit_of_work import UnitOfWork

HOURLY_GRACE = timedelta(minutes=1)  # an hour's summary waits this long for the sweep's last breaches
INBOX_SETTLED = timedelta(seconds=5)  # real time: an inbox whose oldest event is younger is keeping up
MAX_PER_RUN = 48  # periods queued per tenant and period kind in one run; a long catch-up takes several


def queue_due_summaries(uow: UnitOfWork, clock: Callable[[], datetime],
                        wall_clock: Callable[[], datetime] | None = None) -> int:
    """Queue every summary whose time has come, for every tenant; how many were queued. ``clock`` is the
    SLA clock; ``wall_clock`` real time, which the inbox's arrival times are in (the same by default)."""
    now = clock()
    settled_before = (wall_clock or clock)() - INBOX_SETTLED
    with uow:
        tenant_ids = uow.tenants.ids()
    return sum(_queue_for_tenant(uow, tenant_id, now, settled_before) for tenant_id in tenant_ids)


def backlog_received_before(uow: UnitOfWork, instant: datetime) -> bool:
    """Whether the inbox still holds an event (of any tenant) received before ``instant``, real time."""
    with uow:
        oldest = uow.inbox.oldest_pending_at()
    return oldest is not None and oldest < instant


def _queue_for_tenant(uow: UnitOfWork, tenant_id: int, now: datetime, settled_before: datetime) -> int:
    with uow:
        tenant = uow.tenants.by_id(tenant_id)
        marks = uow.tenants.summary_marks(tenant_id)
        if tenant is None or marks is None:
            return 0
        _version, _document, settings = settings_in_force(uow, tenant)
        # Hours first: the day's summary, due after its last hour's, reaches the host after it.
        periods: list[Period] = ["hourly", "daily"] if settings.reporting.hourly_summary else ["daily"]
        due = [(period, start, end) for period in periods for start, end in _due_periods(period, marks, settings, now)]
        if not due or not _caught_up(uow, tenant_id, max(end for _period, _start, end in due), settled_before):
            return 0  # nothing due, or its figures are not all in yet: the next run, once they are
        for period, start, end in due:
            _queue(uow, tenant_id, period, start, end, settings, now)
            uow.tenants.mark_summarized(tenant_id, period, end)
        uow.commit()
    return len(due)


def _caught_up(uow: UnitOfWork, tenant_id: int, through: datetime, settled_before: datetime) -> bool:
    """Whether the tenant's figures through ``through`` are all in: no event waiting in its inbox since
    before ``settled_before``, and every ticket whose tags changed by then (a target falling due)
    recomputed by the sweep."""
    oldest_pending = uow.inbox.counts(tenant_id).oldest_pending_at
    if oldest_pending is not None and oldest_pending < settled_before:
        return False
    sweep_due = uow.tickets.tag_changes_due(through, SWEEP_BATCH)
    return len(sweep_due) < SWEEP_BATCH and all(tenant != tenant_id for tenant, _ticket in sweep_due)


def _due_periods(period: Period, marks: SummaryMarks, settings: Settings,
                 now: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) of each period after the mark whose summary is due by ``now`` (at most MAX_PER_RUN)."""
    zone = settings.timezone
    through = marks.daily_through if period == "daily" else marks.hourly_through
    if through is None:  # the first period whose summary is due after the installation
        start = period_start(marks.installed_at, period, zone)
        if period == "daily":
            start = period_start(start - timedelta(hours=12), period, zone)  # yesterday's may still be due
    else:
        start = through
    for _ in range(MAX_PER_RUN):
        end = first_period_at_or_after(start + timedelta(seconds=1), period, zone)
        due_at = _due_at(period, end, settings)
        if due_at > now:
            return
        if due_at > marks.installed_at:
            yield start, end
        start = end


def _due_at(period: Period, end: datetime, settings: Settings) -> datetime:
    """When a period ending at ``end`` is summarized: a day at the next day's ``daily_summary_at``, local
    time; an hour a minute after it ends."""
    if period == "hourly":
        return end + HOURLY_GRACE
    zone = ZoneInfo(settings.timezone)
    day = end.astimezone(zone).date()
    seconds = settings.reporting.daily_summary_at
    local = datetime.combine(day, time(seconds // 3600, seconds // 60 % 60), zone)
    return max(end, local.astimezone(ZoneInfo("UTC")))


def _queue(uow: UnitOfWork, tenant_id: int, period: Period, start: datetime, end: datetime,
           settings: Settings, now: datetime) -> None:
    rows = _rows(uow, tenant_id, period, start, end, settings)
    previous_start = period_start(start - timedelta(seconds=1), period, settings.timezone)
    previous = _rows(uow, tenant_id, period, previous_start, start, settings)
    title = summary_title(period, start, end, settings.timezone)
    names = {policy.id: policy.name for policy in settings.policies}
    body = summary_markdown(title, period, rows, previous, names)
    data = {"period": period, "rows": [report_row_document(row) for row in rows]}
    uow.outbox.add(tenant_id, [commands.post_report(title, period, start, end, body, data)], now)


def _rows(uow: UnitOfWork, tenant_id: int, period: Period, start: datetime, end: datetime,
          settings: Settings) -> list[ReportRow]:
    return build_report(uow.targets.decided(tenant_id, start, end, None, None), period, settings.timezone)
